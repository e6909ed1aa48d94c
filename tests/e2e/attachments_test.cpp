// Attachments end to end: listed in Sync (12.0+ and 2.5), fetched with ItemOperations (whole,
// by range, multipart) and GetAttachment, never across users; ItemOperations Fetch of a whole
// item with MIME; EmptyFolderContents seen by a second device.
#include <cstdint>

#include "e2e_support.h"
#include "protocol/request.h"
#include "store/mail.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;
using easd::wbxml::Node;

namespace {

std::string bytes_of(std::size_t n, unsigned seed) {
    std::string s;
    uint32_t x = seed;
    for (std::size_t i = 0; i < n; ++i) {
        x = x * 1664525u + 1013904223u;
        s.push_back(static_cast<char>(x >> 24));
    }
    return s;
}

const std::string kImage = std::string("\x89PNG\r\n\x1a\n", 8) + bytes_of(692, 7);  // 700 bytes
const std::string kPdf = "%PDF-1.4\n" + bytes_of(2991, 11) + std::string("\0\0\xff", 3);  // 3003 bytes

std::string base64_lines(const std::string& bytes) {
    std::string b64 = EasClient::base64(bytes), out;
    for (std::size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
    return out;
}

std::string message_with_attachments(const std::string& subject) {
    return "From: Sender <sender@example.com>\r\nTo: someone@e2e.test\r\nSubject: " + subject +
           "\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"mixed-b\"\r\n\r\n"
           "--mixed-b\r\nContent-Type: multipart/related; boundary=\"rel-b\"; type=\"text/html\"\r\n\r\n"
           "--rel-b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           "<p>See the logo <img src=\"cid:logo.1@e2e.test\"> and the report.</p>\r\n"
           "--rel-b\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-Transfer-Encoding: base64\r\n"
           "Content-ID: <logo.1@e2e.test>\r\nContent-Disposition: inline; filename=\"logo.png\"\r\n\r\n" +
           base64_lines(kImage) +
           "--rel-b--\r\n"
           "--mixed-b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
           "Content-Disposition: attachment;\r\n filename*0*=UTF-8''%E2%82%AC%20quarterly;\r\n filename*1*=%20report.pdf\r\n\r\n" +
           base64_lines(kPdf) + "--mixed-b--\r\n";
}

std::string deliver_to(const std::string& user, const std::string& message, const std::string& folder) {
    auto r = easd::test::run_process(
        {EASD_DELIVER_BIN, "--database", cluster().conninfo(), "--recipient", user, "--folder", folder}, message);
    if (r.exit_code != 0) FAIL("easd-deliver failed (" << r.exit_code << "): " << r.err);
    return r.out;
}

struct Att {
    std::string name, ref, method, size, content_id, is_inline;
};

std::vector<Att> attachments_of(const Node& application_data) {
    std::vector<Att> out;
    const auto* list = application_data.child(tag::AirSyncBase::Attachments);
    if (!list) return out;
    for (const auto* a : list->children_of(tag::AirSyncBase::Attachment))
        out.push_back({text_of(*a, tag::AirSyncBase::DisplayName), text_of(*a, tag::AirSyncBase::FileReference),
                       text_of(*a, tag::AirSyncBase::Method), text_of(*a, tag::AirSyncBase::EstimatedDataSize),
                       text_of(*a, tag::AirSyncBase::ContentId), text_of(*a, tag::AirSyncBase::IsInline)});
    return out;
}

// The first Fetch of an ItemOperations response (kept alive in `keep`).
EasResponse fetch_attachment(EasClient& c, const std::string& ref, const std::string& range = "",
                             const std::map<std::string, std::string>& query = {}) {
    std::string options = range.empty() ? "" : "<Options><Range>" + range + "</Range></Options>";
    auto body = xml("<ItemOperations xmlns='ItemOperations' xmlns:B='AirSyncBase'><Fetch><Store>Mailbox</Store>"
                    "<B:FileReference>" + ref + "</B:FileReference>" + options + "</Fetch></ItemOperations>");
    return c.command("ItemOperations", &body, query);
}

std::string decoded_data(const Node& fetch) {
    const auto* props = fetch.child(tag::ItemOperations::Properties);
    REQUIRE(props);
    auto bytes = easd::protocol::base64_decode(props->child_text(tag::ItemOperations::Data));
    REQUIRE(bytes);
    return *bytes;
}

uint32_t le32(const std::string& s, std::size_t at) {
    REQUIRE(at + 4 <= s.size());
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
    return v;
}

// MS-ASCMD 2.2.1.10.1: PartsCount, (Offset, Length) per part, the parts.
std::vector<std::string> split_multipart(const std::string& body) {
    uint32_t count = le32(body, 0);
    REQUIRE(count >= 1);
    REQUIRE(count < 1000);
    std::vector<std::string> parts;
    for (uint32_t i = 0; i < count; ++i) {
        uint32_t offset = le32(body, 4 + 8 * i), length = le32(body, 8 + 8 * i);
        REQUIRE(std::size_t(offset) + length <= body.size());
        parts.push_back(body.substr(offset, length));
    }
    return parts;
}

// A user with the two-attachment message synced by device "A": the item id and its attachments.
struct Fixture {
    std::string user;
    Hierarchy h;
    std::string item;
    std::vector<Att> atts;
    EasClient a;

    Fixture()
        : user(new_user("att")), a(client(user, "A")) {
        deliver(user, message_with_attachments("two attachments"));
        h = folder_sync(a);
        EasResponse k;
        auto s = sync(a, h.ids["Inbox"], sync(a, h.ids["Inbox"], "0", k).key, k,
                      "<Options><B:BodyPreference><B:Type>1</B:Type></B:BodyPreference></Options>");
        REQUIRE(s.adds.size() == 1);
        item = text_of(*s.adds[0], tag::AirSync::ServerId);
        atts = attachments_of(*s.adds[0]->child(tag::AirSync::ApplicationData));
        REQUIRE(atts.size() == 2);
    }
};

}  // namespace

TEST_CASE("Sync lists the attachments (12.0+)", "[e2e][attachments]") {
    Fixture f;
    CHECK(f.atts[0].name == "logo.png");
    CHECK(f.atts[0].method == "1");
    CHECK(f.atts[0].size == "700");
    CHECK(f.atts[0].content_id == "logo.1@e2e.test");
    CHECK(f.atts[0].is_inline == "1");
    CHECK(f.atts[1].name == "\xE2\x82\xAC quarterly report.pdf");  // RFC 2231 continuation, UTF-8
    CHECK(f.atts[1].method == "1");
    CHECK(f.atts[1].size == "3003");
    CHECK(f.atts[1].content_id.empty());
    CHECK(f.atts[1].is_inline == "0");
    CHECK(f.atts[0].ref.rfind(f.item + ":", 0) == 0);
    CHECK(f.atts[1].ref.rfind(f.item + ":", 0) == 0);
    CHECK(f.atts[0].ref != f.atts[1].ref);
    CHECK(cluster().psql("SELECT count(*) FROM email_attachments WHERE item_id = " + f.item) == "2");
}

TEST_CASE("ItemOperations fetches each attachment, whole and by range", "[e2e][attachments]") {
    Fixture f;
    const std::string* originals[] = {&kImage, &kPdf};
    const char* types[] = {"image/png", "application/pdf"};
    for (int i = 0; i < 2; ++i) {
        INFO("attachment " << i);
        auto r = fetch_attachment(f.a, f.atts[static_cast<std::size_t>(i)].ref);
        const auto& fetch = first_fetch(r);
        CHECK(text_of(fetch, tag::ItemOperations::Status) == "1");
        CHECK(text_of(fetch, tag::AirSyncBase::FileReference) == f.atts[static_cast<std::size_t>(i)].ref);
        CHECK(text_of(*fetch.child(tag::ItemOperations::Properties), tag::AirSyncBase::ContentType) == types[i]);
        CHECK(decoded_data(fetch) == *originals[i]);
    }

    SECTION("the first KB") {
        auto r = fetch_attachment(f.a, f.atts[1].ref, "0-1023");
        const auto& fetch = first_fetch(r);
        const auto* props = fetch.child(tag::ItemOperations::Properties);
        CHECK(text_of(*props, tag::ItemOperations::Range) == "0-1023");
        CHECK(text_of(*props, tag::ItemOperations::Total) == "3003");
        CHECK(decoded_data(fetch) == kPdf.substr(0, 1024));
    }
    SECTION("a range beyond the end is cut at the end") {
        auto r = fetch_attachment(f.a, f.atts[1].ref, "2048-999999");
        const auto& fetch = first_fetch(r);
        CHECK(text_of(*fetch.child(tag::ItemOperations::Properties), tag::ItemOperations::Range) == "2048-3002");
        CHECK(decoded_data(fetch) == kPdf.substr(2048));
    }
    SECTION("an invalid range: status 8") {
        for (const char* bad : {"5-2", "3003-4000", "x-1", "-5", "1-"}) {
            INFO(bad);
            auto r = fetch_attachment(f.a, f.atts[1].ref, bad);
            CHECK(text_of(first_fetch(r), tag::ItemOperations::Status) == "8");
        }
    }
}

TEST_CASE("GetAttachment returns the bytes (14.1 and 2.5), not in 16.1", "[e2e][attachments]") {
    Fixture f;
    auto r = f.a.command("GetAttachment", nullptr, {{"AttachmentName", f.atts[1].ref}});
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "application/pdf");
    CHECK(r.body == kPdf);

