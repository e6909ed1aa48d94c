// What real clients expect of their own changes (issue 10, parts 1 and 11): the device that made a
// change never gets it back, whatever it sends with it (TbSync, iOS and Android send
// <GetChanges>0</GetChanges> together with their Commands) and whatever the order of its requests;
// its Pings do not wake for it; another device's change in between still reaches it. And one
// command of a request never counts as a server-side change that beats the next command of the same
// request (Conflict 1), in any class.
#include <chrono>
#include <map>

#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;
using Node = easd::wbxml::Node;

namespace {

// One device: its hierarchy and the current key of every collection it synced.
struct Dev {
    EasClient c;
    Hierarchy h;
    std::map<std::string, std::string> keys;  // folder id -> current key
    EasResponse keep;

    Dev(const std::string& user, const std::string& device, const std::string& version = "14.1")
        : c(client(user, device, version)), h(folder_sync(c)) {}

    std::string id(const std::string& folder) {
        std::string i = h.ids[folder];
        REQUIRE_FALSE(i.empty());
        return i;
    }

    // Sync of one folder with what goes inside <Collection> after the CollectionId.
    CollectionResult sync(const std::string& folder, const std::string& inside = "") {
        std::string col = id(folder);
        std::string key = keys.count(col) ? keys[col] : "0";
        auto body = xml("<Sync xmlns='AirSync' xmlns:B='AirSyncBase' xmlns:E='Email' xmlns:E2='Email2' "
                        "xmlns:C='Contacts' xmlns:A='Calendar' xmlns:T='Tasks' xmlns:N='Notes'><Collections>"
                        "<Collection><SyncKey>" + key + "</SyncKey><CollectionId>" + col + "</CollectionId>" + inside +
                        "</Collection></Collections></Sync>");
        keep = c.command("Sync", &body);
        auto r = collection_of(keep);
        INFO(easd::wbxml::to_xml(*keep.doc));
        REQUIRE(r.status == "1");
        keys[col] = r.key;
        return r;
    }
    // Key 0 and the first load.
    CollectionResult start(const std::string& folder) {
        sync(folder);
        return sync(folder);
    }
    // The client's commands as TbSync sends them: GetChanges 0 beside the Commands.
    CollectionResult send(const std::string& folder, const std::string& commands, const std::string& options = "") {
        return sync(folder, "<GetChanges>0</GetChanges>" + options + "<Commands>" + commands + "</Commands>");
    }
    const Node* responses() const {
        return keep.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(tag::AirSync::Responses);
    }
    // The ServerId of the Add answered for `client_id` in the last response.
    std::string added(const std::string& client_id) const {
        const Node* r = responses();
        REQUIRE(r);
        for (const auto* a : r->children_of(tag::AirSync::Add))
            if (a->child_text(tag::AirSync::ClientId) == client_id) {
                REQUIRE(text_of(*a, tag::AirSync::Status) == "1");
                return text_of(*a, tag::AirSync::ServerId);
            }
        FAIL("no Add response for " << client_id);
        return "";
    }

