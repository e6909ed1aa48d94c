// What real clients expect (issue 10, parts 5 and 11): an event added without a UID gets one at
// every version (Exchange makes one), a contact field cleared with an empty element is removed
// rather than sent back empty, and a 16.x draft may carry its content as a MIME message (Body Type 4).
#include "e2e_support.h"
#include "protocol/request.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;
using Node = easd::wbxml::Node;

namespace {

struct Dev {
    EasClient c;
    Hierarchy h;
    std::string col, key = "0";
    EasResponse keep;
    Dev(const std::string& user, const std::string& device, const std::string& version, const std::string& folder)
        : c(client(user, device, version)), h(folder_sync(c)), col(h.ids[folder]) {
        REQUIRE_FALSE(col.empty());
        sync();
    }
    CollectionResult sync(const std::string& inside = "") {
        auto body = xml("<Sync xmlns='AirSync' xmlns:B='AirSyncBase' xmlns:E='Email' xmlns:E2='Email2' "
                        "xmlns:C='Contacts' xmlns:A='Calendar'><Collections><Collection><SyncKey>" + key +
                        "</SyncKey><CollectionId>" + col + "</CollectionId>" + inside + "</Collection></Collections></Sync>");
        keep = c.command("Sync", &body);
        auto r = collection_of(keep);
        INFO(easd::wbxml::to_xml(*keep.doc));
        REQUIRE(r.status == "1");
        key = r.key;
        return r;
    }
    const Node* add_response() const {
        const auto* resp = keep.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(
            tag::AirSync::Responses);
        return resp ? resp->child(tag::AirSync::Add) : nullptr;
    }
    std::string added() const {
        const Node* a = add_response();
        REQUIRE(a);
        INFO(easd::wbxml::to_xml(*a));
        REQUIRE(text_of(*a, tag::AirSync::Status) == "1");
        return text_of(*a, tag::AirSync::ServerId);
    }
};

}  // namespace

TEST_CASE("an event added without a UID gets one at 12.1, 14.0 and 14.1 too", "[e2e][calendar][uid]") {
    for (const std::string version : {"12.1", "14.0", "14.1"}) {
        DYNAMIC_SECTION(version) {
            std::string user = new_user("uid");
            Dev a(user, "UID-A", version, "Calendar");
            Dev b(user, "UID-B", version, "Calendar");
            a.sync("<Commands><Add><ClientId>e1</ClientId><ApplicationData><A:TimeZone>xP///wAAAAAAAAAAAAAAAAAAAAAAAAAA"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==</A:TimeZone><A:AllDayEvent>0</A:AllDayEvent>"
                   "<A:BusyStatus>2</A:BusyStatus><A:DtStamp>20261201T100000Z</A:DtStamp><A:EndTime>20261210T110000Z"
                   "</A:EndTime><A:Sensitivity>0</A:Sensitivity><A:StartTime>20261210T100000Z</A:StartTime>"
                   "<A:Subject>No UID</A:Subject><A:MeetingStatus>0</A:MeetingStatus></ApplicationData></Add></Commands>");
            std::string id = a.added();
            // Below 16.0 an Add's response carries no ApplicationData.
            CHECK_FALSE(a.add_response()->has(tag::AirSync::ApplicationData));
            auto got = b.sync();
            REQUIRE(got.adds.size() == 1);
            std::string uid = text_of(*got.adds[0]->child(tag::AirSync::ApplicationData), tag::Calendar::UID);
            CHECK(uid.size() == 32);
        }
    }
}

