// Bad input gets an exact answer, never a 500, and nothing breaks a phone's sync for good
// (issue 12, part 3): text that is not UTF-8 in an item (status 6 for that item, the rest of the
// Sync goes through) or elsewhere (400) or in the login (401); a SendMail to something that is no
// address (116); a message with NUL and 8-bit Latin-1 fetched as MIME (Body Type 4) arrives
// transfer-encoded, so the response decodes and is well-formed XML.
#include <libxml/parser.h>

#include "e2e_support.h"
#include "support/text.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

// Replaces the text "@BAD@" anywhere in the tree with bytes that are not UTF-8.
void put_invalid_utf8(easd::wbxml::Node& n, const std::string& bytes = "Ren\xe9 \xff\xfe") {
    if (n.content_kind == easd::wbxml::Node::Content::Text && n.content == "@BAD@") n.content = bytes;
    for (auto& c : n.children) put_invalid_utf8(c, bytes);
}

// Each Responses/<command> of the collection: (command tag, ClientId or ServerId, Status).
std::vector<std::tuple<easd::wbxml::Tag, std::string, std::string>> item_statuses(const EasResponse& r) {
    std::vector<std::tuple<easd::wbxml::Tag, std::string, std::string>> out;
    if (!r.doc) return out;
    const auto* col = r.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection);
    const auto* responses = col ? col->child(tag::AirSync::Responses) : nullptr;
    if (!responses) return out;
    for (const auto& item : responses->children) {
        std::string id(item.child_text(tag::AirSync::ClientId));
        if (id.empty()) id = std::string(item.child_text(tag::AirSync::ServerId));
        out.emplace_back(item.tag, id, std::string(item.child_text(tag::AirSync::Status)));
    }
    return out;
}

bool well_formed_xml(const std::string& xml) {
    xmlDocPtr doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "response.xml", "UTF-8",
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) return false;
    xmlFreeDoc(doc);
    return true;
}

}  // namespace

TEST_CASE("an item whose text is not UTF-8 is refused alone; the rest of the Sync goes through",
          "[e2e][bad-input]") {
    std::string user = new_user("latin1");
    auto c = client(user, "LATIN1PHONE");
    auto h = folder_sync(c);
    std::string col = h.ids["Contacts"];
    EasResponse keep;
    std::string key = sync(c, col, "0", keep).key;
    auto body = xml("<Sync xmlns='AirSync' xmlns:C='Contacts'><Collections><Collection><SyncKey>" + key +
                    "</SyncKey><CollectionId>" + col + "</CollectionId><Commands>"
                    "<Add><ClientId>bad1</ClientId><ApplicationData><C:FileAs>Broken</C:FileAs>"
                    "<C:FirstName>@BAD@</C:FirstName></ApplicationData></Add>"
                    "<Add><ClientId>good1</ClientId><ApplicationData><C:FileAs>Fine</C:FileAs>"
                    "<C:FirstName>Ada</C:FirstName></ApplicationData></Add>"
                    "</Commands></Collection></Collections></Sync>");
    put_invalid_utf8(body);
    auto r = c.command("Sync", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    auto statuses = item_statuses(r);
    REQUIRE(statuses.size() == 2);
    CHECK(std::get<1>(statuses[0]) == "bad1");
    CHECK(std::get<2>(statuses[0]) == "6");
    CHECK(std::get<1>(statuses[1]) == "good1");
    CHECK(std::get<2>(statuses[1]) == "1");
    CHECK(sql_one("SELECT count(*) FROM items i JOIN users u ON u.id = i.user_id WHERE u.address = '" + user +
                  "'  AND i.folder_id = " + col) == "1");

    // Sent again (the phone did not take the answer): the same answers, never a 500.
    auto again = xml("<Sync xmlns='AirSync' xmlns:C='Contacts'><Collections><Collection><SyncKey>" +
                     text_of(*r.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection),
                             tag::AirSync::SyncKey) +
                     "</SyncKey><CollectionId>" + col + "</CollectionId><Commands>"
                     "<Add><ClientId>bad1</ClientId><ApplicationData><C:FileAs>@BAD@</C:FileAs></ApplicationData></Add>"
                     "</Commands></Collection></Collections></Sync>");
    put_invalid_utf8(again);
    auto r2 = c.command("Sync", &again);
    CHECK(r2.status == 200);
    CHECK(item_statuses(r2).size() == 1);

    SECTION("outside an item: 400, nothing changed") {
        auto create = xml("<FolderCreate xmlns='FolderHierarchy'><SyncKey>" + h.key +
                          "</SyncKey><ParentId>0</ParentId><DisplayName>@BAD@</DisplayName><Type>12</Type></FolderCreate>");
        put_invalid_utf8(create);
        auto fc = c.command("FolderCreate", &create);
        CHECK(fc.status == 400);
        INFO(fc.body);
        CHECK(easd::test::has(fc.body, "not UTF-8 in"));
        CHECK(easd::test::has(fc.body, "DisplayName"));
        auto oof = xml("<Settings xmlns='Settings'><Oof><Set><OofState>1</OofState><OofMessage><AppliesToInternal/>"
                       "<Enabled>1</Enabled><ReplyMessage>@BAD@</ReplyMessage><BodyType>Text</BodyType></OofMessage>"
                       "</Set></Oof></Settings>");
        put_invalid_utf8(oof);
        CHECK(c.command("Settings", &oof).status == 400);
        CHECK(sql_one("SELECT count(*) FROM oof_settings o JOIN users u ON u.id = o.user_id WHERE u.address = '" +
                      user + "'") == "0");
    }
}