    // 2.5: the attachments are email:Attachments, the name to ask for is AttName.
    auto old = client(f.user, "OLD25", "2.5");
    auto h = folder_sync(old);
    EasResponse k;
    auto s = sync(old, h.ids["Inbox"], sync(old, h.ids["Inbox"], "0", k).key, k);
    REQUIRE(s.adds.size() == 1);
    const auto* list = s.adds[0]->child(tag::AirSync::ApplicationData)->child(tag::Email::Attachments);
    REQUIRE(list);
    auto atts = list->children_of(tag::Email::Attachment);
    REQUIRE(atts.size() == 2);
    CHECK(text_of(*atts[0], tag::Email::DisplayName) == "logo.png");
    CHECK(text_of(*atts[0], tag::Email::AttSize) == "700");
    CHECK(text_of(*atts[0], tag::Email::AttMethod) == "1");
    CHECK(text_of(*atts[0], tag::Email::Att0Id) == "logo.1@e2e.test");
    std::string att_name = text_of(*atts[0], tag::Email::AttName);
    auto g = old.command("GetAttachment", nullptr, {{"AttachmentName", att_name}});
    CHECK(g.status == 200);
    CHECK(g.header("content-type") == "image/png");
    CHECK(g.body == kImage);

    auto v16 = client(f.user, "NEW16", "16.1");
    CHECK(v16.command("GetAttachment", nullptr, {{"AttachmentName", f.atts[1].ref}}).status == 400);
    CHECK(f.a.command("GetAttachment").status == 400);  // no AttachmentName
    CHECK(f.a.command("GetAttachment", nullptr, {{"AttachmentName", f.item + ":9"}}).status == 500);
}

