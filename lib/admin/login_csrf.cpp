#include "admin/login_csrf.h"

#include <string>
#include <string_view>

namespace easd::admin {

namespace {

// Host names compare without case; a port is part of the origin and compares exactly.
bool same_text_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

}  // namespace

bool cross_site_request(const Request& request) {
    // A browser that sends Sec-Fetch-Site (no page can set or forge it) says it all: its Origin may
    // be "null" on a same-origin form POST from a page under Referrer-Policy no-referrer.
    if (!request.sec_fetch_site.empty()) return request.sec_fetch_site != "same-origin" && request.sec_fetch_site != "none";
    if (request.origin.empty()) return false;
    // The console is served over HTTPS only (console.cpp refuses anything else before this).
    // The front end's own idea of the console's origin (nginx: $easd_console_origin).
    if (!request.console_origin.empty() && same_text_ignoring_case(request.origin, request.console_origin)) return false;
    if (request.host.empty()) return true;
    if (same_text_ignoring_case(request.origin, "https://" + request.host)) return false;
    // Browsers leave the default port out of Origin; a Host header may carry it.
    const std::string_view host(request.host);
    const std::string_view default_port = ":443";
    return !(host.size() > default_port.size() && host.substr(host.size() - default_port.size()) == default_port &&
             same_text_ignoring_case(request.origin, "https://" + std::string(host.substr(0, host.size() - default_port.size()))));
}

}  // namespace easd::admin
