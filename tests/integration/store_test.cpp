// Store behaviour on a real PostgreSQL: accounts, default folders, change tracking and the keyed
// sync state that SmartSync relies on.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "content/attachment.h"
#include "content/draft.h"
#include "content/message.h"
#include "content/message_limits.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/folders.h"
#include "store/mail.h"
#include "store/pq.h"
#include "store/sync_state.h"
#include "support/cluster.h"

using namespace easd;
using easd::test::shared_cluster;

namespace {

std::unique_ptr<soci::session> session() { return store::open_session(shared_cluster().conninfo()); }

std::string unique_address(const char* stem) {
    static std::atomic<int> n{0};
    return std::string(stem) + std::to_string(++n) + "-" + std::to_string(getpid()) + "@store.test";
}

store::User make_user(soci::session& sql, const char* stem) {
    try {
        store::add_domain(sql, "store.test");
    } catch (const store::InvalidRequest&) {
    }
    return store::add_user(sql, unique_address(stem), "pw");
}

long long deliver(soci::session& sql, const store::User& u, long long folder, const std::string& subject) {
    store::NewEmail e;
    e.mime = "Subject: " + subject + "\r\n\r\nbody\r\n";
    e.subject = subject;
    e.body_plain = "body";
    return store::insert_email(sql, u.id, folder, e);
}

long long device_for(soci::session& sql, const store::User& u) {
    long long id = 0;
    sql << "INSERT INTO devices (user_id, device_id) VALUES (:u, 'dev') RETURNING id", soci::use(u.id), soci::into(id);
    return id;
}

}  // namespace

TEST_CASE("new users get the standard folders with their EAS types", "[store]") {
    auto sql = session();
    auto u = make_user(*sql, "folders");
    auto folders = store::list_folders(*sql, u.id);
    std::map<std::string, int> types;
    for (const auto& f : folders) types[f.name] = f.type;
    CHECK(types == std::map<std::string, int>{{"Inbox", 2}, {"Drafts", 3}, {"Deleted Items", 4}, {"Sent Items", 5},
                                              {"Outbox", 6}, {"Junk E-mail", 12}, {"Contacts", 9}, {"Calendar", 8},
                                              {"Tasks", 7}, {"Notes", 10}});
}

TEST_CASE("passwords are stored hashed and verified", "[store]") {
    auto sql = session();
    auto u = make_user(*sql, "pw");
    // A password with characters outside crypt's base64 alphabet: a random salt or hash can
    // contain "pw" by chance (CI once saw it), never "pass word!".
    store::set_password(*sql, u.address, "pass word!");
    std::string hash;
    *sql << "SELECT password_hash FROM users WHERE id = :id", soci::use(u.id), soci::into(hash);
    CHECK(hash.rfind("$y$", 0) == 0);
    CHECK(hash.find("pass word!") == std::string::npos);
    CHECK(store::verify_password("pass word!", hash));
    CHECK_FALSE(store::verify_password("pass Word!", hash));
    CHECK_FALSE(store::verify_password("", hash));
    store::set_password(*sql, u.address, "new secret");
    auto login = store::find_login(*sql, u.address);
    REQUIRE(login);
    CHECK(store::verify_password("new secret", login->password_hash));
}

TEST_CASE("bad account input is refused with a reason", "[store]") {
    auto sql = session();
    CHECK_THROWS_AS(store::add_user(*sql, "no-at-sign", "pw"), store::InvalidRequest);
    CHECK_THROWS_AS(store::add_user(*sql, "someone@unknown-domain.test", "pw"), store::InvalidRequest);
    auto u = make_user(*sql, "dup");
    CHECK_THROWS_AS(store::add_user(*sql, u.address, "pw"), store::InvalidRequest);
    CHECK_THROWS_AS(store::add_user(*sql, unique_address("empty"), ""), store::InvalidRequest);
    CHECK_THROWS_AS(store::set_activesync(*sql, "ghost@store.test", false), store::InvalidRequest);
}

