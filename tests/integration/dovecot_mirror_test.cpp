// The mirror of IMAP mailboxes (lib/dovecot/mirror.*) against a real Dovecot and a real
// PostgreSQL: what a mailbox holds appears in the rows Sync reads, and each kind of change on the
// IMAP side (new mail, flags, expunge, rename, delete, a UIDVALIDITY reset) becomes exactly the
// row change a phone needs: no duplicate, nothing lost.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <set>
#include <string>

#include "content/message_limits.h"
#include "dovecot/mirror.h"
#include "imap/imap_client.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/folders.h"
#include "store/items.h"
#include "store/mirror_state.h"
#include "support/cluster.h"
#include "support/dovecot_server.h"

using namespace easd;

namespace {

std::string message(int n, const std::string& subject_prefix = "Message") {
    return "From: Sender <sender@example.com>\r\nTo: ann@mirror.test\r\nSubject: " + subject_prefix + " " +
           std::to_string(n) + "\r\nMessage-ID: <m" + std::to_string(n) + "." + subject_prefix +
           "@example.com>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody " +
           std::to_string(n) + "\r\n";
}

// The server log (stderr) goes to a file while one lives, and back to where it went after.
class CapturedLog {
public:
    CapturedLog() : dir_(test::make_temp_dir("easd-log")) {
        std::fflush(stderr);
        saved_ = ::dup(2);
        int fd = ::open((dir_ + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        ::dup2(fd, 2);
        ::close(fd);
    }
    ~CapturedLog() {
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        test::remove_tree(dir_);
    }
    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;
    std::string text() const {
        std::fflush(stderr);
        return test::read_file(dir_ + "/stderr");
    }

private:
    std::string dir_;
    int saved_ = -1;
};

struct MirrorFixture {
    test::PgCluster& cluster = test::shared_cluster();
    test::DovecotServer dovecot;
    std::unique_ptr<soci::session> sql = store::open_session(cluster.conninfo());
    std::string address;
    store::User user;
    std::unique_ptr<imap::Connection> imap;   // the mirror's connection (master user)
    std::unique_ptr<imap::Connection> other;  // "another client" (Thunderbird, Roundcube)

    explicit MirrorFixture(const std::string& local) {
        static int n = 0;
        address = local + std::to_string(++n) + "@mirror.test";
        dovecot.add_user(address, "pw");
        user = store::ensure_external_user(*sql, address);
        imap = connect_as_master();
        other = imap::Connection::open(endpoint());
        other->login(address, "pw");
    }
    imap::Endpoint endpoint() const {
        imap::Endpoint ep;
        ep.port = dovecot.imap_port();
        return ep;
    }
    std::unique_ptr<imap::Connection> connect_as_master() const {
        auto c = imap::Connection::open(endpoint());
        c->login_as(address, dovecot.master_user(), dovecot.master_password());
        c->enable("QRESYNC");
        return c;
    }
    dovecot::Mirror mirror() { return dovecot::Mirror(*sql, *imap, user); }
    long long folder_of(const std::string& mailbox) {
        auto b = store::find_mailbox_binding(*sql, user.id, mailbox);
        REQUIRE(b);
        return b->folder_id;
    }
    std::string one(const std::string& query) { return cluster.psql(query); }
    std::string count_items(long long folder_id) {
        return one("SELECT count(*) FROM items WHERE folder_id = " + std::to_string(folder_id));
    }
    void catch_up(const std::string& mailbox) {
        auto b = store::find_mailbox_binding(*sql, user.id, mailbox);
        REQUIRE(b);
        mirror().catch_up_mailbox(*b);
    }
};

}  // namespace

TEST_CASE("A mailbox with 1,000 messages in 20 folders appears in the rows, once", "[dovecot][mirror]") {
    MirrorFixture f("big");
    for (int i = 0; i < 20; ++i) f.other->create("Projects/P" + std::to_string(i));
    for (int i = 0; i < 1000; ++i) {
        std::string box = i % 2 ? "INBOX" : "Projects/P" + std::to_string(i % 20);
        f.other->append(box, message(i), i % 3 == 0 ? std::vector<std::string>{"\\Seen"} : std::vector<std::string>{});
    }
    auto started = std::chrono::steady_clock::now();
    dovecot::CatchUpStats stats = f.mirror().catch_up_all();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    WARN("mirrored 1,000 messages in 21 folders in " << seconds << " s");
    CHECK(stats.added == 1000);
    CHECK(f.one("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id WHERE i.user_id = " +
                std::to_string(f.user.id)) == "1000");
    CHECK(f.one("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id WHERE e.read AND i.user_id = " +
                std::to_string(f.user.id)) == "334");
    // The defaults are bound by role (Dovecot's Sent, Trash, Drafts, Junk are SPECIAL-USE), the
    // rest are user mail folders under "Projects".
    CHECK(f.one("SELECT name FROM folders WHERE id = " + std::to_string(f.folder_of("INBOX"))) == "Inbox");
    CHECK(f.one("SELECT type FROM folders WHERE id = " + std::to_string(f.folder_of("Sent"))) == "5");
    CHECK(f.one("SELECT type FROM folders WHERE id = " + std::to_string(f.folder_of("Trash"))) == "4");
    CHECK(f.one("SELECT type FROM folders WHERE id = " + std::to_string(f.folder_of("Drafts"))) == "3");
    const long long projects = f.folder_of("Projects");
    CHECK(f.one("SELECT count(*) FROM folders WHERE parent_id = " + std::to_string(projects)) == "20");
    CHECK(f.count_items(f.folder_of("INBOX")) == "500");

    // A second catch-up with nothing changed changes nothing.
    long long before = std::stoll(f.one("SELECT last_value FROM change_seq"));
    dovecot::CatchUpStats again = f.mirror().catch_up_all();
    CHECK(again.added == 0);
    CHECK(again.changed == 0);
    CHECK(again.removed == 0);
    CHECK(again.folders_added == 0);
    CHECK(again.folders_changed == 0);
    CHECK(std::stoll(f.one("SELECT last_value FROM change_seq")) == before);
}

TEST_CASE("Flags, new mail and expunges made over IMAP reach the rows; only what changed is read",
          "[dovecot][mirror]") {
    MirrorFixture f("flags");
    for (int i = 0; i < 5; ++i) f.other->append("INBOX", message(i), {});
    f.mirror().catch_up_all();
    const long long inbox = f.folder_of("INBOX");
    REQUIRE(f.count_items(inbox) == "5");

    f.other->select("INBOX", false);
    f.other->store_flags("1", imap::Connection::FlagOp::Add, {"\\Seen", "\\Flagged", "ProjectX"});
    f.other->expunge("2");
    f.other->append("INBOX", message(99, "Late"), {"\\Seen"});
    f.catch_up("INBOX");

    CHECK(f.count_items(inbox) == "5");
    auto item_of_uid = [&](int uid) {
        return f.one("SELECT item_id FROM imap_messages WHERE folder_id = " + std::to_string(inbox) +
                     " AND uid = " + std::to_string(uid));
    };
    const std::string first = item_of_uid(1);
    CHECK(f.one("SELECT read FROM emails WHERE item_id = " + first) == "t");
    CHECK(f.one("SELECT flag IS NOT NULL FROM emails WHERE item_id = " + first) == "t");
    CHECK(f.one("SELECT position('ProjectX' in encode(categories, 'escape')) > 0 FROM emails WHERE item_id = " + first) ==
          "t");
    CHECK(item_of_uid(2).empty());
    CHECK(f.one("SELECT count(*) FROM item_tombstones WHERE folder_id = " + std::to_string(inbox)) == "1");
    CHECK(f.one("SELECT subject FROM emails e JOIN imap_messages m ON m.item_id = e.item_id WHERE m.folder_id = " +
                std::to_string(inbox) + " AND m.uid = 6") == "Late 99");

    // Flags taken away again.
    f.other->store_flags("1", imap::Connection::FlagOp::Remove, {"\\Seen", "\\Flagged", "ProjectX"});
    f.catch_up("INBOX");
    CHECK(f.one("SELECT read::text || (flag IS NULL)::text || (categories IS NULL)::text FROM emails WHERE item_id = " +
                first) == "falsetruetrue");
}

TEST_CASE("A renamed folder keeps its items; a deleted one goes with them", "[dovecot][mirror]") {
    MirrorFixture f("rename");
    f.other->create("Work");
    f.other->create("Work/2026");
    f.other->append("Work/2026", message(1), {});
    f.mirror().catch_up_all();
    const long long work = f.folder_of("Work");
    const long long year = f.folder_of("Work/2026");
    const std::string item = f.one("SELECT id FROM items WHERE folder_id = " + std::to_string(year));
    REQUIRE_FALSE(item.empty());

    f.other->create("Archive");
    f.other->rename("Work", "Archive/Work ünïcode");
    dovecot::CatchUpStats stats;
    f.mirror().catch_up_hierarchy(&stats);
    CHECK(stats.folders_removed == 0);
    CHECK(f.folder_of("Archive/Work ünïcode") == work);
    CHECK(f.folder_of("Archive/Work ünïcode/2026") == year);
    CHECK(f.one("SELECT name FROM folders WHERE id = " + std::to_string(work)) == "Work ünïcode");
    CHECK(f.one("SELECT parent_id FROM folders WHERE id = " + std::to_string(work)) ==
          std::to_string(f.folder_of("Archive")));
    CHECK(f.one("SELECT id FROM items WHERE folder_id = " + std::to_string(year)) == item);  // same item, no copy

    f.other->remove("Archive/Work ünïcode/2026");
    f.mirror().catch_up_hierarchy();
    CHECK(f.one("SELECT count(*) FROM folders WHERE id = " + std::to_string(year)) == "0");
    CHECK(f.one("SELECT count(*) FROM folder_tombstones WHERE folder_id = " + std::to_string(year)) == "1");
    CHECK(f.one("SELECT count(*) FROM item_tombstones WHERE item_id = " + item) == "1");
}

TEST_CASE("A UIDVALIDITY reset mirrors the mailbox again without duplicates", "[dovecot][mirror]") {
    MirrorFixture f("validity");
    f.other->create("Lists");
    for (int i = 0; i < 3; ++i) f.other->append("Lists", message(i), {});
    f.mirror().catch_up_all();
    const long long lists = f.folder_of("Lists");
    auto before = store::find_mailbox_binding(*f.sql, f.user.id, "Lists");
    REQUIRE(before);

    // Deleting and creating a mailbox of the same name gives it a new UIDVALIDITY.
    f.other->remove("Lists");
    f.other->create("Lists");
    for (int i = 0; i < 2; ++i) f.other->append("Lists", message(i + 10), {});
    f.catch_up("Lists");
    auto after = store::find_mailbox_binding(*f.sql, f.user.id, "Lists");
    REQUIRE(after);
    CHECK(after->uidvalidity != before->uidvalidity);
    CHECK(f.folder_of("Lists") == lists);
    CHECK(f.count_items(lists) == "2");
    CHECK(f.one("SELECT count(*) FROM item_tombstones WHERE folder_id = " + std::to_string(lists)) == "3");
}

TEST_CASE("After a UIDVALIDITY reset the mirror recognises its messages: same items, only real changes",
          "[dovecot][mirror][uidvalidity]") {
    MirrorFixture f("renumber");
    const long long when = 1795000000;  // one INTERNALDATE for both twins
    f.other->append("INBOX", message(1), {"\\Seen"});
    f.other->append("INBOX", message(2), {});
    f.other->append("INBOX", message(3), {});
    f.other->append("INBOX", message(4, "Twin"), {}, when);  // two copies of one message
    f.other->append("INBOX", message(4, "Twin"), {}, when);
    const std::string anonymous = "From: a@example.com\r\nSubject: No Message-ID\r\n\r\nanonymous\r\n";
    f.other->append("INBOX", anonymous, {});
    f.mirror().catch_up_all();
    const long long inbox = f.folder_of("INBOX");
    const std::string folder = std::to_string(inbox);
    REQUIRE(f.count_items(inbox) == "6");
    auto before = store::find_mailbox_binding(*f.sql, f.user.id, "INBOX");
    REQUIRE(before);
    // Each item's id and change number (items.modseq) by subject; the twins by item id.
    const std::string kept_before =
        f.one("SELECT string_agg(e.subject || '=' || i.id || '@' || i.modseq, ',' ORDER BY e.subject, i.id) "
              "FROM items i JOIN emails e ON e.item_id = i.id WHERE i.folder_id = " + folder +
              " AND e.subject NOT IN ('Message 2', 'Message 3')");
    const std::string third = f.one("SELECT e.item_id || '@' || i.modseq FROM emails e JOIN items i ON i.id = e.item_id "
                                    "WHERE i.folder_id = " + folder + " AND e.subject = 'Message 3'");

    // While the mirror looks away: one message expunged, one new, one flagged; then the mailbox is
    // renumbered under a new UIDVALIDITY.
    f.other->select("INBOX", false);
    f.other->expunge("2");
    f.other->store_flags("3", imap::Connection::FlagOp::Add, {"\\Flagged"});
    f.other->append("INBOX", message(7, "Late"), {});
    f.other.reset();
    f.imap.reset();
    f.dovecot.reset_uidvalidity(f.address);
    f.imap = f.connect_as_master();
    f.other = imap::Connection::open(f.endpoint());
    f.other->login(f.address, "pw");
    REQUIRE(f.other->select("INBOX", true).uidvalidity != before->uidvalidity);

    dovecot::CatchUpStats stats;
    auto m = f.mirror();
    for (const auto& b : m.catch_up_hierarchy())
        if (b.name == "INBOX") m.catch_up_mailbox(b, &stats);
    CHECK(stats.added == 1);
    CHECK(stats.removed == 1);
    CHECK(stats.changed == 1);
    auto after = store::find_mailbox_binding(*f.sql, f.user.id, "INBOX");
    REQUIRE(after);
    CHECK(after->uidvalidity != before->uidvalidity);

    // What did not change kept its item and its change number: the devices hear nothing of it.
    CHECK(f.one("SELECT string_agg(e.subject || '=' || i.id || '@' || i.modseq, ',' ORDER BY e.subject, i.id) "
                "FROM items i JOIN emails e ON e.item_id = i.id WHERE i.folder_id = " + folder +
                " AND e.subject NOT IN ('Message 2', 'Message 3', 'Late 7')") == kept_before);
    // The flagged one is the same item, changed; the expunged one left one tombstone; the new one is one item.
    const std::string third_item = third.substr(0, third.find('@'));
    CHECK(f.one("SELECT (flag IS NOT NULL)::text FROM emails WHERE item_id = " + third_item) == "true");
    CHECK(f.one("SELECT i.modseq::text <> '" + third.substr(third.find('@') + 1) + "' FROM items i WHERE i.id = " +
                third_item) == "t");
    CHECK(f.one("SELECT count(*) FROM item_tombstones WHERE folder_id = " + folder) == "1");
    CHECK(f.one("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id WHERE i.folder_id = " + folder +
                " AND e.subject = 'Message 2'") == "0");
    CHECK(f.one("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id WHERE i.folder_id = " + folder +
                " AND e.subject = 'Late 7'") == "1");
    CHECK(f.one("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id WHERE i.folder_id = " + folder +
                " AND e.subject = 'Twin 4'") == "2");
    CHECK(f.count_items(inbox) == "6");

    // Every item is bound to the UID its message has now: the server's list and the rows agree.
    imap::FetchItems items;
    items.modseq = false;
    items.header_only = true;
    std::multiset<std::string> server, rows;
    for (const auto& msg : f.other->fetch("1:*", items)) {
        REQUIRE(msg.body);
        auto at = msg.body->find("Subject: ");
        REQUIRE(at != std::string::npos);
        server.insert(std::to_string(msg.uid) + " " + msg.body->substr(at + 9, msg.body->find("\r\n", at) - at - 9));
    }
    const std::string bound = f.one("SELECT string_agg(m.uid || ' ' || e.subject, '|') FROM imap_messages m "
                                    "JOIN emails e ON e.item_id = m.item_id WHERE m.folder_id = " + folder);
    for (std::size_t at = 0; at <= bound.size();) {
        auto end = bound.find('|', at);
        if (end == std::string::npos) end = bound.size();
        rows.insert(bound.substr(at, end - at));
        at = end + 1;
    }
    CHECK(rows == server);

    // And the next catch-up finds nothing more to do.
    dovecot::CatchUpStats again;
    f.mirror().catch_up_mailbox(*after, &again);
    CHECK(again.added + again.removed + again.changed == 0);
}

TEST_CASE("A catch-up that sees a UID vanish does not delete the item a phone is moving meanwhile",
          "[dovecot][mirror]") {
    MirrorFixture f("race");
    f.other->create("Projects");
    f.other->append("INBOX", message(1), {});
    f.mirror().catch_up_all();
    const long long inbox = f.folder_of("INBOX");
    const long long projects = f.folder_of("Projects");
    const long long item = std::stoll(f.one("SELECT item_id FROM imap_messages WHERE folder_id = " + std::to_string(inbox)));

    // The phone's MoveItems: the item moves in its transaction, not committed yet...
    soci::transaction move(*f.sql);
    store::move_item(*f.sql, item, projects);
    store::rebind_mirrored_message(*f.sql, item, projects, 77);
    // ...while the INBOX catch-up learns that UID 1 vanished and deletes what it knew as UID 1.
    auto other = store::open_session(f.cluster.conninfo());
    auto deleted = std::async(std::launch::async, [&] { return store::delete_mirrored_messages(*other, inbox, {1}); });
    CHECK(deleted.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);  // waits for the move
    move.commit();
    CHECK(deleted.get() == 0);
    CHECK(f.one("SELECT folder_id FROM items WHERE id = " + std::to_string(item)) == std::to_string(projects));
}

TEST_CASE("One LIST tells the mirror which mailboxes changed (LIST-STATUS)", "[dovecot][mirror][list-status]") {
    MirrorFixture f("lou");
    REQUIRE(f.imap->has_capability("LIST-STATUS"));
    f.other->create("Projects");
    f.other->append("Projects", message(1), {}, 0);
    f.dovecot.deliver(f.address, message(2));
    auto m = f.mirror();
    m.catch_up_all();

    // Statuses come with the LIST, for selectable mailboxes only.
    auto listed = f.imap->list();
    bool saw_inbox = false;
    for (const auto& info : listed) {
        if (info.name != "INBOX") continue;
        saw_inbox = true;
        REQUIRE(info.status);
        CHECK(info.status->messages == 1);
        CHECK(info.status->uidvalidity != 0);
        CHECK(info.status->highestmodseq != 0);
    }
    CHECK(saw_inbox);

    // Caught up: both are as listed. A delivery to INBOX moves only INBOX.
    f.dovecot.deliver(f.address, message(3));
    auto again = f.mirror();
    std::map<std::string, bool> unchanged;
    for (const auto& b : again.catch_up_hierarchy()) unchanged[b.name] = again.unchanged_since_listed(b);
    CHECK(unchanged["Projects"]);
    CHECK(!unchanged["INBOX"]);
    // And catching up all of it fetches exactly the one new message.
    CHECK(again.catch_up_all().added == 1);
    CHECK(f.count_items(f.folder_of("INBOX")) == "2");
}

TEST_CASE("A message over the attachment limit is skipped with a log line; the mailbox mirrors on",
          "[dovecot][mirror][limits]") {
    MirrorFixture f("limits");
    std::string big = "From: Sender <sender@example.com>\r\nTo: ann@mirror.test\r\nSubject: Too many parts\r\n"
                      "Message-ID: <big@example.com>\r\nMIME-Version: 1.0\r\n"
                      "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nbody\r\n";
    for (std::size_t i = 0; i <= content::kMaxAttachments; ++i)
        big += "--zz\r\nContent-Type: application/octet-stream; name=a" + std::to_string(i) + ".bin\r\n\r\nx\r\n";
    big += "--zz--\r\n";
    f.other->append("INBOX", message(1), {});
    f.other->append("INBOX", big, {});
    f.other->append("INBOX", message(3), {});

    CapturedLog log;
    dovecot::CatchUpStats stats = f.mirror().catch_up_all();
    const std::string logged = log.text();
    INFO(logged);
    CHECK(stats.added == 2);
    const long long inbox = f.folder_of("INBOX");
    CHECK(f.count_items(inbox) == "2");
    CHECK(f.one("SELECT string_agg(e.subject, '|' ORDER BY m.uid) FROM emails e JOIN imap_messages m "
                "ON m.item_id = e.item_id WHERE m.folder_id = " + std::to_string(inbox)) == "Message 1|Message 3");
    CHECK(logged.find("message UID 2 of folder " + std::to_string(inbox) +
                      " not stored: too many attachments: more than 50000 in one message") != std::string::npos);

    // The next catch-up (a new message arrives) goes on from there.
    f.other->append("INBOX", message(4), {});
    f.catch_up("INBOX");
    CHECK(f.count_items(inbox) == "3");
}
