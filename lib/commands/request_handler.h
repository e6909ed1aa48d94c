// The request path of MS-ASHTTP, independent of FastCGI: method and query, authentication,
// device registration, WBXML decoding, dispatch to the command, encoding, protocol log.
// fcgi-app/ adapts FastCGI requests to this; tests can drive it directly.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "commands/auth_cache.h"
#include "commands/command.h"
#include "commands/protocol_log.h"
#include "store/db.h"

namespace easd::commands {

struct HttpRequest {
    std::string method;        // REQUEST_METHOD
    std::string query_string;  // QUERY_STRING
    std::string authorization; // HTTP_AUTHORIZATION
    std::string protocol_version;  // HTTP_MS_ASPROTOCOLVERSION
    std::string policy_key;        // HTTP_X_MS_POLICYKEY
    std::string user_agent;        // HTTP_USER_AGENT
    std::string content_type;      // CONTENT_TYPE
    std::string accept_multipart;  // HTTP_MS_ASACCEPTMULTIPART ("T": multipart ItemOperations responses)
    std::string body;
};

struct HttpResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // Set instead of an answer when the request waits (Ping): the worker parks it.
    std::optional<push::PingWait> park;
};

// The headers every ActiveSync WBXML answer carries (used for parked requests answered later).
std::vector<std::pair<std::string, std::string>> wbxml_response_headers();

class RequestHandler {
public:
    RequestHandler(store::Database& db, ServerSettings settings);
    // Never throws: every failure becomes an HTTP answer (and a server-log line for 5xx).
    HttpResponse handle(const HttpRequest& request);

private:
    HttpResponse handle_unchecked(const HttpRequest& request);

    store::Database& db_;
    ServerSettings settings_;
    AuthCache auth_cache_;
    ProtocolLog protocol_log_;
};

// "2.5,12.0,12.1,14.0,14.1,16.0,16.1" and the implemented command names, as OPTIONS sends them.
std::string advertised_versions();
std::string advertised_commands();

}  // namespace easd::commands