TEST_CASE("a contact field cleared with an empty element is removed, not sent back empty", "[e2e][contacts][cleared]") {
    for (const std::string version : {"14.1", "16.1"}) {
        DYNAMIC_SECTION(version) {
            std::string user = new_user("cleared");
            Dev a(user, "CLR-A", version, "Contacts");
            Dev b(user, "CLR-B", version, "Contacts");
            a.sync("<Commands><Add><ClientId>c1</ClientId><ApplicationData><C:Birthday>1990-05-17T00:00:00.000Z"
                   "</C:Birthday><C:Categories><C:Category>Family</C:Category></C:Categories><C:FileAs>Ada</C:FileAs>"
                   "<C:FirstName>Ada</C:FirstName><C:Anniversary/></ApplicationData></Add></Commands>");
            std::string id = a.added();
            auto got = b.sync();
            REQUIRE(got.adds.size() == 1);
            const Node* data = got.adds[0]->child(tag::AirSync::ApplicationData);
            CHECK(data->has(tag::Contacts::Birthday));
            CHECK(data->has(tag::Contacts::Categories));
            CHECK_FALSE(data->has(tag::Contacts::Anniversary));  // empty in an Add: not stored

            // As TbSync clears them: the elements present and empty.
            a.sync("<Commands><Change><ServerId>" + id + "</ServerId><ApplicationData><C:Birthday/><C:Categories/>"
                   "<C:FileAs>Ada</C:FileAs><C:FirstName>Ada</C:FirstName></ApplicationData></Change></Commands>");
            auto changed = b.sync();
            REQUIRE(changed.changes.size() == 1);
            data = changed.changes[0]->child(tag::AirSync::ApplicationData);
            INFO(easd::wbxml::to_xml(*data));
            CHECK_FALSE(data->has(tag::Contacts::Birthday));
            CHECK_FALSE(data->has(tag::Contacts::Categories));
            CHECK(text_of(*data, tag::Contacts::FileAs) == "Ada");
        }
    }
}

TEST_CASE("classes: a Change clearing a ghosted property with an empty element clears it (Supported)",
          "[e2e][contacts][cleared]") {
    std::string user = new_user("cleared-ghost");
    auto c = client(user, "GHOST", "14.1");
    auto h = folder_sync(c);
    std::string col = h.ids["Contacts"];
    // Birthday is not in the Supported list: omitted it stays, sent empty it goes.
    auto first = xml("<Sync xmlns='AirSync' xmlns:C='Contacts'><Collections><Collection><SyncKey>0</SyncKey>"
                     "<CollectionId>" + col + "</CollectionId><Supported><C:FileAs/><C:FirstName/></Supported>"
                     "</Collection></Collections></Sync>");
    EasResponse keep = c.command("Sync", &first);
    std::string key = collection_of(keep).key;
    auto add = xml("<Sync xmlns='AirSync' xmlns:C='Contacts'><Collections><Collection><SyncKey>" + key +
                   "</SyncKey><CollectionId>" + col + "</CollectionId><Commands><Add><ClientId>g</ClientId>"
                   "<ApplicationData><C:Birthday>1990-05-17T00:00:00.000Z</C:Birthday><C:FileAs>G</C:FileAs>"
                   "</ApplicationData></Add></Commands></Collection></Collections></Sync>");
    keep = c.command("Sync", &add);
    key = collection_of(keep).key;
    std::string id = sql_one("SELECT i.id FROM items i WHERE i.folder_id = " + col);
    auto change = [&](const std::string& data) {
        auto body = xml("<Sync xmlns='AirSync' xmlns:C='Contacts'><Collections><Collection><SyncKey>" + key +
                        "</SyncKey><CollectionId>" + col + "</CollectionId><Commands><Change><ServerId>" + id +
                        "</ServerId><ApplicationData>" + data + "</ApplicationData></Change></Commands></Collection>"
                        "</Collections></Sync>");
        keep = c.command("Sync", &body);
        key = collection_of(keep).key;
    };
    change("<C:FileAs>G2</C:FileAs>");
    CHECK(sql_one("SELECT position('1990'::bytea in data) > 0 FROM pim_items WHERE item_id = " + id) == "t");
    change("<C:FileAs>G3</C:FileAs><C:Birthday/>");
    CHECK(sql_one("SELECT position('1990'::bytea in data) > 0 FROM pim_items WHERE item_id = " + id) == "f");
}

