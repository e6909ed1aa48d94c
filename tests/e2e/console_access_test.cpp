// The console's access pages (issue 13, part 1) through nginx over TLS, as a browser without
// JavaScript uses them: the server-wide access settings and rules (administrators of every domain
// only), the quarantine queue that lets a waiting phone sync, accounts (ActiveSync on and off, the
// protocol log) with domain administrators kept to their domains, and Out of Office set by an
// administrator and by the user themselves, read back by the phone through Settings.
#include <chrono>
#include <thread>

#include "console_browser.h"
#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

// Removes the rule when the test ends, however it ends: the rules are server-wide.
struct RuleGuard {
    std::string id;
    ~RuleGuard() { easd::test::run_easctl(cluster(), {"rule", "remove", id}); }
};

// The OPTIONS status a fresh client of the account gets once the workers' auth cache (1 s in these
// tests) has caught up with `want`; the last status seen otherwise.
int options_status_becoming(const std::string& user, const std::string& device, int want) {
    int status = 0;
    for (int i = 0; i < 30 && status != want; ++i) {
        auto c = client(user, device);
        status = c.options().status;
        if (status != want) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return status;
}

std::string user_path(const std::string& address) { return "/easd-admin/user?address=" + EasClient::url_encode(address); }

std::string count_rules(const std::string& pattern) {
    return sql_one("SELECT count(*) FROM device_access_rules WHERE pattern = '" + pattern + "'");
}

bool has(const std::string& body, const std::string& part) { return body.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("console: access rules are added and removed; a bad rule is refused and nothing is stored",
          "[e2e][console][access]") {
    std::string admin = new_user("access-admin");
    set_console_role({admin, "admin"});
    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(admin).status == 303);
    auto page = browser.get("/easd-admin/access");
    REQUIRE(page.status == 200);
    CHECK(has(page.body, "Add rule"));
    CHECK(has(page.body, "href=\"/easd-admin/access\">Access rules</a>"));
    std::string csrf = csrf_of(page.body);
    REQUIRE_FALSE(csrf.empty());
    const std::string all_rules = sql_one("SELECT count(*) FROM device_access_rules");

    auto add = [&](const std::string& action, const std::string& field, const std::string& pattern) {
        return browser.post("/easd-admin/access", {{"csrf", csrf}, {"action", "add-rule"}, {"rule_action", action},
                                                   {"field", field}, {"pattern", pattern}});
    };
    // The answers of `easctl rule add`, as 400 pages, and nothing stored.
    auto bad_action = add("explode", "model", "ConsoleRule<b>*");
    CHECK(bad_action.status == 400);
    CHECK(has(bad_action.body, "a rule does allow, block or quarantine, not explode"));
    auto bad_field = add("block", "colour", "ConsoleRule<b>*");
    CHECK(bad_field.status == 400);
    CHECK(has(bad_field.body, "a rule matches model, os, device_type or user_agent, not colour"));
    CHECK(add("block", "model", "").status == 400);
    CHECK(add("block", "model", "bad\x01pattern").status == 400);
    CHECK(sql_one("SELECT count(*) FROM device_access_rules") == all_rules);

    auto added = add("block", "model", "ConsoleRule<b>*");
    CHECK(added.status == 303);
    CHECK(count_rules("ConsoleRule<b>*") == "1");
    std::string id = sql_one("SELECT id FROM device_access_rules WHERE pattern = 'ConsoleRule<b>*'");
    RuleGuard guard{id};
    auto listed = browser.get(added.header("location"));
    CHECK(has(listed.body, "The rule is added"));
    CHECK(has(listed.body, "ConsoleRule&lt;b&gt;*"));  // escaped
    CHECK_FALSE(has(listed.body, "ConsoleRule<b>"));
    // The same pattern again, in another case: refused as easctl refuses it.
    auto duplicate = add("allow", "model", "consolerule<B>*");
    CHECK(duplicate.status == 400);
    CHECK(count_rules("consolerule<B>*") == "0");
    CHECK(easd::test::run_easctl(cluster(), {"rule", "list"}).out.find("ConsoleRule<b>*") != std::string::npos);

    // A domain administrator sees the rules but cannot change them.
    const std::string boss = "boss@access-c.test";
    easd::test::create_user(cluster(), boss, "secret-pw");
    set_console_role({boss, "domain-admin", "access-c.test"});
    ConsoleBrowser domain_admin(server().https_port(), server().cert_path());
    REQUIRE(domain_admin.sign_in(boss).status == 303);
    auto read_only = domain_admin.get("/easd-admin/access");
    CHECK(read_only.status == 200);
    CHECK(has(read_only.body, "ConsoleRule&lt;b&gt;*"));
    CHECK_FALSE(has(read_only.body, "Add rule"));
    CHECK_FALSE(has(read_only.body, "remove-rule"));
    std::string boss_csrf = csrf_of(read_only.body);
    CHECK(domain_admin.post("/easd-admin/access", {{"csrf", boss_csrf}, {"action", "remove-rule"}, {"id", id}}).status == 404);
    CHECK(domain_admin.post("/easd-admin/access", {{"csrf", boss_csrf}, {"action", "add-rule"}, {"rule_action", "block"},
                                                   {"field", "os"}, {"pattern", "BossRule"}}).status == 404);
    CHECK(count_rules("BossRule") == "0");
    CHECK(count_rules("ConsoleRule<b>*") == "1");

    // Without the CSRF token: refused before anything is looked at.
    CHECK(browser.post("/easd-admin/access", {{"action", "remove-rule"}, {"id", id}}).status == 403);
    CHECK(browser.post("/easd-admin/access", {{"csrf", csrf}, {"action", "remove-rule"}, {"id", "x1"}}).status == 400);
    auto removed = browser.post("/easd-admin/access", {{"csrf", csrf}, {"action", "remove-rule"}, {"id", id}});
    CHECK(removed.status == 303);
    CHECK(count_rules("ConsoleRule<b>*") == "0");
    CHECK(browser.post("/easd-admin/access", {{"csrf", csrf}, {"action", "remove-rule"}, {"id", id}}).status == 404);

    // The settings: a bad value changes none of them; the current values saved again change nothing.
    const std::string before = sql_one("SELECT string_agg(name || '=' || value, ',' ORDER BY name) FROM server_settings");
    auto settings_form = [&](const std::string& mode, const std::string& access, const std::string& address) {
        return browser.post("/easd-admin/access", {{"csrf", csrf}, {"action", "settings"}, {"access_mode", mode},
                                                   {"default_access", access}, {"admin_address", address}});
    };
    CHECK(settings_form("flagged", "quarantine", "not an address").status == 400);
    CHECK(settings_form("sometimes", "allow", "").status == 400);
    CHECK(settings_form("all", "maybe", "").status == 400);
    CHECK(sql_one("SELECT string_agg(name || '=' || value, ',' ORDER BY name) FROM server_settings") == before);
    auto current = browser.get("/easd-admin/access").body;
    CHECK(has(current, "<option value=\"all\" selected>"));
    CHECK(settings_form("all", "allow", "").status == 303);
    CHECK(easd::test::run_easctl(cluster(), {"server", "show"}).out.find("allow") != std::string::npos);
    for (const char* page_path : {"/easd-admin/access", "/easd-admin/quarantine", "/easd-admin/users"}) {
        ConsoleBrowser user_browser(server().https_port(), server().cert_path());
        std::string plain = new_user("access-plain");
        REQUIRE(user_browser.sign_in(plain).status == 303);
        CHECK(user_browser.get(page_path).status == 404);  // no administrator pages for a user
        CHECK_FALSE(has(user_browser.get("/easd-admin/me").body, "Access rules"));
    }
}

TEST_CASE("console: a quarantined phone waits in the queue, the administrator allows it, and it syncs",
          "[e2e][console][access]") {
    const std::string mine = "qa@access-a.test", theirs = "qb@access-b.test", boss = "qboss@access-a.test";
    for (const auto& u : {mine, theirs, boss}) easd::test::create_user(cluster(), u, "secret-pw");
    set_console_role({boss, "domain-admin", "access-a.test"});
    std::string admin = new_user("quarantine-admin");
    set_console_role({admin, "admin"});
    RuleGuard rule{add_rule("quarantine", "device_type", "ConsQuar*")};

    EasClient phone(server().http_port(), mine, "secret-pw", "QAPHONE", "ConsQuarPhone", "14.1");
    phone.set_policy_key("0");
    CHECK(folder_sync_status(phone) == "129");  // the quarantine answer
    CHECK(device_column(mine, "QAPHONE", "access_state") == "quarantined");
    EasClient other(server().http_port(), theirs, "secret-pw", "QBPHONE", "ConsQuarPhone", "14.1");
    other.set_policy_key("0");
    CHECK(folder_sync_status(other) == "129");

    // The domain administrator sees their domain's waiting phone only, and acts on it only.
    ConsoleBrowser domain_admin(server().https_port(), server().cert_path());
    REQUIRE(domain_admin.sign_in(boss).status == 303);
    auto queue = domain_admin.get("/easd-admin/quarantine");
    REQUIRE(queue.status == 200);
    CHECK(has(queue.body, "QAPHONE"));
    CHECK_FALSE(has(queue.body, "QBPHONE"));
    CHECK(has(queue.body, "quarantined by rule"));  // the reason
    std::string boss_csrf = csrf_of(queue.body);
    CHECK(domain_admin.post("/easd-admin/quarantine", {{"csrf", boss_csrf}, {"user", theirs}, {"id", "QBPHONE"},
                                                       {"action", "allow"}}).status == 404);
    CHECK(device_column(theirs, "QBPHONE", "COALESCE(access_override, '')") == "");
    CHECK(domain_admin.post("/easd-admin/quarantine", {{"csrf", boss_csrf}, {"user", mine}, {"id", "QAPHONE"},
                                                       {"action", "wipe"}}).status == 400);
    CHECK(domain_admin.post("/easd-admin/quarantine", {{"csrf", boss_csrf}, {"user", mine}, {"id", "NOPHONE"},
                                                       {"action", "allow"}}).status == 404);
    // Their users, not the other domain's.
    auto users = domain_admin.get("/easd-admin/users");
    REQUIRE(users.status == 200);
    CHECK(has(users.body, mine));
    CHECK_FALSE(has(users.body, theirs));
    CHECK_FALSE(has(domain_admin.get("/easd-admin/users?domain=access-b.test").body, theirs));
    CHECK(domain_admin.get(user_path(theirs)).status == 404);
    CHECK(domain_admin.get(user_path(mine)).status == 200);
    CHECK(domain_admin.post("/easd-admin/user", {{"csrf", boss_csrf}, {"address", theirs}, {"action", "activesync-off"}})
              .status == 404);
    CHECK(domain_admin.post("/easd-admin/user/oof", {{"csrf", boss_csrf}, {"address", theirs}, {"oof_state", "on"},
                                                     {"internal_format", "text"}, {"external_known_format", "text"},
                                                     {"external_unknown_format", "text"}}).status == 404);
    CHECK(sql_one("SELECT COALESCE(activesync::text, 'null') FROM users WHERE address = '" + theirs + "'") == "null");

    // The full administrator sees both, and allows the phone: its next request passes.
    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(admin).status == 303);
    auto all = browser.get("/easd-admin/quarantine");
    CHECK(has(all.body, "QAPHONE"));
    CHECK(has(all.body, "QBPHONE"));
    std::string csrf = csrf_of(all.body);
    auto allowed = browser.post("/easd-admin/quarantine", {{"csrf", csrf}, {"user", mine}, {"id", "QAPHONE"}, {"action", "allow"}});
    CHECK(allowed.status == 303);
    auto after = browser.get(allowed.header("location"));
    CHECK(has(after.body, "The device is allowed"));
    CHECK_FALSE(has(after.body, "QAPHONE"));
    CHECK(has(after.body, "QBPHONE"));
    CHECK(device_column(mine, "QAPHONE", "access_override") == "allow");
    provision_phone(phone);  // provisions, then FolderSync succeeds
    CHECK(folder_sync_status(phone) == "1");
    CHECK(device_column(mine, "QAPHONE", "access_state") == "allowed");

    // Blocked from the queue: refused, and gone from the queue.
    CHECK(browser.post("/easd-admin/quarantine", {{"csrf", csrf}, {"user", theirs}, {"id", "QBPHONE"}, {"action", "block"}})
              .status == 303);
    CHECK(device_column(theirs, "QBPHONE", "access_override") == "block");
    CHECK(folder_sync_status(other) == "129");
    CHECK(device_column(theirs, "QBPHONE", "access_state") == "blocked");
    CHECK_FALSE(has(browser.get("/easd-admin/quarantine").body, "QBPHONE"));
}