TEST_CASE("a login or a query parameter that is not UTF-8 gets 401 or 400, not 500", "[e2e][bad-input]") {
    std::string user = new_user("utf8login");
    auto c = client(user, "LOGINPHONE");
    std::string bad_login = "Basic " + EasClient::base64("ren\xe9@e2e.test:secret");
    auto r = c.raw("OPTIONS", "/Microsoft-Server-ActiveSync", "", {{"Authorization", bad_login}});
    CHECK(r.status == 401);
    auto q = c.raw("POST",
                   "/Microsoft-Server-ActiveSync?Cmd=GetAttachment&User=x&DeviceId=LOGINPHONE&DeviceType=T&"
                   "AttachmentName=%E9%FF",
                   "", {{"Authorization", c.auth_header()}, {"MS-ASProtocolVersion", "14.1"}});
    CHECK(q.status == 400);
}

TEST_CASE("SendMail to something that is no address: status 116, nothing sent", "[e2e][bad-input]") {
    std::string alice = new_user("alice");
    auto c = client(alice, "NODOMAIN", "14.1");
    const std::size_t before = fake_sendmail().calls().size();
    for (const std::string& to : {std::string("bob"), std::string("Friends: carol, dave@e2e.test;")}) {
        INFO(to);
        easd::wbxml::Node body(tag::ComposeMail::SendMail);
        body.add(tag::ComposeMail::ClientId, "nodomain-" + std::to_string(to.size()));
        body.add(tag::ComposeMail::SaveInSentItems);
        body.add_opaque(tag::ComposeMail::Mime, "To: " + to + "\r\nSubject: where to?\r\n\r\nx\r\n");
        auto r = c.command("SendMail", &body);
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        CHECK(text_of(*r.doc, tag::ComposeMail::Status) == "116");
    }
    CHECK(fake_sendmail().calls().size() == before);
    auto old = client(alice, "NODOMAIN12", "12.1");
    auto r = old.command_bytes("SendMail", "To: bob\r\nSubject: x\r\n\r\nx\r\n", {}, {{"Content-Type", "message/rfc822"}});
    CHECK(r.status == 400);
}

TEST_CASE("MIME with NUL and 8-bit Latin-1 goes to the phone transfer-encoded and well-formed",
          "[e2e][bad-input]") {
    std::string user = new_user("rawmime");
    std::string message = std::string("From: J\xfcrgen <j@example.com>\r\nTo: ") + user +
                          "\r\nSubject: Gr\xfc\xdf" "e\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
                          "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                          "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                          "Sch\xf6ne Gr\xfc\xdf" "e\r\n--b\r\nContent-Type: application/octet-stream; name=blob.bin\r\n"
                          "Content-Transfer-Encoding: binary\r\n\r\n" +
                          std::string("\x00\x01\x02\xff\xfe\x00tail", 11) + "\r\n--b--\r\n";
    deliver(user, message);
    auto c = client(user, "MIMEPHONE", "14.1");
    auto h = folder_sync(c);
    EasResponse keep;
    std::string key = sync(c, h.ids["Inbox"], "0", keep).key;
    auto r = sync(c, h.ids["Inbox"], key, keep,
                  "<Options><B:BodyPreference><B:Type>4</B:Type></B:BodyPreference><MIMESupport>2</MIMESupport></Options>");
    REQUIRE(r.adds.size() == 1);
    const auto* body = r.adds[0]->child(tag::AirSync::ApplicationData)->child(tag::AirSyncBase::Body);
    REQUIRE(body);
    std::string mime(body->child_text(tag::AirSyncBase::Data));
    CHECK(mime.find('\0') == std::string::npos);
    for (unsigned char ch : mime) {
        INFO("byte " << static_cast<int>(ch));
        REQUIRE((ch == '\t' || ch == '\r' || ch == '\n' || (ch >= 0x20 && ch < 0x7f)));
    }
    INFO(mime);
    CHECK_FALSE(easd::test::has(mime, "Content-Transfer-Encoding: 8bit"));
    CHECK_FALSE(easd::test::has(mime, "Content-Transfer-Encoding: binary"));
    CHECK(easd::test::has(mime, "base64"));
    CHECK(easd::test::has(mime, "=?"));  // the 8-bit header as an RFC 2047 word
    CHECK(well_formed_xml(easd::wbxml::to_xml(*keep.doc)));
    // The phone can still read what it says.
    auto parsed = easd::wbxml::decode(easd::wbxml::encode(*keep.doc));
    CHECK(parsed);
}