// ---- part 5: drafts with a MIME body ----------------------------------------------------------------

TEST_CASE("a draft written as MIME (Body Type 4, 16.1) is stored like any draft, attachment included",
          "[e2e][drafts][mime]") {
    std::string user = new_user("mimedraft");
    Dev a(user, "MIME-A", "16.1", "Drafts");
    Dev b(user, "MIME-B", "16.1", "Drafts");
    const std::string pdf = "%PDF-1.4 tiny\n";
    // As an Android client writes it: a multipart/mixed message with a text part and a PDF, and a
    // From the server replaces with the account's.
    const std::string mime =
        "From: Somebody Else <else@example.com>\r\nTo: Bob <bob@example.com>\r\nCc: carol@example.com\r\n"
        "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nHallo Bob, äöü\r\n--b1\r\n"
        "Content-Type: application/pdf; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + easd::protocol::base64_encode(pdf) + "\r\n--b1--\r\n";
    Node request = xml("<Sync xmlns='AirSync' xmlns:B='AirSyncBase'><Collections><Collection><SyncKey>" + a.key +
                       "</SyncKey><CollectionId>" + a.col + "</CollectionId><Commands><Add><ClientId>m1</ClientId>"
                       "<ApplicationData><B:Body><B:Type>4</B:Type></B:Body></ApplicationData></Add></Commands>"
                       "</Collection></Collections></Sync>");
    // The message goes into Data as opaque bytes (what WBXML clients send for MIME).
    Node* body = request.child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(tag::AirSync::Commands)
                     ->child(tag::AirSync::Add)->child(tag::AirSync::ApplicationData)->child(tag::AirSyncBase::Body);
    body->add_opaque(tag::AirSyncBase::Data, mime);
    a.keep = a.c.command("Sync", &request);
    auto r = collection_of(a.keep);
    REQUIRE(r.status == "1");
    a.key = r.key;
    std::string id = a.added();
    CHECK(r.adds.empty());

    CHECK(sql_one("SELECT subject || '|' || to_addr || '|' || has_attachments FROM emails WHERE item_id = " + id) ==
          "Grüße|Bob <bob@example.com>|true");
    CHECK(sql_one("SELECT from_addr FROM emails WHERE item_id = " + id).find(user) != std::string::npos);

    auto got = b.sync("<Options><B:BodyPreference><B:Type>1</B:Type></B:BodyPreference></Options>");
    REQUIRE(got.adds.size() == 1);
    const Node* data = got.adds[0]->child(tag::AirSync::ApplicationData);
    CHECK(text_of(*data, tag::Email::Subject) == "Grüße");
    CHECK(text_of(*data, tag::Email::From).find(user) != std::string::npos);
    CHECK(text_of(*data->child(tag::AirSyncBase::Body), tag::AirSyncBase::Data).find("Hallo Bob, äöü") != std::string::npos);
    const Node* atts = data->child(tag::AirSyncBase::Attachments);
    REQUIRE(atts);
    const Node* att = atts->child(tag::AirSyncBase::Attachment);
    CHECK(text_of(*att, tag::AirSyncBase::DisplayName) == "report.pdf");
    std::string ref = text_of(*att, tag::AirSyncBase::FileReference);

    // The attachment's bytes, through ItemOperations.
    auto fetch = xml("<ItemOperations xmlns='ItemOperations' xmlns:B='AirSyncBase'><Fetch><Store>Mailbox</Store>"
                     "<B:FileReference>" + ref + "</B:FileReference></Fetch></ItemOperations>");
    auto fr = b.c.command("ItemOperations", &fetch);
    REQUIRE(fr.doc);
    const auto* props = fr.doc->child(tag::ItemOperations::Response)->child(tag::ItemOperations::Fetch)->child(
        tag::ItemOperations::Properties);
    REQUIRE(props);
    CHECK(easd::protocol::base64_decode(props->child_text(tag::ItemOperations::Data)) == pdf);

    // A Change with a new MIME message replaces the content; the Message-ID stays.
    std::string message_id = sql_one("SELECT message_id FROM emails WHERE item_id = " + id);
    Node change = xml("<Sync xmlns='AirSync' xmlns:B='AirSyncBase'><Collections><Collection><SyncKey>" + a.key +
                      "</SyncKey><CollectionId>" + a.col + "</CollectionId><Commands><Change><ServerId>" + id +
                      "</ServerId><ApplicationData><B:Body><B:Type>4</B:Type><B:Data>To: dave@example.com\r\n"
                      "Subject: Second\r\nContent-Type: text/html; charset=utf-8\r\n\r\n&lt;p&gt;Now HTML&lt;/p&gt;\r\n"
                      "</B:Data></B:Body></ApplicationData></Change></Commands></Collection></Collections></Sync>");
    a.keep = a.c.command("Sync", &change);
    REQUIRE(collection_of(a.keep).status == "1");
    CHECK(sql_one("SELECT subject || '|' || to_addr || '|' || has_attachments || '|' || (message_id = '" + message_id +
                  "') FROM emails WHERE item_id = " + id) == "Second|dave@example.com|false|true");

    SECTION("a Data that is not a message is refused with status 6, nothing stored") {
        Node bad = xml("<Sync xmlns='AirSync' xmlns:B='AirSyncBase'><Collections><Collection><SyncKey>" +
                       collection_of(a.keep).key + "</SyncKey><CollectionId>" + a.col + "</CollectionId><Commands><Add>"
                       "<ClientId>m2</ClientId><ApplicationData><B:Body><B:Type>4</B:Type></B:Body></ApplicationData>"
                       "</Add></Commands></Collection></Collections></Sync>");
        a.keep = a.c.command("Sync", &bad);
        const Node* add = a.add_response();
        REQUIRE(add);
        CHECK(text_of(*add, tag::AirSync::Status) == "6");
        CHECK(sql_one("SELECT count(*) FROM items WHERE folder_id = " + a.col) == "1");
    }
}

