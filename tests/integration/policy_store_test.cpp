// Security policies in PostgreSQL (store/policies.h) and `easctl policy`: the four levels of a
// device read in one round trip, rows this release does not understand, saving, updating all or
// nothing, deleting, rows going with their owners; and the real easctl binary showing where each
// effective value comes from, a device exempted from its domain's policy, clamping, --json and
// errors.
#include <catch2/catch.hpp>

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>

#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "policy/fingerprint.h"
#include "policy/policy.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/devices.h"
#include "store/policies.h"
#include "support/cluster.h"
#include "support/process.h"
#include "support/server.h"
#include "support/table_output.h"
#include "support/text.h"

using namespace easd;
using easd::test::shared_cluster;
using Level = store::PolicyTarget::Level;

namespace {

constexpr const char* kAlice = "alice@polstore.test";
constexpr const char* kBob = "bob@polstore.test";

std::unique_ptr<soci::session> session() { return store::open_session(shared_cluster().conninfo()); }
std::string psql(const std::string& sql) { return shared_cluster().psql(sql); }
using easd::test::has;
bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

easd::test::ProcessResult easctl(const std::vector<std::string>& args) {
    return easd::test::run_easctl(shared_cluster(), args);
}

// A member of a JSON document, read by PostgreSQL: the cast to jsonb fails (and psql throws) on
// anything that is not JSON, so this checks the syntax too. `path` is a jsonpath.
std::string json_at(const std::string& json, const std::string& path) {
    REQUIRE_FALSE(has(json, "$json$"));
    return psql("SELECT jsonb_path_query_first($json$" + json + "$json$::jsonb, '" + path + "') #>> '{}'");
}

// The cells of the table row that starts with `first`: cells are separated by two or more spaces.
std::vector<std::string> row_of(const std::string& out, const std::string& first) {
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        if (line.compare(0, first.size() + 2, first + "  ") != 0) continue;
        return easd::test::table_cells(line);
    }
    return {};
}

// The value of a "Label:  value" line of `policy show`.
std::string field(const std::string& out, const std::string& label) {
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (line.compare(0, label.size() + 1, label + ":") == 0) {
            std::size_t value = line.find_first_not_of(' ', label.size() + 1);
            return value == std::string::npos ? "" : line.substr(value);
        }
    return "(no " + label + " line)";
}

// The global row is shared by every test of the binary (and by any request path they drive):
// each test here starts without one and leaves none behind, also when it fails. The domain, its
// users and devices are this file's own; deleting the users takes their devices and the policy
// rows of both with them.
struct PolicyFixture {
    PolicyFixture() {
        clean();
        auto sql = session();
        store::add_domain(*sql, "polstore.test");
        alice = store::add_user(*sql, kAlice, "pw").id;
        bob = store::add_user(*sql, kBob, "pw").id;
        domain = std::stoll(psql("SELECT id FROM domains WHERE name = 'polstore.test'"));
        phone = device(alice, "PHONE1");
        tablet = device(alice, "TABLET");
        bob_phone = device(bob, "BOBPHONE");
    }
    ~PolicyFixture() { clean(); }
    PolicyFixture(const PolicyFixture&) = delete;
    PolicyFixture& operator=(const PolicyFixture&) = delete;

    static void clean() {
        psql("DELETE FROM policies WHERE domain_id IS NULL AND user_id IS NULL AND device_id IS NULL");
        psql("DELETE FROM users WHERE address LIKE '%@polstore.test'");
        psql("DELETE FROM domains WHERE name = 'polstore.test'");
    }
    static long long device(long long user, const std::string& id) {
        return std::stoll(psql("INSERT INTO devices (user_id, device_id) VALUES (" + std::to_string(user) + ", '" + id +
                               "') RETURNING id"));
    }
    // Inserts a policies row owned by `column` = id ("" column: global); enforce is SQL (NULL, true, false).
    static void row(const std::string& column, long long id, const std::string& enforce, const std::string& settings) {
        if (column.empty())
            psql("INSERT INTO policies (enforce, settings) VALUES (" + enforce + ", E'" + settings + "')");
        else
            psql("INSERT INTO policies (" + column + ", enforce, settings) VALUES (" + std::to_string(id) + ", " +
                 enforce + ", E'" + settings + "')");
    }

    long long domain = 0, alice = 0, bob = 0, phone = 0, tablet = 0, bob_phone = 0;
};

store::PolicyTarget domain_target(const std::string& name = "polstore.test") {
    store::PolicyTarget t;
    t.level = Level::Domain;
    t.domain = name;
    return t;
}

store::PolicyTarget user_target(const std::string& address = kAlice) {
    store::PolicyTarget t;
    t.level = Level::User;
    t.address = address;
    return t;
}

store::PolicyTarget device_target(const std::string& device = "PHONE1", const std::string& address = kAlice) {
    store::PolicyTarget t;
    t.level = Level::Device;
    t.address = address;
    t.device_id = device;
    return t;
}

