// The web console's live dashboard, the device page's remaining actions (protocol log, resync,
// remove) and the sign-in hardening (login CSRF, sessions ended by a password change, session
// lifetimes from easd.conf), through nginx over TLS as a browser uses them.
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "console_browser.h"
#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

// A browser signed in as `address` (which must succeed).
ConsoleBrowser signed_in(const std::string& address, easd::test::EasServer& s = server()) {
    ConsoleBrowser b(s.https_port(), s.cert_path());
    REQUIRE(b.sign_in(address).status == 303);
    REQUIRE_FALSE(b.cookie().empty());
    return b;
}

// The text of the element whose data-live attribute is `key` on a dashboard page.
std::string live_value(const std::string& page, const std::string& key) {
    const std::string mark = "data-live=\"" + key + "\">";
    auto at = page.find(mark);
    if (at == std::string::npos) return {};
    at += mark.size();
    return page.substr(at, page.find('<', at) - at);
}

// A real JSON parser (Python's) says whether `json` parses and prints the members asked for.
easd::test::ProcessResult python_json(const std::string& json, const std::string& expression) {
    return easd::test::run_process({"python3", "-c", "import json,sys\nv=json.load(sys.stdin)\nprint(" + expression + ")"},
                                   json);
}

// A sign-in POST with extra headers, as another site's page (or this one) would send it.
EasResponse sign_in_with(const std::map<std::string, std::string>& extra, const std::string& address) {
    EasClient http(server().https_port(), "-", "-", "-");
    http.use_tls(server().cert_path());
    auto h = extra;
    h["Content-Type"] = "application/x-www-form-urlencoded";
    return http.raw("POST", "/easd-admin/login",
                    "address=" + EasClient::url_encode(address) + "&password=secret-pw", h);
}

std::string sessions_of(const std::string& address) {
    return sql_one("SELECT count(*) FROM console_sessions s JOIN users u ON u.id = s.user_id WHERE u.address = '" +
                   address + "'");
}

}  // namespace

