// Drafts written on the phone (16.0+): Sync Add and Change of email in the Drafts folder become an
// RFC 5322 message in the store, reach the user's other devices as email, and follow edits.
// Also BodyPartPreference (14.1+) beside Body.
#include <algorithm>

#include "e2e_support.h"
#include "protocol/request.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

const easd::wbxml::Node* responses_of(const EasResponse& r) {
    return r.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(tag::AirSync::Responses);
}

const char* kTo = "\"Jörg Müller\" &lt;joerg@example.com&gt;, Zoë &lt;zoe@example.com&gt;";
const char* kToStored = "Jörg Müller <joerg@example.com>, Zoë <zoe@example.com>";
const char* kSubject = "Grüße aus Köln – 日本語";

std::string draft_add(const std::string& client_id, const std::string& extra = "") {
    return std::string("<Commands><Add><ClientId>") + client_id + "</ClientId><ApplicationData><E:To>" + kTo +
           "</E:To><E:Cc>Ĉefo &lt;chef@example.com&gt;</E:Cc><E2:Bcc>hidden@example.com</E2:Bcc><E:Subject>" +
           kSubject + "</E:Subject><E:Importance>2</E:Importance><B:Body><B:Type>1</B:Type><B:Data>Erste Zeile\r\n"
           "zweite: äöü</B:Data></B:Body>" + extra + "</ApplicationData></Add></Commands>";
}

const std::string kBodyOptions = "<Options><B:BodyPreference><B:Type>1</B:Type></B:BodyPreference></Options>";

std::string user_id_of(const std::string& user) {
    return cluster().psql("SELECT id FROM users WHERE address = '" + user + "'");
}

}  // namespace

