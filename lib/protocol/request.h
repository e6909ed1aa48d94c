// MS-ASHTTP request line and headers: the plain and the base64-encoded query forms, protocol
// versions, HTTP Basic credentials. Pure parsing, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace easd::protocol {

// Protocol versions as major*10+minor: 25, 120, 121, 140, 141, 160, 161 (the base64 query form
// carries the same numbers in its first byte).
using ProtocolVersion = int;

// The versions this server speaks, oldest first, and their header spelling ("2.5,12.0,...").
const std::vector<ProtocolVersion>& supported_versions();
std::string version_string(ProtocolVersion v);          // 141 -> "14.1"
std::optional<ProtocolVersion> parse_version(std::string_view s);  // "14.1" -> 141; unknown -> nullopt
bool is_supported(ProtocolVersion v);

// The command codes of the base64 query form (MS-ASHTTP 2.2.1.1.1.1.2), by name.
std::optional<std::string_view> command_name_for_code(int code);
std::optional<int> command_code_for_name(std::string_view name);
// Every command of that table, in code order (the names easd's request metrics use).
std::vector<std::string_view> command_names();
// The command a query names, in the spec's spelling, read without decoding the rest and without
// allocating (once per request, for the request metrics, whether or not the request is
// answered). nullopt when the query names no command of the table.
std::optional<std::string_view> command_of_query(std::string_view query_string);

struct EasQuery {
    std::string cmd;          // "Sync", "FolderSync", ... exactly as the spec names it
    std::string user;         // as sent; informational only (authentication uses the Authorization header)
    std::string device_id;    // base64 form: a binary (non-printable) DeviceId becomes upper-case hex
    std::string device_type;
    std::optional<ProtocolVersion> version;  // only the base64 form carries it; not checked here (is_supported)
    std::optional<uint32_t> policy_key;      // only the base64 form carries it
    std::string locale;                      // base64 form: hex of the 2-byte locale, else empty
    // Command parameters (both forms): AttachmentName, CollectionId, ItemId, LongId, Occurrence,
    // SaveInSent ("T"/"F"), AcceptMultiPart ("T"/"F").
    std::string attachment_name, collection_id, item_id, long_id, occurrence;
    bool save_in_sent = false;
    bool accept_multipart = false;
    bool base64_form = false;
};

// Parses a QUERY_STRING. The plain form is `Cmd=...&User=...&DeviceId=...&DeviceType=...[&...]`
// (percent-decoding, names case-insensitive); anything else is tried as the base64 form. Returns
// nullopt and a one-line reason in *error when required parts are missing or malformed
// (Cmd and DeviceId are required; DeviceId must be 1..32 printable ASCII characters without
// separators; DeviceType, when present, 1..32 printable characters). Unknown parameters and
// unassigned base64 tags are ignored; a known parameter given twice is an error.
// Cmd: the spec's spelling for known commands (any case accepted); other alphabetic names as sent.
std::optional<EasQuery> parse_query(std::string_view query_string, std::string* error = nullptr);

// The DeviceId of a query that parse_query refuses for another reason, e.g. an OPTIONS sent with
// User, DeviceId and DeviceType but no Cmd (plain form only); "" when it has no valid one.
std::string device_id_of_incomplete_query(std::string_view query_string);

// Standard base64 (RFC 4648, padding optional, no whitespace). nullopt on invalid input.
// An application/x-www-form-urlencoded body ("a=1&b=x%20y"): the pairs in order, decoded.
// nullopt for a pair without '=' or a bad percent-escape.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view body);

std::optional<std::string> base64_decode(std::string_view in);
std::string base64_encode(std::string_view in);

struct BasicCredentials {
    std::string user;      // as given: "user@domain", "DOMAIN\\user" or "user"
    std::string password;
};
// Parses an `Authorization: Basic ...` header value. nullopt when absent or not Basic or malformed.
std::optional<BasicCredentials> parse_basic_auth(std::string_view header_value);

// The login name a user typed, normalised for lookup: "DOMAIN\\user" -> "user", lower-cased.
std::string normalize_login(std::string_view user);
}  // namespace easd::protocol
