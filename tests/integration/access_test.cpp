// Access control on a real PostgreSQL: the access mode with the three-valued ActiveSync flag,
// server settings, device access rules and their precedence, the administrator's decision,
// quarantine waiting for approval, device information arriving late; `easctl server` and
// `easctl rule`; and the access mode on the real request path.
#include <catch2/catch.hpp>

#include <atomic>
#include <iterator>
#include <sstream>
#include <thread>

#include "store/access.h"
#include "store/accounts.h"
#include "store/admin.h"
#include "store/db.h"
#include "store/devices.h"
#include "support/cluster.h"
#include "support/eas_client.h"
#include "support/process.h"
#include "support/server.h"
#include "support/text.h"

using namespace easd;
using easd::test::shared_cluster;

namespace {

std::unique_ptr<soci::session> session() { return store::open_session(shared_cluster().conninfo()); }
std::string psql(const std::string& sql) { return shared_cluster().psql(sql); }
using easd::test::has;
bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

// The whitespace-separated words of each line.
std::vector<std::vector<std::string>> words_by_line(const std::string& out) {
    std::vector<std::vector<std::string>> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        lines.emplace_back(std::istream_iterator<std::string>(words), std::istream_iterator<std::string>());
    }
    return lines;
}

easd::test::ProcessResult easctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {EASCTL_BIN, "--database", shared_cluster().conninfo()};
    argv.insert(argv.end(), args.begin(), args.end());
    return easd::test::run_process(argv);
}

// Rules and server settings are global: every test that touches them leaves them as the schema
// made them, also when it fails, so that no other test (nor a later request gate) sees them.
struct GlobalAccessReset {
    GlobalAccessReset() { reset(); }
    ~GlobalAccessReset() { reset(); }
    static void reset() {
        psql("DELETE FROM device_access_rules");
        psql("UPDATE server_settings SET value = CASE name WHEN 'access_mode' THEN 'all' "
             "WHEN 'default_access' THEN 'allow' ELSE '' END");
    }
};

store::User make_user(soci::session& sql, const std::string& local) {
    try {
        store::add_domain(sql, "access.test");
    } catch (const store::InvalidRequest&) {
    }
    std::string address = local + "@access.test";
    psql("DELETE FROM users WHERE address = '" + address + "'");
    return store::add_user(sql, address, "pw");
}

// A device row with the given properties, as a request and DeviceInformation would leave it.
long long make_device(soci::session& sql, const store::User& u, const std::string& device_id,
                      const std::string& device_type, const std::string& user_agent, const std::string& model = {},
                      const std::string& os = {}) {
    long long id = 0;
    sql << "INSERT INTO devices (user_id, device_id, device_type, user_agent, model, os) "
           "VALUES (:u, :d, :t, :a, :m, :o) RETURNING id",
        soci::use(u.id), soci::use(device_id), soci::use(device_type), soci::use(user_agent), soci::use(model),
        soci::use(os), soci::into(id);
    return id;
}

std::string recorded(long long device) {
    return psql("SELECT access_state || '|' || access_reason FROM devices WHERE id = " + std::to_string(device));
}

}  // namespace

TEST_CASE("the access mode and the three-valued ActiveSync flag decide who may sync", "[access]") {
    GlobalAccessReset reset;
    auto sql = session();
    auto u = make_user(*sql, "flag");
    auto flag_of = [&] { return store::find_user(*sql, u.address)->activesync; };

    // New accounts have no flag of their own (schema 006 dropped the default).
    CHECK(psql("SELECT activesync IS NULL FROM users WHERE id = " + std::to_string(u.id)) == "t");
    CHECK(flag_of() == store::ActiveSyncFlag::unset);
    store::set_activesync_flag(*sql, u.address, store::ActiveSyncFlag::on);
    CHECK(flag_of() == store::ActiveSyncFlag::on);
    CHECK(psql("SELECT activesync FROM users WHERE id = " + std::to_string(u.id)) == "t");
    store::set_activesync(*sql, u.address, false);
    CHECK(flag_of() == store::ActiveSyncFlag::off);
    store::set_activesync_flag(*sql, u.address, store::ActiveSyncFlag::unset);
    CHECK(psql("SELECT activesync IS NULL FROM users WHERE id = " + std::to_string(u.id)) == "t");
    // find_login, which the request path uses, reads the same three values.
    CHECK(store::find_login(*sql, u.address)->user.activesync == store::ActiveSyncFlag::unset);
    CHECK_THROWS_AS(store::set_activesync_flag(*sql, "ghost@access.test", store::ActiveSyncFlag::on),
                    store::InvalidRequest);

    store::User user;
    auto may = [&](store::ActiveSyncFlag flag, store::AccessMode mode) {
        user.activesync = flag;
        return store::may_use_activesync(user, mode);
    };
    CHECK(may(store::ActiveSyncFlag::unset, store::AccessMode::all));
    CHECK(may(store::ActiveSyncFlag::on, store::AccessMode::all));
    CHECK_FALSE(may(store::ActiveSyncFlag::off, store::AccessMode::all));
    CHECK_FALSE(may(store::ActiveSyncFlag::unset, store::AccessMode::flagged));
    CHECK(may(store::ActiveSyncFlag::on, store::AccessMode::flagged));
    CHECK_FALSE(may(store::ActiveSyncFlag::off, store::AccessMode::flagged));
}