TEST_CASE("collect_changes reports adds, changes and deletes since a mark, in windows", "[store]") {
    auto sql = session();
    auto u = make_user(*sql, "changes");
    auto inbox = store::find_folder_by_name(*sql, u.id, "Inbox");
    auto trash = store::find_folder_by_name(*sql, u.id, "Deleted Items");
    REQUIRE(inbox);
    long long dev = device_for(*sql, u);
    std::vector<long long> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(deliver(*sql, u, inbox->id, "m" + std::to_string(i)));

    auto state = store::create_collection_state(*sql, dev, inbox->id);
    auto first = store::collect_changes(*sql, state, 0, 3, 2);
    REQUIRE(first.changes.size() == 3);
    CHECK(first.more_available);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(first.changes[i].kind == store::ItemChange::Kind::Add);
        CHECK(first.changes[i].item_id == ids[i]);
    }
    auto second = store::collect_changes(*sql, state, first.new_mark, 3, 3);
    REQUIRE(second.changes.size() == 2);
    CHECK_FALSE(second.more_available);
    auto none = store::collect_changes(*sql, state, second.new_mark, 100, 4);
    CHECK(none.changes.empty());
    CHECK(none.new_mark == second.new_mark);

    // A read flag change, a delete, a move out, and a new message.
    *sql << "UPDATE emails SET read = true WHERE item_id = :i", soci::use(ids[0]);
    *sql << "DELETE FROM items WHERE id = :i", soci::use(ids[1]);
    *sql << "UPDATE items SET folder_id = :t WHERE id = :i", soci::use(trash->id), soci::use(ids[2]);
    long long fresh = deliver(*sql, u, inbox->id, "new");
    auto inc = store::collect_changes(*sql, state, second.new_mark, 100, 4);
    REQUIRE(inc.changes.size() == 4);
    CHECK((inc.changes[0].kind == store::ItemChange::Kind::Change && inc.changes[0].item_id == ids[0]));
    CHECK((inc.changes[1].kind == store::ItemChange::Kind::Delete && inc.changes[1].item_id == ids[1]));
    CHECK((inc.changes[2].kind == store::ItemChange::Kind::Delete && inc.changes[2].item_id == ids[2]));
    CHECK((inc.changes[3].kind == store::ItemChange::Kind::Add && inc.changes[3].item_id == fresh));

    // An item that is moved away and back is a change, not a delete.
    store::commit_current_key(*sql, state);
    *sql << "UPDATE items SET folder_id = :t WHERE id = :i", soci::use(trash->id), soci::use(ids[3]);
    *sql << "UPDATE items SET folder_id = :f WHERE id = :i", soci::use(inbox->id), soci::use(ids[3]);
    auto back = store::collect_changes(*sql, state, inc.new_mark, 100, 5);
    REQUIRE(back.changes.size() == 1);
    CHECK((back.changes[0].kind == store::ItemChange::Kind::Change && back.changes[0].item_id == ids[3]));
}

TEST_CASE("another user's items never appear in a collection", "[store][security]") {
    auto sql = session();
    auto alice = make_user(*sql, "alice");
    auto bob = make_user(*sql, "bob");
    auto bob_inbox = store::find_folder_by_name(*sql, bob.id, "Inbox");
    long long bobs = deliver(*sql, bob, bob_inbox->id, "private");
    CHECK_FALSE(store::find_folder(*sql, alice.id, bob_inbox->id));
    CHECK(store::load_emails(*sql, alice.id, {bobs}, false).empty());
    CHECK(store::load_emails(*sql, bob.id, {bobs}, false).size() == 1);
}