// How many round trips the session's connection makes while `f` runs: libpq's trace of the
// messages it sends, counting each Sync (the end of an extended-protocol exchange, as
// PQexecParams sends) and each simple Query.
template <typename F>
int round_trips(soci::session& sql, F&& f) {
    PGconn* conn = static_cast<soci::postgresql_session_backend*>(sql.get_backend())->conn_;
    std::FILE* trace = std::tmpfile();
    REQUIRE(trace);
    PQtrace(conn, trace);
    f();
    PQuntrace(conn);
    std::rewind(trace);
    int n = 0;
    char line[4096];
    while (std::fgets(line, sizeof line, trace)) {
        std::string l = line;
        if (has(l, "\tF\t") && (has(l, "\tSync") || has(l, "\tQuery\t"))) ++n;
    }
    std::fclose(trace);
    return n;
}

std::string settings_of(const std::optional<policy::LevelPolicy>& level) {
    return level ? policy::format_level_settings(level->settings) : "(no row)";
}

std::string neutral_fingerprint() { return policy::fingerprint(policy::default_policy()); }

}  // namespace

TEST_CASE("load_policy_levels reads the four levels of a device in one round trip", "[policy][store]") {
    PolicyFixture f;
    auto sql = session();
    // The first read on a connection prepares the statement too: one more round trip, once.
    CHECK(round_trips(*sql, [&] { store::load_policy_levels(*sql, f.bob_phone); }) == 2);

    SECTION("no rows: every level inherits, the default policy") {
        policy::PolicyLevels levels;
        CHECK(round_trips(*sql, [&] { levels = store::load_policy_levels(*sql, f.phone); }) == 1);
        for (const auto& level : levels) CHECK_FALSE(level);
        // The count is real: two reads are two round trips.
        CHECK(round_trips(*sql, [&] {
                  store::load_policy_levels(*sql, f.phone);
                  store::load_policy_levels(*sql, f.tablet);
              }) == 2);
        CHECK_FALSE(policy::resolve(levels).enforce);
    }

    SECTION("a row at each level; other users' rows stay out") {
        PolicyFixture::row("", 0, "NULL", "MinDevicePasswordLength=5\\nAllowWiFi=0\\n");
        PolicyFixture::row("domain_id", f.domain, "true", "AllowCamera=0\\nMinDevicePasswordLength=6\\n");
        PolicyFixture::row("user_id", f.alice, "NULL", "MaxInactivityTimeDeviceLock=10\\n");
        PolicyFixture::row("device_id", f.phone, "false", "AllowCamera=1\\n");
        PolicyFixture::row("user_id", f.bob, "false", "AllowBrowser=0\\n");
        PolicyFixture::row("device_id", f.tablet, "NULL", "AllowIrDA=0\\n");

        policy::PolicyLevels levels;
        CHECK(round_trips(*sql, [&] { levels = store::load_policy_levels(*sql, f.phone); }) == 1);
        REQUIRE(levels[policy::kGlobal]);
        REQUIRE(levels[policy::kDomain]);
        REQUIRE(levels[policy::kUser]);
        REQUIRE(levels[policy::kDevice]);
        CHECK_FALSE(levels[policy::kGlobal]->enforce);
        CHECK(settings_of(levels[policy::kGlobal]) == "AllowWiFi=0\nMinDevicePasswordLength=5\n");
        CHECK(levels[policy::kDomain]->enforce == std::optional<bool>(true));
        CHECK(settings_of(levels[policy::kDomain]) == "AllowCamera=0\nMinDevicePasswordLength=6\n");
        CHECK_FALSE(levels[policy::kUser]->enforce);
        CHECK(settings_of(levels[policy::kUser]) == "MaxInactivityTimeDeviceLock=10\n");  // not bob's
        CHECK(levels[policy::kDevice]->enforce == std::optional<bool>(false));
        CHECK(settings_of(levels[policy::kDevice]) == "AllowCamera=1\n");  // not the tablet's

        policy::EffectivePolicy p = policy::resolve(levels);
        CHECK_FALSE(p.enforce);
        CHECK(p.enforce_source == policy::Source::Device);
        CHECK(p.value("MinDevicePasswordLength") == "6");
        CHECK(p.setting("MinDevicePasswordLength").source == policy::Source::Domain);
        CHECK(p.value("AllowCamera") == "1");
        CHECK(p.value("AllowWiFi") == "0");
        CHECK(p.setting("AllowWiFi").source == policy::Source::Global);
        CHECK(p.value("AllowBrowser") == "1");

        // What easctl shows at the device is what the request path reads.
        policy::PolicyLevels at = store::load_levels_at(*sql, device_target());
        for (std::size_t i = 0; i < 4; ++i) {
            REQUIRE(bool(at[i]) == bool(levels[i]));
            CHECK(at[i]->enforce == levels[i]->enforce);
            CHECK(at[i]->settings == levels[i]->settings);
        }
        // Higher targets see their own level and those above it only.
        at = store::load_levels_at(*sql, user_target());
        CHECK(at[policy::kGlobal]);
        CHECK(at[policy::kDomain]);
        CHECK(settings_of(at[policy::kUser]) == "MaxInactivityTimeDeviceLock=10\n");
        CHECK_FALSE(at[policy::kDevice]);
        at = store::load_levels_at(*sql, domain_target());
        CHECK(at[policy::kDomain]);
        CHECK_FALSE(at[policy::kUser]);
        at = store::load_levels_at(*sql, store::PolicyTarget{});
        CHECK(at[policy::kGlobal]);
        CHECK_FALSE(at[policy::kDomain]);

        levels = store::load_policy_levels(*sql, f.bob_phone);
        CHECK(levels[policy::kDomain]);
        CHECK(settings_of(levels[policy::kUser]) == "AllowBrowser=0\n");
        CHECK_FALSE(levels[policy::kDevice]);

        // A device row that is gone has no levels at all.
        levels = store::load_policy_levels(*sql, f.bob_phone + 1000000);
        for (const auto& level : levels) CHECK_FALSE(level);
    }

    SECTION("lines this release does not understand are left out, never thrown") {
        PolicyFixture::row("user_id", f.alice, "true",
                           "MaxInactivityTimeDeviceLock=10\\nNoSuchSetting=1\\nMinDevicePasswordLength=abc\\n"
                           "garbage\\n\\n  allowcamera = no\\r\\nMaxAttachmentSize=99999999\\n");
        policy::PolicyLevels levels;
        REQUIRE_NOTHROW(levels = store::load_policy_levels(*sql, f.phone));
        REQUIRE(levels[policy::kUser]);
        CHECK(levels[policy::kUser]->enforce == std::optional<bool>(true));
        CHECK(settings_of(levels[policy::kUser]) ==
              "AllowCamera=0\nMaxAttachmentSize=4194303\nMaxInactivityTimeDeviceLock=10\n");
        // The bad setting inherits: here the default.
        CHECK(policy::resolve(levels).value("MinDevicePasswordLength") == "4");
    }
}