TEST_CASE("server settings are validated, and values written by hand that make no sense read as defaults",
          "[access]") {
    GlobalAccessReset reset;
    auto sql = session();
    auto s = store::read_server_settings(*sql);
    CHECK(s.access_mode == store::AccessMode::all);
    CHECK(s.default_access == store::AccessAction::allow);
    CHECK(s.admin_address.empty());

    CHECK(store::set_server_setting(*sql, "access_mode", "Flagged") == "flagged");
    CHECK(store::set_server_setting(*sql, "default_access", "quarantine") == "quarantine");
    CHECK(store::set_server_setting(*sql, "admin_address", "Admin@Example.COM") == "admin@example.com");
    s = store::read_server_settings(*sql);
    CHECK(s.access_mode == store::AccessMode::flagged);
    CHECK(s.default_access == store::AccessAction::quarantine);
    CHECK(s.admin_address == "admin@example.com");
    CHECK(store::set_server_setting(*sql, "admin_address", "").empty());
    CHECK(store::read_server_settings(*sql).admin_address.empty());

    CHECK_THROWS_AS(store::set_server_setting(*sql, "access_mode", "some"), store::InvalidRequest);
    CHECK_THROWS_AS(store::set_server_setting(*sql, "default_access", "deny"), store::InvalidRequest);
    CHECK_THROWS_AS(store::set_server_setting(*sql, "admin_address", "not an address"), store::InvalidRequest);
    CHECK_THROWS_AS(store::set_server_setting(*sql, "colour", "blue"), store::InvalidRequest);
    CHECK(store::read_server_settings(*sql).access_mode == store::AccessMode::flagged);  // unchanged

    psql("UPDATE server_settings SET value = 'bogus' WHERE name IN ('access_mode', 'default_access')");
    s = store::read_server_settings(*sql);
    CHECK(s.access_mode == store::AccessMode::all);
    CHECK(s.default_access == store::AccessAction::allow);
}

TEST_CASE("the access mode cache reads the database at most once per period", "[access]") {
    GlobalAccessReset reset;
    store::Database db(shared_cluster().conninfo(), 1);
    store::AccessModeCache cache;
    CHECK(cache.get(db, std::chrono::seconds(3600)) == store::AccessMode::all);
    psql("UPDATE server_settings SET value = 'flagged' WHERE name = 'access_mode'");
    CHECK(cache.get(db, std::chrono::seconds(3600)) == store::AccessMode::all);  // still the value read
    CHECK(cache.get(db, std::chrono::seconds(0)) == store::AccessMode::flagged);
    CHECK(cache.get(db, std::chrono::seconds(3600)) == store::AccessMode::flagged);
}