TEST_CASE("another user's FileReference is not found and leaks nothing", "[e2e][attachments][security]") {
    Fixture f;
    std::string mallory = new_user("att-other");
    auto m = client(mallory, "M");
    folder_sync(m);
    for (const auto& att : f.atts) {
        auto r = fetch_attachment(m, att.ref);
        const auto& fetch = first_fetch(r);
        CHECK(text_of(fetch, tag::ItemOperations::Status) == "15");
        CHECK_FALSE(fetch.has(tag::ItemOperations::Properties));
        auto g = m.command("GetAttachment", nullptr, {{"AttachmentName", att.ref}});
        CHECK(g.status == 500);
        CHECK(g.body.find("PDF") == std::string::npos);
        CHECK(g.body.find("PNG") == std::string::npos);
    }
    // Whole-item fetch of her message: not found either.
    auto body = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync'><Fetch><Store>Mailbox</Store>"
                    "<A:CollectionId>" + f.h.ids["Inbox"] + "</A:CollectionId><A:ServerId>" + f.item +
                    "</A:ServerId></Fetch></ItemOperations>");
    auto r = m.command("ItemOperations", &body);
    CHECK(text_of(first_fetch(r), tag::ItemOperations::Status) == "6");
    CHECK_FALSE(first_fetch(r).has(tag::ItemOperations::Properties));
    // Malformed references are refused the same way.
    const std::vector<std::string> malformed{"garbage", f.item, f.item + ":0", f.item + ":2.", "0:2", f.item + ":2 "};
    for (const auto& bad : malformed) {
        INFO(bad);
        auto x = fetch_attachment(f.a, bad);
        CHECK(text_of(first_fetch(x), tag::ItemOperations::Status) == "15");
    }
}

