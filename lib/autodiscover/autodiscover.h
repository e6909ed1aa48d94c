// Autodiscover for ActiveSync (MS-ASCMD 2.2.1.1, the POX form of MS-OXDSCLI): a phone posts the
// user's email address to /autodiscover/autodiscover.xml and learns the ActiveSync URL, so the user
// types only an address and a password. Pure: parsing the request and writing the responses; the
// request path (commands/request_handler.cpp) authenticates and picks the URL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace easd::autodiscover {

// The response schema this server gives settings in. Outlook's (…/outlook/responseschema/2006a)
// asks for Exchange's own services (EXCH, EXPR, WEB), which easd does not offer: in that schema we
// answer only a redirect to the account's own address, else ErrorCode 601.
inline constexpr std::string_view kMobileSyncSchema =
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006";
inline constexpr std::string_view kOutlookSchema =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

struct Request {
    std::string email;   // Request/EMailAddress, trimmed
    std::string schema;  // Request/AcceptableResponseSchema, trimmed
};

// Reads the request document (any namespace prefixes; no DTD, no entities, no network). nullopt
// and a one-line reason in *error when it is not XML or has no Request element.
std::optional<Request> parse_request(std::string_view xml, std::string* error = nullptr);

// The answer with the ActiveSync URL (Server Type MobileSync, Url and Name).
std::string settings_response(const std::string& display_name, const std::string& email, const std::string& url);

// The mobilesync redirect (MS-ASCMD 2.2.3.147 Redirect): `email` was asked for; the client asks
// again with `address`, the account's own.
std::string mobilesync_redirect(const std::string& email, const std::string& address);

// The same in Outlook's schema (MS-OXDSCLI 2.2.4.1.1.2.8: Action redirectAddr, RedirectAddr).
std::string outlook_redirect(const std::string& address);

// The mobilesync error answer (Action/Error, Status 2 "protocol error") with a message for the user.
std::string mobilesync_error(const std::string& email, const std::string& message);

// The generic Autodiscover error for a request this server cannot answer in any schema it speaks:
// ErrorCode 600 (invalid request) or 601 (the requested schema is not available).
std::string schema_error(int code, const std::string& message);

}  // namespace easd::autodiscover