    // Ping on these folders with a one-second heartbeat: "1" (nothing for the device) or "2".
    std::string ping(const std::vector<std::string>& folders) {
        std::string x = "<Ping xmlns='Ping'><HeartbeatInterval>1</HeartbeatInterval><Folders>";
        for (const auto& f : folders) x += "<Folder><Id>" + id(f) + "</Id><Class>Email</Class></Folder>";
        auto body = xml(x + "</Folders></Ping>");
        auto r = c.command("Ping", &body);
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        return text_of(*r.doc, tag::Ping::Status);
    }
};

std::string read_change(const std::string& id, const std::string& read = "1") {
    return "<Change><ServerId>" + id + "</ServerId><ApplicationData><E:Read>" + read + "</E:Read></ApplicationData></Change>";
}

std::string flag_change(const std::string& id) {
    return "<Change><ServerId>" + id + "</ServerId><ApplicationData><E:Flag><E:Status>2</E:Status>"
           "<E:FlagType>Follow up</E:FlagType></E:Flag></ApplicationData></Change>";
}

// A minimal item of each class, as a 14.1 client writes it.
std::string item_of(const std::string& folder, const std::string& name) {
    if (folder == "Contacts")
        return "<ApplicationData><C:FileAs>" + name + "</C:FileAs><C:FirstName>" + name + "</C:FirstName></ApplicationData>";
    if (folder == "Calendar")
        return "<ApplicationData><A:TimeZone>xP///wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==</A:TimeZone>"
               "<A:AllDayEvent>0</A:AllDayEvent><A:BusyStatus>2</A:BusyStatus><A:DtStamp>20261201T100000Z</A:DtStamp>"
               "<A:EndTime>20261210T110000Z</A:EndTime><A:Sensitivity>0</A:Sensitivity>"
               "<A:StartTime>20261210T100000Z</A:StartTime><A:Subject>" + name + "</A:Subject>"
               "<A:UID>uid-" + name + "</A:UID><A:MeetingStatus>0</A:MeetingStatus></ApplicationData>";
    if (folder == "Tasks")
        return "<ApplicationData><T:Subject>" + name + "</T:Subject><T:Complete>0</T:Complete></ApplicationData>";
    return "<ApplicationData><N:Subject>" + name + "</N:Subject><B:Body><B:Type>1</B:Type><B:Data>" + name +
           "</B:Data></B:Body></ApplicationData>";
}

}  // namespace

TEST_CASE("own Read and Flag sent with GetChanges 0 come back neither in Sync nor as a Ping", "[e2e][echo]") {
    std::string user = new_user("echo-mail");
    deliver(user, simple_message("one"));
    deliver(user, simple_message("two"));
    Dev a(user, "ECHO-A");
    Dev b(user, "ECHO-B");
    auto first = a.start("Inbox");
    REQUIRE(first.adds.size() == 2);
    std::string m1 = text_of(*first.adds[0], tag::AirSync::ServerId);
    std::string m2 = text_of(*first.adds[1], tag::AirSync::ServerId);
    REQUIRE(b.start("Inbox").adds.size() == 2);

    SECTION("alone") {
        a.send("Inbox", read_change(m1) + flag_change(m2));
        CHECK(a.ping({"Inbox"}) == "1");
        auto next = a.sync("Inbox");
        CHECK(next.changes.empty());
        CHECK(next.adds.empty());
        CHECK(a.ping({"Inbox"}) == "1");
        // The other device gets both.
        CHECK(b.sync("Inbox").changes.size() == 2);
        // And a second round of own changes, in a later request, is not echoed either.
        a.send("Inbox", read_change(m1, "0"));
        CHECK(a.ping({"Inbox"}) == "1");
        CHECK(a.sync("Inbox").changes.empty());
        CHECK(sql_one("SELECT read FROM emails WHERE item_id = " + m1) == "f");
    }
    SECTION("another device's change before it is still delivered, and wakes the Ping") {
        b.send("Inbox", read_change(m2));
        a.send("Inbox", read_change(m1));
        CHECK(a.ping({"Inbox"}) == "2");
        auto next = a.sync("Inbox");
        REQUIRE(next.changes.size() == 1);
        CHECK(text_of(*next.changes[0], tag::AirSync::ServerId) == m2);
        CHECK(a.ping({"Inbox"}) == "1");
    }
    SECTION("a delivery after it is still delivered") {
        a.send("Inbox", read_change(m1));
        deliver(user, simple_message("three"));
        CHECK(a.ping({"Inbox"}) == "2");
        auto next = a.sync("Inbox");
        CHECK(next.changes.empty());
        CHECK(next.adds.size() == 1);
    }
    SECTION("another device changes the same item afterwards: that change is delivered") {
        a.send("Inbox", read_change(m1));
        CHECK(b.sync("Inbox").changes.size() == 1);  // B sees A's change first, else its own would lose
        b.send("Inbox", flag_change(m1));
        CHECK(a.ping({"Inbox"}) == "2");
        auto next = a.sync("Inbox");
        REQUIRE(next.changes.size() == 1);
        CHECK(text_of(*next.changes[0], tag::AirSync::ServerId) == m1);
    }
    SECTION("Delete (to Deleted Items): no echo in Inbox, the copy arrives in Deleted Items") {
        a.start("Deleted Items");
        a.send("Inbox", "<Delete><ServerId>" + m1 + "</ServerId></Delete>");
        CHECK(a.ping({"Inbox"}) == "1");
        auto next = a.sync("Inbox");
        CHECK(next.deletes.empty());
        CHECK(next.changes.empty());
        CHECK(a.sync("Deleted Items").adds.size() == 1);
        CHECK(b.sync("Inbox").deletes.size() == 1);
    }
}

