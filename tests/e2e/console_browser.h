// The web console as a browser uses it, for the end-to-end tests (console_test.cpp, apache_test.cpp).
#pragma once

#include <map>
#include <string>

#include "support/eas_client.h"

namespace e2e {

using easd::test::EasClient;
using easd::test::EasResponse;

// A browser without JavaScript: HTTPS to a test front end (nginx or Apache), trusting its
// certificate, keeping the console's one session cookie.
class ConsoleBrowser {
public:
    ConsoleBrowser(int https_port, const std::string& cert) : http_(https_port, "-", "-", "-") { http_.use_tls(cert); }

    EasResponse get(const std::string& path) { return keep_cookie(http_.raw("GET", path, "", headers())); }
    EasResponse post(const std::string& path, const std::map<std::string, std::string>& form) {
        std::string body;
        for (const auto& [name, value] : form) body += (body.empty() ? "" : "&") + name + "=" + EasClient::url_encode(value);
        auto h = headers();
        h["Content-Type"] = "application/x-www-form-urlencoded";
        return keep_cookie(http_.raw("POST", path, body, h));
    }
    EasResponse sign_in(const std::string& address, const std::string& password = "secret-pw") {
        return post("/easd-admin/login", {{"address", address}, {"password", password}});
    }
    const std::string& cookie() const { return cookie_; }

private:
    std::map<std::string, std::string> headers() const {
        std::map<std::string, std::string> h;
        if (!cookie_.empty()) h["Cookie"] = cookie_;
        return h;
    }
    EasResponse keep_cookie(EasResponse r) {
        std::string set = r.header("set-cookie");
        if (!set.empty()) {
            std::string pair = set.substr(0, set.find(';'));
            cookie_ = set.find("Max-Age=0") != std::string::npos ? "" : pair;
        }
        return r;
    }
    EasClient http_;
    std::string cookie_;
};

// The CSRF token in a page's forms.
inline std::string csrf_of(const std::string& page) {
    const std::string mark = "name=\"csrf\" value=\"";
    auto at = page.find(mark);
    if (at == std::string::npos) return {};
    at += mark.size();
    return page.substr(at, page.find('"', at) - at);
}

}  // namespace e2e