TEST_CASE("policy levels are saved, updated all or nothing and deleted; unknown targets refused", "[policy][store]") {
    PolicyFixture f;
    auto sql = session();
    const std::string domain_row = "SELECT enforce::text || '|' || settings FROM policies WHERE domain_id = " +
                                   std::to_string(f.domain);

    SECTION("save, load, and a level that says nothing has no row") {
        policy::LevelPolicy level;
        level.enforce = true;
        level.settings = {{"MinDevicePasswordLength", "8"}, {"AllowCamera", "0"}};
        store::save_level(*sql, domain_target("POLSTORE.test"), level);
        CHECK(psql(domain_row) == "true|AllowCamera=0\nMinDevicePasswordLength=8\n");
        auto loaded = store::load_level(*sql, domain_target());
        REQUIRE(loaded);
        CHECK(loaded->enforce == std::optional<bool>(true));
        CHECK(loaded->settings == level.settings);

        level.enforce.reset();
        store::save_level(*sql, domain_target(), level);  // replaced, not added
        CHECK(psql(domain_row) == "");                     // NULL || ... is NULL: enforce inherits
        CHECK(psql("SELECT count(*) FROM policies WHERE domain_id = " + std::to_string(f.domain)) == "1");

        store::save_level(*sql, domain_target(), policy::LevelPolicy{});
        CHECK(psql("SELECT count(*) FROM policies WHERE domain_id = " + std::to_string(f.domain)) == "0");
        CHECK_FALSE(store::load_level(*sql, domain_target()));
    }

    SECTION("update_level: a change that throws saves nothing; global is a level like the others") {
        store::update_level(*sql, user_target(), [](policy::LevelPolicy& l) { l.settings["AllowWiFi"] = "0"; });
        const std::string user_row = "SELECT settings FROM policies WHERE user_id = " + std::to_string(f.alice);
        CHECK(psql(user_row) == "AllowWiFi=0\n");
        CHECK_THROWS_AS(store::update_level(*sql, user_target(),
                                            [](policy::LevelPolicy& l) {
                                                l.settings["AllowCamera"] = "0";
                                                throw store::InvalidRequest("refused");
                                            }),
                        store::InvalidRequest);
        CHECK(psql(user_row) == "AllowWiFi=0\n");

        auto saved = store::update_level(*sql, store::PolicyTarget{}, [](policy::LevelPolicy& l) { l.enforce = false; });
        CHECK(saved.enforce == std::optional<bool>(false));
        CHECK(psql("SELECT enforce FROM policies WHERE domain_id IS NULL AND user_id IS NULL AND device_id IS NULL") ==
              "f");
        CHECK(store::delete_level(*sql, store::PolicyTarget{}));
        CHECK_FALSE(store::delete_level(*sql, store::PolicyTarget{}));
    }

    SECTION("concurrent updates of one level lose nothing") {
        const std::vector<std::string> names = {"AllowCamera", "AllowWiFi", "AllowBrowser", "AllowIrDA"};
        for (int round = 0; round < 5; ++round) {
            psql("DELETE FROM policies WHERE device_id = " + std::to_string(f.tablet));
            std::vector<std::thread> threads;
            for (const std::string& name : names)
                threads.emplace_back([name] {
                    auto own = session();
                    store::update_level(*own, device_target("TABLET"),
                                        [&](policy::LevelPolicy& l) { l.settings[name] = "0"; });
                });
            for (auto& t : threads) t.join();
            CHECK(psql("SELECT settings FROM policies WHERE device_id = " + std::to_string(f.tablet)) ==
                  "AllowBrowser=0\nAllowCamera=0\nAllowIrDA=0\nAllowWiFi=0\n");
        }
    }

    SECTION("unknown domains, users and devices, and another user's device") {
        CHECK_THROWS_WITH(store::load_level(*sql, domain_target("nosuch.test")), "unknown domain nosuch.test");
        CHECK_THROWS_WITH(store::load_levels_at(*sql, user_target("nobody@polstore.test")),
                          "unknown user nobody@polstore.test");
        CHECK_THROWS_WITH(store::save_level(*sql, device_target("NOPE"), policy::LevelPolicy{}),
                          "no device NOPE for alice@polstore.test");
        CHECK_THROWS_WITH(store::delete_level(*sql, device_target("PHONE1", kBob)), "no device PHONE1 for bob@polstore.test");
        CHECK_THROWS_AS(store::load_level(*sql, user_target("not-an-address")), store::InvalidRequest);
        CHECK_THROWS_AS(store::load_acknowledgement(*sql, device_target("NOPE")), store::InvalidRequest);
        CHECK(psql("SELECT count(*) FROM policies WHERE user_id IN (" + std::to_string(f.alice) + ", " +
                   std::to_string(f.bob) + ")") == "0");
    }

    SECTION("describe names each level") {
        CHECK(store::describe(store::PolicyTarget{}) == "global");
        CHECK(store::describe(domain_target("PolStore.test")) == "domain polstore.test");
        CHECK(store::describe(user_target("Alice@PolStore.test")) == "user alice@polstore.test");
        CHECK(store::describe(device_target()) == "device PHONE1 of alice@polstore.test");
    }
}