TEST_CASE("console dashboard: a parked Ping and a command's count, live.json and console.js under the CSP",
          "[e2e][console][live-console]") {
    const std::string admin = new_user("dash-admin");
    set_console_role({admin, "admin"});
    const std::string user = new_user("dash-user");
    auto phone = client(user, "DASHPHONE");
    Hierarchy h = folder_sync(phone);
    for (int i = 0; i < 5; ++i) folder_sync(phone);

    // A Ping parked while the dashboard is read (nothing new for it: it waits its 60 s, and the
    // mail delivered at the end answers it).
    auto pinger = client(user, "DASHPING");
    Hierarchy ph = folder_sync(pinger);
    EasResponse keep;
    sync(pinger, ph.ids["Inbox"], sync(pinger, ph.ids["Inbox"], "0", keep).key, keep);
    auto ping_body = xml("<Ping xmlns='Ping'><HeartbeatInterval>60</HeartbeatInterval><Folders><Folder><Id>" +
                         ph.ids["Inbox"] + "</Id><Class>Email</Class></Folder></Folders></Ping>");
    auto ping = std::async(std::launch::async, [&] { return pinger.command("Ping", &ping_body).status; });

    auto browser = signed_in(admin);
    // Each process writes its figures every second: a few readings until the Ping shows.
    EasResponse page;
    for (int i = 0; i < 20; ++i) {
        page = browser.get("/easd-admin/dashboard");
        REQUIRE(page.status == 200);
        if (live_value(page.body, "parked") != "" && live_value(page.body, "parked") != "0") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    INFO(page.body);
    CHECK(std::stoi(live_value(page.body, "parked")) >= 1);
    CHECK(std::stoi(live_value(page.body, "processes")) >= 1);
    CHECK(page.body.find("<td>FolderSync</td>") != std::string::npos);
    CHECK(page.body.find("href=\"/easd-admin/dashboard\">Refresh</a>") != std::string::npos);
    CHECK(page.body.find("<script src=\"/easd-admin/console.js\"></script>") != std::string::npos);
    CHECK(page.body.find("Slowest requests of the last minute") != std::string::npos);
    CHECK(page.body.find("href=\"/easd-admin/dashboard\">Dashboard</a>") != std::string::npos);  // the nav
    const std::string csp = page.header("content-security-policy");
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("connect-src 'self'") != std::string::npos);
    CHECK(csp.find("unsafe-inline") == std::string::npos);

    // The same figures as JSON, for console.js: a real parser reads it.
    auto live = browser.get("/easd-admin/live.json");
    REQUIRE(live.status == 200);
    CHECK(live.header("content-type") == "application/json");
    CHECK(live.header("cache-control") == "no-store");
    auto parsed = python_json(live.body,
                              "v['processes'] >= 1, v['parked'] >= 1, "
                              "[c['total'] for c in v['commands'] if c['command'] == 'FolderSync'][0] >= 7, "
                              "all(k in v for k in ('requests_per_second', 'pool_in_use', 'pool_size', 'errors', "
                              "'slowest', 'recent_errors', 'process_list', 'read_at'))");
    INFO(live.body << parsed.err);
    CHECK(parsed.exit_code == 0);
    CHECK(parsed.out == "True True True True\n");
    // A second reading moments later has rates (the console keeps the previous reading).
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    folder_sync(phone);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    auto again = python_json(browser.get("/easd-admin/live.json").body, "v['requests_per_second'] is not None");
    CHECK(again.out == "True\n");

    // The script: a file of its own, with its type, allowed by 'self'.
    auto js = browser.get("/easd-admin/console.js");
    CHECK(js.status == 200);
    CHECK(js.header("content-type").rfind("application/javascript", 0) == 0);
    CHECK(js.header("x-content-type-options") == "nosniff");
    CHECK(js.body.find("/easd-admin/live.json") != std::string::npos);
    CHECK(js.body.find("innerHTML") == std::string::npos);

    // A domain administrator sees counts only; an ordinary user not at all.
    const std::string domain_admin = new_user("dash-dadmin");
    set_console_role({domain_admin, "domain-admin", "e2e.test"});
    auto dadmin = signed_in(domain_admin);
    auto counts = dadmin.get("/easd-admin/dashboard");
    CHECK(counts.status == 200);
    CHECK(counts.body.find("Slowest requests of the last minute") == std::string::npos);
    CHECK(counts.body.find(user) == std::string::npos);
    auto counts_json = python_json(dadmin.get("/easd-admin/live.json").body, "v['slowest'], v['recent_errors']");
    CHECK(counts_json.out == "[] []\n");
    auto nobody = signed_in(user);
    CHECK(nobody.get("/easd-admin/dashboard").status == 404);
    CHECK(nobody.get("/easd-admin/live.json").status == 404);

    deliver(user, simple_message("wake the ping"));
    CHECK(ping.get() == 200);
}