TEST_CASE("access rules: added, listed in the order they are weighed, removed; no duplicates", "[access]") {
    GlobalAccessReset reset;
    auto sql = session();
    auto ua = store::add_access_rule(*sql, store::AccessAction::allow, store::RuleField::user_agent, "Outlook*");
    auto model_allow = store::add_access_rule(*sql, store::AccessAction::allow, store::RuleField::model, "Pixel*");
    auto model_block = store::add_access_rule(*sql, store::AccessAction::block, store::RuleField::model, "Galaxy*");
    auto os = store::add_access_rule(*sql, store::AccessAction::quarantine, store::RuleField::os, "Android 9*");
    CHECK(model_block.id > ua.id);
    CHECK(model_block.action == store::AccessAction::block);
    CHECK(model_block.field == store::RuleField::model);
    CHECK(model_block.pattern == "Galaxy*");
    CHECK(model_block.created_at.size() == 20);

    auto rules = store::list_access_rules(*sql);
    REQUIRE(rules.size() == 4);
    CHECK(rules[0].id == model_block.id);
    CHECK(rules[1].id == model_allow.id);
    CHECK(rules[2].id == os.id);
    CHECK(rules[3].id == ua.id);

    // Same field and pattern, whatever the case: the same devices; refused, naming the rule.
    try {
        store::add_access_rule(*sql, store::AccessAction::allow, store::RuleField::model, "GALAXY*");
        FAIL("a duplicate rule was accepted");
    } catch (const store::InvalidRequest& e) {
        CHECK(has(e.what(), "rule " + std::to_string(model_block.id)));
    }
    // The same pattern on another field is another rule.
    CHECK_NOTHROW(store::add_access_rule(*sql, store::AccessAction::allow, store::RuleField::device_type, "Galaxy*"));
    CHECK_THROWS_AS(store::add_access_rule(*sql, store::AccessAction::allow, store::RuleField::os, ""),
                    store::InvalidRequest);
    CHECK_THROWS_AS(store::add_access_rule(*sql, store::AccessAction::allow, store::RuleField::os, "iOS\n17"),
                    store::InvalidRequest);

    auto removed = store::remove_access_rule(*sql, model_block.id);
    CHECK(removed.pattern == "Galaxy*");
    CHECK(store::list_access_rules(*sql).size() == 4);
    CHECK_THROWS_AS(store::remove_access_rule(*sql, model_block.id), store::InvalidRequest);
}