TEST_CASE("ItemOperations fetches a whole item as Sync renders it, with MIME on request", "[e2e][attachments]") {
    Fixture f;
    std::string original = message_with_attachments("two attachments");
    auto body = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync' xmlns:B='AirSyncBase'><Fetch>"
                    "<Store>Mailbox</Store><A:CollectionId>" + f.h.ids["Inbox"] + "</A:CollectionId><A:ServerId>" +
                    f.item + "</A:ServerId><Options><A:MIMESupport>2</A:MIMESupport><B:BodyPreference><B:Type>4"
                    "</B:Type></B:BodyPreference></Options></Fetch></ItemOperations>");
    auto r = f.a.command("ItemOperations", &body);
    const auto& fetch = first_fetch(r);
    CHECK(text_of(fetch, tag::ItemOperations::Status) == "1");
    CHECK(text_of(fetch, tag::AirSync::CollectionId) == f.h.ids["Inbox"]);
    CHECK(text_of(fetch, tag::AirSync::ServerId) == f.item);
    CHECK(text_of(fetch, tag::AirSync::Class) == "Email");
    const auto* props = fetch.child(tag::ItemOperations::Properties);
    REQUIRE(props);
    CHECK(text_of(*props, tag::Email::Subject) == "two attachments");
    const auto* b = props->child(tag::AirSyncBase::Body);
    REQUIRE(b);
    CHECK(text_of(*b, tag::AirSyncBase::Type) == "4");
    CHECK(text_of(*b, tag::AirSyncBase::Data) == original);
    CHECK(attachments_of(*props).size() == 2);

    SECTION("plain text by default; an item not in that collection is not found") {
        auto plain = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync'><Fetch><Store>Mailbox</Store>"
                         "<A:CollectionId>" + f.h.ids["Inbox"] + "</A:CollectionId><A:ServerId>" + f.item +
                         "</A:ServerId></Fetch></ItemOperations>");
        auto p = f.a.command("ItemOperations", &plain);
        const auto* pb = first_fetch(p).child(tag::ItemOperations::Properties)->child(tag::AirSyncBase::Body);
        REQUIRE(pb);
        CHECK(text_of(*pb, tag::AirSyncBase::Type) == "1");
        CHECK(text_of(*pb, tag::AirSyncBase::Data).find("See the logo") != std::string::npos);

        auto wrong = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync'><Fetch><Store>Mailbox</Store>"
                         "<A:CollectionId>" + f.h.ids["Drafts"] + "</A:CollectionId><A:ServerId>" + f.item +
                         "</A:ServerId></Fetch></ItemOperations>");
        auto w = f.a.command("ItemOperations", &wrong);
        CHECK(text_of(first_fetch(w), tag::ItemOperations::Status) == "6");
    }
}

TEST_CASE("multipart ItemOperations responses", "[e2e][attachments][multipart]") {
    Fixture f;
    auto r = fetch_attachment(f.a, f.atts[1].ref, "", {{"AcceptMultiPart", "T"}});
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "application/vnd.ms-sync.multipart");
    auto parts = split_multipart(r.body);
    REQUIRE(parts.size() == 2);
    auto doc = easd::wbxml::decode(parts[0]);
    REQUIRE(doc.root);
    const auto* fetch = doc.root->child(tag::ItemOperations::Response)->child(tag::ItemOperations::Fetch);
    REQUIRE(fetch);
    CHECK(text_of(*fetch, tag::ItemOperations::Status) == "1");
    const auto* props = fetch->child(tag::ItemOperations::Properties);
    REQUIRE(props);
    CHECK_FALSE(props->has(tag::ItemOperations::Data));
    CHECK(text_of(*props, tag::ItemOperations::Part) == "1");
    CHECK(parts[1] == kPdf);

    // Two fetches, an attachment range and a whole item: parts 1 and 2, Part replaces Body/Data.
    auto body = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync' xmlns:B='AirSyncBase'>"
                    "<Fetch><Store>Mailbox</Store><B:FileReference>" + f.atts[0].ref + "</B:FileReference>"
                    "<Options><Range>0-99</Range></Options></Fetch>"
                    "<Fetch><Store>Mailbox</Store><A:CollectionId>" + f.h.ids["Inbox"] + "</A:CollectionId>"
                    "<A:ServerId>" + f.item + "</A:ServerId><Options><B:BodyPreference><B:Type>4</B:Type>"
                    "</B:BodyPreference></Options></Fetch></ItemOperations>");
    auto two = f.a.command("ItemOperations", &body, {{"AcceptMultiPart", "T"}});
    REQUIRE(two.status == 200);
    auto p2 = split_multipart(two.body);
    REQUIRE(p2.size() == 3);
    auto d2 = easd::wbxml::decode(p2[0]);
    REQUIRE(d2.root);
    auto fetches = d2.root->child(tag::ItemOperations::Response)->children_of(tag::ItemOperations::Fetch);
    REQUIRE(fetches.size() == 2);
    CHECK(text_of(*fetches[0]->child(tag::ItemOperations::Properties), tag::ItemOperations::Part) == "1");
    CHECK(p2[1] == kImage.substr(0, 100));
    const auto* b = fetches[1]->child(tag::ItemOperations::Properties)->child(tag::AirSyncBase::Body);
    REQUIRE(b);
    CHECK_FALSE(b->has(tag::AirSyncBase::Data));
    CHECK(text_of(*b, tag::ItemOperations::Part) == "2");
    CHECK(p2[2] == message_with_attachments("two attachments"));

    // The header form (MS-ASAcceptMultiPart: T) means the same as the query parameter.
    auto by_header = f.a.command("ItemOperations", &body, {}, {{"MS-ASAcceptMultiPart", "T"}});
    REQUIRE(by_header.status == 200);
    CHECK(by_header.header("content-type") == "application/vnd.ms-sync.multipart");
    CHECK(split_multipart(by_header.body).size() == 3);
}

