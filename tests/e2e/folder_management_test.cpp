// Folder management from the phone: FolderCreate, FolderUpdate, FolderDelete (MS-ASCMD 2.2.1.3,
// 2.2.1.6, 2.2.1.4) through nginx, every status, every version; the device's own change does not
// come back to it, every other device of the user sees it, and a waiting Ping answers 7. User
// folders of every class work with Sync, Ping, MoveItems, Search, GetItemEstimate and
// EmptyFolderContents.
#include <chrono>
#include <future>
#include <thread>

#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

struct FolderReply {
    int http = 0;
    std::string status, key, server_id;
};

FolderReply folder_command(EasClient& c, const std::string& cmd, const std::string& inner) {
    auto body = xml("<" + cmd + " xmlns='FolderHierarchy'>" + inner + "</" + cmd + ">");
    auto r = c.command(cmd, &body);
    FolderReply out;
    out.http = r.status;
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    out.status = text_of(*r.doc, tag::FolderHierarchy::Status);
    out.key = text_of(*r.doc, tag::FolderHierarchy::SyncKey);
    out.server_id = text_of(*r.doc, tag::FolderHierarchy::ServerId);
    return out;
}

FolderReply create(EasClient& c, const std::string& key, const std::string& parent, const std::string& name, int type) {
    return folder_command(c, "FolderCreate", "<SyncKey>" + key + "</SyncKey><ParentId>" + parent +
                                                 "</ParentId><DisplayName>" + name + "</DisplayName><Type>" +
                                                 std::to_string(type) + "</Type>");
}
FolderReply update(EasClient& c, const std::string& key, const std::string& id, const std::string& parent,
                   const std::string& name) {
    return folder_command(c, "FolderUpdate", "<SyncKey>" + key + "</SyncKey><ServerId>" + id + "</ServerId><ParentId>" +
                                                 parent + "</ParentId><DisplayName>" + name + "</DisplayName>");
}
FolderReply remove(EasClient& c, const std::string& key, const std::string& id) {
    return folder_command(c, "FolderDelete", "<SyncKey>" + key + "</SyncKey><ServerId>" + id + "</ServerId>");
}