TEST_CASE("device access: rules match ignoring case with '*', the most specific field and then the most "
          "restrictive action win, the administrator beats them all",
          "[access]") {
    GlobalAccessReset reset;
    auto sql = session();
    auto u = make_user(*sql, "rules");
    auto add = [&](store::AccessAction action, store::RuleField field, const std::string& pattern) {
        return store::add_access_rule(*sql, action, field, pattern).id;
    };
    using A = store::AccessAction;
    using F = store::RuleField;
    using S = store::AccessState;

    SECTION("no rule: the default access, said as such") {
        long long dev = make_device(*sql, u, "D1", "iPhone", "Apple-iPhone/1");
        auto d = store::decide_device_access(*sql, dev);
        CHECK(d.state == S::allowed);
        CHECK(d.reason == "allowed: no rule matches and the default access is allow");
        CHECK_FALSE(d.changed);  // a new device is recorded as allowed
        CHECK(recorded(dev) == "allowed|allowed: no rule matches and the default access is allow");

        store::set_server_setting(*sql, "default_access", "block");
        d = store::decide_device_access(*sql, dev);
        CHECK(d.state == S::blocked);
        CHECK(d.reason == "blocked: no rule matches and the default access is block");
        CHECK(d.changed);
        CHECK_FALSE(store::decide_device_access(*sql, dev).changed);  // said once
    }

    SECTION("matching: case ignored, '*' any run, LIKE's own wildcards are plain characters, unknown matches nothing") {
        long long galaxy = make_device(*sql, u, "G", "SAMSUNG", "Android-Mail/1", "Galaxy S21", "Android 13");
        long long mygalaxy = make_device(*sql, u, "M", "X", "Y", "My Galaxy");
        long long underscore = make_device(*sql, u, "U", "X", "Y", "aXc");
        long long percent = make_device(*sql, u, "P", "X", "Y", "1000");
        long long unknown = make_device(*sql, u, "N", "X", "Y");  // no model told yet
        long long rule = add(A::block, F::model, "galaxy*");
        add(A::block, F::model, "a_c");
        add(A::block, F::model, "100%");
        add(A::quarantine, F::model, "*");

        auto g = store::decide_device_access(*sql, galaxy);
        CHECK(g.state == S::blocked);
        CHECK(g.reason == "blocked by rule " + std::to_string(rule) + ": model matches 'galaxy*'");
        // "*" quarantines the others: the specific patterns did not match them.
        CHECK(store::decide_device_access(*sql, mygalaxy).state == S::quarantined);
        CHECK(store::decide_device_access(*sql, underscore).state == S::quarantined);
        CHECK(store::decide_device_access(*sql, percent).state == S::quarantined);
        CHECK(store::decide_device_access(*sql, unknown).state == S::allowed);
    }

    SECTION("the most specific field wins: model, os, device_type, user_agent") {
        long long dev = make_device(*sql, u, "D2", "Android", "Outlook-Android/2.0", "Pixel 7", "Android 14");
        add(A::block, F::user_agent, "Outlook*");
        CHECK(store::decide_device_access(*sql, dev).state == S::blocked);
        add(A::quarantine, F::device_type, "android");
        CHECK(store::decide_device_access(*sql, dev).state == S::quarantined);
        long long os_rule = add(A::allow, F::os, "Android 1*");
        auto d = store::decide_device_access(*sql, dev);
        CHECK(d.state == S::allowed);
        CHECK(d.reason == "allowed by rule " + std::to_string(os_rule) + ": os matches 'Android 1*'");
        long long model_rule = add(A::block, F::model, "Pixel*");
        d = store::decide_device_access(*sql, dev);
        CHECK(d.state == S::blocked);
        CHECK(d.reason == "blocked by rule " + std::to_string(model_rule) + ": model matches 'Pixel*'");
    }

    SECTION("on the same field the most restrictive wins: block, quarantine, allow") {
        long long dev = make_device(*sql, u, "D3", "iPhone", "Apple-iPhone/1");
        add(A::allow, F::device_type, "iPhone");
        CHECK(store::decide_device_access(*sql, dev).state == S::allowed);
        add(A::quarantine, F::device_type, "iP*");
        CHECK(store::decide_device_access(*sql, dev).state == S::quarantined);
        long long block = add(A::block, F::device_type, "*phone");
        auto d = store::decide_device_access(*sql, dev);
        CHECK(d.state == S::blocked);
        CHECK(d.reason == "blocked by rule " + std::to_string(block) + ": device_type matches '*phone'");
    }

    SECTION("the administrator's decision beats every rule; dropping it hands back to the rules") {
        long long dev = make_device(*sql, u, "D4", "iPhone", "Apple-iPhone/1", "iPhone15,2");
        add(A::block, F::model, "iPhone*");
        CHECK(store::decide_device_access(*sql, dev).state == S::blocked);
        auto d = store::set_device_access_override(*sql, u.address, "D4", store::AccessOverride::allow);
        CHECK(d.state == S::allowed);
        CHECK(d.reason == "allowed by the administrator");
        CHECK(psql("SELECT access_override FROM devices WHERE id = " + std::to_string(dev)) == "allow");
        CHECK(store::decide_device_access(*sql, dev).state == S::allowed);

        add(A::allow, F::device_type, "iPhone");
        d = store::set_device_access_override(*sql, u.address, "D4", store::AccessOverride::block);
        CHECK(d.state == S::blocked);
        CHECK(d.reason == "blocked by the administrator");

        d = store::set_device_access_override(*sql, u.address, "D4", store::AccessOverride::none);
        CHECK(d.state == S::blocked);  // the model rule again
        CHECK(has(d.reason, "model matches 'iPhone*'"));
        CHECK(psql("SELECT access_override IS NULL FROM devices WHERE id = " + std::to_string(dev)) == "t");

        CHECK_THROWS_AS(store::set_device_access_override(*sql, u.address, "NOSUCH", store::AccessOverride::allow),
                        store::InvalidRequest);
        CHECK_THROWS_AS(store::decide_device_access(*sql, 999999999), store::InvalidRequest);
    }
}

