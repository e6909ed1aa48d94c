#include "admin/login_csrf.h"

#include <string>
#include <string_view>

#include "common/text.h"

namespace easd::admin {

bool cross_site_request(const Request& request) {
    // A browser that sends Sec-Fetch-Site (no page can set or forge it) says it all: its Origin may
    // be "null" on a same-origin form POST from a page under Referrer-Policy no-referrer.
    if (!request.sec_fetch_site.empty()) return request.sec_fetch_site != "same-origin" && request.sec_fetch_site != "none";
    if (request.origin.empty()) return false;
    // The console is served over HTTPS only (console.cpp refuses anything else before this).
    // Origins compare ignoring case (host names do). The front end's own idea of the
    // console's origin (nginx: $easd_console_origin).
    if (!request.console_origin.empty() && iequals(request.origin, request.console_origin)) return false;
    if (request.host.empty()) return true;
    if (iequals(request.origin, "https://" + request.host)) return false;
    // Browsers leave the default port out of Origin; a Host header may carry it.
    const std::string_view host(request.host);
    const std::string_view default_port = ":443";
    return !(host.size() > default_port.size() && host.substr(host.size() - default_port.size()) == default_port &&
             iequals(request.origin, "https://" + std::string(host.substr(0, host.size() - default_port.size()))));
}

}  // namespace easd::admin