TEST_CASE("console device page: protocol log on and off, resync, remove after confirmation",
          "[e2e][console][live-console]") {
    const std::string admin = new_user("devact-admin");
    set_console_role({admin, "admin"});
    const std::string user = new_user("devact-user");
    auto phone = client(user, "DEVACT1");
    Hierarchy h = folder_sync(phone);
    EasResponse keep;
    const std::string sync_key = sync(phone, h.ids["Inbox"], "0", keep).key;
    REQUIRE_FALSE(sync_key.empty());

    auto browser = signed_in(admin);
    auto detail = browser.get(device_page_path(user, "DEVACT1"));
    REQUIRE(detail.status == 200);
    CHECK(detail.body.find("Protocol log on") != std::string::npos);
    CHECK(detail.body.find("Resync") != std::string::npos);
    CHECK(detail.body.find("name=\"confirm\"") != std::string::npos);
    const std::string csrf = csrf_of(detail.body);
    auto act = [&](const std::string& action, std::map<std::string, std::string> more = {}) {
        more.insert({{"csrf", csrf}, {"user", user}, {"id", "DEVACT1"}, {"action", action}});
        return browser.post("/easd-admin/device", more);
    };

    SECTION("protocol log on: the device's next request is logged; off: no more") {
        const std::string path = server().protocol_log_dir() + "/" + user + "/DEVACT1.log";
        folder_sync(phone);
        CHECK(easd::test::read_file(path).empty());
        auto on = act("log-on");
        REQUIRE(on.status == 303);
        CHECK(device_column(user, "DEVACT1", "d.protocol_log") == "t");
        auto shown = browser.get(on.header("location"));
        CHECK(shown.body.find("Protocol log on: the device") != std::string::npos);
        CHECK(shown.body.find("Protocol log off") != std::string::npos);  // the button now
        folder_sync(phone);
        const std::string log = easd::test::read_file(path);
        CHECK(log.find("cmd=FolderSync") != std::string::npos);
        CHECK(log.find("device=DEVACT1") != std::string::npos);
        REQUIRE(act("log-off").status == 303);
        CHECK(device_column(user, "DEVACT1", "d.protocol_log") == "f");
        folder_sync(phone);
        CHECK(easd::test::read_file(path) == log);
    }

    SECTION("resync: the phone's keys are void, FolderSync says 9 and Sync 3, then a full sync") {
        REQUIRE(folder_sync_status(phone, h.key) == "1");
        auto done = act("resync");
        REQUIRE(done.status == 303);
        CHECK(browser.get(done.header("location")).body.find("Sync state discarded") != std::string::npos);
        CHECK(folder_sync_status(phone, h.key) == "9");
        CHECK(sync(phone, h.ids["Inbox"], sync_key, keep).status == "3");
        // Starting over works: a new hierarchy and a new key.
        Hierarchy fresh = folder_sync(phone);
        CHECK_FALSE(fresh.key.empty());
        CHECK(sync(phone, fresh.ids["Inbox"], "0", keep).status == "1");
    }

    SECTION("remove: refused without the ticked box; with it the device goes and comes back as new") {
        const std::string id_before = device_column(user, "DEVACT1", "d.id");
        auto unconfirmed = act("remove");
        CHECK(unconfirmed.status == 400);
        CHECK(device_column(user, "DEVACT1", "d.id") == id_before);
        auto removed = act("remove", {{"confirm", "yes"}});
        REQUIRE(removed.status == 303);
        CHECK(removed.header("location").find("done=remove") != std::string::npos);
        CHECK(browser.get(removed.header("location")).body.find("The device is removed") != std::string::npos);
        CHECK(device_column(user, "DEVACT1", "d.id") == "");
        CHECK(browser.get(device_page_path(user, "DEVACT1")).status == 404);
        // The phone's next request registers it again, as a new device.
        folder_sync(phone);
        const std::string id_after = device_column(user, "DEVACT1", "d.id");
        CHECK(id_after != "");
        CHECK(id_after != id_before);
    }
}

TEST_CASE("console sign-in: a cross-site sign-in POST is refused and makes no session", "[e2e][console][live-console]") {
    const std::string user = new_user("csrf-login");
    auto cross = sign_in_with({{"Origin", "https://attacker.example"}}, user);
    CHECK(cross.status == 403);
    CHECK(cross.header("set-cookie").empty());
    auto fetch_site = sign_in_with({{"Sec-Fetch-Site", "cross-site"}}, user);
    CHECK(fetch_site.status == 403);
    CHECK(fetch_site.header("set-cookie").empty());
    auto opaque = sign_in_with({{"Origin", "null"}}, user);
    CHECK(opaque.status == 403);
    // The sign-in page lets a browser without Sec-Fetch-Site name its origin on the form's POST.
    ConsoleBrowser page(server().https_port(), server().cert_path());
    CHECK(page.get("/easd-admin/").header("referrer-policy") == "same-origin");
    CHECK(sessions_of(user) == "0");

    // This very server on another port is another origin.
    CHECK(sign_in_with({{"Origin", "https://127.0.0.1:1"}}, user).status == 403);
    CHECK(sessions_of(user) == "0");
    // From the console's own page (nginx passes HTTP_HOST without the port, as Debian's
    // fastcgi_params do: its $easd_console_origin names the port), or a client naming nothing.
    const std::string own = "https://127.0.0.1:" + std::to_string(server().https_port());
    auto same = sign_in_with({{"Origin", own}, {"Sec-Fetch-Site", "same-origin"}}, user);
    INFO(same.body);
    CHECK(same.status == 303);
    CHECK(sign_in_with({}, user).status == 303);
    CHECK(sessions_of(user) == "2");
}