TEST_CASE("a quarantined device waits for the administrator or an allow rule; properties told later count",
          "[access]") {
    GlobalAccessReset reset;
    auto sql = session();
    auto u = make_user(*sql, "quarantine");
    using S = store::AccessState;

    SECTION("quarantined by the default, it stays when the default becomes allow, until allowed") {
        store::set_server_setting(*sql, "default_access", "quarantine");
        long long dev = make_device(*sql, u, "Q1", "iPhone", "Apple-iPhone/1");
        auto d = store::decide_device_access(*sql, dev);
        CHECK(d.state == S::quarantined);
        CHECK(d.reason == "quarantined: no rule matches and the default access is quarantine");
        CHECK(d.changed);
        CHECK_FALSE(store::decide_device_access(*sql, dev).changed);

        store::set_server_setting(*sql, "default_access", "allow");
        d = store::decide_device_access(*sql, dev);
        CHECK(d.state == S::quarantined);
        CHECK(d.reason == "quarantined: no rule matches and the default access is quarantine");
        CHECK_FALSE(d.changed);

        d = store::set_device_access_override(*sql, u.address, "Q1", store::AccessOverride::allow);
        CHECK(d.state == S::allowed);
        CHECK(d.changed);
        CHECK(recorded(dev) == "allowed|allowed by the administrator");
    }

    SECTION("an allow rule releases it, a block rule blocks it") {
        long long rule = store::add_access_rule(*sql, store::AccessAction::quarantine, store::RuleField::user_agent,
                                                "Apple-*").id;
        long long dev = make_device(*sql, u, "Q2", "iPhone", "Apple-iPhone/1");
        long long other = make_device(*sql, u, "Q3", "iPhone", "Apple-iPhone/1");
        CHECK(store::decide_device_access(*sql, dev).state == S::quarantined);
        CHECK(store::decide_device_access(*sql, other).state == S::quarantined);
        store::remove_access_rule(*sql, rule);
        CHECK(store::decide_device_access(*sql, dev).state == S::quarantined);  // no rule now: still waits

        store::add_access_rule(*sql, store::AccessAction::allow, store::RuleField::device_type, "iphone");
        auto d = store::decide_device_access(*sql, dev);
        CHECK(d.state == S::allowed);
        CHECK(d.changed);

        store::add_access_rule(*sql, store::AccessAction::block, store::RuleField::model, "*");
        psql("UPDATE devices SET model = 'iPhone12,1' WHERE id = " + std::to_string(other));
        d = store::decide_device_access(*sql, other);
        CHECK(d.state == S::blocked);
        CHECK(d.changed);
    }

    SECTION("DeviceInformation told after the first request is judged at the next decision") {
        long long rule = store::add_access_rule(*sql, store::AccessAction::quarantine, store::RuleField::model,
                                                "Galaxy*").id;
        long long dev = make_device(*sql, u, "Q4", "SAMSUNG", "Samsung-Email/6");
        CHECK(store::decide_device_access(*sql, dev).state == S::allowed);
        store::DeviceInformation info;
        info.model = "Galaxy S23";
        info.os = "Android 14";
        store::record_device_information(*sql, dev, info);
        auto d = store::decide_device_access(*sql, dev);
        CHECK(d.state == S::quarantined);
        CHECK(d.reason == "quarantined by rule " + std::to_string(rule) + ": model matches 'Galaxy*'");
        CHECK(d.changed);
    }
}

TEST_CASE("of several workers deciding at once, exactly one is told that the device was quarantined", "[access]") {
    GlobalAccessReset reset;
    auto sql = session();
    auto u = make_user(*sql, "race");
    store::set_server_setting(*sql, "default_access", "quarantine");
    for (int round = 0; round < 5; ++round) {
        long long dev = make_device(*sql, u, "R" + std::to_string(round), "iPhone", "Apple-iPhone/1");
        std::atomic<int> changed{0};
        std::atomic<int> quarantined{0};
        std::vector<std::thread> workers;
        for (int i = 0; i < 8; ++i)
            workers.emplace_back([&] {
                auto own = session();
                auto d = store::decide_device_access(*own, dev);
                if (d.changed) ++changed;
                if (d.state == store::AccessState::quarantined) ++quarantined;
            });
        for (auto& t : workers) t.join();
        CHECK(changed == 1);
        CHECK(quarantined == 8);
    }
}