TEST_CASE("policy rows go with their domain, user and device", "[policy][store]") {
    PolicyFixture f;
    PolicyFixture::row("domain_id", f.domain, "true", "");
    PolicyFixture::row("user_id", f.alice, "NULL", "AllowCamera=0\\n");
    PolicyFixture::row("user_id", f.bob, "NULL", "AllowCamera=0\\n");
    PolicyFixture::row("device_id", f.phone, "false", "");
    PolicyFixture::row("device_id", f.tablet, "false", "");
    auto count = [](const std::string& column, long long id) {
        return psql("SELECT count(*) FROM policies WHERE " + column + " = " + std::to_string(id));
    };

    auto r = easctl({"device", "remove", kAlice, "PHONE1"});
    REQUIRE(r.exit_code == 0);
    CHECK(count("device_id", f.phone) == "0");
    CHECK(count("device_id", f.tablet) == "1");
    CHECK(count("user_id", f.alice) == "1");

    psql("DELETE FROM users WHERE address = 'alice@polstore.test'");
    CHECK(count("user_id", f.alice) == "0");
    CHECK(count("device_id", f.tablet) == "0");
    CHECK(count("user_id", f.bob) == "1");
    CHECK(count("domain_id", f.domain) == "1");

    psql("DELETE FROM users WHERE address = 'bob@polstore.test'");
    psql("DELETE FROM domains WHERE name = 'polstore.test'");
    CHECK(count("domain_id", f.domain) == "0");
    CHECK(count("user_id", f.bob) == "0");
}

