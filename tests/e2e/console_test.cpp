// The web console (issue 13, part 1) through nginx over TLS, as a browser without JavaScript uses
// it: sign-in with the account's password, the session cookie, the device list, a wipe that the
// phone then gets, domain administrators kept to their domains, the self-service page, CSRF tokens,
// and failed sign-ins limited as a phone's are.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "console_browser.h"
#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;


TEST_CASE("console: an administrator signs in, lists devices and wipes a phone, which gets the wipe", "[e2e][console]") {
    std::string admin = new_user("console-admin");
    set_console_role({admin, "admin"});
    std::string owner = new_user("console-owner");
    auto phone = client(owner, "CONSOLELOST");
    provision_phone(phone);

    ConsoleBrowser browser(server().https_port(), server().cert_path());
    auto start = browser.get("/easd-admin/");
    CHECK(start.status == 200);
    CHECK(start.body.find("name=\"password\"") != std::string::npos);
    // Every console page: no framing, nothing from elsewhere, never cached, no Referer.
    CHECK(start.header("content-security-policy").find("frame-ancestors 'none'") != std::string::npos);
    CHECK(start.header("content-security-policy").find("default-src 'none'") != std::string::npos);
    CHECK(start.header("x-frame-options") == "DENY");
    CHECK(start.header("cache-control") == "no-store");
    // (The sign-in page: no Referer to others; its own origin on its form's POST, console_live_test.)
    CHECK(start.header("referrer-policy") == "same-origin");

    CHECK(browser.sign_in(admin, "not the password").status == 401);
    CHECK(browser.cookie().empty());
    auto signed_in = browser.sign_in(admin);
    REQUIRE(signed_in.status == 303);
    std::string set_cookie = signed_in.header("set-cookie");
    for (const char* attribute : {"Secure", "HttpOnly", "SameSite=Strict", "Path=/easd-admin"}) {
        INFO(set_cookie);
        CHECK(set_cookie.find(attribute) != std::string::npos);
    }
    // Only the token's hash is stored.
    std::string token = browser.cookie().substr(browser.cookie().find('=') + 1);
    CHECK(token.size() == 64);
    CHECK(sql_one("SELECT count(*) FROM console_sessions WHERE token_hash = sha256(convert_to('" + token + "', 'UTF8'))") == "1");
    CHECK(sql_one("SELECT count(*) FROM console_sessions WHERE encode(token_hash, 'hex') = '" + token + "'") == "0");

    auto list = browser.get("/easd-admin/?user=" + EasClient::url_encode(owner));
    REQUIRE(list.status == 200);
    CHECK(list.body.find("CONSOLELOST") != std::string::npos);
    CHECK(list.body.find("1 device(s)") != std::string::npos);

    auto detail = browser.get(device_page_path(owner, "CONSOLELOST"));
    REQUIRE(detail.status == 200);
    CHECK(detail.body.find("Wipe device") != std::string::npos);
    std::string csrf = csrf_of(detail.body);
    REQUIRE(csrf.size() == 64);
    auto wiped = browser.post("/easd-admin/device", {{"csrf", csrf}, {"user", owner}, {"id", "CONSOLELOST"}, {"action", "wipe"}});
    CHECK(wiped.status == 303);
    CHECK(device_column(owner, "CONSOLELOST", "wipe_status") == "waiting");
    CHECK(device_column(owner, "CONSOLELOST", "wipe_requested_by") == admin);
    auto after = browser.get(wiped.header("location"));
    CHECK(after.body.find("Wipe requested") != std::string::npos);
    CHECK(after.body.find("Cancel wipe") != std::string::npos);

    // The phone's next request is told to provision, and the Provision carries the wipe.
    auto fs = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    auto told = phone.command("FolderSync", &fs);
    REQUIRE(told.doc);
    CHECK(text_of(*told.doc, tag::FolderHierarchy::Status) == "140");  // remote wipe requested
    auto empty = xml("<Provision xmlns='Provision'/>");
    phone.set_policy_key("0");
    auto directive = phone.command("Provision", &empty);
    REQUIRE(directive.doc);
    CHECK(directive.doc->has(tag::Provision::RemoteWipe));
    auto ack = xml("<Provision xmlns='Provision'><RemoteWipe><Status>1</Status></RemoteWipe></Provision>");
    phone.command("Provision", &ack);
    CHECK(device_column(owner, "CONSOLELOST", "wipe_status") == "wiped");

    // Signing out ends the session on the server, not only in the browser.
    std::string old_cookie = browser.cookie();
    auto out = browser.post("/easd-admin/logout", {{"csrf", csrf}});
    CHECK(out.status == 303);
    CHECK(browser.cookie().empty());
    CHECK(sql_one("SELECT count(*) FROM console_sessions WHERE token_hash = sha256(convert_to('" + token + "', 'UTF8'))") == "0");
}