TEST_CASE("record_device_information keeps what was not sent and never overrides the header's user agent",
          "[access]") {
    auto sql = session();
    auto u = make_user(*sql, "info");
    long long dev = make_device(*sql, u, "I1", "iPhone", "");
    auto row = [&] {
        return psql("SELECT concat_ws('|', model, imei, friendly_name, os, os_language, phone_number, user_agent, "
                    "mobile_operator) FROM devices WHERE id = " + std::to_string(dev));
    };
    store::DeviceInformation info;
    info.model = "iPhone15,2";
    info.imei = "356938035643809";
    info.friendly_name = "Alice's iPhone";
    info.os = "iOS 17.1";
    info.os_language = "en-US";
    info.phone_number = "+41 79 000 00 00";
    info.user_agent = "Apple-iPhone15C2/2102.1";
    info.mobile_operator = "Swisscom";
    store::record_device_information(*sql, dev, info);
    CHECK(row() == "iPhone15,2|356938035643809|Alice's iPhone|iOS 17.1|en-US|+41 79 000 00 00|"
                   "Apple-iPhone15C2/2102.1|Swisscom");

    // A later, shorter Set: what it omits stays; what it sends (even empty) replaces.
    store::DeviceInformation later;
    later.os = "iOS 17.2";
    later.phone_number = "";
    later.user_agent = "Something/else";  // the stored one came first and stays
    store::record_device_information(*sql, dev, later);
    CHECK(row() == "iPhone15,2|356938035643809|Alice's iPhone|iOS 17.2|en-US||Apple-iPhone15C2/2102.1|Swisscom");

    // Nothing new: nothing written (the row's version stays the same).
    std::string xmin = psql("SELECT xmin FROM devices WHERE id = " + std::to_string(dev));
    store::record_device_information(*sql, dev, later);
    CHECK(psql("SELECT xmin FROM devices WHERE id = " + std::to_string(dev)) == xmin);
}

TEST_CASE("easctl server show and set", "[access][easctl]") {
    GlobalAccessReset reset;
    auto r = easctl({"server", "show"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out ==
          "SETTING         VALUE\n"
          "access_mode     all\n"
          "default_access  allow\n"
          "admin_address   -\n");
    r = easctl({"--json", "server", "show"});
    CHECK(r.out == "{\"access_mode\":\"all\",\"default_access\":\"allow\",\"admin_address\":\"\"}\n");

    r = easctl({"server", "set", "access_mode", "flagged"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "access_mode set to flagged (running workers apply it within their auth cache time)\n");
    r = easctl({"--json", "server", "set", "default_access", "quarantine"});
    CHECK(r.out == "{\"ok\":true,\"message\":\"default_access set to quarantine\"}\n");
    r = easctl({"server", "set", "admin_address", "Postmaster@Example.com"});
    CHECK(r.out == "admin_address set to postmaster@example.com\n");
    r = easctl({"--json", "server", "show"});
    CHECK(r.out ==
          "{\"access_mode\":\"flagged\",\"default_access\":\"quarantine\",\"admin_address\":\"postmaster@example.com\"}\n");
    r = easctl({"server", "set", "admin_address", ""});
    CHECK(r.out == "admin_address cleared\n");
    CHECK(psql("SELECT value FROM server_settings WHERE name = 'admin_address'").empty());

    for (const auto& args : std::vector<std::vector<std::string>>{
             {"server", "set", "access_mode", "everyone"},
             {"server", "set", "default_access", "maybe"},
             {"server", "set", "admin_address", "nobody"},
         }) {
        auto e = easctl(args);
        CHECK(e.exit_code == 1);
        CHECK(one_line(e.err));
        CHECK(e.out.empty());
    }
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"server"},
             {"server", "frob"},
             {"server", "set", "colour", "blue"},
             {"server", "set", "access_mode"},
             {"server", "set", "access_mode", "all", "extra"},
             {"server", "show", "extra"},
         }) {
        auto e = easctl(args);
        CHECK(e.exit_code == 64);
        // A command alone gets its usage after the one-line reason.
        CHECK((args.size() == 1 ? e.err.rfind("easctl: server: missing command\nusage:", 0) == 0 : one_line(e.err)));
    }
    CHECK(psql("SELECT value FROM server_settings WHERE name = 'access_mode'") == "flagged");
}

