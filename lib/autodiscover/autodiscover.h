// Autodiscover for ActiveSync (MS-ASCMD 2.2.1.1, the POX form of MS-OXDSCLI): a phone posts the
// user's email address to /autodiscover/autodiscover.xml and learns the ActiveSync URL, so the user
// types only an address and a password. Pure: parsing the request and writing the responses; the
// request path (commands/request_handler.cpp) authenticates and picks the URL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace easd::autodiscover {

// The only response schema this server speaks; Outlook's (…/outlook/responseschema/2006a) asks
// for Exchange's own services, which easd does not offer.
inline constexpr std::string_view kMobileSyncSchema =
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006";

struct Request {
    std::string email;   // Request/EMailAddress, trimmed
    std::string schema;  // Request/AcceptableResponseSchema, trimmed
};

// Reads the request document (any namespace prefixes; no DTD, no entities, no network). nullopt
// and a one-line reason in *error when it is not XML or has no Request element.
std::optional<Request> parse_request(std::string_view xml, std::string* error = nullptr);

// The answer with the ActiveSync URL (Server Type MobileSync, Url and Name).
std::string settings_response(const std::string& display_name, const std::string& email, const std::string& url);

// The mobilesync error answer (Action/Error, Status 2 "protocol error") with a message for the user.
std::string mobilesync_error(const std::string& email, const std::string& message);

// The generic Autodiscover error for a request this server cannot answer in any schema it speaks:
// ErrorCode 600 (invalid request) or 601 (the requested schema is not available).
std::string schema_error(int code, const std::string& message);

}  // namespace easd::autodiscover