TEST_CASE("console: plain HTTP is sent to TLS, and easd refuses the console without TLS", "[e2e][console]") {
    EasClient plain(server().http_port(), "-", "-", "-");
    auto r = plain.raw("GET", "/easd-admin/me");
    CHECK(r.status == 301);
    CHECK(r.header("location") == "https://127.0.0.1:" + std::to_string(server().https_port()) + "/easd-admin/me");
}

TEST_CASE("console: a POST without the session's CSRF token is refused and changes nothing", "[e2e][console]") {
    std::string admin = new_user("console-csrf-admin");
    set_console_role({admin, "admin"});
    std::string owner = new_user("console-csrf-owner");
    register_device(owner, "CSRFPHONE");
    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(admin).status == 303);
    std::string csrf = csrf_of(browser.get(device_page_path(owner, "CSRFPHONE")).body);
    REQUIRE_FALSE(csrf.empty());

    auto missing = browser.post("/easd-admin/device", {{"user", owner}, {"id", "CSRFPHONE"}, {"action", "wipe"}});
    CHECK(missing.status == 403);
    std::string wrong_token = csrf;
    wrong_token[0] = wrong_token[0] == 'a' ? 'b' : 'a';
    auto wrong = browser.post("/easd-admin/device", {{"csrf", wrong_token}, {"user", owner}, {"id", "CSRFPHONE"}, {"action", "block"}});
    CHECK(wrong.status == 403);
    // Another session's token is wrong too.
    ConsoleBrowser other(server().https_port(), server().cert_path());
    REQUIRE(other.sign_in(admin).status == 303);
    auto foreign = other.post("/easd-admin/device", {{"csrf", csrf}, {"user", owner}, {"id", "CSRFPHONE"}, {"action", "wipe"}});
    CHECK(foreign.status == 403);
    // No session at all.
    ConsoleBrowser stranger(server().https_port(), server().cert_path());
    CHECK(stranger.post("/easd-admin/device", {{"csrf", csrf}, {"user", owner}, {"id", "CSRFPHONE"}, {"action", "wipe"}}).status == 403);
    CHECK(device_column(owner, "CSRFPHONE", "wipe_status") == "none");
    CHECK(device_column(owner, "CSRFPHONE", "COALESCE(access_override, '')") == "");
    // With it, the same form works.
    CHECK(browser.post("/easd-admin/device", {{"csrf", csrf}, {"user", owner}, {"id", "CSRFPHONE"}, {"action", "block"}}).status == 303);
    CHECK(device_column(owner, "CSRFPHONE", "access_override") == "block");
}