TEST_CASE("easctl rule add, list and remove", "[access][easctl]") {
    GlobalAccessReset reset;
    auto r = easctl({"rule", "add", "allow", "user_agent", "Outlook*"});
    REQUIRE(r.exit_code == 0);
    std::string ua = psql("SELECT id FROM device_access_rules WHERE pattern = 'Outlook*'");
    CHECK(r.out == "added rule " + ua + ": allow user_agent 'Outlook*'\n");
    r = easctl({"--json", "rule", "add", "block", "model", "Galaxy S*"});
    REQUIRE(r.exit_code == 0);
    std::string model = psql("SELECT id FROM device_access_rules WHERE pattern = 'Galaxy S*'");
    CHECK(r.out == "{\"ok\":true,\"message\":\"added rule " + model + ": block model 'Galaxy S*'\",\"id\":" + model +
                       "}\n");

    r = easctl({"rule", "list"});
    REQUIRE(r.exit_code == 0);
    // The model rule first: the order in which rules are weighed.
    auto lines = words_by_line(r.out);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == std::vector<std::string>{"ID", "ACTION", "FIELD", "PATTERN", "CREATED"});
    CHECK(lines[1] == std::vector<std::string>{model, "block", "model", "Galaxy", "S*", lines[1].back()});
    CHECK(lines[2] == std::vector<std::string>{ua, "allow", "user_agent", "Outlook*", lines[2].back()});
    CHECK(lines[1].back().size() == 20);  // 2026-11-24T10:00:00Z
    r = easctl({"--json", "rule", "list"});
    std::string created = psql("SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                               "FROM device_access_rules WHERE id = " + model);
    CHECK(r.out.rfind("[{\"id\":" + model + ",\"action\":\"block\",\"field\":\"model\",\"pattern\":\"Galaxy S*\","
                      "\"created_at\":\"" + created + "\"},{\"id\":" + ua,
                      0) == 0);

    r = easctl({"rule", "add", "quarantine", "MODEL", "galaxy s*"});  // the same devices as rule `model`
    CHECK(r.exit_code == 1);
    CHECK(one_line(r.err));
    CHECK(has(r.err, "rule " + model));

    r = easctl({"rule", "remove", model});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "removed rule " + model + ": block model 'Galaxy S*'\n");
    r = easctl({"--json", "rule", "remove", ua});
    CHECK(r.out == "{\"ok\":true,\"message\":\"removed rule " + ua + ": allow user_agent 'Outlook*'\"}\n");
    CHECK(easctl({"--json", "rule", "list"}).out == "[]\n");

    r = easctl({"rule", "remove", ua});
    CHECK(r.exit_code == 1);
    CHECK(one_line(r.err));
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"rule"},
             {"rule", "frob"},
             {"rule", "add", "deny", "model", "x"},
             {"rule", "add", "block", "colour", "x"},
             {"rule", "add", "block", "model"},
             {"rule", "add", "block", "model", "x", "y"},
             {"rule", "remove"},
             {"rule", "remove", "abc"},
             {"rule", "remove", "3x"},
             {"rule", "list", "extra"},
         }) {
        auto e = easctl(args);
        INFO(args.back());
        CHECK(e.exit_code == 64);
        // A command alone gets its usage after the one-line reason.
        CHECK((args.size() == 1 ? e.err.rfind("easctl: rule: missing command\nusage:", 0) == 0 : one_line(e.err)));
    }
    CHECK(psql("SELECT count(*) FROM device_access_rules") == "0");
}

TEST_CASE("the request path applies the access mode to the three-valued flag", "[access][server]") {
    GlobalAccessReset reset;
    auto& cluster = shared_cluster();
    easd::test::EasServer::Options options;
    options.config_lines = {"auth_cache_seconds = 0"};  // every request reads the flag and the mode
    easd::test::EasServer server(cluster, options);
    const std::string user = "mode@access-srv.test";
    psql("DELETE FROM users WHERE address = '" + user + "'");
    easd::test::create_user(cluster, user, "secret-pw");
    easd::test::EasClient c(server.http_port(), user, "secret-pw", "MODEDEV");
    auto status = [&] { return c.options().status; };

    CHECK(status() == 200);  // flag not set, mode all
    REQUIRE(easctl({"server", "set", "access_mode", "flagged"}).exit_code == 0);
    CHECK(status() == 403);
    REQUIRE(easctl({"user", "activesync", user, "on"}).exit_code == 0);
    CHECK(status() == 200);
    REQUIRE(easctl({"user", "activesync", user, "off"}).exit_code == 0);
    CHECK(status() == 403);
    REQUIRE(easctl({"server", "set", "access_mode", "all"}).exit_code == 0);
    CHECK(status() == 403);  // off is off in every mode
    REQUIRE(easctl({"user", "activesync", user, "default"}).exit_code == 0);
    CHECK(status() == 200);
}