TEST_CASE("rolling back the current key restores the held set of the previous key", "[store][smartsync]") {
    auto sql = session();
    auto u = make_user(*sql, "rollback");
    auto inbox = store::find_folder_by_name(*sql, u.id, "Inbox");
    long long dev = device_for(*sql, u);
    long long a = deliver(*sql, u, inbox->id, "a");
    auto state = store::create_collection_state(*sql, dev, inbox->id);
    auto r1 = store::collect_changes(*sql, state, 0, 100, 2);  // key 2 carries Add a
    REQUIRE(r1.changes.size() == 1);
    state.keys.previous_key = 1;
    state.keys.previous_mark = 0;
    state.keys.current_key = 2;
    state.keys.current_mark = r1.new_mark;
    store::save_collection_keys(*sql, state);

    // The device acknowledges key 2; then a is deleted and b arrives: key 3 carries both.
    store::commit_current_key(*sql, state);
    long long b = deliver(*sql, u, inbox->id, "b");
    *sql << "DELETE FROM items WHERE id = :i", soci::use(a);
    auto r2 = store::collect_changes(*sql, state, r1.new_mark, 100, 3);
    REQUIRE(r2.changes.size() == 2);
    state.keys.previous_key = 2;
    state.keys.previous_mark = r1.new_mark;
    state.keys.current_key = 3;
    state.keys.current_mark = r2.new_mark;

    // Key 3 is lost; the device repeats key 2: the same two changes come again.
    store::rollback_current_key(*sql, state);
    auto again = store::collect_changes(*sql, state, state.keys.previous_mark, 100, 3);
    REQUIRE(again.changes.size() == 2);
    CHECK((again.changes[0].kind == store::ItemChange::Kind::Add && again.changes[0].item_id == b));
    CHECK((again.changes[1].kind == store::ItemChange::Kind::Delete && again.changes[1].item_id == a));
}

TEST_CASE("sync keys parse only in our own form", "[store]") {
    CHECK_FALSE(store::SyncKey::parse("0"));
    CHECK_FALSE(store::SyncKey::parse(""));
    CHECK_FALSE(store::SyncKey::parse("abc-"));
    CHECK_FALSE(store::SyncKey::parse("-5"));
    CHECK_FALSE(store::SyncKey::parse("abc-0"));
    CHECK_FALSE(store::SyncKey::parse("abc-5x"));
    auto k = store::SyncKey::parse("0a1b2c3d4e5f-42");
    REQUIRE(k);
    CHECK(k->epoch == "0a1b2c3d4e5f");
    CHECK(k->n == 42);
    CHECK(k->str() == "0a1b2c3d4e5f-42");
}

TEST_CASE("a message with kMaxAttachments (50,000) attachments is stored with all of them, each reachable",
          "[store][limits]") {
    // At the limit (content/message_limits.h): one more and the message is refused whole
    // (cli_test.cpp, sendmail_test.cpp). Stored whole, also past the 9,999th (four-digit part
    // numbers before schema 017).
    auto sql = session();
    auto u = make_user(*sql, "manyparts");
    constexpr long long n = static_cast<long long>(content::kMaxAttachments);
    std::string mime = "Subject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
                       "--zz\r\nContent-Type: text/plain\r\n\r\nbody\r\n";
    for (long long i = 0; i < n; ++i)
        mime += "--zz\r\nContent-Type: application/octet-stream; name=a" + std::to_string(i) +
                ".bin\r\nContent-Disposition: attachment\r\n\r\npart" + std::to_string(i) + "\r\n";
    mime += "--zz--\r\n";
    auto parsed = content::parse_message(mime);
    REQUIRE(parsed);
    auto inbox = store::find_folder_by_name(*sql, u.id, "Inbox");
    REQUIRE(inbox);
    long long id = store::insert_email(*sql, u.id, inbox->id, content::email_from_parsed(mime, *parsed));
    long long rows = 0;
    *sql << "SELECT count(*) FROM email_attachments WHERE item_id = :i", soci::use(id), soci::into(rows);
    CHECK(rows == n);
    const std::string last_part = std::to_string(n + 1);  // part 1 is the text
    auto last = store::find_attachment(*sql, u.id, id, last_part);
    REQUIRE(last);
    CHECK(last->attachment.file_name == "a" + std::to_string(n - 1) + ".bin");
    CHECK(content::extract_attachment(mime, last_part) == std::optional<std::string>("part" + std::to_string(n - 1)));
}

