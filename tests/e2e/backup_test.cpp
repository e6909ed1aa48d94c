// easctl backup / restore end to end: a database with users, mail and devices is backed up,
// restored into a new database on another PostgreSQL, easd is started on it, and the phone goes
// on syncing with the keys it had: nothing to resync, the same message bytes.
#include <set>

#include "e2e_support.h"
#include "support/process.h"
#include "support/text.h"

namespace tag = easd::wbxml::tag;
using namespace e2e;

namespace {

// 8-bit UTF-8 text, a binary attachment, CRLF line ends: bytes a careless copy would change.
std::string eight_bit_message(const std::string& to) {
    return "From: Sender <sender@example.com>\r\nTo: " + to +
           "\r\nSubject: bytes\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac 100\r\n--b1\r\nContent-Type: application/octet-stream\r\n"
           "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"blob.bin\"\r\n\r\n"
           "AAECAwQFBgcICf/+/fz7+g==\r\n--b1--\r\n";
}

// The item as ItemOperations serves it with MIME (BodyPreference 4): the Data bytes.
std::string fetch_mime(EasClient& c, const std::string& folder, const std::string& item) {
    auto body = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync' xmlns:B='AirSyncBase'><Fetch>"
                    "<Store>Mailbox</Store><A:CollectionId>" + folder + "</A:CollectionId><A:ServerId>" + item +
                    "</A:ServerId><Options><A:MIMESupport>2</A:MIMESupport><B:BodyPreference><B:Type>4"
                    "</B:Type></B:BodyPreference></Options></Fetch></ItemOperations>");
    auto r = c.command("ItemOperations", &body);
    const auto& fetch = first_fetch(r);
    REQUIRE(text_of(fetch, tag::ItemOperations::Status) == "1");
    const auto* props = fetch.child(tag::ItemOperations::Properties);
    REQUIRE(props);
    const auto* b = props->child(tag::AirSyncBase::Body);
    REQUIRE(b);
    return text_of(*b, tag::AirSyncBase::Data);
}

}  // namespace

TEST_CASE("backup, restore into a new database, start easd on it: the phone syncs on with its old keys",
          "[e2e][backup]") {
    const std::string user = new_user("backup");
    const std::string original = eight_bit_message(user);
    deliver(user, original);
    deliver(user, simple_message("second"));
    const std::string item = sql_one("SELECT i.id FROM items i JOIN emails e ON e.item_id = i.id JOIN users u ON "
                                     "u.id = i.user_id WHERE u.address = '" + user + "' AND e.subject = 'bytes'");
    const std::string stored_sql = "SELECT md5(e.mime) FROM emails e WHERE e.item_id = " + item;
    REQUIRE(sql_one(stored_sql) == sql_one("SELECT md5(decode('" + easd::test::hex(original) + "', 'hex'))"));

    EasClient phone = client(user, "KEEPER");
    Hierarchy h = folder_sync(phone);
    const std::string inbox = h.ids["Inbox"];
    EasResponse keep;
    auto first = sync(phone, inbox, "0", keep);
    auto full = sync(phone, inbox, first.key, keep);
    REQUIRE(full.status == "1");
    REQUIRE(full.adds.size() == 2);
    const std::string key = full.key;
    const std::string served_before = fetch_mime(phone, inbox, item);

    const std::string dir = easd::test::make_temp_dir("easd-backup");
    const std::string file = dir + "/easd.backup";
    auto r = easd::test::run_easctl(cluster(), {"--json", "backup", file});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("\"ok\":true") != std::string::npos);
    CHECK(easd::test::read_file(file).substr(0, 5) == "PGDMP");  // pg_dump's custom format
    CHECK(easd::test::read_file(file + ".partial").empty());
    // Never over an existing file.
    auto again = easd::test::run_easctl(cluster(), {"backup", file});
    CHECK(again.exit_code == 1);
    CHECK(again.err.find("exists") != std::string::npos);

    // A message after the backup: the restored database must not have it.
    deliver(user, simple_message("after the backup"));

    easd::test::PgCluster::Options empty;
    empty.migrate = false;  // a new, empty database `easd`
    easd::test::PgCluster other(empty);
    r = easd::test::run_easctl(other, {"restore", file});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("easd can start on it") != std::string::npos);
    // Only into an empty database.
    auto twice = easd::test::run_easctl(other, {"restore", file});
    CHECK(twice.exit_code == 1);
    CHECK(twice.err.find("already has") != std::string::npos);
    CHECK(other.psql(stored_sql) == sql_one(stored_sql));
    CHECK(other.psql("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id JOIN users u ON u.id = i.user_id "
                     "WHERE u.address = '" + user + "'") == "2");

    easd::test::EasServer restored(other, shared_options());
    EasClient same(restored.http_port(), user, "secret-pw", "KEEPER");
    // Its keys are valid there: nothing to resync, nothing new.
    CHECK(folder_sync_status(same, h.key) == "1");
    auto next = sync(same, inbox, key, keep);
    CHECK(next.status == "1");
    CHECK(next.adds.empty());
    CHECK(next.deletes.empty());
    // The same bytes, as stored and as served.
    CHECK(fetch_mime(same, inbox, item) == served_before);
    // And it goes on: new mail in the restored database reaches it.
    auto delivered = easd::test::run_process(
        {EASD_DELIVER_BIN, "--database", other.conninfo(), "--recipient", user}, simple_message("after restore"));
    REQUIRE(delivered.exit_code == 0);
    auto more = sync(same, inbox, next.key, keep);
    CHECK(more.status == "1");
    CHECK(more.adds.size() == 1);
    easd::test::remove_tree(dir);
}
