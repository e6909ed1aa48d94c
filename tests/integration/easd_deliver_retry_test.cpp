// easd-deliver retried by Postfix stores a message once (schema/020): the real binary, the real
// database. The failover case itself (COMMIT done, answer lost) is a delivery that committed and
// then runs again: what these tests do, without needing the failover.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include "store/db.h"
#include "store/deliveries.h"
#include "support/cluster.h"
#include "support/process.h"
#include "support/server.h"

using easd::test::run_process;
using easd::test::shared_cluster;

namespace {

easd::test::ProcessResult easctl(const std::vector<std::string>& args, const std::string& input = {}) {
    return easd::test::run_easctl(shared_cluster(), args, input);
}

// easd-deliver as Postfix runs it: with its queue id, or without (empty).
easd::test::ProcessResult deliver(const std::string& recipient, const std::string& message,
                                  const std::string& queue_id = {}) {
    std::vector<std::string> argv = {EASD_DELIVER_BIN, "--database", shared_cluster().conninfo()};
    if (!queue_id.empty()) {
        argv.push_back("--queue-id");
        argv.push_back(queue_id);
    }
    argv.push_back("--recipient");
    argv.push_back(recipient);
    return run_process(argv, message);
}

// A fresh account per call (each SECTION runs its test case again).
std::string new_user(const std::string& stem) {
    static int n = 0;
    easctl({"domain", "add", "retry.test"});
    std::string address = stem + std::to_string(++n) + "@retry.test";
    REQUIRE(easctl({"user", "add", address, "--password-stdin"}, "deliver-password\n").exit_code == 0);
    return address;
}

std::string message(const std::string& subject) {
    return "From: Alice <alice@example.com>\r\nTo: someone@retry.test\r\nSubject: " + subject +
           "\r\nMessage-ID: <" + subject + "@example.com>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nHello\r\n";
}

std::string uid(const std::string& address) {
    return "(SELECT id FROM users WHERE address = '" + address + "')";
}

int stored(const std::string& address) {
    return std::stoi(shared_cluster().psql("SELECT count(*) FROM items i JOIN emails e ON e.item_id = i.id "
                                           "WHERE i.user_id = " + uid(address)));
}

int keys(const std::string& address) {
    return std::stoi(shared_cluster().psql("SELECT count(*) FROM deliveries WHERE user_id = " + uid(address)));
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

// Waits until a session waits for a lock on its INSERT INTO deliveries (another delivery's key).
bool delivery_waits_for_lock() {
    for (int i = 0; i < 400; ++i) {
        if (shared_cluster().psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                  "AND query LIKE 'INSERT INTO deliveries%'") == "1")
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace

TEST_CASE("easd-deliver: the same queue id to the same recipient is stored once", "[cli][deliver][retry]") {
    const std::string user = new_user("queue");
    const std::string m = message("queued");

    auto first = deliver(user, m, "4BC3D2A1F0");
    REQUIRE(first.exit_code == 0);
    CHECK(stored(user) == 1);
    // Postfix retries (the COMMIT went through, the answer was lost): exit 0, nothing stored, one line.
    auto again = deliver(user, m, "4BC3D2A1F0");
    CHECK(again.exit_code == 0);
    CHECK(stored(user) == 1);
    CHECK(one_line(again.err));
    CHECK(again.err.find("already delivered to " + user + " (queue id 4BC3D2A1F0)") != std::string::npos);
    CHECK(keys(user) == 1);

    SECTION("another queue id with the same bytes is another delivery") {
        CHECK(deliver(user, m, "5CD4E3B2A1").exit_code == 0);
        CHECK(stored(user) == 2);
    }
    SECTION("a short queue id that came round again with another message is stored") {
        // Short queue ids are an inode number and microseconds: they repeat. The bytes are in the key.
        CHECK(deliver(user, message("later, same queue id"), "4BC3D2A1F0").exit_code == 0);
        CHECK(stored(user) == 2);
    }
    SECTION("a long queue id") {
        CHECK(deliver(user, m, "3Pt2mN2VXxznjll").exit_code == 0);
        CHECK(deliver(user, m, "3Pt2mN2VXxznjll").exit_code == 0);
        CHECK(stored(user) == 2);
    }
    SECTION("a queue id that is none: 64, nothing stored") {
        for (const char* bad : {"", "4BC3 D2A1", "../x", "4BC3D2A1F0;"}) {
            auto r = run_process({EASD_DELIVER_BIN, "--database", shared_cluster().conninfo(), "--queue-id", bad,
                                  "--recipient", user},
                                 message("bad id"));
            INFO(bad);
            CHECK(r.exit_code == 64);
            CHECK(one_line(r.err));
        }
        CHECK(stored(user) == 1);
    }
}

TEST_CASE("easd-deliver without a queue id: identical bytes to a user are stored once", "[cli][deliver][retry]") {
    const std::string user = new_user("bytes");
    const std::string m = message("identical");
    REQUIRE(deliver(user, m).exit_code == 0);
    auto again = deliver(user, m);
    CHECK(again.exit_code == 0);
    CHECK(stored(user) == 1);
    CHECK(again.err.find("already delivered to " + user + " (SHA-256 " + easd::store::delivery_key("", m) + ")") !=
          std::string::npos);

    // Different bytes (one header more) are another message.
    CHECK(deliver(user, "X-Spam-Score: 0\r\n" + m).exit_code == 0);
    CHECK(stored(user) == 2);
    // The same bytes to another user are that user's message.
    const std::string other = new_user("bytes-other");
    CHECK(deliver(other, m).exit_code == 0);
    CHECK(stored(other) == 1);
    CHECK(stored(user) == 2);
}

TEST_CASE("easd-deliver: one queue id for two recipients, each stored once", "[cli][deliver][retry]") {
    const std::string ann = new_user("ann"), bob = new_user("bob");
    const std::string m = message("to both");
    // One Postfix message, one run per recipient (easd_destination_recipient_limit = 1), each retried.
    for (int attempt = 0; attempt < 2; ++attempt)
        for (const auto& user : {ann, bob}) {
            auto r = deliver(user, m, "7E6F5A4B3C");
            INFO(user << " attempt " << attempt << ": " << r.err);
            CHECK(r.exit_code == 0);
        }
    CHECK(stored(ann) == 1);
    CHECK(stored(bob) == 1);

    // Several recipients in one run (the recipient limit not set): 64 naming the setting, nothing stored.
    auto r = run_process({EASD_DELIVER_BIN, "--database", shared_cluster().conninfo(), "--queue-id", "8F7A6B5C4D",
                          "--recipient", ann, bob},
                         message("two in one run"));
    CHECK(r.exit_code == 64);
    CHECK(one_line(r.err));
    CHECK(r.err.find("easd_destination_recipient_limit = 1") != std::string::npos);
    CHECK(stored(ann) == 1);
    CHECK(stored(bob) == 1);
}

TEST_CASE("easd-deliver writes the key and the message together", "[cli][deliver][retry]") {
    const std::string user = new_user("atomic");
    const std::string m = message("refused by the database");
    // The database refuses the message's row (a trigger of this test's own): the delivery fails
    // after its key was inserted, and the key goes with the rest.
    struct Trigger {
        Trigger() {
            shared_cluster().psql(
                "CREATE FUNCTION test_refuse_email() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.subject = 'refused by the database' THEN RAISE EXCEPTION 'refused for the test'; END IF; "
                "RETURN NEW; END $$; "
                "CREATE TRIGGER test_refuse_email BEFORE INSERT ON emails FOR EACH ROW EXECUTE FUNCTION test_refuse_email()");
        }
        ~Trigger() {
            shared_cluster().psql("DROP TRIGGER IF EXISTS test_refuse_email ON emails; "
                                  "DROP FUNCTION IF EXISTS test_refuse_email()");
        }
    };
    {
        Trigger refuse;
        auto r = deliver(user, m, "9A8B7C6D5E");
        INFO(r.err);
        CHECK(r.exit_code == 70);  // EX_SOFTWARE
        CHECK(one_line(r.err));  // PostgreSQL's message and its CONTEXT line, joined
        CHECK(r.err.find("refused for the test") != std::string::npos);
        CHECK(stored(user) == 0);
        CHECK(keys(user) == 0);
        CHECK(shared_cluster().psql("SELECT count(*) FROM items WHERE user_id = " + uid(user)) == "0");
    }
    // Postfix tries again once the cause is gone: stored now, once.
    CHECK(deliver(user, m, "9A8B7C6D5E").exit_code == 0);
    CHECK(deliver(user, m, "9A8B7C6D5E").exit_code == 0);
    CHECK(stored(user) == 1);
    CHECK(keys(user) == 1);
}

TEST_CASE("easd-deliver: two identical deliveries at once store one message", "[cli][deliver][retry]") {
    const std::string user = new_user("race");
    const std::string m = message("at once");

    SECTION("the other delivery commits: this one stores nothing and exits 0") {
        // The other delivery is this test's own transaction, holding the key uncommitted.
        auto sql = easd::store::open_session(shared_cluster().conninfo());
        soci::transaction other(*sql);
        REQUIRE(easd::store::claim_delivery(*sql, std::stoll(shared_cluster().psql("SELECT " + uid(user))),
                                            easd::store::delivery_key("", m)));
        easd::test::ProcessResult r;
        std::thread run([&] { r = deliver(user, m); });
        bool waited = delivery_waits_for_lock();
        other.commit();
        run.join();
        REQUIRE(waited);
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("already delivered") != std::string::npos);
        CHECK(stored(user) == 0);  // the other "delivery" stored no message: only its key
        CHECK(keys(user) == 1);
    }
    SECTION("the other delivery rolls back: this one stores the message") {
        auto sql = easd::store::open_session(shared_cluster().conninfo());
        soci::transaction other(*sql);
        REQUIRE(easd::store::claim_delivery(*sql, std::stoll(shared_cluster().psql("SELECT " + uid(user))),
                                            easd::store::delivery_key("", m)));
        easd::test::ProcessResult r;
        std::thread run([&] { r = deliver(user, m); });
        bool waited = delivery_waits_for_lock();
        other.rollback();
        run.join();
        REQUIRE(waited);
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        CHECK(stored(user) == 1);
        CHECK(keys(user) == 1);
    }
    SECTION("four processes at once") {
        std::vector<easd::test::ProcessResult> results(4);
        std::vector<std::thread> runs;
        for (auto& r : results) runs.emplace_back([&r, &user, &m] { r = deliver(user, m, "2C3D4E5F6A"); });
        for (auto& t : runs) t.join();
        for (const auto& r : results) {
            INFO(r.err);
            CHECK(r.exit_code == 0);
        }
        CHECK(stored(user) == 1);
        CHECK(keys(user) == 1);
    }
}

TEST_CASE("easd-deliver removes delivery keys older than 7 days", "[cli][deliver][retry]") {
    const std::string user = new_user("prune");
    shared_cluster().psql("INSERT INTO deliveries (user_id, delivery_key, delivered_at) VALUES "
                          "(" + uid(user) + ", 'old', now() - interval '8 days'), "
                          "(" + uid(user) + ", 'recent', now() - interval '6 days')");
    REQUIRE(deliver(user, message("prune")).exit_code == 0);
    CHECK(shared_cluster().psql("SELECT string_agg(delivery_key, ',' ORDER BY delivery_key) FROM deliveries WHERE "
                                "user_id = " + uid(user) + " AND delivery_key IN ('old', 'recent')") == "recent");
    CHECK(keys(user) == 2);

    // A deleted account's keys go with it.
    const std::string id = shared_cluster().psql("SELECT " + uid(user));
    shared_cluster().psql("DELETE FROM users WHERE id = " + id);
    CHECK(shared_cluster().psql("SELECT count(*) FROM deliveries WHERE user_id = " + id) == "0");
}