TEST_CASE("every class: own Add, Change and Delete with GetChanges 0 never come back", "[e2e][echo]") {
    for (const std::string folder : {"Contacts", "Calendar", "Tasks", "Notes"}) {
        DYNAMIC_SECTION(folder) {
            std::string user = new_user("echo-cls");
            Dev a(user, "CLS-A");
            Dev b(user, "CLS-B");
            a.start(folder);
            b.start(folder);
            a.send(folder, "<Add><ClientId>new-1</ClientId>" + item_of(folder, "First") + "</Add>");
            std::string id = a.added("new-1");
            CHECK(a.ping({folder}) == "1");
            auto after_add = a.sync(folder);
            CHECK(after_add.adds.empty());
            CHECK(after_add.changes.empty());
            CHECK(b.sync(folder).adds.size() == 1);

            a.send(folder, "<Change><ServerId>" + id + "</ServerId>" + item_of(folder, "Second") + "</Change>");
            CHECK(a.ping({folder}) == "1");
            CHECK(a.sync(folder).changes.empty());
            CHECK(b.sync(folder).changes.size() == 1);

            a.send(folder, "<Delete><ServerId>" + id + "</ServerId></Delete>");
            CHECK(a.ping({folder}) == "1");
            CHECK(a.sync(folder).deletes.empty());
            CHECK(b.sync(folder).deletes.size() == 1);
        }
    }
}

TEST_CASE("MoveItems: the mover's Pings do not wake for its move, its Syncs do not tell it", "[e2e][echo][moveitems]") {
    std::string user = new_user("echo-move");
    deliver(user, simple_message("move me"));
    Dev a(user, "MOVE-A");
    Dev b(user, "MOVE-B");
    std::string id = text_of(*a.start("Inbox").adds.at(0), tag::AirSync::ServerId);
    a.start("Deleted Items");
    b.start("Inbox");
    b.start("Deleted Items");
    auto body = xml("<MoveItems xmlns='Move'><Move><SrcMsgId>" + id + "</SrcMsgId><SrcFldId>" + a.id("Inbox") +
                    "</SrcFldId><DstFldId>" + a.id("Deleted Items") + "</DstFldId></Move></MoveItems>");
    auto r = a.c.command("MoveItems", &body);
    REQUIRE(r.doc);
    REQUIRE(text_of(*r.doc->child(tag::Move::Response), tag::Move::Status) == "3");
    CHECK(a.ping({"Inbox", "Deleted Items"}) == "1");
    auto dst = a.sync("Deleted Items");
    CHECK(dst.adds.empty());
    CHECK(dst.changes.empty());
    CHECK(a.sync("Inbox").deletes.empty());
    // The other device sees the move.
    CHECK(b.ping({"Inbox", "Deleted Items"}) == "2");
    CHECK(b.sync("Inbox").deletes.size() == 1);
    CHECK(b.sync("Deleted Items").adds.size() == 1);
}

TEST_CASE("SendMail's Sent Items copy reaches the sender once", "[e2e][echo][sendmail]") {
    std::string user = new_user("echo-sent");
    Dev a(user, "SENT-A");
    a.start("Sent Items");
    a.start("Inbox");
    Node mail(tag::ComposeMail::SendMail);
    mail.add(tag::ComposeMail::ClientId, "send-1");
    mail.add(tag::ComposeMail::SaveInSentItems);
    mail.add_opaque(tag::ComposeMail::Mime, "To: someone@example.com\r\nSubject: sent copy\r\n\r\nHello\r\n");
    auto r = a.c.command("SendMail", &mail);
    REQUIRE(r.status == 200);
    // A copy the device does not have yet: it is told, once.
    CHECK(a.ping({"Sent Items"}) == "2");
    CHECK(a.sync("Sent Items").adds.size() == 1);
    auto again = a.sync("Sent Items");
    CHECK(again.adds.empty());
    CHECK(again.changes.empty());
    CHECK(a.ping({"Sent Items", "Inbox"}) == "1");
}