TEST_CASE("console: a domain administrator sees and acts on their domain only", "[e2e][console]") {
    const std::string mine = "dana@console-a.test", theirs = "tom@console-b.test", boss = "boss@console-a.test";
    for (const auto& u : {mine, theirs, boss}) easd::test::create_user(cluster(), u, "secret-pw");
    set_console_role({boss, "domain-admin", "console-a.test"});
    CHECK(easd::test::run_easctl(cluster(), {"user", "list", "--domain", "console-a.test", "--json"}).out.find(
              "\"role\":\"domain-admin console-a.test\"") != std::string::npos);
    register_device(mine, "APHONE");
    register_device(theirs, "BPHONE");

    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(boss).status == 303);
    auto list = browser.get("/easd-admin/");
    REQUIRE(list.status == 200);
    CHECK(list.body.find("APHONE") != std::string::npos);
    CHECK(list.body.find("BPHONE") == std::string::npos);
    // Asking for the other domain by filter shows nothing of it either.
    CHECK(browser.get("/easd-admin/?domain=console-b.test").body.find("BPHONE") == std::string::npos);

    std::string csrf = csrf_of(browser.get(device_page_path(mine, "APHONE")).body);
    REQUIRE_FALSE(csrf.empty());
    // The other domain's device looks as if it did not exist, and no action reaches it.
    CHECK(browser.get(device_page_path(theirs, "BPHONE")).status == 404);
    for (const char* action : {"wipe", "block"})
        CHECK(browser.post("/easd-admin/device", {{"csrf", csrf}, {"user", theirs}, {"id", "BPHONE"}, {"action", action}}).status == 404);
    CHECK(device_column(theirs, "BPHONE", "wipe_status") == "none");
    CHECK(device_column(theirs, "BPHONE", "COALESCE(access_override, '')") == "");
    // Its own domain's device it may wipe.
    CHECK(browser.post("/easd-admin/device", {{"csrf", csrf}, {"user", mine}, {"id", "APHONE"}, {"action", "wipe"}}).status == 303);
    CHECK(device_column(mine, "APHONE", "wipe_status") == "waiting");

    // The role taken away counts at the next request.
    set_console_role({boss, "none"});
    CHECK(browser.get(device_page_path(mine, "APHONE")).status == 404);
    CHECK(browser.get("/easd-admin/").status == 303);
}

TEST_CASE("console: a user wipes only their own phone on the self-service page", "[e2e][console]") {
    std::string me = new_user("console-self");
    std::string neighbour = new_user("console-neighbour");
    register_device(me, "MYPHONE");
    register_device(neighbour, "HISPHONE");

    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(me).status == 303);
    auto home = browser.get("/easd-admin/");
    CHECK(home.status == 303);
    CHECK(home.header("location") == "/easd-admin/me");
    auto page = browser.get("/easd-admin/me");
    REQUIRE(page.status == 200);
    CHECK(page.body.find("MYPHONE") != std::string::npos);
    CHECK(page.body.find("HISPHONE") == std::string::npos);
    // No administrator pages for a user.
    CHECK(browser.get(device_page_path(me, "MYPHONE")).status == 404);
    std::string csrf = csrf_of(page.body);
    REQUIRE_FALSE(csrf.empty());
    CHECK(browser.post("/easd-admin/device", {{"csrf", csrf}, {"user", neighbour}, {"id", "HISPHONE"}, {"action", "wipe"}}).status == 404);
    CHECK(browser.post("/easd-admin/me", {{"csrf", csrf}, {"id", "HISPHONE"}, {"action", "wipe"}}).status == 404);
    CHECK(device_column(neighbour, "HISPHONE", "wipe_status") == "none");

    CHECK(browser.post("/easd-admin/me", {{"csrf", csrf}, {"id", "MYPHONE"}, {"action", "wipe"}}).status == 303);
    CHECK(device_column(me, "MYPHONE", "wipe_status") == "waiting");
    CHECK(browser.get("/easd-admin/me").body.find("Cancel wipe") != std::string::npos);
    CHECK(browser.post("/easd-admin/me", {{"csrf", csrf}, {"id", "MYPHONE"}, {"action", "cancel-wipe"}}).status == 303);
    CHECK(device_column(me, "MYPHONE", "wipe_status") == "none");
}

