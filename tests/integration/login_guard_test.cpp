// Signing in against a real PostgreSQL (lib/auth/login_guard.h with the native store): what a
// failure costs, that refused-unchecked attempts check no password, that the counts are shared by
// every worker, and the keys a success clears.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include "auth/login_guard.h"
#include "mailstore/native_backend.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/login_failures.h"
#include "support/cluster.h"

using namespace easd;
using easd::test::shared_cluster;

namespace {

using Outcome = auth::SignIn::Outcome;

std::string fresh_address(const char* stem) {
    static std::atomic<int> n{0};
    return std::string(stem) + std::to_string(++n) + "-" + std::to_string(getpid()) + "@guard.test";
}

store::User make_user(soci::session& sql, const std::string& address) {
    try {
        store::add_domain(sql, "guard.test");
    } catch (const store::InvalidRequest&) {
    }
    return store::add_user(sql, address, "right password");
}

auth::LoginLimits small_limits() {
    auth::LoginLimits l;
    l.account = {2, 4};  // two at once, then 1 s, 2 s, then locked
    l.address = {1000, 100000};
    l.max_delay_seconds = 2;
    l.lockout_seconds = 600;
    return l;
}

}  // namespace

TEST_CASE("an unknown account costs a password check like a wrong password", "[auth][login-limits]") {
    store::Database db(shared_cluster().conninfo(), 2);
    mailstore::NativeBackend native;
    {
        store::Database::Lease sql(db);
        make_user(*sql, fresh_address("known"));
    }
    store::Database::Lease sql(db);
    auto before = store::password_checks();
    auto unknown = native.authenticate(*sql, fresh_address("nobody"), "a guess", "192.0.2.1");
    CHECK(unknown.outcome == mailstore::AuthResult::Outcome::Refused);
    CHECK(store::password_checks() == before + 1);
}

TEST_CASE("failed sign-ins are delayed, then locked, across workers, without checking passwords",
          "[auth][login-limits]") {
    store::Database db(shared_cluster().conninfo(), 4);
    mailstore::NativeBackend native;
    std::string address = fresh_address("guessed");
    store::User user;
    {
        store::Database::Lease sql(db);
        user = make_user(*sql, address);
    }
    // Two workers: two guards with their own caches, one database.
    auth::LoginGuard worker_a(db, native, small_limits(), std::chrono::seconds(0));
    auth::LoginGuard worker_b(db, native, small_limits(), std::chrono::seconds(0));
    auto attempt = [&](auth::LoginGuard& g, const std::string& password, const std::string& device = "STRANGER") {
        return g.sign_in({address, password, "198.51.100.7", device});
    };

    CHECK(attempt(worker_a, "guess 1").outcome == Outcome::Refused);
    CHECK(attempt(worker_b, "guess 2").outcome == Outcome::Refused);  // the 2nd failure: 1 s until the next check
    auto checks = store::password_checks();
    auto refused = attempt(worker_a, "right password");
    CHECK(refused.outcome == Outcome::Throttled);  // even the right password, unchecked
    CHECK(refused.retry_after_seconds >= 1);
    CHECK(attempt(worker_b, "guess 3").outcome == Outcome::Throttled);
    CHECK(store::password_checks() == checks);  // nothing was hashed

    {
        store::Database::Lease sql(db);
        auto blocks = store::blocked_logins(*sql, {store::account_login_key(address)});
        REQUIRE(blocks.size() == 1);
        CHECK(blocks[0].failures == 2);
        CHECK_FALSE(blocks[0].locked);
    }

    SECTION("a success after the delay clears the account's count") {
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        auto ok = attempt(worker_b, "right password");
        REQUIRE(ok.outcome == Outcome::Accepted);
        CHECK(ok.user->id == user.id);
        store::Database::Lease sql(db);
        auto rows = store::list_login_failures(*sql);
        CHECK(std::none_of(rows.begin(), rows.end(),
                           [&](const auto& r) { return r.key == store::account_login_key(address); }));
    }

    SECTION("a known device signs in while strangers are locked out; its success leaves the lockout") {
        {
            store::Database::Lease sql(db);
            *sql << "INSERT INTO devices (user_id, device_id) VALUES (:u, 'OWNERPHONE')", soci::use(user.id);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        CHECK(attempt(worker_a, "guess 3").outcome == Outcome::Refused);  // 3rd: 2 s
        std::this_thread::sleep_for(std::chrono::milliseconds(2100));
        CHECK(attempt(worker_b, "guess 4").outcome == Outcome::Refused);  // 4th: locked
        {
            store::Database::Lease sql(db);
            auto blocks = store::blocked_logins(*sql, {store::account_login_key(address)});
            REQUIRE(blocks.size() == 1);
            CHECK(blocks[0].locked);
            CHECK(blocks[0].retry_after_seconds > 500);
        }
        CHECK(attempt(worker_a, "right password", "NEWPHONE").outcome == Outcome::Throttled);
        auto owner = attempt(worker_a, "right password", "OWNERPHONE");
        CHECK(owner.outcome == Outcome::Accepted);
        CHECK(attempt(worker_b, "right password", "NEWPHONE").outcome == Outcome::Throttled);

        // Guessing through the known device's id is counted under that device.
        CHECK(attempt(worker_b, "guess 5", "OWNERPHONE").outcome == Outcome::Refused);
        CHECK(attempt(worker_b, "guess 6", "OWNERPHONE").outcome == Outcome::Refused);
        CHECK(attempt(worker_b, "right password", "OWNERPHONE").outcome == Outcome::Throttled);

        store::Database::Lease sql(db);
        CHECK(store::clear_account_login_failures(*sql, address) == 2);
        CHECK(attempt(worker_a, "right password", "NEWPHONE").outcome == Outcome::Accepted);
    }
}

TEST_CASE("password checks beyond the slots wait, then are turned away", "[auth][login-limits]") {
    auth::HashSlots slots(1);
    auto held = slots.acquire(std::chrono::milliseconds(0));
    REQUIRE(held);
    CHECK_FALSE(slots.acquire(std::chrono::milliseconds(20)));
    std::thread release([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        held.reset();
    });
    auto next = slots.acquire(std::chrono::seconds(10));  // woken by the release, not the timeout
    CHECK(next);
    release.join();
}