TEST_CASE("easctl policy show: where each value comes from, and a device exempted from its domain's policy",
          "[policy][easctl]") {
    PolicyFixture f;
    auto r = easctl({"policy", "set", "domain", "polstore.test", "enforce=on", "MinDevicePasswordLength=6",
                     "AllowCamera=no"});
    REQUIRE(r.exit_code == 0);
    CHECK(one_line(r.out));
    CHECK(has(r.out, "saved for domain polstore.test: enforce=on, MinDevicePasswordLength=6, AllowCamera=0"));
    CHECK(has(r.out, "enforced (set here)"));

    r = easctl({"policy", "set", "device", kAlice, "PHONE1", "enforce=off"});
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "not enforced (set here): devices get the neutral policy"));

    SECTION("the exempted device: the neutral policy, the domain's values greyed") {
        r = easctl({"policy", "show", "device", kAlice, "PHONE1"});
        REQUIRE(r.exit_code == 0);
        CHECK(field(r.out, "Policy of") == "device PHONE1 of alice@polstore.test");
        CHECK(field(r.out, "Own settings") == "enforce off");
        CHECK(field(r.out, "Enforced") ==
              "no (set here): devices get the neutral policy; the values below are kept for reference and not sent");
        CHECK(row_of(r.out, "SETTING") == std::vector<std::string>{"SETTING", "VALUE", "UNIT", "SENT", "SOURCE"});
        CHECK(row_of(r.out, "MinDevicePasswordLength") ==
              std::vector<std::string>{"MinDevicePasswordLength", "6", "characters", "no", "inherited from domain"});
        CHECK(row_of(r.out, "AllowCamera") == std::vector<std::string>{"AllowCamera", "0", "-", "no", "inherited from domain"});
        CHECK(row_of(r.out, "DevicePasswordEnabled") ==
              std::vector<std::string>{"DevicePasswordEnabled", "1", "-", "no", "inherited from default"});
        CHECK(row_of(r.out, "RefreshIntervalHours") ==
              std::vector<std::string>{"RefreshIntervalHours", "24", "hours", "no", "inherited from default"});
        // Not enforced: whatever the greyed values say, the device holds the neutral policy.
        CHECK(field(r.out, "Fingerprint") == neutral_fingerprint());
        CHECK(field(r.out, "Acknowledged") ==
              "none (policy status none): the device is asked to provision at its next request");

        psql("UPDATE devices SET policy_status = 'applied', policy_fingerprint = '" + neutral_fingerprint() +
             "' WHERE id = " + std::to_string(f.phone));
        r = easctl({"policy", "show", "device", kAlice, "PHONE1"});
        CHECK(field(r.out, "Acknowledged") == "matches (policy status applied): nothing new is asked of the device");
    }

    SECTION("its sibling follows the domain; so does the user; the domain says it sets them") {
        r = easctl({"policy", "show", "device", kAlice, "TABLET"});
        REQUIRE(r.exit_code == 0);
        CHECK(field(r.out, "Own settings") == "none: everything is inherited");
        CHECK(field(r.out, "Enforced") == "yes (inherited from domain)");
        CHECK(row_of(r.out, "MinDevicePasswordLength") ==
              std::vector<std::string>{"MinDevicePasswordLength", "6", "characters", "yes", "inherited from domain"});
        CHECK(row_of(r.out, "RefreshIntervalHours")[3] == "server");
        auto sql = session();
        const std::string enforced = policy::fingerprint(policy::resolve(store::load_policy_levels(*sql, f.tablet)));
        CHECK(field(r.out, "Fingerprint") == enforced);
        CHECK(enforced != neutral_fingerprint());
        psql("UPDATE devices SET policy_status = 'applied', policy_fingerprint = '" + neutral_fingerprint() +
             "' WHERE id = " + std::to_string(f.tablet));
        r = easctl({"policy", "show", "device", kAlice, "TABLET"});
        CHECK(field(r.out, "Acknowledged") == neutral_fingerprint() +
                                                  " (policy status applied): differs, the device is asked to provision "
                                                  "again at its next request");

        r = easctl({"policy", "show", "user", kAlice});
        REQUIRE(r.exit_code == 0);
        CHECK(field(r.out, "Enforced") == "yes (inherited from domain)");
        CHECK(field(r.out, "Fingerprint") == "(no Fingerprint line)");  // devices only

        r = easctl({"policy", "show", "domain", "polstore.test"});
        REQUIRE(r.exit_code == 0);
        CHECK(field(r.out, "Own settings") == "enforce on and 2 settings");
        CHECK(field(r.out, "Enforced") == "yes (set here)");
        CHECK(row_of(r.out, "AllowCamera") == std::vector<std::string>{"AllowCamera", "0", "-", "yes", "set here"});
        CHECK(row_of(r.out, "AllowWiFi") == std::vector<std::string>{"AllowWiFi", "1", "-", "yes", "inherited from default"});

        r = easctl({"policy", "show"});  // global
        REQUIRE(r.exit_code == 0);
        CHECK(field(r.out, "Policy of") == "global");
        CHECK(has(field(r.out, "Enforced"), "no (inherited from default)"));
    }

    SECTION("unset enforce at the device: its row says nothing any more and goes; the domain's policy applies") {
        r = easctl({"policy", "unset", "device", kAlice, "PHONE1", "enforce"});
        REQUIRE(r.exit_code == 0);
        CHECK(has(r.out, "enforce inherited again; the level has nothing of its own left"));
        CHECK(psql("SELECT count(*) FROM policies WHERE device_id = " + std::to_string(f.phone)) == "0");
        r = easctl({"policy", "show", "device", kAlice, "PHONE1"});
        CHECK(field(r.out, "Enforced") == "yes (inherited from domain)");
    }
}