TEST_CASE("console: ActiveSync disabled on the user page refuses the phone; enabled, it syncs again",
          "[e2e][console][access]") {
    std::string admin = new_user("users-admin");
    set_console_role({admin, "admin"});
    std::string user = new_user("users-target");
    register_device(user, "UPHONE");
    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(admin).status == 303);

    // Any page number is a page, never an overflow (the device list's huge page number overflowed the
    // offset: UBSan stopped the worker, 502).
    for (const char* path : {"/easd-admin/users?page=9223372036854775807", "/easd-admin/quarantine?page=9223372036854775807",
                             "/easd-admin/users?page=-3&q=%00", "/easd-admin/users?domain=%00%FF", "/easd-admin/?page=9223372036854775807"})
        CHECK(browser.get(path).status == 200);
    auto list = browser.get("/easd-admin/users?q=" + EasClient::url_encode(user));
    REQUIRE(list.status == 200);
    CHECK(has(list.body, "1 account(s)"));
    CHECK(has(list.body, "href=\"/easd-admin/user?address=" + EasClient::url_encode(user) + "\""));
    auto page = browser.get(user_path(user));
    REQUIRE(page.status == 200);
    CHECK(has(page.body, "yes (flag not set, access mode all)"));
    CHECK(has(page.body, ">1</a>"));  // one device, linked to the device list
    CHECK(has(page.body, "href=\"/easd-admin/?user=" + EasClient::url_encode(user) + "\""));
    std::string csrf = csrf_of(page.body);
    CHECK(browser.get(user_path("nobody@e2e.test")).status == 404);
    CHECK(browser.post("/easd-admin/user", {{"csrf", csrf}, {"address", user}, {"action", "explode"}}).status == 400);

    auto off = browser.post("/easd-admin/user", {{"csrf", csrf}, {"address", user}, {"action", "activesync-off"}});
    CHECK(off.status == 303);
    CHECK(sql_one("SELECT activesync FROM users WHERE address = '" + user + "'") == "f");
    CHECK(has(browser.get(off.header("location")).body, "no (flag off)"));
    // What easd answers a disabled account today: 403 (foundation_test), once the auth cache expires.
    CHECK(options_status_becoming(user, "UPHONE", 403) == 403);

    CHECK(browser.post("/easd-admin/user", {{"csrf", csrf}, {"address", user}, {"action", "activesync-on"}}).status == 303);
    CHECK(sql_one("SELECT activesync FROM users WHERE address = '" + user + "'") == "t");
    CHECK(options_status_becoming(user, "UPHONE", 200) == 200);
    CHECK(browser.post("/easd-admin/user", {{"csrf", csrf}, {"address", user}, {"action", "activesync-default"}}).status == 303);
    CHECK(sql_one("SELECT COALESCE(activesync::text, 'null') FROM users WHERE address = '" + user + "'") == "null");

    CHECK(browser.post("/easd-admin/user", {{"csrf", csrf}, {"address", user}, {"action", "log-on"}}).status == 303);
    CHECK(sql_one("SELECT protocol_log FROM users WHERE address = '" + user + "'") == "t");
    CHECK(browser.post("/easd-admin/user", {{"csrf", csrf}, {"address", user}, {"action", "log-off"}}).status == 303);
    CHECK(sql_one("SELECT protocol_log FROM users WHERE address = '" + user + "'") == "f");
}