TEST_CASE("the prepared reads of every request work again on a pooled connection the server dropped", "[store][database]") {
    std::string address;
    {
        auto sql = session();
        address = make_user(*sql, "prepared").address;
    }
    store::Database db(shared_cluster().conninfo(), 1);
    for (int round = 0; round < 3; ++round) {
        store::Database::Lease sql(db);
        // Inside a transaction, as a FolderSync or a Sync of changes runs them: a statement the
        // connection had not prepared would abort the transaction, not only the query.
        soci::transaction tr(*sql);
        auto found = store::find_login(*sql, address);
        REQUIRE(found);
        CHECK(found->user.address == address);
        CHECK(store::peek_hierarchy(*sql, found->user.id, -1).keys == std::nullopt);
        tr.commit();
        // The server ends the connection (a restart, an administrator): the lease reopens it, and
        // whatever was prepared on the old one must be prepared again on the new one.
        int pid = 0;
        *sql << "SELECT pg_backend_pid()", soci::into(pid);
        shared_cluster().psql("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
        for (int i = 0; i < 100; ++i) {
            if (shared_cluster().psql("SELECT count(*) FROM pg_stat_activity WHERE pid = " + std::to_string(pid)) == "0")
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
}

TEST_CASE("a write refused by a read-only server counts as the database being out of reach, not as a bug",
          "[store][database]") {
    // What a connection that reached a standby during a failover sees (SQLSTATE 25006); a session
    // set read-only gives the same error on any server.
    auto sql = session();
    *sql << "SET SESSION default_transaction_read_only = on";
    try {
        store::add_domain(*sql, "read-only.test");
        FAIL("a write went through a read-only session");
    } catch (const soci::soci_error& e) {
        CHECK(store::is_connection_error(e));
    }
    try {
        store::pq_query(*sql, "INSERT INTO domains (name) VALUES ('read-only.test')");
        FAIL("a write went through a read-only session");
    } catch (const store::QueryError& e) {
        CHECK(e.sqlstate == "25006");
        CHECK(e.connection_lost());
    }
    // A statement that is simply wrong stays a bug.
    *sql << "SET SESSION default_transaction_read_only = off";
    CHECK_THROWS_AS(store::pq_query(*sql, "SELECT no_such_column FROM domains"), store::QueryError);
    try {
        store::pq_query(*sql, "SELECT no_such_column FROM domains");
    } catch (const store::QueryError& e) {
        CHECK_FALSE(e.connection_lost());
    }
}

TEST_CASE("stored originals are read back byte for byte, in slices, every byte value included",
          "[store][originals]") {
    auto sql = session();
    auto u = make_user(*sql, "originals");
    auto inbox = store::find_folder_by_name(*sql, u.id, "Inbox");
    REQUIRE(inbox);
    // Every byte value (NUL, CR, LF, 0x80..0xFF) over a few of the 2 MiB slices the read takes,
    // ending inside one; and a second message read in the same query, so that slices of two
    // messages arrive together.
    auto every_byte = [](std::size_t size, unsigned start) {
        std::string s(size, '\0');
        for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i + start) & 0xff);
        return s;
    };
    const std::string big = "Subject: bytes\r\n\r\n" + every_byte((5u << 20) + 77, 0);
    const std::string other = "Subject: other\r\n\r\n" + every_byte((2u << 20) + 1, 200);
    store::NewEmail e;
    e.mime = big;
    e.subject = "bytes";
    e.has_attachments = true;
    store::EmailAttachment a;
    a.part_path = "1";
    a.file_name = "all.bin";
    a.content_type = "application/octet-stream";
    a.size = static_cast<long long>(big.size());
    e.attachments.push_back(a);
    long long id = store::insert_email(*sql, u.id, inbox->id, e);
    e.mime = other;
    e.attachments.clear();
    e.has_attachments = false;
    long long id2 = store::insert_email(*sql, u.id, inbox->id, e);
    e.mime = "";  // an empty original (the Dovecot store keeps it on the IMAP server) reads as empty
    long long id3 = store::insert_email(*sql, u.id, inbox->id, e);

    auto rows = store::load_emails(*sql, u.id, {id2, id, id3}, true);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].item_id == id2);
    CHECK(rows[0].mime.size() == other.size());
    CHECK(rows[0].mime == other);
    CHECK(rows[1].item_id == id);
    CHECK(rows[1].mime.size() == big.size());
    CHECK(rows[1].mime == big);
    CHECK(rows[1].attachments.size() == 1);
    CHECK(rows[2].mime.empty());
    CHECK(store::load_emails(*sql, u.id, {id}, false).at(0).mime.empty());  // not asked for

    auto found = store::find_attachment(*sql, u.id, id, "1");
    REQUIRE(found);
    CHECK(found->folder_id == inbox->id);
    CHECK(found->attachment.file_name == "all.bin");
    CHECK(found->mime == big);

    // Another user's item: nothing, not even its bytes.
    auto mallory = make_user(*sql, "originals-other");
    CHECK(store::load_emails(*sql, mallory.id, {id}, true).empty());
    CHECK_FALSE(store::find_attachment(*sql, mallory.id, id, "1"));

    // The connection serves the next query after the row-by-row read.
    CHECK(store::pq_query(*sql, "SELECT 1").int64(0, 0) == 1);
}