TEST_CASE("drafts: own draft Add and Change with GetChanges 0 are not echoed", "[e2e][echo][drafts]") {
    std::string user = new_user("echo-draft");
    Dev a(user, "DRAFT-A", "16.1");
    a.start("Drafts");
    a.send("Drafts", "<Add><ClientId>d-1</ClientId><ApplicationData><E:To>bob@example.com</E:To><E:Subject>Draft"
                     "</E:Subject><B:Body><B:Type>1</B:Type><B:Data>text</B:Data></B:Body></ApplicationData></Add>");
    std::string id = a.added("d-1");
    CHECK(a.ping({"Drafts"}) == "1");
    CHECK(a.sync("Drafts").adds.empty());
    a.send("Drafts", "<Change><ServerId>" + id + "</ServerId><ApplicationData><E:Subject>Draft 2</E:Subject>"
                     "</ApplicationData></Change>");
    CHECK(a.ping({"Drafts"}) == "1");
    CHECK(a.sync("Drafts").changes.empty());
    CHECK(sql_one("SELECT subject FROM emails WHERE item_id = " + id) == "Draft 2");
}

// ---- part 11: one command of a request never beats the next ----------------------------------------

namespace {

const char* kSeries =
    "<ApplicationData><A:AllDayEvent>0</A:AllDayEvent><B:Body><B:Type>1</B:Type><B:Data>Standup</B:Data></B:Body>"
    "<A:BusyStatus>2</A:BusyStatus><A:EndTime>20261207T081500Z</A:EndTime><A:Sensitivity>0</A:Sensitivity>"
    "<A:StartTime>20261207T080000Z</A:StartTime><A:Subject>Daily standup</A:Subject>"
    "<A:Recurrence><A:Type>0</A:Type><A:Interval>1</A:Interval><A:Occurrences>10</A:Occurrences></A:Recurrence>"
    "<A:MeetingStatus>0</A:MeetingStatus></ApplicationData>";

std::string delete_instance(const std::string& id, const std::string& instance) {
    return "<Delete><ServerId>" + id + "</ServerId><B:InstanceId>" + instance + "</B:InstanceId></Delete>";
}

std::string move_instance(const std::string& id, const std::string& instance, const std::string& start,
                          const std::string& end) {
    return "<Change><ServerId>" + id + "</ServerId><B:InstanceId>" + instance + "</B:InstanceId><ApplicationData>"
           "<A:StartTime>" + start + "</A:StartTime><A:EndTime>" + end + "</A:EndTime></ApplicationData></Change>";
}

// instance -> "deleted" or the exception's StartTime, as another device receives the event.
std::map<std::string, std::string> exceptions_of(const Node& data) {
    std::map<std::string, std::string> out;
    if (const auto* ex = data.child(tag::Calendar::Exceptions))
        for (const auto* e : ex->children_of(tag::Calendar::Exception))
            out[text_of(*e, tag::AirSyncBase::InstanceId)] =
                e->child_text(tag::Calendar::Deleted) == "1" ? "deleted" : text_of(*e, tag::Calendar::StartTime);
    return out;
}

}  // namespace

