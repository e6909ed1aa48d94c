// Guessing passwords through nginx, as an attacker would (issue 12): failed sign-ins get 401 a few
// times, then MS-ASHTTP's throttling answer (503 + Retry-After) without a password check, then a
// lockout; the owner's phone that synced before keeps syncing; `easctl lockout` shows and clears
// it; no password reaches a log. Two easd workers share the counts through PostgreSQL.
#include <thread>

#include "e2e_support.h"
#include "support/text.h"

using namespace e2e;

namespace {

// A server with small limits and no verified-login cache, so every request checks its password.
easd::test::EasServer::Options guarded_server() {
    easd::test::EasServer::Options o;
    o.workers = 2;
    o.config_lines = {"auth_cache_seconds = 0",     "login_free_failures = 3",   "login_lockout_failures = 6",
                      "login_max_delay = 2",        "login_lockout_seconds = 120", "address_free_failures = 12",
                      "address_lockout_failures = 1000"};
    return o;
}

// Every worker's count is in the shared database: leave none of this test's behind (the address
// key is 127.0.0.1, which every other test's clients use too).
struct ClearLoginFailures {
    ClearLoginFailures() { sql_one("DELETE FROM login_failures"); }
    ~ClearLoginFailures() { sql_one("DELETE FROM login_failures"); }
};

// OPTIONS as iOS sends it: with User, DeviceId and DeviceType, no Cmd.
EasResponse options_with_device(EasClient& c) {
    return c.raw("OPTIONS",
                 "/Microsoft-Server-ActiveSync?User=" + EasClient::url_encode(c.user()) + "&DeviceId=" + c.device_id() +
                     "&DeviceType=iPhone",
                 "", {{"Authorization", c.auth_header()}, {"MS-ASProtocolVersion", "14.1"}});
}

int retry_after(const EasResponse& r) { return r.header("retry-after").empty() ? -1 : std::stoi(r.header("retry-after")); }

}  // namespace

TEST_CASE("a password flood is slowed, then locked out; the owner's phone keeps syncing", "[e2e][login-limits]") {
    ClearLoginFailures clear;
    easd::test::EasServer guarded(cluster(), guarded_server());
    std::string user = new_user("guessed", "the right one");
    EasClient owner(guarded.http_port(), user, "the right one", "OWNERPHONE");
    REQUIRE_FALSE(folder_sync(owner).key.empty());

    auto guess = [&](int n) {
        EasClient attacker(guarded.http_port(), user, "guess-" + std::to_string(n) + "-xyzzy", "EVILPHONE");
        return attacker.command("FolderSync", nullptr);
    };
    CHECK(guess(1).status == 401);
    CHECK(guess(2).status == 401);
    CHECK(guess(3).status == 401);  // the 3rd failure: 1 s before the next check
    auto throttled = guess(4);
    CHECK(throttled.status == 503);
    CHECK(retry_after(throttled) >= 1);

    // The right password from a new phone is refused unchecked too, for the same while...
    EasClient new_phone(guarded.http_port(), user, "the right one", "NEWPHONE");
    CHECK(new_phone.options().status == 503);
    // ...but the phone that synced before is counted apart and keeps working.
    CHECK(options_with_device(owner).status == 200);
    CHECK_FALSE(folder_sync(owner).key.empty());

    // Waiting out each delay: 4th failure 2 s, 5th 2 s, 6th locks.
    int failures = 3;
    for (int n = 5; failures < 6 && n < 40; ++n) {
        auto r = guess(n);
        if (r.status == 503) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
        }
        CHECK(r.status == 401);
        ++failures;
    }
    REQUIRE(failures == 6);
    auto locked = guess(99);
    CHECK(locked.status == 503);
    CHECK(retry_after(locked) > 60);
    CHECK(new_phone.options().status == 503);
    CHECK_FALSE(folder_sync(owner).key.empty());

    auto list = easd::test::run_easctl(cluster(), {"--json", "lockout", "list"});
    REQUIRE(list.exit_code == 0);
    CHECK(easd::test::has(list.out, "\"key\":\"account:" + user + "\",\"failures\":6"));
    CHECK(easd::test::has(list.out, "\"locked\":true"));
    auto table = easd::test::run_easctl(cluster(), {"lockout", "list"});
    CHECK(easd::test::has(table.out, "locked "));

    auto cleared = easd::test::run_easctl(cluster(), {"lockout", "clear", user});
    CHECK(cleared.exit_code == 0);
    CHECK(easd::test::has(cleared.out, "cleared " + user));
    CHECK(new_phone.options().status == 200);

    // What the workers logged names the login and the address, never a password.
    std::string logs = guarded.easd_log(0) + guarded.easd_log(1);
    CHECK(easd::test::has(logs, "authentication failed for login \"" + user + "\" from 127.0.0.1"));
    CHECK(easd::test::has(logs, "locked for 120 s after 6 failures"));
    CHECK_FALSE(easd::test::has(logs, "xyzzy"));
    CHECK_FALSE(easd::test::has(logs, "the right one"));
}

TEST_CASE("one address guessing at many accounts is slowed down for strangers only", "[e2e][login-limits]") {
    ClearLoginFailures clear;
    easd::test::EasServer guarded(cluster(), guarded_server());
    std::string user = new_user("nat", "pass phrase");
    EasClient owner(guarded.http_port(), user, "pass phrase", "NATPHONE");
    REQUIRE_FALSE(folder_sync(owner).key.empty());

    // 12 different (mostly unknown) accounts from one address: each its first failure.
    for (int i = 0; i < 12; ++i) {
        EasClient spray(guarded.http_port(), "nobody" + std::to_string(i) + "@e2e.test", "123456", "SPRAY");
        CHECK(spray.options().status == 401);
    }
    EasClient next(guarded.http_port(), "nobody-else@e2e.test", "123456", "SPRAY");
    auto r = next.options();
    CHECK(r.status == 503);
    CHECK(retry_after(r) >= 1);
    // A real account from that address on a new device waits too; a known phone does not.
    EasClient stranger(guarded.http_port(), user, "pass phrase", "OTHERPHONE");
    CHECK(stranger.options().status == 503);
    CHECK_FALSE(folder_sync(owner).key.empty());
    auto cleared = easd::test::run_easctl(cluster(), {"lockout", "clear", "127.0.0.1"});
    CHECK(cleared.exit_code == 0);
    CHECK(stranger.options().status == 200);
}

TEST_CASE("A remembered sign-in stops counting the moment the password changes", "[e2e][login]") {
    // Sign-ins are remembered for auth_cache_seconds (15 min by default; an hour here), so a
    // phone's next request costs no password hash; the stored hash is compared on each request.
    easd::test::EasServer::Options o;
    o.config_lines = {"auth_cache_seconds = 3600"};
    easd::test::EasServer own(cluster(), o);
    std::string user = new_user("stamp", "first-password");
    EasClient old_password(own.http_port(), user, "first-password", "STAMP1");
    REQUIRE(old_password.options().status == 200);
    REQUIRE(old_password.options().status == 200);  // now from the cache

    auto r = easd::test::run_process({EASCTL_BIN, "--database", cluster().conninfo(), "user", "passwd", user,
                                      "--password-stdin"},
                                     "second-password\n");
    REQUIRE(r.exit_code == 0);
    CHECK(old_password.options().status == 401);
    CHECK(old_password.options().status == 401);  // forgotten, and checked again: still wrong
    EasClient new_password(own.http_port(), user, "second-password", "STAMP1");
    CHECK(new_password.options().status == 200);
    auto fs = folder_sync(new_password);
    CHECK(fs.ids.count("Inbox") == 1);
}