TEST_CASE("binary results read integers and booleans as the text form does", "[store][originals]") {
    auto sql = session();
    std::vector<std::string> seen;
    store::pq_for_each_row(*sql,
                           "SELECT -2::smallint, -70000::integer, -5000000000::bigint, 123::bigint, true, false, "
                           "'\\x00ff'::bytea, 'text'",
                           {}, [&](const store::PqResult& r) {
                               CHECK(r.int64(0, 0) == -2);
                               CHECK(r.int64(0, 1) == -70000);
                               CHECK(r.int64(0, 2) == -5000000000LL);
                               CHECK(r.int32(0, 3) == 123);
                               CHECK(r.boolean(0, 4));
                               CHECK_FALSE(r.boolean(0, 5));
                               seen.emplace_back(r.bytes(0, 6));
                               seen.emplace_back(r.text(0, 7));
                           });
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] == std::string("\0\xff", 2));
    CHECK(seen[1] == "text");

    // An error ends the call as a QueryError and leaves the connection usable; so does an
    // exception thrown for a row, after the rest of the rows were read.
    CHECK_THROWS_AS(store::pq_for_each_row(*sql, "SELECT 1/0", {}, [](const store::PqResult&) {}), store::QueryError);
    int calls = 0;
    CHECK_THROWS_AS(store::pq_for_each_row(*sql, "SELECT generate_series(1, 100)", {},
                                           [&](const store::PqResult&) {
                                               ++calls;
                                               throw std::runtime_error("stop");
                                           }),
                    std::runtime_error);
    CHECK(calls == 1);
    CHECK(store::pq_query(*sql, "SELECT 2").int64(0, 0) == 2);
}

// The stamping triggers take the user's lock before drawing a change number, so a user's changes
// become visible in number order: a Sync whose watermark passed change N+1 cannot later find an N
// that committed after it. Here a second delivery of the same user waits while the first is
// uncommitted; without the lock it would finish at once, draw the higher number, commit first, and
// a reader's watermark would pass the first delivery before it was visible.
TEST_CASE("a user's later change waits for an earlier uncommitted one, so a watermark never skips",
          "[store][sync]") {
    auto setup = session();
    auto u = make_user(*setup, "order");
    auto inbox = store::find_folder_by_name(*setup, u.id, "Inbox");
    REQUIRE(inbox);
    long long dev = device_for(*setup, u);
    auto state = store::create_collection_state(*setup, dev, inbox->id);

    auto first_writer = session();
    soci::transaction first(*first_writer);
    long long first_id = deliver(*first_writer, u, inbox->id, "first");

    std::atomic<bool> second_done{false};
    long long second_id = 0;
    std::thread second_writer([&] {
        auto sql = session();
        second_id = deliver(*sql, u, inbox->id, "second");  // autocommit
        second_done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK_FALSE(second_done.load());  // held by the first's lock
    auto reader = session();
    auto before = store::collect_changes(*reader, state, 0, 100, 2);
    CHECK(before.changes.empty());

    first.commit();
    second_writer.join();
    REQUIRE(second_done.load());
    auto after = store::collect_changes(*reader, state, before.new_mark, 100, 3);
    REQUIRE(after.changes.size() == 2);
    CHECK(after.changes[0].item_id == first_id);
    CHECK(after.changes[1].item_id == second_id);
}
