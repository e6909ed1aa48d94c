// The web console as a browser uses it, for the end-to-end tests (console_test.cpp, apache_test.cpp
// and the tests of the other console pages), and the phones and roles those tests set up.
#pragma once

#include <map>
#include <string>

#include "e2e_support.h"
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

// The console page of one device.
inline std::string device_page_path(const std::string& user, const std::string& device) {
    return "/easd-admin/device?user=" + EasClient::url_encode(user) + "&id=" + EasClient::url_encode(device);
}

// The phone provisions (so the wipe travels as a policy directive, as for a real phone).
inline void provision_phone(EasClient& c) {
    namespace tag = easd::wbxml::tag;
    c.set_policy_key("0");
    auto body = xml("<Provision xmlns='Provision'><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>"
                    "</Policy></Policies></Provision>");
    auto first = c.command("Provision", &body);
    REQUIRE(first.doc);
    std::string key = text_of(*first.doc->child(tag::Provision::Policies)->child(tag::Provision::Policy),
                              tag::Provision::PolicyKey);
    auto ack = xml("<Provision xmlns='Provision'><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>"
                   "<PolicyKey>" + key + "</PolicyKey><Status>1</Status></Policy></Policies></Provision>");
    c.set_policy_key(key);
    auto done = c.command("Provision", &ack);
    REQUIRE(done.doc);
    c.set_policy_key(text_of(*done.doc->child(tag::Provision::Policies)->child(tag::Provision::Policy),
                             tag::Provision::PolicyKey));
    REQUIRE_FALSE(folder_sync(c).key.empty());
}

// A device row for the account: one request from its phone.
inline void register_device(const std::string& user, const std::string& device) {
    auto c = client(user, device);
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    c.command("FolderSync", &body);
    REQUIRE(device_column(user, device, "d.id") != "");
}

// `easctl user role ARGS...` (ADDRESS admin | domain-admin DOMAIN | none), which must succeed.
inline void set_console_role(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"user", "role"};
    full.insert(full.end(), args.begin(), args.end());
    auto r = easd::test::run_easctl(cluster(), full);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
}

}  // namespace e2e
