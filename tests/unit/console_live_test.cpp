// The pieces of the console's dashboard and sign-in hardening that need no database: the check
// against login CSRF, and the rates from two live readings (shared with easctl stats/top).
#include <catch2/catch.hpp>

#include "admin/login_csrf.h"
#include "store/live_summary.h"

using namespace easd;

namespace {

admin::Request post(std::string origin, std::string host, std::string fetch_site = {}, std::string console_origin = {}) {
    admin::Request r;
    r.method = "POST";
    r.path = "/easd-admin/login";
    r.https = true;
    r.origin = std::move(origin);
    r.host = std::move(host);
    r.sec_fetch_site = std::move(fetch_site);
    r.console_origin = std::move(console_origin);
    return r;
}

store::LiveView reading(double at, long long folder_syncs, double seconds) {
    store::LiveView v;
    v.read_epoch = at;
    store::LiveWorker w;
    w.instance = "h:1:0";
    w.host = "h";
    w.updated_epoch = at;
    w.parked = 2;
    v.workers.push_back(w);
    v.counts.push_back({"h:1:0", "FolderSync", "200", folder_syncs});
    v.durations.push_back({"h:1:0", "FolderSync", folder_syncs, seconds});
    return v;
}

}  // namespace

TEST_CASE("console sign-in: a POST from another site is cross-site, this server's own page is not",
          "[unit][console][live-console]") {
    CHECK_FALSE(admin::cross_site_request(post("https://mail.example.com", "mail.example.com")));
    CHECK_FALSE(admin::cross_site_request(post("https://Mail.Example.com", "mail.example.com")));
    CHECK_FALSE(admin::cross_site_request(post("https://mail.example.com:8443", "mail.example.com:8443")));
    CHECK_FALSE(admin::cross_site_request(post("https://mail.example.com", "mail.example.com:443")));
    CHECK_FALSE(admin::cross_site_request(post("", "mail.example.com")));  // no header: curl, old browsers
    CHECK_FALSE(admin::cross_site_request(post("", "mail.example.com", "same-origin")));
    CHECK_FALSE(admin::cross_site_request(post("", "mail.example.com", "none")));

    CHECK(admin::cross_site_request(post("https://attacker.example", "mail.example.com")));
    CHECK(admin::cross_site_request(post("http://mail.example.com", "mail.example.com")));  // not TLS
    CHECK(admin::cross_site_request(post("https://mail.example.com:8443", "mail.example.com")));
    // Host without its port (Debian's nginx passes $host): the front end's console origin counts.
    CHECK_FALSE(admin::cross_site_request(post("https://mail.example.com:8443", "mail.example.com", "same-origin",
                                               "https://mail.example.com:8443")));
    CHECK(admin::cross_site_request(post("https://attacker.example", "mail.example.com", "", "https://mail.example.com:8443")));
    CHECK(admin::cross_site_request(post("https://mail.example.com.attacker.example", "mail.example.com")));
    CHECK(admin::cross_site_request(post("null", "mail.example.com")));
    CHECK(admin::cross_site_request(post("https://mail.example.com", "")));
    CHECK(admin::cross_site_request(post("", "mail.example.com", "cross-site")));
    CHECK(admin::cross_site_request(post("", "mail.example.com", "same-site")));
    CHECK(admin::cross_site_request(post("https://mail.example.com", "mail.example.com", "cross-site")));
    // Chromium under Referrer-Policy no-referrer: Origin null on its own form's POST; Sec-Fetch-Site decides.
    CHECK_FALSE(admin::cross_site_request(post("null", "mail.example.com", "same-origin")));
    CHECK(admin::cross_site_request(post("null", "mail.example.com", "cross-site")));
}

TEST_CASE("live summary: rates from two readings of the same process, none from one", "[unit][live-console]") {
    const store::LiveView first = reading(100, 10, 1.0), second = reading(102, 30, 3.0);
    const store::LiveSummary one = store::summarize_live(first, nullptr);
    CHECK(one.requests_per_second < 0);
    CHECK(one.parked == 2);
    CHECK(one.commands.at("FolderSync").total == 10);
    CHECK(one.commands.at("FolderSync").avg_ms == Approx(100));

    const store::LiveSummary two = store::summarize_live(second, &first);
    CHECK(two.requests_per_second == Approx(10));  // 20 more in 2 s
    CHECK(two.commands.at("FolderSync").per_second == Approx(10));
    CHECK(two.commands.at("FolderSync").avg_ms == Approx(100));  // 2 s over 20 requests

    // A process that has not written anew gives no rate.
    CHECK(store::summarize_live(first, &first).requests_per_second < 0);
    const std::string json = store::live_summary_json(two);
    CHECK(json.find("\"requests_per_second\":10.000") != std::string::npos);
    CHECK(json.find("\"parked\":2") != std::string::npos);
    CHECK(store::live_summary_json(one).find("\"requests_per_second\":null") != std::string::npos);
}