TEST_CASE("a draft written on one device reaches the other and follows its edits", "[e2e][drafts]") {
    std::string user = new_user("drafts");
    auto a = client(user, "DRAFT-A", "16.1");
    auto b = client(user, "DRAFT-B", "16.1");
    auto ha = folder_sync(a);
    auto hb = folder_sync(b);
    std::string col = ha.ids["Drafts"];
    REQUIRE(!col.empty());
    REQUIRE(hb.ids["Drafts"] == col);
    EasResponse ka, kb;
    std::string key_a = sync(a, col, "0", ka).key;
    std::string key_b = sync(b, col, "0", kb).key;

    auto added = sync_with(a, col, key_a, ka, draft_add("draft-1"));
    REQUIRE(added.status == "1");
    CHECK(added.adds.empty());  // not echoed to the writer
    const auto* resp = responses_of(ka);
    REQUIRE(resp);
    const auto* add = resp->child(tag::AirSync::Add);
    REQUIRE(add);
    CHECK(text_of(*add, tag::AirSync::ClientId) == "draft-1");
    CHECK(text_of(*add, tag::AirSync::Status) == "1");
    std::string id = text_of(*add, tag::AirSync::ServerId);
    REQUIRE(!id.empty());
    key_a = added.key;

    // The store holds an ordinary message whose columns are what parsing its bytes gives.
    CHECK(cluster().psql("SELECT folder_id FROM items WHERE id = " + id) == col);
    CHECK(cluster().psql("SELECT subject FROM emails WHERE item_id = " + id) == kSubject);
    CHECK(cluster().psql("SELECT to_addr FROM emails WHERE item_id = " + id) == kToStored);
    CHECK(cluster().psql("SELECT cc_addr FROM emails WHERE item_id = " + id) == "Ĉefo <chef@example.com>");
    CHECK(cluster().psql("SELECT display_to FROM emails WHERE item_id = " + id) == "Jörg Müller; Zoë");
    CHECK(cluster().psql("SELECT importance || '|' || read || '|' || message_class || '|' || has_attachments "
                         "FROM emails WHERE item_id = " + id) == "2|true|IPM.Note|false");
    CHECK(cluster().psql("SELECT from_addr FROM emails WHERE item_id = " + id) == user);
    std::string mime = cluster().psql("SELECT encode(mime, 'escape') FROM emails WHERE item_id = " + id);
    INFO(mime);
    CHECK(mime.find("MIME-Version: 1.0") != std::string::npos);
    CHECK(mime.find("Subject: =?UTF-8?") != std::string::npos);
    CHECK(mime.find("Bcc: hidden@example.com") != std::string::npos);
    CHECK(mime.find("Message-Id: <") != std::string::npos);
    CHECK(mime.find("Date: ") != std::string::npos);
    CHECK(mime.find("Importance: high") != std::string::npos);
    CHECK(mime.find("text/plain; charset=utf-8") != std::string::npos);
    CHECK(std::all_of(mime.begin(), mime.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
    CHECK(cluster().psql("SELECT size = octet_length(mime) FROM emails WHERE item_id = " + id) == "t");

    // The other device receives it as email in Drafts, with the same fields.
    auto got = sync(b, col, key_b, kb, kBodyOptions);
    REQUIRE(got.adds.size() == 1);
    CHECK(text_of(*got.adds[0], tag::AirSync::ServerId) == id);
    const auto* data = got.adds[0]->child(tag::AirSync::ApplicationData);
    REQUIRE(data);
    CHECK(text_of(*data, tag::Email::Subject) == kSubject);
    CHECK(text_of(*data, tag::Email::To) == kToStored);
    CHECK(text_of(*data, tag::Email::Cc) == "Ĉefo <chef@example.com>");
    CHECK(text_of(*data, tag::Email::Importance) == "2");
    CHECK(text_of(*data, tag::Email::Read) == "1");
    REQUIRE(data->child(tag::AirSyncBase::Body));
    CHECK(text_of(*data->child(tag::AirSyncBase::Body), tag::AirSyncBase::Data) == "Erste Zeile\r\nzweite: äöü");
    key_b = got.key;

    // The writer changes the subject only: the rest stays; the other device gets a Change.
    auto changed = sync_with(a, col, key_a, ka,
                             "<Commands><Change><ServerId>" + id + "</ServerId><ApplicationData><E:Subject>Neuer "
                             "Betreff ✓</E:Subject></ApplicationData></Change></Commands>");
    CHECK(changed.status == "1");
    CHECK(changed.changes.empty());
    CHECK(responses_of(ka) == nullptr);  // a plain successful Change has no response
    key_a = changed.key;
    CHECK(cluster().psql("SELECT subject FROM emails WHERE item_id = " + id) == "Neuer Betreff ✓");
    CHECK(cluster().psql("SELECT to_addr FROM emails WHERE item_id = " + id) == kToStored);
    CHECK(cluster().psql("SELECT importance FROM emails WHERE item_id = " + id) == "2");
    std::string mime2 = cluster().psql("SELECT encode(mime, 'escape') FROM emails WHERE item_id = " + id);
    CHECK(mime2.find("Bcc: hidden@example.com") != std::string::npos);  // kept, though the Change did not name it

    auto seen = sync(b, col, key_b, kb, kBodyOptions);
    REQUIRE(seen.changes.size() == 1);
    CHECK(seen.adds.empty());
    CHECK(text_of(*seen.changes[0], tag::AirSync::ServerId) == id);
    const auto* cdata = seen.changes[0]->child(tag::AirSync::ApplicationData);
    CHECK(text_of(*cdata, tag::Email::Subject) == "Neuer Betreff ✓");
    CHECK(text_of(*cdata, tag::Email::To) == kToStored);
    CHECK(text_of(*cdata->child(tag::AirSyncBase::Body), tag::AirSyncBase::Data) == "Erste Zeile\r\nzweite: äöü");
    key_b = seen.key;

    // The writer's next Sync has nothing: its own edit is not echoed.
    auto quiet = sync(a, col, key_a, ka);
    CHECK(quiet.adds.empty());
    CHECK(quiet.changes.empty());

    SECTION("a Change of Read and Flag alone leaves the message as it is") {
        std::string before = cluster().psql("SELECT md5(mime) FROM emails WHERE item_id = " + id);
        auto r = sync_with(a, col, quiet.key, ka,
                           "<Commands><Change><ServerId>" + id + "</ServerId><ApplicationData><E:Read>0</E:Read>"
                           "</ApplicationData></Change></Commands>");
        CHECK(r.status == "1");
        CHECK(cluster().psql("SELECT md5(mime) FROM emails WHERE item_id = " + id) == before);
        CHECK(cluster().psql("SELECT read FROM emails WHERE item_id = " + id) == "f");
    }
}

TEST_CASE("a repeated draft Add after a lost response creates nothing twice", "[e2e][drafts][smartsync]") {
    std::string user = new_user("draftdup");
    auto a = client(user, "DUP", "16.1");
    auto h = folder_sync(a);
    std::string col = h.ids["Drafts"];
    EasResponse k;
    std::string key = sync(a, col, "0", k).key;
    auto first = sync_with(a, col, key, k, draft_add("same-client-id"));
    REQUIRE(first.status == "1");
    std::string id1 = text_of(*responses_of(k)->child(tag::AirSync::Add), tag::AirSync::ServerId);
    // The response is lost: the device sends the same request with the same key.
    auto second = sync_with(a, col, key, k, draft_add("same-client-id"));
    REQUIRE(second.status == "1");
    const auto* add = responses_of(k)->child(tag::AirSync::Add);
    CHECK(text_of(*add, tag::AirSync::ServerId) == id1);
    CHECK(text_of(*add, tag::AirSync::Status) == "1");
    CHECK(second.key == first.key);
    CHECK(cluster().psql("SELECT count(*) FROM items WHERE user_id = " + user_id_of(user) + " AND folder_id = " + col) ==
          "1");
    auto next = sync(a, col, second.key, k);
    CHECK(next.adds.empty());
    CHECK(next.changes.empty());
}

TEST_CASE("email Adds outside 16.0+ drafts keep status 6", "[e2e][drafts]") {
    std::string user = new_user("draftold");
    std::string uid = user_id_of(user);

    // 14.1 has no drafts from the phone.
    auto old = client(user, "OLD", "14.1");
    auto ho = folder_sync(old);
    EasResponse k;
    std::string key = sync(old, ho.ids["Drafts"], "0", k).key;
    auto r = sync_with(old, ho.ids["Drafts"], key, k, draft_add("old-1"));
    CHECK(r.status == "1");
    const auto* add = responses_of(k)->child(tag::AirSync::Add);
    REQUIRE(add);
    CHECK(text_of(*add, tag::AirSync::Status) == "6");
    CHECK(text_of(*add, tag::AirSync::ServerId).empty());

    // 16.1, but the Inbox is not the Drafts folder.
    auto now = client(user, "NEW", "16.1");
    auto hn = folder_sync(now);
    std::string ikey = sync(now, hn.ids["Inbox"], "0", k).key;
    sync_with(now, hn.ids["Inbox"], ikey, k, draft_add("inbox-1"));
    CHECK(text_of(*responses_of(k)->child(tag::AirSync::Add), tag::AirSync::Status) == "6");

    // An unusable draft (RTF body) is a conversion error too.
    std::string dkey = sync(now, hn.ids["Drafts"], "0", k).key;
    sync_with(now, hn.ids["Drafts"], dkey, k,
              "<Commands><Add><ClientId>rtf-1</ClientId><ApplicationData><E:Subject>x</E:Subject><B:Body><B:Type>3"
              "</B:Type><B:Data>e1xydGY=</B:Data></B:Body></ApplicationData></Add></Commands>");
    CHECK(text_of(*responses_of(k)->child(tag::AirSync::Add), tag::AirSync::Status) == "6");

    CHECK(cluster().psql("SELECT count(*) FROM items WHERE user_id = " + uid + " AND folder_id IN (" + ho.ids["Drafts"] +
                         ", " + hn.ids["Inbox"] + ")") == "0");
}

TEST_CASE("draft attachments: added with a FileReference, deleted by it", "[e2e][drafts][attachments]") {
    std::string user = new_user("draftatt");
    auto a = client(user, "ATT-A", "16.1");
    auto b = client(user, "ATT-B", "16.1");
    auto ha = folder_sync(a);
    folder_sync(b);
    std::string col = ha.ids["Drafts"];
    EasResponse ka, kb;
    std::string key_a = sync(a, col, "0", ka).key;
    std::string key_b = sync(b, col, "0", kb).key;
    std::string pdf = std::string("%PDF-1.4\0\x01\x02\xff end", 16);
    auto added = sync_with(
        a, col, key_a, ka,
        draft_add("att-draft", "<B:Attachments><B:Add><B:ClientId>file-1</B:ClientId><B:Content>[opaque 16 bytes: " +
                                   std::string("JVBERi0xLjQAAQL/IGVuZA==") +
                                   "]</B:Content><B:DisplayName>Bericht Ä.pdf</B:DisplayName><B:Method>1</B:Method>"
                                   "<B:ContentType>application/pdf</B:ContentType></B:Add></B:Attachments>"));
    REQUIRE(added.status == "1");
    const auto* add = responses_of(ka)->child(tag::AirSync::Add);
    REQUIRE(add);
    CHECK(text_of(*add, tag::AirSync::Status) == "1");
    std::string id = text_of(*add, tag::AirSync::ServerId);
    const auto* rdata = add->child(tag::AirSync::ApplicationData);
    REQUIRE(rdata);
    const auto* ratt = rdata->child(tag::AirSyncBase::Attachments)->child(tag::AirSyncBase::Attachment);
    REQUIRE(ratt);
    CHECK(text_of(*ratt, tag::AirSyncBase::ClientId) == "file-1");
    std::string ref = text_of(*ratt, tag::AirSyncBase::FileReference);
    CHECK(ref == id + ":2");
    key_a = added.key;
    CHECK(cluster().psql("SELECT file_name || '|' || size || '|' || content_type FROM email_attachments WHERE item_id = " +
                         id) == "Bericht Ä.pdf|16|application/pdf");

    // The bytes come back through ItemOperations exactly as the phone sent them.
    auto fetch = xml("<ItemOperations xmlns='ItemOperations' xmlns:B='AirSyncBase'><Fetch><Store>Mailbox</Store>"
                     "<B:FileReference>" + ref + "</B:FileReference></Fetch></ItemOperations>");
    auto fr = a.command("ItemOperations", &fetch);
    REQUIRE(fr.doc);
    const auto* props = fr.doc->child(tag::ItemOperations::Response)->child(tag::ItemOperations::Fetch)->child(
        tag::ItemOperations::Properties);
    REQUIRE(props);
    CHECK(easd::protocol::base64_decode(props->child_text(tag::ItemOperations::Data)) == pdf);

    auto got = sync(b, col, key_b, kb, kBodyOptions);
    REQUIRE(got.adds.size() == 1);
    const auto* batt = got.adds[0]->child(tag::AirSync::ApplicationData)->child(tag::AirSyncBase::Attachments);
    REQUIRE(batt);
    CHECK(text_of(*batt->child(tag::AirSyncBase::Attachment), tag::AirSyncBase::DisplayName) == "Bericht Ä.pdf");
    key_b = got.key;

    // Deleting it: the draft is rebuilt without it, and the writer gets the draft back (its parts
    // were renumbered).
    auto del = sync_with(a, col, key_a, ka,
                         "<Commands><Change><ServerId>" + id + "</ServerId><ApplicationData><B:Attachments><B:Delete>"
                         "<B:FileReference>" + ref + "</B:FileReference></B:Delete></B:Attachments></ApplicationData>"
                         "</Change></Commands>");
    CHECK(del.status == "1");
    CHECK(del.changes.size() == 1);
    CHECK(cluster().psql("SELECT count(*) FROM email_attachments WHERE item_id = " + id) == "0");
    CHECK(cluster().psql("SELECT has_attachments || '|' || subject FROM emails WHERE item_id = " + id) ==
          std::string("false|") + kSubject);
    auto gone = sync(b, col, key_b, kb, kBodyOptions);
    REQUIRE(gone.changes.size() == 1);
    CHECK_FALSE(gone.changes[0]->child(tag::AirSync::ApplicationData)->has(tag::AirSyncBase::Attachments));
}

TEST_CASE("BodyPartPreference brings a BodyPart beside the Body (14.1+)", "[e2e][drafts][bodypart]") {
    std::string user = new_user("bodypart");
    deliver(user,
            "From: Sender <sender@example.com>\r\nTo: someone@e2e.test\r\nSubject: html\r\n"
            "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Grüße, this is the message part</p>\r\n");
    auto sync_inbox = [&](const std::string& version, const std::string& part_pref) {
        std::string device = "BP";
        for (char ch : version)
            if (ch != '.') device += ch;
        auto c = client(user, device, version);
        auto h = folder_sync(c);
        EasResponse k;
        std::string key = sync(c, h.ids["Inbox"], "0", k).key;
        auto r = sync(c, h.ids["Inbox"], key, k,
                      "<Options><B:BodyPreference><B:Type>1</B:Type></B:BodyPreference>" + part_pref + "</Options>");
        REQUIRE(r.adds.size() == 1);
        auto data = *r.adds[0]->child(tag::AirSync::ApplicationData);
        return data;
    };
    std::string html = "<p>Grüße, this is the message part</p>\r\n";

    SECTION("whole") {
        auto data = sync_inbox("14.1", "<B:BodyPartPreference><B:Type>2</B:Type><B:Preview>5</B:Preview>"
                                       "</B:BodyPartPreference>");
        REQUIRE(data.child(tag::AirSyncBase::Body));
        CHECK(text_of(*data.child(tag::AirSyncBase::Body), tag::AirSyncBase::Type) == "1");
        const auto* part = data.child(tag::AirSyncBase::BodyPart);
        REQUIRE(part);
        REQUIRE(part->children.size() == 5);
        CHECK(part->children[0].tag == tag::AirSyncBase::Status);  // the order MS-ASAIRS 2.2.2.10 gives
        CHECK(text_of(*part, tag::AirSyncBase::Status) == "1");
        CHECK(text_of(*part, tag::AirSyncBase::Type) == "2");
        CHECK(text_of(*part, tag::AirSyncBase::EstimatedDataSize) == std::to_string(html.size()));
        CHECK(text_of(*part, tag::AirSyncBase::Data) == html);
        CHECK(text_of(*part, tag::AirSyncBase::Preview) == "Grü");  // 5 bytes, cut on a character boundary
        CHECK_FALSE(part->has(tag::AirSyncBase::Truncated));
    }
    SECTION("truncated") {
        auto data = sync_inbox("16.1", "<B:BodyPartPreference><B:Type>2</B:Type><B:TruncationSize>10"
                                       "</B:TruncationSize></B:BodyPartPreference>");
        const auto* part = data.child(tag::AirSyncBase::BodyPart);
        REQUIRE(part);
        CHECK(text_of(*part, tag::AirSyncBase::Status) == "1");
        CHECK(text_of(*part, tag::AirSyncBase::Truncated) == "1");
        CHECK(text_of(*part, tag::AirSyncBase::Data) == html.substr(0, 10));
        CHECK(text_of(*part, tag::AirSyncBase::EstimatedDataSize) == std::to_string(html.size()));
    }
    SECTION("too large with AllOrNone") {
        auto data = sync_inbox("14.1", "<B:BodyPartPreference><B:Type>2</B:Type><B:TruncationSize>10"
                                       "</B:TruncationSize><B:AllOrNone>1</B:AllOrNone></B:BodyPartPreference>");
        const auto* part = data.child(tag::AirSyncBase::BodyPart);
        REQUIRE(part);
        CHECK(text_of(*part, tag::AirSyncBase::Status) == "176");
        CHECK_FALSE(part->has(tag::AirSyncBase::Data));
    }
    SECTION("not before 14.1") {
        auto data = sync_inbox("14.0", "<B:BodyPartPreference><B:Type>2</B:Type></B:BodyPartPreference>");
        CHECK_FALSE(data.has(tag::AirSyncBase::BodyPart));
        CHECK(data.has(tag::AirSyncBase::Body));
    }
    SECTION("absent without the preference") {
        auto data = sync_inbox("16.1", "");
        CHECK_FALSE(data.has(tag::AirSyncBase::BodyPart));
    }
}

TEST_CASE("a repeated draft Change that adds an attachment adds it once", "[e2e][drafts][smartsync]") {
    std::string user = new_user("draftrepeat");
    auto a = client(user, "REP", "16.1");
    auto h = folder_sync(a);
    std::string col = h.ids["Drafts"];
    EasResponse k;
    std::string key = sync(a, col, "0", k).key;
    key = sync_with(a, col, key, k, draft_add("rep-1")).key;
    std::string id = text_of(*responses_of(k)->child(tag::AirSync::Add), tag::AirSync::ServerId);
    std::string change = "<Commands><Change><ServerId>" + id + "</ServerId><ApplicationData><B:Attachments><B:Add>"
                         "<B:ClientId>f1</B:ClientId><B:Content>hello</B:Content><B:DisplayName>a.txt</B:DisplayName>"
                         "<B:Method>1</B:Method></B:Add></B:Attachments></ApplicationData></Change></Commands>";
    auto first = sync_with(a, col, key, k, change);
    REQUIRE(first.status == "1");
    const auto* r = responses_of(k)->child(tag::AirSync::Change);
    REQUIRE(r);  // a Change that adds an attachment is answered with its FileReference
    const auto* att = r->child(tag::AirSync::ApplicationData)->child(tag::AirSyncBase::Attachments)->child(
        tag::AirSyncBase::Attachment);
    CHECK(text_of(*att, tag::AirSyncBase::ClientId) == "f1");
    CHECK(text_of(*att, tag::AirSyncBase::FileReference) == id + ":2");
    // Lost response: the same request again. The server's version (with one attachment) wins and
    // goes out as a Change; nothing is added twice.
    auto second = sync_with(a, col, key, k, change);
    CHECK(second.status == "1");
    CHECK(second.key == first.key);
    CHECK(cluster().psql("SELECT count(*) FROM email_attachments WHERE item_id = " + id) == "1");
    REQUIRE(second.changes.size() == 1);
    const auto* atts = second.changes[0]->child(tag::AirSync::ApplicationData)->child(tag::AirSyncBase::Attachments);
    REQUIRE(atts);
    CHECK(atts->children_of(tag::AirSyncBase::Attachment).size() == 1);
}

TEST_CASE("a draft sent from Sync goes out and on to Sent Items; a failed send keeps it", "[e2e][drafts][sendmail]") {
    std::string user = new_user("draftsend");
    std::string colleague = new_user("colleague");
    auto a = client(user, "SEND-A", "16.1");
    auto h = folder_sync(a);
    std::string drafts = h.ids["Drafts"], sent = h.ids["Sent Items"];
    EasResponse k;
    std::string key = sync(a, drafts, "0", k).key;
    const std::size_t before = fake_sendmail().calls().size();

    // Written and sent at once (Send inside ApplicationData, as phones put it).
    auto r = sync_with(a, drafts, key, k,
                       "<Commands><Add><ClientId>now-1</ClientId><ApplicationData><E:To>" + colleague +
                           ", out@far.example</E:To><E2:Bcc>secret@far.example</E2:Bcc><E:Subject>Sent at once"
                           "</E:Subject><B:Body><B:Type>1</B:Type><B:Data>hello</B:Data></B:Body><E2:Send/>"
                           "</ApplicationData></Add></Commands>");
    REQUIRE(r.status == "1");
    const auto* add = responses_of(k)->child(tag::AirSync::Add);
    REQUIRE(add);
    CHECK(text_of(*add, tag::AirSync::Status) == "1");
    std::string id = text_of(*add, tag::AirSync::ServerId);
    key = r.key;
    CHECK(inbox_subjects(colleague) == "Sent at once");
    auto calls = fake_sendmail().calls_since(before);
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].first == "-i\n-f\n" + user + "\n--\nout@far.example\nsecret@far.example\n");
    CHECK(calls[0].second.find("Bcc") == std::string::npos);
    CHECK(cluster().psql("SELECT folder_id FROM items WHERE id = " + id) == sent);
    CHECK(cluster().psql("SELECT convert_from(mime, 'UTF8') LIKE '%Bcc: secret@far.example%' FROM emails WHERE item_id = " +
                         id) == "t");

    // The same response tells the device that the draft left Drafts, and it is not told again.
    REQUIRE(r.deletes.size() == 1);
    CHECK(text_of(*r.deletes[0], tag::AirSync::ServerId) == id);
    r = sync(a, drafts, key, k);
    CHECK(r.deletes.empty());
    CHECK(r.adds.empty());
    key = r.key;

    // Saved first, sent later with a Change (Send beside ApplicationData, as MS-ASEMAIL puts it);
    // while sendmail fails the draft stays a draft, unchanged, and the phone is told 5.
    r = sync_with(a, drafts, key, k,
                  "<Commands><Add><ClientId>later-1</ClientId><ApplicationData><E:To>out2@far.example</E:To>"
                  "<E:Subject>Later</E:Subject></ApplicationData></Add></Commands>");
    std::string later = text_of(*responses_of(k)->child(tag::AirSync::Add), tag::AirSync::ServerId);
    key = r.key;
    {
        FailingSendmail failing;
        r = sync_with(a, drafts, key, k,
                      "<Commands><Change><ServerId>" + later + "</ServerId><E2:Send/><ApplicationData><E:Subject>Later, "
                      "edited</E:Subject></ApplicationData></Change></Commands>");
    }
    const auto* change = responses_of(k)->child(tag::AirSync::Change);
    REQUIRE(change);
    CHECK(text_of(*change, tag::AirSync::Status) == "5");
    CHECK(cluster().psql("SELECT folder_id FROM items WHERE id = " + later) == drafts);
    CHECK(cluster().psql("SELECT subject FROM emails WHERE item_id = " + later) == "Later");
    key = r.key;
    r = sync_with(a, drafts, key, k, "<Commands><Change><ServerId>" + later + "</ServerId><E2:Send/><ApplicationData>"
                                     "</ApplicationData></Change></Commands>");
    CHECK(r.status == "1");
    REQUIRE(r.deletes.size() == 1);  // the sent draft leaves Drafts on the device too
    CHECK(text_of(*r.deletes[0], tag::AirSync::ServerId) == later);
    CHECK(cluster().psql("SELECT folder_id FROM items WHERE id = " + later) == sent);
    CHECK(fake_sendmail().calls_since(before).size() == 2);

    // A draft to nobody cannot be sent: 6, and nothing of the Add stays (the phone keeps its draft).
    key = r.key;
    r = sync_with(a, drafts, key, k,
                  "<Commands><Add><ClientId>nobody-1</ClientId><ApplicationData><E:Subject>To whom?</E:Subject>"
                  "<E2:Send/></ApplicationData></Add></Commands>");
    CHECK(text_of(*responses_of(k)->child(tag::AirSync::Add), tag::AirSync::Status) == "6");
    CHECK(cluster().psql("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id JOIN users u ON u.id = i.user_id "
                         "WHERE u.address = '" + user + "' AND e.subject = 'To whom?'") == "0");

    // Only drafts are sent: Send on a message in the Inbox is refused, and nothing goes out.
    deliver(user, simple_message("not a draft"));
    std::string ikey = sync(a, h.ids["Inbox"], "0", k).key;
    auto inbox = sync(a, h.ids["Inbox"], ikey, k);
    REQUIRE(inbox.adds.size() == 1);
    std::string mail = text_of(*inbox.adds[0], tag::AirSync::ServerId);
    sync_with(a, h.ids["Inbox"], inbox.key, k, "<Commands><Change><ServerId>" + mail + "</ServerId><ApplicationData>"
                                               "<E:Read>1</E:Read><E2:Send/></ApplicationData></Change></Commands>");
    CHECK(text_of(*responses_of(k)->child(tag::AirSync::Change), tag::AirSync::Status) == "6");
    CHECK(fake_sendmail().calls_since(before).size() == 2);
}