TEST_CASE("easctl policy set: clamping notes, all or nothing, unset and inherit", "[policy][easctl]") {
    PolicyFixture f;
    const std::string user_row = "SELECT coalesce(enforce::text, 'inherit') || '|' || settings FROM policies "
                                 "WHERE user_id = " + std::to_string(f.alice);

    auto r = easctl({"policy", "set", "user", kAlice, "MinDevicePasswordLength=40", "maxDEVICEpasswordFAILEDattempts=1000",
                     "AllowBluetooth=1"});
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "note: MinDevicePasswordLength 40 is above the maximum 18: using 18\n"));
    CHECK(has(r.out, "note: MaxDevicePasswordFailedAttempts 1000 is above the maximum 99: using 99\n"));
    CHECK(has(r.out, "saved for user alice@polstore.test: MinDevicePasswordLength=18, "
                     "MaxDevicePasswordFailedAttempts=99, AllowBluetooth=1; not enforced (inherited from default)"));
    CHECK(psql(user_row) == "inherit|AllowBluetooth=1\nMaxDevicePasswordFailedAttempts=99\nMinDevicePasswordLength=18\n");

    SECTION("a bad value, an unknown name, a name twice: one line, exit 1, nothing saved") {
        const std::string before = psql(user_row);
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"AllowCamera=0", "MinDevicePasswordLength=abc"},
                 {"enforce=on", "NoSuchSetting=1"},
                 {"enforce=maybe", "AllowCamera=0"},
                 {"AllowBluetooth=3"},
                 {"AllowCamera=0", "allowcamera=1"},
             }) {
            std::vector<std::string> command = {"policy", "set", "user", kAlice};
            command.insert(command.end(), args.begin(), args.end());
            r = easctl(command);
            CHECK(r.exit_code == 1);
            CHECK(one_line(r.err));
            CHECK(has(r.err, "nothing was saved"));
            CHECK(r.out.empty());
            CHECK(psql(user_row) == before);
        }
        CHECK(has(easctl({"policy", "set", "user", kAlice, "NoSuchSetting=1"}).err, "unknown setting 'NoSuchSetting'"));
        CHECK(has(easctl({"policy", "set", "user", kAlice, "MinDevicePasswordLength=abc"}).err,
                  "MinDevicePasswordLength: 'abc' is not a whole number (2..18)"));
        CHECK(has(easctl({"policy", "set", "user", kAlice, "AllowCamera=0", "allowcamera=1"}).err,
                  "AllowCamera is given twice"));
        // Nor is a row created for a level that had none.
        r = easctl({"policy", "set", "device", kAlice, "PHONE1", "AllowCamera=0", "AllowCamera=perhaps"});
        CHECK(r.exit_code == 1);
        CHECK(psql("SELECT count(*) FROM policies WHERE device_id = " + std::to_string(f.phone)) == "0");
    }

    SECTION("unset: the settings inherit again; an unknown name changes nothing") {
        r = easctl({"policy", "unset", "user", kAlice, "MinDevicePasswordLength", "allowbluetooth"});
        REQUIRE(r.exit_code == 0);
        CHECK(has(r.out, "user alice@polstore.test: MinDevicePasswordLength, AllowBluetooth inherited again\n"));
        CHECK(psql(user_row) == "inherit|MaxDevicePasswordFailedAttempts=99\n");
        r = easctl({"policy", "unset", "user", kAlice, "MaxDevicePasswordFailedAttempts", "NoSuchSetting"});
        CHECK(r.exit_code == 1);
        CHECK(one_line(r.err));
        CHECK(psql(user_row) == "inherit|MaxDevicePasswordFailedAttempts=99\n");
    }

    SECTION("inherit deletes the level's row; again there is nothing to delete") {
        r = easctl({"policy", "set", "user", kAlice, "enforce=off"});
        REQUIRE(r.exit_code == 0);
        CHECK(psql(user_row) ==
              "false|AllowBluetooth=1\nMaxDevicePasswordFailedAttempts=99\nMinDevicePasswordLength=18\n");
        r = easctl({"policy", "inherit", "user", kAlice});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "deleted the policy of user alice@polstore.test: it inherits everything again\n");
        CHECK(psql(user_row) == "");
        r = easctl({"policy", "inherit", "user", kAlice});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "user alice@polstore.test has no policy of its own: nothing to delete\n");
    }

    SECTION("the global level, named or not, and enforce=inherit") {
        r = easctl({"policy", "set", "AllowCamera=0", "enforce=yes"});
        REQUIRE(r.exit_code == 0);
        CHECK(has(r.out, "saved for global: AllowCamera=0, enforce=on; enforced (set here)"));
        const std::string global_row =
            "SELECT coalesce(enforce::text, 'inherit') || '|' || settings FROM policies "
            "WHERE domain_id IS NULL AND user_id IS NULL AND device_id IS NULL";
        CHECK(psql(global_row) == "true|AllowCamera=0\n");
        r = easctl({"policy", "set", "global", "enforce=inherit"});
        REQUIRE(r.exit_code == 0);
        CHECK(psql(global_row) == "inherit|AllowCamera=0\n");
        r = easctl({"policy", "inherit", "global"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "deleted the global policy: the built-in defaults apply again\n");
        CHECK(psql(global_row) == "");
    }
}

