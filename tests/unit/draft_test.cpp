// Drafts from the phone: the message the builder writes must parse back (content::parse_message,
// the parser delivery uses) into exactly the fields the phone sent, and an edit must keep what it
// does not name.
#include <catch2/catch.hpp>

#include "content/attachment.h"
#include "content/draft.h"
#include "content/message.h"
#include "wbxml/wbxml.h"

using namespace easd::content;
namespace tag = easd::wbxml::tag;

namespace {

Draft sample() {
    Draft d;
    d.from = "Zoë Owner <owner@example.com>";
    d.to = "Jörg Müller <joerg@example.com>, plain@example.com";
    d.cc = "Ĉefo <chef@example.com>";
    d.bcc = "\"Hidden, Person\" <hidden@example.com>";
    d.subject = "Grüße aus Köln – 日本語 too";
    d.importance = 2;
    d.body = "Erste Zeile\r\nzweite Zeile: äöü\r\n";
    return d;
}

bool seven_bit(const std::string& s) {
    for (unsigned char c : s)
        if (c >= 0x80 || c == 0) return false;
    return true;
}

bool crlf_only(const std::string& s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
        if (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n')) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("a draft builds a message that parses back to the same fields", "[drafts][unit]") {
    Draft d = sample();
    std::string mime = build_draft_message(d, 1795000000, "example.com");
    INFO(mime);
    CHECK(seven_bit(mime));
    CHECK(crlf_only(mime));
    CHECK(mime.find("MIME-Version: 1.0\r\n") != std::string::npos);
    // RFC 2047 for the non-ASCII headers, always in UTF-8.
    CHECK(mime.find("Subject: =?UTF-8?") != std::string::npos);
    CHECK(mime.find("From: =?UTF-8?") != std::string::npos);
    CHECK(mime.find("iso-8859") == std::string::npos);
    CHECK(mime.find("Importance: high\r\n") != std::string::npos);
    CHECK(mime.find("charset=utf-8") != std::string::npos);
    CHECK(mime.find("Bcc: ") != std::string::npos);

    auto p = parse_message(mime);
    REQUIRE(p);
    CHECK(p->subject == d.subject);
    CHECK(p->from == d.from);
    CHECK(p->to == d.to);
    CHECK(p->cc == d.cc);
    CHECK(p->display_to == "Jörg Müller; plain@example.com");
    CHECK(p->importance == 2);
    CHECK(p->body_plain == d.body);
    CHECK(p->body_html.empty());
    REQUIRE(p->date);
    CHECK(*p->date == 1795000000);
    CHECK(p->message_id.size() > std::string("@example.com").size());
    CHECK(p->message_id.find("@example.com") != std::string::npos);
    CHECK_FALSE(p->has_attachments);

    auto back = draft_from_message(mime);
    REQUIRE(back);
    CHECK(back->bcc == d.bcc);
    CHECK(back->subject == d.subject);
    CHECK(back->body_type == 1);
    CHECK(back->message_id == p->message_id);
}

TEST_CASE("an HTML draft with attachments", "[drafts][unit]") {
    Draft d = sample();
    d.importance = 0;
    d.body_type = 2;
    d.body = "<p>Hallo <b>Welt</b> – ünïcode</p>";
    DraftAttachment a;
    a.file_name = "Bericht Ä.pdf";
    a.content_type = "application/pdf";
    a.bytes = std::string("%PDF-1.4\0\x01\x02\xff binary", 20);
    a.client_id = "att-1";
    d.attachments.push_back(a);
    DraftAttachment img;
    img.file_name = "logo.png";
    img.content_type = "image/png";
    img.content_id = "logo@x";
    img.is_inline = true;
    img.bytes = "\x89PNG\r\n\x1a\n";
    d.attachments.push_back(img);

    std::string mime = build_draft_message(d, 1795000000, "example.com");
    INFO(mime);
    CHECK(seven_bit(mime));
    CHECK(crlf_only(mime));
    auto p = parse_message(mime);
    REQUIRE(p);
    CHECK(p->importance == 0);
    CHECK(p->body_html == d.body);
    CHECK(p->body_plain.find("Hallo Welt") != std::string::npos);
    REQUIRE(p->attachments.size() == 2);
    CHECK(p->attachments[0].part_path == "2");
    CHECK(p->attachments[0].file_name == "Bericht Ä.pdf");
    CHECK(p->attachments[0].content_type == "application/pdf");
    CHECK(p->attachments[0].size == a.bytes.size());
    CHECK(p->attachments[1].part_path == "3");
    CHECK(p->attachments[1].content_id == "logo@x");
    CHECK(p->attachments[1].is_inline);
    CHECK(mime.find("filename*=UTF-8''Bericht%20%C3%84.pdf") != std::string::npos);
    CHECK(extract_attachment(mime, "2") == a.bytes);
    CHECK(extract_attachment(mime, "3") == img.bytes);

    auto e = email_from_parsed(mime, *p);
    CHECK(e.has_attachments);
    REQUIRE(e.attachments.size() == 2);
    CHECK(e.attachments[0].method == 1);

    // Read back, delete the PDF, change only the subject: everything else stays.
    auto back = draft_from_message(mime);
    REQUIRE(back);
    CHECK(back->body_type == 2);
    CHECK(back->body == d.body);
    REQUIRE(back->attachments.size() == 2);
    DraftEdit edit;
    edit.subject = "Neuer Betreff";
    edit.deleted.push_back("77:2");
    REQUIRE(apply_draft_edit(*back, edit, 77));
    std::string again = build_draft_message(*back, 1795000100, "example.com");
    auto q = parse_message(again);
    REQUIRE(q);
    CHECK(q->subject == "Neuer Betreff");
    CHECK(q->to == d.to);
    CHECK(q->body_html == d.body);
    CHECK(q->message_id == p->message_id);  // the same draft
    REQUIRE(q->attachments.size() == 1);
    CHECK(q->attachments[0].file_name == "logo.png");
    CHECK(extract_attachment(again, q->attachments[0].part_path) == img.bytes);

    // A Delete of an attachment the draft does not have (or of another item) is refused.
    DraftEdit wrong;
    wrong.deleted.push_back("78:2");
    std::string error;
    CHECK_FALSE(apply_draft_edit(*back, wrong, 77, &error));
    CHECK_FALSE(error.empty());
}

TEST_CASE("draft elements of ApplicationData", "[drafts][unit]") {
    easd::wbxml::Node data(tag::AirSync::ApplicationData);
    data.add(tag::Email::To, "\"A\" <a@example.com>; b@example.com");
    data.add(tag::Email2::Bcc, "c@example.com");
    data.add(tag::Email::Subject, "Hi\r\nBcc: injected@example.com");
    data.add(tag::Email::Importance, "2");
    auto& body = data.add(tag::AirSyncBase::Body);
    body.add(tag::AirSyncBase::Type, "1");
    body.add(tag::AirSyncBase::Data, "text");
    auto& atts = data.add(tag::AirSyncBase::Attachments);
    auto& add = atts.add(tag::AirSyncBase::Add);
    add.add(tag::AirSyncBase::ClientId, "a1");
    add.add_opaque(tag::AirSyncBase::Content, std::string("\0\1\2", 3));
    add.add(tag::AirSyncBase::DisplayName, "x.bin");
    add.add(tag::AirSyncBase::Method, "1");
    atts.add(tag::AirSyncBase::Delete).add(tag::AirSyncBase::FileReference, "5:2");

    auto e = parse_draft_edit(data);
    REQUIRE(e);
    CHECK(e->to == std::optional<std::string>("\"A\" <a@example.com>; b@example.com"));
    CHECK_FALSE(e->cc);
    CHECK(e->bcc == std::optional<std::string>("c@example.com"));
    CHECK(e->importance == std::optional<int>(2));
    CHECK(e->body == std::optional<std::string>("text"));
    REQUIRE(e->added.size() == 1);
    CHECK(e->added[0].bytes == std::string("\0\1\2", 3));
    CHECK(e->deleted == std::vector<std::string>{"5:2"});
    CHECK(e->touches_message());

    Draft d;
    d.from = "o@example.com";
    REQUIRE_FALSE(apply_draft_edit(d, *e, 0));  // "5:2" is not in this draft
    DraftEdit no_delete = *e;
    no_delete.deleted.clear();
    REQUIRE(apply_draft_edit(d, no_delete, 0));
    std::string mime = build_draft_message(d, 1795000000, "example.com");
    auto p = parse_message(mime);
    REQUIRE(p);
    CHECK(p->to == "A <a@example.com>, b@example.com");  // ';' read as a separator
    CHECK(p->subject == "Hi  Bcc: injected@example.com");  // no header injection
    CHECK(draft_from_message(mime)->bcc == "c@example.com");

    SECTION("bad values are refused") {
        easd::wbxml::Node bad(tag::AirSync::ApplicationData);
        bad.add(tag::Email::Importance, "7");
        CHECK_FALSE(parse_draft_edit(bad));
        easd::wbxml::Node rtf(tag::AirSync::ApplicationData);
        rtf.add(tag::AirSyncBase::Body).add(tag::AirSyncBase::Type, "3");
        CHECK_FALSE(parse_draft_edit(rtf));
        easd::wbxml::Node latin1(tag::AirSync::ApplicationData);
        latin1.add(tag::Email::Subject, "caf\xe9");
        CHECK_FALSE(parse_draft_edit(latin1));
        easd::wbxml::Node flags_only(tag::AirSync::ApplicationData);
        flags_only.add(tag::Email::Read, "1");
        auto f = parse_draft_edit(flags_only);
        REQUIRE(f);
        CHECK_FALSE(f->touches_message());
    }
}

TEST_CASE("a MIME body (Type 4) replaces the draft's content, not its From or Message-ID", "[drafts][unit][mime]") {
    easd::wbxml::Node data(tag::AirSync::ApplicationData);
    auto& body = data.add(tag::AirSyncBase::Body);
    body.add(tag::AirSyncBase::Type, "4");
    body.add_opaque(tag::AirSyncBase::Data,
                    "From: someone@else.example\r\nTo: b@example.com\r\nSubject: =?ISO-8859-1?Q?caf=E9?=\r\n"
                    "Importance: high\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9\r\n");
    data.add(tag::Email::Cc, "c@example.com");  // beside the MIME: applies over it
    auto e = parse_draft_edit(data);
    REQUIRE(e);
    REQUIRE(e->mime);
    CHECK_FALSE(e->body);
    CHECK(e->touches_message());

    Draft d = sample();
    d.message_id = "kept@example.com";
    REQUIRE(apply_draft_edit(d, *e, 0));
    CHECK(d.from == sample().from);
    CHECK(d.message_id == "kept@example.com");
    CHECK(d.to == "b@example.com");
    CHECK(d.cc == "c@example.com");
    CHECK(d.bcc.empty());
    CHECK(d.subject == "café");
    CHECK(d.importance == 2);
    CHECK(d.body.find("café") != std::string::npos);

    SECTION("a Type 4 body without the message: refused") {
        easd::wbxml::Node empty(tag::AirSync::ApplicationData);
        empty.add(tag::AirSyncBase::Body).add(tag::AirSyncBase::Type, "4");
        CHECK_FALSE(parse_draft_edit(empty));
    }
}