TEST_CASE("a contact stored with an empty field before the fix is sent without it", "[e2e][contacts][cleared]") {
    std::string user = new_user("cleared-old");
    Dev a(user, "OLD-A", "14.1", "Contacts");
    Dev b(user, "OLD-B", "14.1", "Contacts");
    a.sync("<Commands><Add><ClientId>o</ClientId><ApplicationData><C:FileAs>Old</C:FileAs></ApplicationData></Add>"
           "</Commands>");
    std::string id = a.added();
    b.sync();
    // What an older easd stored for <C:Birthday/>: the element, empty.
    Node stored = xml("<ApplicationData xmlns='AirSync' xmlns:C='Contacts'><C:Birthday/><C:FileAs>Older</C:FileAs>"
                      "<C:Categories/></ApplicationData>");
    std::string bytes = easd::wbxml::encode(stored), hex;
    for (unsigned char ch : bytes) {
        static const char* digits = "0123456789abcdef";
        hex += digits[ch >> 4];
        hex += digits[ch & 15];
    }
    sql_one("UPDATE pim_items SET data = decode('" + hex + "', 'hex') WHERE item_id = " + id);
    auto got = b.sync();
    REQUIRE(got.changes.size() == 1);
    const Node* data = got.changes[0]->child(tag::AirSync::ApplicationData);
    INFO(easd::wbxml::to_xml(*data));
    CHECK(text_of(*data, tag::Contacts::FileAs) == "Older");
    CHECK_FALSE(data->has(tag::Contacts::Birthday));
    CHECK_FALSE(data->has(tag::Contacts::Categories));
}