TEST_CASE("easctl policy --json, the settings list, and errors", "[policy][easctl]") {
    PolicyFixture f;
    REQUIRE(easctl({"policy", "set", "domain", "polstore.test", "enforce=on", "MinDevicePasswordLength=6"}).exit_code == 0);
    REQUIRE(easctl({"policy", "set", "device", kAlice, "PHONE1", "enforce=off", "AllowCamera=0"}).exit_code == 0);

    SECTION("show --json: the same as the table, as an object") {
        auto r = easctl({"--json", "policy", "show", "device", kAlice, "PHONE1"});
        REQUIRE(r.exit_code == 0);
        const std::string& j = r.out;
        CHECK(json_at(j, "$.target") == "device PHONE1 of alice@polstore.test");
        CHECK(json_at(j, "$.enforce") == "false");
        CHECK(json_at(j, "$.enforce_source") == "device");
        CHECK(json_at(j, "$.enforce_set_here") == "true");
        CHECK(json_at(j, "$.neutral_policy_sent") == "true");
        CHECK(json_at(j, "$.own.enforce") == "false");
        CHECK(json_at(j, "$.own.settings.AllowCamera") == "0");
        CHECK(json_at(j, "$.settings.size()") == std::to_string(policy::settings().size()));
        CHECK(json_at(j, "$.settings[0].name") == "DevicePasswordEnabled");
        const std::string length = "$.settings[*] ? (@.name == \"MinDevicePasswordLength\")";
        CHECK(json_at(j, length + ".value") == "6");
        CHECK(json_at(j, length + ".unit") == "characters");
        CHECK(json_at(j, length + ".source") == "domain");
        CHECK(json_at(j, length + ".set_here") == "false");
        CHECK(json_at(j, length + ".sent") == "false");
        CHECK(json_at(j, "$.settings[*] ? (@.name == \"RefreshIntervalHours\").server_side") == "true");
        CHECK(json_at(j, "$.fingerprint") == neutral_fingerprint());
        CHECK(json_at(j, "$.policy_status") == "none");
        CHECK(json_at(j, "$.acknowledged_fingerprint") == "");  // JSON null
        CHECK(json_at(j, "$.acknowledged_fingerprint.type()") == "null");
        CHECK(json_at(j, "$.fingerprint_matches") == "false");

        r = easctl({"--json", "policy", "show", "user", kAlice});
        REQUIRE(r.exit_code == 0);
        CHECK(json_at(r.out, "$.own.type()") == "null");
        CHECK(json_at(r.out, "$.enforce") == "true");
        CHECK(json_at(r.out, "$.settings[*] ? (@.name == \"MinDevicePasswordLength\").sent") == "true");
        CHECK(json_at(r.out, "$.fingerprint.type()") == "");  // no such member for a user
    }

    SECTION("set, unset and inherit --json") {
        auto r = easctl({"--json", "policy", "set", "user", kAlice, "MinDevicePasswordLength=1"});
        REQUIRE(r.exit_code == 0);
        CHECK(json_at(r.out, "$.ok") == "true");
        CHECK(has(json_at(r.out, "$.message"), "saved for user alice@polstore.test: MinDevicePasswordLength=2"));
        CHECK(json_at(r.out, "$.notes[0]") == "MinDevicePasswordLength 1 is below the minimum 2: using 2");
        CHECK(json_at(r.out, "$.own.settings.MinDevicePasswordLength") == "2");
        r = easctl({"--json", "policy", "unset", "user", kAlice, "MinDevicePasswordLength"});
        REQUIRE(r.exit_code == 0);
        CHECK(json_at(r.out, "$.own.type()") == "null");
        r = easctl({"--json", "policy", "inherit", "domain", "polstore.test"});
        REQUIRE(r.exit_code == 0);
        CHECK(json_at(r.out, "$.deleted") == "true");
    }

    SECTION("settings: every setting with kind, values, unit, default, first version and summary") {
        auto r = easctl({"policy", "settings"});
        REQUIRE(r.exit_code == 0);
        for (const policy::SettingSpec& spec : policy::settings()) CHECK(has(r.out, std::string(spec.name) + "  "));
        CHECK(row_of(r.out, "MinDevicePasswordLength") ==
              std::vector<std::string>{"MinDevicePasswordLength", "number", "2..18", "characters", "4", "12.0",
                                       "minimum password length"});
        CHECK(row_of(r.out, "RefreshIntervalHours")[2] == "1..9999 or off");
        CHECK(row_of(r.out, "RefreshIntervalHours")[5] == "server");
        CHECK(row_of(r.out, "AllowCamera")[5] == "12.1");

        r = easctl({"--json", "policy", "settings"});
        REQUIRE(r.exit_code == 0);
        CHECK(json_at(r.out, "$.size()") == std::to_string(policy::settings().size()));
        const std::string length = "$[*] ? (@.name == \"MinDevicePasswordLength\")";
        CHECK(json_at(r.out, length + ".min") == "2");
        CHECK(json_at(r.out, length + ".max") == "18");
        CHECK(json_at(r.out, length + ".since") == "12.0");
        CHECK(json_at(r.out, "$[*] ? (@.name == \"AllowBluetooth\").choices") == "[0, 1, 2]");
        CHECK(json_at(r.out, "$[*] ? (@.name == \"RefreshIntervalHours\").since.type()") == "null");
    }

    SECTION("unknown domains, users and devices: one line, exit 1") {
        for (const auto& target : std::vector<std::vector<std::string>>{
                 {"domain", "nosuch.test"},
                 {"user", "nobody@polstore.test"},
                 {"device", kAlice, "NOPE"},
                 {"device", kBob, "PHONE1"},
                 {"user", "not-an-address"},
             }) {
            for (const char* sub : {"show", "inherit"}) {
                std::vector<std::string> command = {"policy", sub};
                command.insert(command.end(), target.begin(), target.end());
                auto r = easctl(command);
                CHECK(r.exit_code == 1);
                CHECK(one_line(r.err));
                CHECK(r.out.empty());
            }
        }
        CHECK(easctl({"policy", "show", "domain", "nosuch.test"}).err == "easctl: unknown domain nosuch.test\n");
        CHECK(easctl({"policy", "set", "device", kAlice, "NOPE", "AllowCamera=0"}).err ==
              "easctl: no device NOPE for alice@polstore.test\n");
    }

    SECTION("usage errors: exit 64") {
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"policy"},
                 {"policy", "frobnicate"},
                 {"policy", "show", "domain"},
                 {"policy", "show", "device", kAlice},
                 {"policy", "show", "global", "extra"},
                 {"policy", "show", "--domain", "polstore.test"},
                 {"policy", "set", "user", kAlice},
                 {"policy", "set", "user", kAlice, "AllowCamera"},
                 {"policy", "set", "=0"},
                 {"policy", "unset", "user", kAlice},
                 {"policy", "inherit", "user", kAlice, "AllowCamera"},
                 {"policy", "settings", "extra"},
             }) {
            auto r = easctl(args);
            CHECK(r.exit_code == 64);
            // A command alone gets its usage after the one-line reason.
            CHECK((args.size() == 1 ? r.err.rfind("easctl: policy: missing command\nusage:", 0) == 0 : one_line(r.err)));
        }
    }
}