// An incremental FolderSync: the new key and the changes, as "Add:<id>:<parent>:<name>:<type>",
// "Update:..." and "Delete:<id>", in the order of the response.
struct FolderDelta {
    std::string key;
    std::vector<std::string> changes;
};
FolderDelta folder_sync_from(EasClient& c, const std::string& key) {
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>" + key + "</SyncKey></FolderSync>");
    auto r = c.command("FolderSync", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    REQUIRE(text_of(*r.doc, tag::FolderHierarchy::Status) == "1");
    FolderDelta d;
    d.key = text_of(*r.doc, tag::FolderHierarchy::SyncKey);
    const auto* changes = r.doc->child(tag::FolderHierarchy::Changes);
    REQUIRE(changes);
    CHECK(text_of(*changes, tag::FolderHierarchy::Count) == std::to_string(changes->children.size() - 1));
    for (const auto& ch : changes->children) {
        if (ch.tag == tag::FolderHierarchy::Count) continue;
        std::string kind = ch.tag == tag::FolderHierarchy::Add ? "Add" : ch.tag == tag::FolderHierarchy::Update ? "Update" : "Delete";
        std::string s = kind + ":" + text_of(ch, tag::FolderHierarchy::ServerId);
        if (kind != "Delete")
            s += ":" + text_of(ch, tag::FolderHierarchy::ParentId) + ":" + text_of(ch, tag::FolderHierarchy::DisplayName) +
                 ":" + text_of(ch, tag::FolderHierarchy::Type);
        d.changes.push_back(s);
    }
    return d;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("FolderCreate/Update/Delete: the other device sees each change, the device itself does not get it back",
          "[e2e][folders]") {
    for (const char* version : {"2.5", "12.1", "14.1", "16.1"}) {
        INFO("version " << version);
        std::string user = new_user("fm");
        auto a = client(user, "PHONEA", version);
        auto b = client(user, "PHONEB", version);
        auto ha = folder_sync(a);
        auto hb = folder_sync(b);
        std::string inbox = ha.ids["Inbox"];

        auto made = create(a, ha.key, inbox, "Projects", 12);
        REQUIRE(made.status == "1");
        CHECK(!made.key.empty());
        CHECK(made.key != ha.key);
        REQUIRE(!made.server_id.empty());
        auto a1 = folder_sync_from(a, made.key);
        CHECK(a1.changes.empty());  // its own change
        auto b1 = folder_sync_from(b, hb.key);
        CHECK(b1.changes == Strings{"Add:" + made.server_id + ":" + inbox + ":Projects:12"});

        auto renamed = update(a, a1.key, made.server_id, inbox, "Projects 2026");
        REQUIRE(renamed.status == "1");
        CHECK(folder_sync_from(a, renamed.key).changes.empty());
        auto b2 = folder_sync_from(b, b1.key);
        CHECK(b2.changes == Strings{"Update:" + made.server_id + ":" + inbox + ":Projects 2026:12"});

        // Moved to the top level.
        auto moved = update(a, renamed.key, made.server_id, "0", "Projects 2026");
        REQUIRE(moved.status == "1");
        auto b3 = folder_sync_from(b, b2.key);
        CHECK(b3.changes == Strings{"Update:" + made.server_id + ":0:Projects 2026:12"});

        auto gone = remove(a, moved.key, made.server_id);
        REQUIRE(gone.status == "1");
        CHECK(!gone.key.empty());
        CHECK(folder_sync_from(a, gone.key).changes.empty());
        auto b4 = folder_sync_from(b, b3.key);
        CHECK(b4.changes == Strings{"Delete:" + made.server_id});
        // Nothing more for either.
        CHECK(folder_sync_from(b, b4.key).changes.empty());
    }
}

TEST_CASE("A device's own change is kept from it even when another device changed the hierarchy first",
          "[e2e][folders]") {
    std::string user = new_user("fmmix");
    auto a = client(user, "MIXA");
    auto b = client(user, "MIXB");
    auto ha = folder_sync(a);
    auto hb = folder_sync(b);
    auto from_b = create(b, hb.key, "0", "From B", 12);
    REQUIRE(from_b.status == "1");
    auto from_a = create(a, ha.key, "0", "From A", 12);  // a has not seen b's folder yet
    REQUIRE(from_a.status == "1");
    auto a1 = folder_sync_from(a, from_a.key);
    CHECK(a1.changes == Strings{"Add:" + from_b.server_id + ":0:From B:12"});
    // b deletes a's folder: a learns it, although it never saw the folder in a FolderSync.
    auto b1 = folder_sync_from(b, from_b.key);
    CHECK(b1.changes == Strings{"Add:" + from_a.server_id + ":0:From A:12"});
    REQUIRE(remove(b, b1.key, from_a.server_id).status == "1");
    CHECK(folder_sync_from(a, a1.key).changes == Strings{"Delete:" + from_a.server_id});
}

TEST_CASE("Folder commands answer every status", "[e2e][folders][status]") {
    std::string user = new_user("fmstatus");
    auto c = client(user, "STAT", "14.1");
    auto h = folder_sync(c);
    std::string key = h.key;
    std::string inbox = h.ids["Inbox"];
    auto other = client(new_user("fmstatus-other"), "OTHER");
    auto ho = folder_sync(other);

    auto sub = create(c, key, inbox, "Sub", 12);
    REQUIRE(sub.status == "1");
    key = sub.key;
    auto sub2 = create(c, key, inbox, "Sub 2", 12);
    REQUIRE(sub2.status == "1");
    key = sub2.key;
    auto child = create(c, key, sub.server_id, "Child", 12);
    REQUIRE(child.status == "1");
    key = child.key;

    SECTION("FolderCreate") {
        CHECK(create(c, key, inbox, "sub", 12).status == "2");          // the name is taken (case ignored)
        CHECK(create(c, key, "0", "INBOX", 12).status == "2");          // a default folder's name
        CHECK(create(c, key, "987654321", "X", 12).status == "5");      // no such parent
        CHECK(create(c, key, ho.ids["Inbox"], "X", 12).status == "5");  // another user's folder
        CHECK(create(c, key, inbox, "X", 2).status == "10");            // not a type a user creates
        CHECK(create(c, key, inbox, "", 12).status == "10");            // no name
        CHECK(folder_command(c, "FolderCreate", "<SyncKey>" + key + "</SyncKey><ParentId>0</ParentId><Type>12</Type>")
                  .status == "10");
        CHECK(folder_command(c, "FolderCreate", "<ParentId>0</ParentId><DisplayName>X</DisplayName><Type>12</Type>")
                  .status == "10");
        CHECK(create(c, "bogus-1", inbox, "X", 12).status == "9");
        auto nine = create(c, h.key + "x", inbox, "X", 12);
        CHECK(nine.status == "9");
        CHECK(nine.key.empty());
        CHECK(nine.server_id.empty());
        // Nothing was created by any of them.
        CHECK(sql_one("SELECT count(*) FROM folders f JOIN users u ON u.id = f.user_id WHERE u.address = '" + user +
                      "' AND f.name = 'X'") == "0");
    }
    SECTION("FolderUpdate") {
        CHECK(update(c, key, inbox, "0", "Post").status == "2");                 // a special folder
        CHECK(update(c, key, sub2.server_id, inbox, "SUB").status == "2");       // the name is taken
        CHECK(update(c, key, "987654321", inbox, "X").status == "4");            // no such folder
        CHECK(update(c, key, ho.ids["Inbox"], "0", "X").status == "4");          // another user's
        CHECK(update(c, key, sub.server_id, "987654321", "Sub").status == "5");  // no such parent
        CHECK(update(c, key, sub.server_id, child.server_id, "Sub").status == "10");  // under its own child
        CHECK(update(c, key, sub.server_id, sub.server_id, "Sub").status == "10");    // under itself
        CHECK(update(c, "nope", sub.server_id, inbox, "Y").status == "9");
        CHECK(folder_command(c, "FolderUpdate", "<ServerId>" + sub.server_id + "</ServerId><DisplayName>Y</DisplayName>")
                  .status == "10");
        CHECK(sql_one("SELECT name FROM folders WHERE id = " + sub.server_id) == "Sub");
        // A rename without ParentId (as some phones send it) keeps the parent.
        auto renamed = folder_command(c, "FolderUpdate", "<SyncKey>" + key + "</SyncKey><ServerId>" + sub.server_id +
                                                             "</ServerId><DisplayName>Renamed</DisplayName>");
        CHECK(renamed.status == "1");
        CHECK(sql_one("SELECT name || ':' || parent_id FROM folders WHERE id = " + sub.server_id) == "Renamed:" + inbox);
    }
    SECTION("FolderDelete") {
        CHECK(remove(c, key, inbox).status == "3");
        CHECK(remove(c, key, h.ids["Contacts"]).status == "3");
        CHECK(remove(c, key, "987654321").status == "4");
        CHECK(remove(c, key, ho.ids["Inbox"]).status == "4");
        CHECK(remove(c, key, "abc").status == "4");
        CHECK(remove(c, "7-1", sub.server_id).status == "9");
        CHECK(folder_command(c, "FolderDelete", "<SyncKey>" + key + "</SyncKey>").status == "10");
        CHECK(sql_one("SELECT count(*) FROM folders WHERE id = " + sub.server_id) == "1");
    }
    SECTION("a server error is status 6 and leaves nothing half-written") {
        // A fault injected in the database: inserting or renaming to this name fails.
        sql_one("CREATE OR REPLACE FUNCTION e2e_fail_folder() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'injected failure'; END $$");
        sql_one("CREATE TRIGGER e2e_fail_folder BEFORE INSERT OR UPDATE ON folders FOR EACH ROW "
                "WHEN (NEW.name = 'explode') EXECUTE FUNCTION e2e_fail_folder()");
        auto six = create(c, key, inbox, "explode", 12);
        auto six_u = update(c, key, sub.server_id, inbox, "explode");
        sql_one("DROP TRIGGER e2e_fail_folder ON folders");
        CHECK(six.status == "6");
        CHECK(six.key.empty());
        CHECK(six_u.status == "6");
        // The key is still good: nothing was recorded.
        auto ok = create(c, key, inbox, "fine", 12);
        CHECK(ok.status == "1");
    }
}

TEST_CASE("FolderDelete removes items and subfolders; other devices get children first; easd-deliver --folder PATH",
          "[e2e][folders]") {
    std::string user = new_user("fmtree");
    auto a = client(user, "TREEA");
    auto b = client(user, "TREEB");
    auto ha = folder_sync(a);
    auto hb = folder_sync(b);
    auto p = create(a, ha.key, ha.ids["Inbox"], "Lists", 12);
    REQUIRE(p.status == "1");
    auto ch = create(a, p.key, p.server_id, "easd", 12);
    REQUIRE(ch.status == "1");
    auto b1 = folder_sync_from(b, hb.key);
    REQUIRE(b1.changes.size() == 2);  // parent before child
    CHECK(b1.changes[0].rfind("Add:" + p.server_id + ":", 0) == 0);

    auto r = easd::test::run_process({EASD_DELIVER_BIN, "--database", cluster().conninfo(), "--recipient", user,
                                      "--folder", "inbox/Lists/easd"},
                                     simple_message("list mail"));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    EasResponse k;
    auto s0 = sync(b, ch.server_id, "0", k);
    auto s1 = sync(b, ch.server_id, s0.key, k);
    CHECK(s1.status == "1");
    CHECK(s1.adds.size() == 1);
    CHECK(sql_one("SELECT count(*) FROM items WHERE folder_id = " + ch.server_id) == "1");

    auto gone = remove(a, ch.key, p.server_id);
    REQUIRE(gone.status == "1");
    CHECK(sql_one("SELECT count(*) FROM items WHERE folder_id = " + ch.server_id) == "0");
    CHECK(sql_one("SELECT count(*) FROM folders WHERE id IN (" + p.server_id + "," + ch.server_id + ")") == "0");
    CHECK(folder_sync_from(b, b1.key).changes == Strings{"Delete:" + ch.server_id, "Delete:" + p.server_id});
    CHECK(folder_sync_from(a, gone.key).changes.empty());
    // b's Sync of the deleted folder: the hierarchy changed (status 12).
    CHECK(sync(b, ch.server_id, s1.key, k).status == "12");
    // Delivery into a folder that is gone: Postfix keeps the message and retries.
    r = easd::test::run_process({EASD_DELIVER_BIN, "--database", cluster().conninfo(), "--recipient", user, "--folder",
                                 "Inbox/Lists/easd"},
                                simple_message("too late"));
    CHECK(r.exit_code == 75);
    CHECK(r.err.find("Inbox/Lists/easd") != std::string::npos);
}

TEST_CASE("User folders of every class: Sync, GetItemEstimate, MoveItems, Search, EmptyFolderContents",
          "[e2e][folders][classes]") {
    std::string user = new_user("fmclass");
    auto c = client(user, "CLS", "16.1");
    auto h = folder_sync(c);
    std::string key = h.key;
    struct Case {
        int type;
        const char* parent;
        const char* cls;
        std::string data;
    };
    std::vector<Case> cases = {
        {13, "Calendar", "Calendar",
         "<ApplicationData xmlns:C='Calendar' xmlns:B='AirSyncBase'><C:Subject>Trip</C:Subject>"
         "<C:StartTime>20261201T100000Z</C:StartTime><C:EndTime>20261201T110000Z</C:EndTime>"
         "<C:TimeZone>xP///1cALgAgAEUAdQByAG8AcABlACAAUwB0AGEAbgBkAGEAcgBkACAAVABpAG0AZQAAAAAAAAAAAAAAAAAAAAAAAAAAAAoAAAAFAAMAAAAAAAAAAAAAAFcA"
         "LgAgAEUAdQByAG8AcABlACAARABhAHkAbABpAGcAaAB0ACAAVABpAG0AZQAAAAAAAAAAAAAAAAAAAAAAAAAAAAMAAAAFAAIAAAAAAAAAxP///w==</C:TimeZone>"
         "<C:BusyStatus>2</C:BusyStatus><C:Sensitivity>0</C:Sensitivity><C:MeetingStatus>0</C:MeetingStatus>"
         "<C:AllDayEvent>0</C:AllDayEvent></ApplicationData>"},
        {14, "Contacts", "Contacts",
         "<ApplicationData xmlns:C='Contacts'><C:FileAs>Work contact</C:FileAs><C:FirstName>Ann</C:FirstName></ApplicationData>"},
        {15, "Tasks", "Tasks", "<ApplicationData xmlns:T='Tasks'><T:Subject>Do it</T:Subject><T:Complete>0</T:Complete></ApplicationData>"},
        {17, "Notes", "Notes",
         "<ApplicationData xmlns:N='Notes' xmlns:B='AirSyncBase'><N:Subject>Idea</N:Subject><B:Body><B:Type>1</B:Type>"
         "<B:Data>text</B:Data></B:Body></ApplicationData>"},
    };
    for (const auto& t : cases) {
        INFO("type " << t.type);
        auto made = create(c, key, h.ids[t.parent], std::string("My ") + t.cls, t.type);
        REQUIRE(made.status == "1");
        key = made.key;
        CHECK(sql_one("SELECT item_class FROM folders WHERE id = " + made.server_id) == t.cls);
        EasResponse k;
        auto s0 = sync(c, made.server_id, "0", k);
        REQUIRE(s0.status == "1");
        auto s1 = sync(c, made.server_id, s0.key, k, "<Commands><Add><ClientId>c1</ClientId>" + t.data + "</Add></Commands>");
        CHECK(s1.status == "1");
        CHECK(sql_one("SELECT count(*) FROM items WHERE folder_id = " + made.server_id) == "1");
        std::string item = sql_one("SELECT id FROM items WHERE folder_id = " + made.server_id);
        // MoveItems to the default folder of the class and back.
        auto mv = xml("<MoveItems xmlns='Move'><Move><SrcMsgId>" + item + "</SrcMsgId><SrcFldId>" + made.server_id +
                      "</SrcFldId><DstFldId>" + h.ids[t.parent] + "</DstFldId></Move></MoveItems>");
        auto mr = c.command("MoveItems", &mv);
        REQUIRE(mr.doc);
        CHECK(text_of(*mr.doc->child(tag::Move::Response), tag::Move::Status) == "3");
        auto back = xml("<MoveItems xmlns='Move'><Move><SrcMsgId>" + item + "</SrcMsgId><SrcFldId>" + h.ids[t.parent] +
                        "</SrcFldId><DstFldId>" + made.server_id + "</DstFldId></Move></MoveItems>");
        mr = c.command("MoveItems", &back);
        REQUIRE(mr.doc);
        CHECK(text_of(*mr.doc->child(tag::Move::Response), tag::Move::Status) == "3");
        // Another device: GetItemEstimate, then Sync, sees the item in the user folder.
        auto d = client(user, std::string("CLS2") + t.cls, "16.1");
        folder_sync(d);
        EasResponse dk;
        auto d0 = sync(d, made.server_id, "0", dk);
        auto est = xml("<GetItemEstimate xmlns='GetItemEstimate' xmlns:A='AirSync'><Collections><Collection>"
                       "<A:SyncKey>" + d0.key + "</A:SyncKey><CollectionId>" + made.server_id +
                       "</CollectionId></Collection></Collections></GetItemEstimate>");
        auto er = d.command("GetItemEstimate", &est);
        REQUIRE(er.doc);
        const auto* ec = er.doc->child(tag::GetItemEstimate::Response)->child(tag::GetItemEstimate::Collection);
        REQUIRE(ec);
        CHECK(text_of(*ec, tag::GetItemEstimate::Estimate) == "1");
        auto d1 = sync(d, made.server_id, d0.key, dk);
        CHECK(d1.adds.size() == 1);
        // EmptyFolderContents on the user folder.
        auto empty = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync'><EmptyFolderContents><A:CollectionId>" +
                         made.server_id + "</A:CollectionId></EmptyFolderContents></ItemOperations>");
        auto ir = c.command("ItemOperations", &empty);
        REQUIRE(ir.doc);
        CHECK(text_of(*ir.doc->child(tag::ItemOperations::Response)->child(tag::ItemOperations::EmptyFolderContents),
                      tag::ItemOperations::Status) == "1");
        CHECK(sql_one("SELECT count(*) FROM items WHERE folder_id = " + made.server_id) == "0");
        CHECK(sync(d, made.server_id, d1.key, dk).deletes.size() == 1);
    }
    // Journal folders can be created and listed (EAS carries no journal items).
    auto journal = create(c, key, "0", "Journal", 16);
    CHECK(journal.status == "1");
    key = journal.key;

    // A user mail folder: mail moved there is found by Search in that folder.
    auto mail = create(c, key, h.ids["Inbox"], "Receipts", 12);
    REQUIRE(mail.status == "1");
    deliver(user, simple_message("Receipt 42", "paid"));
    std::string msg = sql_one("SELECT i.id FROM items i JOIN emails e ON e.item_id = i.id JOIN users u ON u.id = i.user_id "
                              "WHERE u.address = '" + user + "' AND e.subject = 'Receipt 42'");
    auto mv = xml("<MoveItems xmlns='Move'><Move><SrcMsgId>" + msg + "</SrcMsgId><SrcFldId>" + h.ids["Inbox"] +
                  "</SrcFldId><DstFldId>" + mail.server_id + "</DstFldId></Move></MoveItems>");
    auto mr = c.command("MoveItems", &mv);
    REQUIRE(mr.doc);
    CHECK(text_of(*mr.doc->child(tag::Move::Response), tag::Move::Status) == "3");
    auto search = xml("<Search xmlns='Search' xmlns:A='AirSync'><Store><Name>Mailbox</Name><Query><And>"
                      "<A:Class>Email</A:Class><A:CollectionId>" + mail.server_id + "</A:CollectionId>"
                      "<FreeText>Receipt</FreeText></And></Query><Options><Range>0-9</Range></Options></Store></Search>");
    auto sr = c.command("Search", &search);
    REQUIRE(sr.doc);
    const auto* st = sr.doc->child(tag::Search::Response)->child(tag::Search::Store);
    REQUIRE(st);
    CHECK(text_of(*st, tag::Search::Status) == "1");
    auto results = st->children_of(tag::Search::Result);
    REQUIRE(results.size() == 1);
    CHECK(text_of(*results[0], tag::AirSync::CollectionId) == mail.server_id);
}

TEST_CASE("A waiting Ping answers 7 when another device changes the hierarchy, not for the device's own change",
          "[e2e][folders][push]") {
    std::string user = new_user("fmping");
    auto a = client(user, "PINGA");
    auto b = client(user, "PINGB");
    auto ha = folder_sync(a);
    auto hb = folder_sync(b);
    for (auto* p : {&a, &b}) {  // each holds its Inbox
        EasResponse k;
        auto& h = p == &a ? ha : hb;
        auto s = sync(*p, h.ids["Inbox"], "0", k);
        sync(*p, h.ids["Inbox"], s.key, k);
    }
    auto ping = [](EasClient& c, const std::string& folder, int heartbeat) {
        auto body = xml("<Ping xmlns='Ping'><HeartbeatInterval>" + std::to_string(heartbeat) +
                        "</HeartbeatInterval><Folders><Folder><Id>" + folder + "</Id><Class>Email</Class></Folder>"
                        "</Folders></Ping>");
        auto r = c.command("Ping", &body);
        REQUIRE(r.doc);
        return text_of(*r.doc, tag::Ping::Status);
    };
    // b waits; a creates a folder: b is told at once to run FolderSync.
    auto waiting = std::async(std::launch::async, [&] { return ping(b, hb.ids["Inbox"], 30); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto t0 = std::chrono::steady_clock::now();
    auto made = create(a, ha.key, "0", "Travel", 12);
    REQUIRE(made.status == "1");
    CHECK(waiting.get() == "7");
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    // Until b runs FolderSync, a new Ping answers 7 at once; after it, it waits again.
    CHECK(ping(b, hb.ids["Inbox"], 30) == "7");
    auto b1 = folder_sync_from(b, hb.key);
    CHECK(b1.changes.size() == 1);

    // a's own change does not wake a's Ping: it runs to its heartbeat (status 1).
    auto a_wait = std::async(std::launch::async, [&] { return ping(a, ha.ids["Inbox"], 3); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto a_client2 = client(user, "PINGA");
    auto renamed = update(a_client2, made.key, made.server_id, "0", "Travel 2026");
    REQUIRE(renamed.status == "1");
    CHECK(a_wait.get() == "1");
    // b's waiting Ping is woken by the rename.
    CHECK(ping(b, hb.ids["Inbox"], 30) == "7");
}

TEST_CASE("OPTIONS advertises the folder commands", "[e2e][folders]") {
    auto c = client(new_user("fmopt"));
    auto r = c.options();
    std::string commands = r.header("ms-asprotocolcommands");
    for (const char* cmd : {"FolderCreate", "FolderUpdate", "FolderDelete", "FolderSync"})
        CHECK(commands.find(cmd) != std::string::npos);
}

TEST_CASE("After a lost FolderCreate response the device repeats its key and learns its folder", "[e2e][folders]") {
    std::string user = new_user("fmlost");
    auto a = client(user, "LOST", "12.1");
    auto h = folder_sync(a);
    auto made = create(a, h.key, "0", "Lost", 12);
    REQUIRE(made.status == "1");
    // The response never arrived: the device still holds h.key, which is now the previous key.
    auto again = folder_sync_from(a, h.key);
    CHECK(again.changes == Strings{"Add:" + made.server_id + ":0:Lost:12"});
    CHECK(folder_sync_from(a, again.key).changes.empty());
    // A change made with the previous key is answered too, with the current key's number.
    auto b = client(user, "LOST2", "12.1");
    auto hb = folder_sync(b);
    auto made2 = create(b, hb.key, "0", "Second", 12);
    REQUIRE(made2.status == "1");
    auto made3 = create(b, hb.key, "0", "Third", 12);  // repeated key: made2's response was lost
    REQUIRE(made3.status == "1");
    CHECK(made3.key == made2.key);
    CHECK(folder_sync_from(b, made3.key).changes == Strings{"Add:" + made2.server_id + ":0:Second:12"});
}