TEST_CASE("console sessions end when the password changes, not when ActiveSync is turned off", "[e2e][console][live-console]") {
    const std::string user = new_user("passwd-ends");
    auto browser = signed_in(user);
    auto other = signed_in(user);
    REQUIRE(browser.get("/easd-admin/me").status == 200);
    auto r = easd::test::run_easctl(cluster(), {"user", "passwd", user, "--password-stdin"}, "another-secret-pw\n");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(sessions_of(user) == "0");
    auto after = browser.get("/easd-admin/me");
    CHECK(after.status == 303);  // to the sign-in page
    CHECK(other.get("/easd-admin/me").status == 303);

    ConsoleBrowser again(server().https_port(), server().cert_path());
    REQUIRE(again.sign_in(user, "another-secret-pw").status == 303);
    REQUIRE(again.get("/easd-admin/me").status == 200);
    // `user disable` turns ActiveSync off: phones stop, the console (an administrator's work, a
    // lost phone's wipe) goes on.
    REQUIRE(easd::test::run_easctl(cluster(), {"user", "disable", user}).exit_code == 0);
    CHECK(again.get("/easd-admin/me").status == 200);
    CHECK(sessions_of(user) == "1");
}

TEST_CASE("console sessions: console_idle_minutes from easd.conf ends an idle session", "[e2e][console][live-console]") {
    // The clock is not waited for: the session's last use is moved back 2 minutes in the
    // database, which a 1-minute limit ends and the default 30 minutes keeps.
    auto backdate = [](const std::string& address) {
        sql_one("UPDATE console_sessions SET last_used = now() - interval '2 minutes' WHERE user_id = "
                "(SELECT id FROM users WHERE address = '" + address + "')");
    };
    const std::string kept = new_user("idle-default");
    auto default_browser = signed_in(kept);
    backdate(kept);
    CHECK(default_browser.get("/easd-admin/me").status == 200);

    auto options = shared_options();
    options.config_lines.push_back("console_idle_minutes = 1");
    options.config_lines.push_back("console_session_hours = 2");
    easd::test::EasServer short_idle(cluster(), options);
    const std::string ended = new_user("idle-short");
    auto browser = signed_in(ended, short_idle);
    CHECK(browser.get("/easd-admin/me").status == 200);
    // The absolute end: 2 hours after sign-in.
    CHECK(sql_one("SELECT round(extract(epoch FROM expires_at - now()) / 3600) FROM console_sessions s JOIN users u "
                  "ON u.id = s.user_id WHERE u.address = '" + ended + "'") == "2");
    backdate(ended);
    CHECK(browser.get("/easd-admin/me").status == 303);
    CHECK(sessions_of(ended) == "0");
}

TEST_CASE("console dashboard: console.js updates the figures in Chromium under the CSP",
          "[e2e][console][live-console][browser]") {
    const std::string admin = new_user("dash-browser");
    set_console_role({admin, "admin"});
    // Debian's Python, which has Debian's python3-selenium (a python3 earlier on the PATH may not).
    auto r = easd::test::run_process({"/usr/bin/python3", std::string(EASD_SOURCE_DIR) + "/tests/browser/console_live.py",
                                      "--url", "https://127.0.0.1:" + std::to_string(server().https_port()), "--address",
                                      admin, "--password", "secret-pw"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
}

TEST_CASE("console sign-in through Apache: the login-CSRF check against its Host, port and all",
          "[e2e][console][live-console][apache]") {
    // Apache passes the Host header as sent (with the port), and no EASD_CONSOLE_ORIGIN.
    easd::test::EasServer apache(cluster(), shared_options(easd::test::EasServer::FrontEnd::apache));
    const std::string user = new_user("apache-csrf");
    auto post = [&](const std::map<std::string, std::string>& extra) {
        EasClient http(apache.https_port(), "-", "-", "-");
        http.use_tls(apache.cert_path());
        auto h = extra;
        h["Content-Type"] = "application/x-www-form-urlencoded";
        return http.raw("POST", "/easd-admin/login", "address=" + EasClient::url_encode(user) + "&password=secret-pw", h);
    };
    CHECK(post({{"Origin", "https://attacker.example"}}).status == 403);
    CHECK(post({{"Origin", "https://127.0.0.1:1"}}).status == 403);
    CHECK(sessions_of(user) == "0");
    auto own = post({{"Origin", "https://127.0.0.1:" + std::to_string(apache.https_port())}});
    INFO(own.body);
    CHECK(own.status == 303);
    CHECK(sessions_of(user) == "1");
}