TEST_CASE("two occurrence edits of one series in one request are both kept (16.1, Conflict 1 and 0)",
          "[e2e][conflict][calendar]") {
    for (const std::string conflict : {"1", "0"})
        for (int order = 0; order < 3; ++order) {
            DYNAMIC_SECTION("Conflict " << conflict << ", order " << order) {
                std::string user = new_user("two-edits");
                Dev a(user, "TB-A", "16.1");
                Dev b(user, "TB-B", "16.1");
                a.start("Calendar");
                b.start("Calendar");
                a.sync("Calendar", "<Commands><Add><ClientId>s1</ClientId>" + std::string(kSeries) + "</Add></Commands>");
                std::string id = a.added("s1");
                REQUIRE(b.sync("Calendar").adds.size() == 1);

                const std::string del = delete_instance(id, "20261209T080000Z");
                const std::string moved = move_instance(id, "20261210T080000Z", "20261210T100000Z", "20261210T101500Z");
                const std::string moved2 = move_instance(id, "20261211T080000Z", "20261211T120000Z", "20261211T121500Z");
                std::string commands = order == 0 ? del + moved : order == 1 ? moved + del : moved + moved2;
                // TbSync's shape: Options with Conflict 1 before the Commands, GetChanges left out.
                auto r = a.sync("Calendar", "<Options><Conflict>" + conflict + "</Conflict></Options><Commands>" +
                                                commands + "</Commands>");
                CHECK(a.responses() == nullptr);  // no per-item error
                CHECK(r.changes.empty());         // nothing the client does not already have

                auto got = b.sync("Calendar");
                REQUIRE(got.changes.size() == 1);
                auto ex = exceptions_of(*got.changes[0]->child(tag::AirSync::ApplicationData));
                if (order == 2) {
                    CHECK(ex["20261210T080000Z"] == "20261210T100000Z");
                    CHECK(ex["20261211T080000Z"] == "20261211T120000Z");
                } else {
                    CHECK(ex["20261209T080000Z"] == "deleted");
                    CHECK(ex["20261210T080000Z"] == "20261210T100000Z");
                }
            }
        }
}

TEST_CASE("two Changes of one item in one request: both are kept, in every class", "[e2e][conflict]") {
    SECTION("email: Read, then Flag") {
        std::string user = new_user("two-mail");
        deliver(user, simple_message("both"));
        Dev a(user, "TWO-A");
        std::string id = text_of(*a.start("Inbox").adds.at(0), tag::AirSync::ServerId);
        a.sync("Inbox", "<Options><Conflict>1</Conflict></Options><Commands>" + read_change(id) + flag_change(id) +
                            "</Commands>");
        CHECK(sql_one("SELECT read::text || '|' || (flag IS NOT NULL)::text FROM emails WHERE item_id = " + id) ==
              "true|true");
    }
    for (const std::string folder : {"Contacts", "Tasks", "Notes", "Calendar"}) {
        DYNAMIC_SECTION(folder << ": the second Change wins, not the first") {
            std::string user = new_user("two-pim");
            Dev a(user, "TWO-P");
            a.start(folder);
            a.send(folder, "<Add><ClientId>x</ClientId>" + item_of(folder, "Zero") + "</Add>");
            std::string id = a.added("x");
            a.sync(folder, "<Options><Conflict>1</Conflict></Options><Commands><Change><ServerId>" + id + "</ServerId>" +
                               item_of(folder, "One") + "</Change><Change><ServerId>" + id + "</ServerId>" +
                               item_of(folder, "Two") + "</Change></Commands>");
            CHECK(sql_one("SELECT subject FROM pim_items WHERE item_id = " + id) == "Two");
        }
    }
}

TEST_CASE("a Change after the device's own unechoed change is no conflict; another device's change still wins",
          "[e2e][conflict]") {
    std::string user = new_user("own-then");
    Dev a(user, "OWN-A");
    Dev b(user, "OWN-B");
    a.start("Contacts");
    b.start("Contacts");
    a.send("Contacts", "<Add><ClientId>c</ClientId>" + item_of("Contacts", "Zero") + "</Add>");
    std::string id = a.added("c");
    b.sync("Contacts");
    // Two requests in a row, each with GetChanges 0 (no Sync between): the second is applied.
    a.send("Contacts", "<Change><ServerId>" + id + "</ServerId>" + item_of("Contacts", "One") + "</Change>");
    a.send("Contacts", "<Change><ServerId>" + id + "</ServerId>" + item_of("Contacts", "Two") + "</Change>",
           "<Options><Conflict>1</Conflict></Options>");
    CHECK(sql_one("SELECT subject FROM pim_items WHERE item_id = " + id) == "Two");
    CHECK(a.sync("Contacts").changes.empty());

    // Another device changes it; this device, not having synced since, loses (Conflict 1) and is told.
    b.sync("Contacts");
    b.send("Contacts", "<Change><ServerId>" + id + "</ServerId>" + item_of("Contacts", "From B") + "</Change>");
    auto lost = a.sync("Contacts", "<Options><Conflict>1</Conflict></Options><Commands><Change><ServerId>" + id +
                                       "</ServerId>" + item_of("Contacts", "Three") + "</Change></Commands>");
    CHECK(sql_one("SELECT subject FROM pim_items WHERE item_id = " + id) == "From B");
    REQUIRE(lost.changes.size() == 1);
    CHECK(text_of(*lost.changes[0]->child(tag::AirSync::ApplicationData), tag::Contacts::FileAs) == "From B");
}