TEST_CASE("console: failed sign-ins are limited like a phone's", "[e2e][console]") {
    // The address key is 127.0.0.1, which every test's clients share: leave no count behind.
    struct Clear {
        Clear() { sql_one("DELETE FROM login_failures"); }
        ~Clear() { sql_one("DELETE FROM login_failures"); }
    } clear;
    std::string user = new_user("console-guessed");
    ConsoleBrowser browser(server().https_port(), server().cert_path());
    int refused = 0, throttled = 0;
    std::string retry_after;
    for (int i = 0; i < 8 && throttled == 0; ++i) {
        auto r = browser.sign_in(user, "guess-" + std::to_string(i));
        if (r.status == 401) ++refused;
        if (r.status == 429) {
            ++throttled;
            retry_after = r.header("retry-after");
        }
    }
    CHECK(refused == 5);  // login_limits.h: five free failures, then a delay
    CHECK(throttled == 1);
    CHECK_FALSE(retry_after.empty());
    CHECK(sql_one("SELECT failures FROM login_failures WHERE key = 'account:" + user + "'") >= "5");
    CHECK(browser.cookie().empty());
}

TEST_CASE("console: headless Chromium signs in, lists devices and wipes a phone", "[e2e][console][browser]") {
    std::string admin = new_user("console-browser-admin");
    set_console_role({admin, "admin"});
    std::string owner = new_user("console-browser-owner");
    auto phone = client(owner, "BROWSERLOST");
    provision_phone(phone);
    // Screenshots stay in the build directory for the record.
    const std::string shots = std::string(EASD_BINARY_DIR) + "/console-screenshots";
    // Debian's Python, which has Debian's python3-selenium (a python3 earlier on the PATH may not).
    auto r = easd::test::run_process({"/usr/bin/python3", std::string(EASD_SOURCE_DIR) + "/tests/browser/console_flow.py", "--url",
                                      "https://127.0.0.1:" + std::to_string(server().https_port()), "--address", admin,
                                      "--password", "secret-pw", "--owner", owner, "--device", "BROWSERLOST",
                                      "--screenshots", shots});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(device_column(owner, "BROWSERLOST", "wipe_status") == "waiting");
    auto empty = xml("<Provision xmlns='Provision'/>");
    phone.set_policy_key("0");
    auto directive = phone.command("Provision", &empty);
    REQUIRE(directive.doc);
    CHECK(directive.doc->has(tag::Provision::RemoteWipe));
}

// A figure, not a check (hidden; run it by its tag): the device list with 10,000 devices. The same
// rows as scripts/bench/console-devices makes for the local setup.
TEST_CASE("console: the device list with 10,000 devices (benchmark)", "[.console-bench]") {
    std::ifstream in(std::string(EASD_SOURCE_DIR) + "/scripts/bench/console-devices.sql");
    std::stringstream sql;
    sql << in.rdbuf();
    REQUIRE_FALSE(sql.str().empty());
    sql_one(sql.str());
    std::string admin = new_user("console-bench-admin");
    set_console_role({admin, "admin"});
    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(admin).status == 303);
    const std::string total = sql_one("SELECT count(*) FROM devices WHERE wipe_status <> 'wiped'");
    for (const char* path : {"/easd-admin/", "/easd-admin/?sort=last_sync&dir=desc", "/easd-admin/?state=blocked",
                             "/easd-admin/?page=200", "/easd-admin/?user=bench0999"}) {
        std::vector<double> ms;
        for (int i = 0; i < 20; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            auto r = browser.get(path);
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            REQUIRE(r.status == 200);
            if (i == 0 && std::string(path) == "/easd-admin/") CHECK(r.body.find(total + " device(s)") != std::string::npos);
        }
        std::sort(ms.begin(), ms.end());
        std::printf("console device list, %s devices, %-40s median %7.1f ms, max %7.1f ms\n", total.c_str(), path,
                    ms[ms.size() / 2], ms.back());
    }
}