TEST_CASE("large originals come back byte for byte: an attachment of every byte value, MIME read in slices",
          "[e2e][attachments][originals]") {
    std::string user = new_user("bytes");
    // An attachment sent unencoded (Content-Transfer-Encoding: binary): every byte value, NUL, CR,
    // LF and 0x80..0xFF included, over a few of the 2 MiB slices the store reads originals in.
    std::string payload((5u << 20) + 77, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i & 0xff);
    const std::string binary_message =
        "From: Sender <sender@example.com>\r\nTo: " + user + "\r\nSubject: every byte\r\n"
        "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"=_every-byte_=\"\r\n\r\n"
        "--=_every-byte_=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nthe bytes\r\n"
        "--=_every-byte_=\r\nContent-Type: application/octet-stream; name=\"all.bin\"\r\n"
        "Content-Disposition: attachment; filename=\"all.bin\"\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
        payload + "\r\n--=_every-byte_=--\r\n";
    // One that a WBXML string takes as it is (UTF-8 beyond ASCII, no control characters), so Type 4
    // sends it unchanged.
    std::string text_body;
    while (text_body.size() < (5u << 20)) text_body += "Gr\xC3\xBC\xC3\x9F" "e \xE2\x82\xAC " + std::to_string(text_body.size()) + "\r\n";
    const std::string text_message = simple_message("large text", text_body);
    deliver(user, binary_message);
    deliver(user, text_message);
    auto stored = [&](const std::string& subject) {
        return cluster().psql("SELECT encode(sha256(e.mime), 'hex') FROM emails e JOIN items i ON i.id = e.item_id "
                              "JOIN users u ON u.id = i.user_id WHERE u.address = '" + user + "' AND e.subject = '" +
                              subject + "'");
    };
    REQUIRE(stored("every byte") == easd::store::message_digest(binary_message));  // stored as delivered
    REQUIRE(stored("large text") == easd::store::message_digest(text_message));

    auto a = client(user, "BYTES");
    auto h = folder_sync(a);
    EasResponse k;
    auto s = sync(a, h.ids["Inbox"], sync(a, h.ids["Inbox"], "0", k).key, k,
                  "<Options><B:BodyPreference><B:Type>1</B:Type><B:TruncationSize>100</B:TruncationSize>"
                  "</B:BodyPreference></Options>");
    REQUIRE(s.adds.size() == 2);
    std::string reference, text_item;
    for (const auto* add : s.adds) {
        auto atts = attachments_of(*add->child(tag::AirSync::ApplicationData));
        if (atts.empty()) text_item = text_of(*add, tag::AirSync::ServerId);
        else reference = atts.at(0).ref;
    }
    REQUIRE_FALSE(reference.empty());
    REQUIRE_FALSE(text_item.empty());

    auto g = a.command("GetAttachment", nullptr, {{"AttachmentName", reference}});
    CHECK(g.status == 200);
    CHECK(g.body.size() == payload.size());
    CHECK(g.body == payload);
    auto r = fetch_attachment(a, reference);
    CHECK(decoded_data(first_fetch(r)) == payload);
    auto m = fetch_attachment(a, reference, "", {{"AcceptMultiPart", "T"}});
    auto parts = split_multipart(m.body);
    REQUIRE(parts.size() == 2);
    CHECK(parts[1] == payload);

    auto body = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync' xmlns:B='AirSyncBase'><Fetch>"
                    "<Store>Mailbox</Store><A:CollectionId>" + h.ids["Inbox"] + "</A:CollectionId><A:ServerId>" +
                    text_item + "</A:ServerId><Options><B:BodyPreference><B:Type>4</B:Type></B:BodyPreference>"
                    "</Options></Fetch></ItemOperations>");
    auto whole = a.command("ItemOperations", &body);
    const auto* b = first_fetch(whole).child(tag::ItemOperations::Properties)->child(tag::AirSyncBase::Body);
    REQUIRE(b);
    CHECK(text_of(*b, tag::AirSyncBase::Type) == "4");
    const std::string data = text_of(*b, tag::AirSyncBase::Data);
    CHECK(data.size() == text_message.size());
    CHECK(data == text_message);
}