TEST_CASE("own changes: a lost response repeated, and GetItemEstimate", "[e2e][echo][smartsync]") {
    std::string user = new_user("echo-lost");
    deliver(user, simple_message("one"));
    Dev a(user, "LOST-A");
    std::string m1 = text_of(*a.start("Inbox").adds.at(0), tag::AirSync::ServerId);
    std::string col = a.id("Inbox");
    std::string key = a.keys[col];

    SECTION("the Change's response is lost; the same request again is applied, answered and not echoed") {
        a.send("Inbox", read_change(m1) + flag_change(m1), "<Options><Conflict>1</Conflict></Options>");
        a.keys[col] = key;  // the device never got the new key
        auto again = a.send("Inbox", read_change(m1) + flag_change(m1), "<Options><Conflict>1</Conflict></Options>");
        CHECK(a.responses() == nullptr);
        CHECK(again.changes.empty());
        CHECK(a.ping({"Inbox"}) == "1");
        CHECK(a.sync("Inbox").changes.empty());
        CHECK(sql_one("SELECT read::text || '|' || (flag IS NOT NULL)::text FROM emails WHERE item_id = " + m1) ==
              "true|true");
    }
    SECTION("the Add's response is lost and the device does not repeat it: the item reaches it after all") {
        a.start("Contacts");
        std::string ckey = a.keys[a.id("Contacts")];
        a.send("Contacts", "<Add><ClientId>lost</ClientId>" + item_of("Contacts", "Lost") + "</Add>");
        a.keys[a.id("Contacts")] = ckey;
        auto r = a.sync("Contacts");
        CHECK(r.adds.size() == 1);
    }
    SECTION("GetItemEstimate does not count the device's own changes") {
        deliver(user, simple_message("two"));
        a.send("Inbox", read_change(m1));
        auto body = xml("<GetItemEstimate xmlns='GetItemEstimate' xmlns:A='AirSync'><Collections><Collection>"
                        "<A:SyncKey>" + a.keys[col] + "</A:SyncKey><CollectionId>" + col +
                        "</CollectionId></Collection></Collections></GetItemEstimate>");
        auto r = a.c.command("GetItemEstimate", &body);
        REQUIRE(r.doc);
        const auto* resp = r.doc->child(tag::GetItemEstimate::Response);
        REQUIRE(resp);
        CHECK(text_of(*resp->child(tag::GetItemEstimate::Collection), tag::GetItemEstimate::Estimate) == "1");
    }
}

TEST_CASE("Conflict 0 over another device's unseen change: the merged item goes back to the device",
          "[e2e][conflict][echo]") {
    std::string user = new_user("merged");
    deliver(user, simple_message("one"));
    Dev a(user, "MERGE-A");
    Dev b(user, "MERGE-B");
    std::string m1 = text_of(*a.start("Inbox").adds.at(0), tag::AirSync::ServerId);
    b.start("Inbox");
    b.send("Inbox", flag_change(m1));  // A has not seen this
    auto r = a.sync("Inbox", "<Options><Conflict>0</Conflict></Options><Commands>" + read_change(m1) + "</Commands>");
    // The device's Read is applied, and the item as it now is (B's flag too) goes back to it.
    CHECK(sql_one("SELECT read::text || '|' || (flag IS NOT NULL)::text FROM emails WHERE item_id = " + m1) == "true|true");
    REQUIRE(r.changes.size() == 1);
    const Node* data = r.changes[0]->child(tag::AirSync::ApplicationData);
    CHECK(text_of(*data, tag::Email::Read) == "1");
    CHECK(data->has(tag::Email::Flag));
    CHECK(a.ping({"Inbox"}) == "1");
}
