// The web console's view of an HTTP request and its answer, independent of FastCGI (fcgi-app/
// fills them from the front end's parameters) and of the ActiveSync request path.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace easd::admin {

struct Request {
    std::string method;       // REQUEST_METHOD
    std::string path;         // the path of REQUEST_URI (or SCRIPT_NAME), without the query
    std::string query;        // QUERY_STRING
    std::string cookie;       // HTTP_COOKIE
    std::string content_type; // CONTENT_TYPE
    std::string body;
    std::string remote_addr;  // REMOTE_ADDR
    bool https = false;       // HTTPS set by the front end
    // For the sign-in form's check against login CSRF (console.cpp): the page that sent a POST.
    std::string origin;          // HTTP_ORIGIN
    std::string host;            // HTTP_HOST
    std::string sec_fetch_site;  // HTTP_SEC_FETCH_SITE
    // EASD_CONSOLE_ORIGIN: the console's origin as the front end knows it (nginx passes its
    // $easd_console_origin), for front ends whose HTTP_HOST has lost the port (Debian's
    // fastcgi_params sends $host).
    std::string console_origin;
};

struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// Everything under /easd-admin (the console, /easd-admin/me, the style sheet).
constexpr std::string_view kConsolePath = "/easd-admin";
bool is_console_path(std::string_view path);

// The largest form the console takes: sign-in and actions are a few hundred bytes, but an Out of
// Office form carries three messages a phone may have set at up to 64 KiB each (Settings Oof Set),
// percent-encoded.
constexpr std::size_t kMaxFormBytes = 512 * 1024;

}  // namespace easd::admin