TEST_CASE("a known device's request reads its account and its device in one round trip each, and no policy row "
          "while the policies do not change", "[policy][store]") {
    PolicyFixture f;
    auto sql = session();
    // Warm: the first of each on a connection prepares its statement.
    store::find_login(*sql, kAlice);
    store::Device device = store::register_device(*sql, f.alice, "PHONE1", "", "", "");
    store::load_policy_levels(*sql, device.id);

    CHECK(round_trips(*sql, [&] { CHECK(store::find_login(*sql, kAlice)); }) == 1);
    // A device seen within the minute: one read, no write, and it brings the access facts and the
    // policy generation.
    CHECK(round_trips(*sql, [&] { device = store::register_device(*sql, f.alice, "PHONE1", "", "", ""); }) == 1);
    REQUIRE(device.access_facts);
    CHECK(device.access_facts->default_access == store::AccessAction::allow);
    CHECK_FALSE(device.access_facts->rule);

    store::PolicyLevelsCache cache;
    policy::PolicyLevels levels;
    CHECK(round_trips(*sql, [&] { levels = cache.get(*sql, device.id, device.policy_generation); }) == 1);
    CHECK_FALSE(levels[policy::kUser]);
    CHECK(round_trips(*sql, [&] { levels = cache.get(*sql, device.id, device.policy_generation); }) == 0);

    // Any change to the policies moves the generation on; the next read of the device sees it and
    // the cache reads the levels again.
    const long long before = device.policy_generation;
    PolicyFixture::row("user_id", f.alice, "true", "MinDevicePasswordLength=6\\n");
    device = store::register_device(*sql, f.alice, "PHONE1", "", "", "");
    CHECK(device.policy_generation > before);
    CHECK(round_trips(*sql, [&] { levels = cache.get(*sql, device.id, device.policy_generation); }) == 1);
    REQUIRE(levels[policy::kUser]);
    CHECK(policy::resolve(levels).enforce);
    // Rows that go with their owner (a cascaded delete) move it too.
    PolicyFixture::row("device_id", f.bob_phone, "true", "AllowCamera=0\\n");
    const long long with_bobs_row = store::register_device(*sql, f.alice, "PHONE1", "", "", "").policy_generation;
    psql("DELETE FROM users WHERE address = '" + std::string(kBob) + "'");
    CHECK(psql("SELECT count(*) FROM policies WHERE device_id = " + std::to_string(f.bob_phone)) == "0");
    CHECK(store::register_device(*sql, f.alice, "PHONE1", "", "", "").policy_generation > with_bobs_row);
}