TEST_CASE("EmptyFolderContents empties Deleted Items; a second device gets the Deletes", "[e2e][attachments][empty]") {
    std::string user = new_user("empty");
    deliver_to(user, simple_message("trash one"), "Deleted Items");
    deliver_to(user, message_with_attachments("trash two"), "Deleted Items");
    deliver(user, simple_message("keep me"));
    auto a = client(user, "EA");
    auto b = client(user, "EB");
    auto ha = folder_sync(a);
    auto hb = folder_sync(b);
    std::string trash = ha.ids["Deleted Items"];
    EasResponse k;
    auto sb = sync(b, trash, sync(b, trash, "0", k).key, k);
    REQUIRE(sb.adds.size() == 2);
    std::string key_b = sb.key;

    // A user folder below Deleted Items, with an item in it.
    std::string uid = cluster().psql("SELECT id FROM users WHERE address = '" + user + "'");
    std::string sub = cluster().psql("INSERT INTO folders (user_id, parent_id, name, type, item_class) VALUES (" + uid +
                                     ", " + trash + ", 'old stuff', 12, 'Email') RETURNING id");
    sub = sub.substr(0, sub.find('\n'));
    deliver_to(user, simple_message("in the subfolder"), "old stuff");

    // Someone else's folder id: not found, nothing deleted.
    std::string other = new_user("empty-other");
    auto o = client(other, "O");
    folder_sync(o);
    auto empty = [&](EasClient& c, const std::string& col, bool subfolders) {
        auto body = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync'><EmptyFolderContents><A:CollectionId>" +
                        col + "</A:CollectionId>" + (subfolders ? "<Options><DeleteSubFolders/></Options>" : "") +
                        "</EmptyFolderContents></ItemOperations>");
        auto r = c.command("ItemOperations", &body);
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        const auto* e = r.doc->child(tag::ItemOperations::Response)->child(tag::ItemOperations::EmptyFolderContents);
        REQUIRE(e);
        CHECK(text_of(*e, tag::AirSync::CollectionId) == col);
        return text_of(*e, tag::ItemOperations::Status);
    };
    CHECK(empty(o, trash, true) == "6");
    CHECK(cluster().psql("SELECT count(*) FROM items WHERE folder_id = " + trash) == "2");

    CHECK(empty(a, trash, false) == "1");
    CHECK(cluster().psql("SELECT count(*) FROM items WHERE folder_id = " + trash) == "0");
    CHECK(cluster().psql("SELECT count(*) FROM folders WHERE id = " + sub) == "1");  // kept without DeleteSubFolders
    CHECK(cluster().psql("SELECT count(*) FROM items WHERE user_id = " + uid) == "2");  // Inbox + subfolder
    auto gone = sync(b, trash, key_b, k);
    CHECK(gone.deletes.size() == 2);

    CHECK(empty(a, trash, true) == "1");
    CHECK(cluster().psql("SELECT count(*) FROM folders WHERE id = " + sub) == "0");
    CHECK(cluster().psql("SELECT count(*) FROM items WHERE user_id = " + uid) == "1");  // the Inbox message
    CHECK(cluster().psql("SELECT count(*) FROM folders WHERE user_id = " + uid + " AND name = 'Deleted Items'") == "1");
}