TEST_CASE("console: Out of Office set by the administrator and by the user reads back through Settings",
          "[e2e][console][access]") {
    std::string admin = new_user("oof-admin");
    set_console_role({admin, "admin"});
    std::string user = new_user("oof-console");
    std::string colleague = new_user("oof-colleague");
    auto phone = client(user, "OOFPHONE");
    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(admin).status == 303);
    std::string csrf = csrf_of(browser.get(user_path(user)).body);
    REQUIRE_FALSE(csrf.empty());

    std::map<std::string, std::string> form = {
        {"csrf", csrf}, {"address", user}, {"oof_state", "scheduled"},
        {"oof_start", "2026-12-20T09:00"}, {"oof_end", "2027-01-04T17:30"},
        {"internal_enabled", "1"}, {"internal_format", "text"}, {"internal_text", "Away <until> January & back"},
        {"external_known_format", "text"}, {"external_known_text", ""},
        {"external_unknown_enabled", "1"}, {"external_unknown_format", "text"}, {"external_unknown_text", "Away."}};
    // Bad forms: 400, nothing stored.
    auto bad = form;
    bad["oof_end"] = "2026-12-01T00:00";
    auto backwards = browser.post("/easd-admin/user/oof", bad);
    CHECK(backwards.status == 400);
    CHECK(has(backwards.body, "the start must come before the end"));
    bad = form;
    bad["oof_start"] = "next tuesday";
    CHECK(browser.post("/easd-admin/user/oof", bad).status == 400);
    bad = form;
    bad["oof_state"] = "maybe";
    CHECK(browser.post("/easd-admin/user/oof", bad).status == 400);
    bad = form;
    bad["oof_start"] = bad["oof_end"] = "";
    CHECK(browser.post("/easd-admin/user/oof", bad).status == 400);  // scheduled without a window
    CHECK(oof_get(phone).state == "0");

    auto saved = browser.post("/easd-admin/user/oof", form);
    CHECK(saved.status == 303);
    auto v = oof_get(phone);
    CHECK(v.state == "2");
    CHECK(v.start.rfind("2026-12-20T09:00:00", 0) == 0);
    CHECK(v.end.rfind("2027-01-04T17:30:00", 0) == 0);
    CHECK(v.messages["internal"] == std::make_pair(std::string("1"), std::string("Away <until> January & back")));
    CHECK(v.messages["known"].first == "0");
    CHECK(v.messages["unknown"] == std::make_pair(std::string("1"), std::string("Away.")));
    // A long HTML message, as a phone may set one (up to 64 KiB), goes through the form too.
    auto long_form = form;
    long_form["external_unknown_format"] = "html";
    long_form["external_unknown_text"] = "<p>" + std::string(40000, 'x') + "</p>";
    CHECK(browser.post("/easd-admin/user/oof", long_form).status == 303);
    CHECK(oof_get(phone).messages["unknown"].second.size() == 40000);  // as text, without the markup
    long_form["external_unknown_text"] = std::string(64 * 1024 + 1, 'y');
    CHECK(browser.post("/easd-admin/user/oof", long_form).status == 400);
    REQUIRE(browser.post("/easd-admin/user/oof", form).status == 303);
    auto shown = browser.get(saved.header("location")).body;
    CHECK(has(shown, "Out of Office is saved."));
    CHECK(has(shown, "Away &lt;until&gt; January &amp; back"));
    CHECK(has(shown, "value=\"2026-12-20T09:00\""));
    CHECK(easd::test::run_easctl(cluster(), {"user", "oof", user}).out.find("scheduled") != std::string::npos);

    // The user themselves, on the self-service page: on, an internal reply.
    ConsoleBrowser self(server().https_port(), server().cert_path());
    REQUIRE(self.sign_in(user).status == 303);
    auto me = self.get("/easd-admin/me");
    REQUIRE(me.status == 200);
    CHECK(has(me.body, "action=\"/easd-admin/me/oof\""));
    CHECK(has(me.body, "Away &lt;until&gt; January &amp; back"));
    std::string my_csrf = csrf_of(me.body);
    auto mine = self.post("/easd-admin/me/oof", {{"csrf", my_csrf}, {"oof_state", "on"},
                                                {"internal_enabled", "1"}, {"internal_format", "text"},
                                                {"internal_text", "Self-service: out today"},
                                                {"external_known_format", "text"}, {"external_unknown_format", "text"}});
    CHECK(mine.status == 303);
    CHECK(has(self.get(mine.header("location")).body, "Out of Office is saved."));
    v = oof_get(phone);
    CHECK(v.state == "1");
    CHECK(v.messages["internal"] == std::make_pair(std::string("1"), std::string("Self-service: out today")));
    CHECK(v.messages["unknown"].first == "0");
    // The user page of another account is not theirs.
    CHECK(self.post("/easd-admin/user/oof", {{"csrf", my_csrf}, {"address", colleague}, {"oof_state", "on"}}).status == 404);
    CHECK(self.post("/easd-admin/me/oof", {{"oof_state", "off"}}).status == 403);  // no CSRF token
    CHECK(oof_get(phone).state == "1");

    // A colleague's mail gets the automatic reply.
    auto r = easd::test::run_process({EASD_DELIVER_BIN, "--config", fake_sendmail().config, "--database",
                                      cluster().conninfo(), "--recipient", user, "--sender", colleague},
                                     "From: " + colleague + "\r\nTo: " + user +
                                         "\r\nSubject: status\r\nMessage-ID: <status@e2e.test>\r\n"
                                         "Date: Mon, 30 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nHi\r\n");
    REQUIRE(r.exit_code == 0);
    CHECK(inbox_subjects(colleague) == "Automatic reply: status");

    // easctl sets it with the same checks (store::oof_problem): a backwards window is refused.
    auto backwards_cli = easd::test::run_easctl(cluster(), {"user", "oof", user, "scheduled", "2027-01-04T00:00:00Z",
                                                            "2026-12-20T00:00:00Z"});
    CHECK(backwards_cli.exit_code != 0);
    CHECK(backwards_cli.err.find("the start must come before the end") != std::string::npos);
    CHECK(oof_get(phone).state == "1");
    REQUIRE(easd::test::run_easctl(cluster(), {"user", "oof", user, "scheduled", "2026-12-20T00:00:00Z",
                                               "2027-01-04T00:00:00Z", "--external-known", "Known: from easctl"})
                .exit_code == 0);
    v = oof_get(phone);
    CHECK(v.state == "2");
    CHECK(v.messages["known"] == std::make_pair(std::string("1"), std::string("Known: from easctl")));
    CHECK(v.messages["internal"].second == "Self-service: out today");  // not given: kept
    CHECK(easd::test::run_easctl(cluster(), {"user", "oof", user, "sometimes"}).exit_code == 64);
}
