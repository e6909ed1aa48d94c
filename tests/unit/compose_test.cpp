// Mail from the phone: what travels (From the account, no Bcc, Date and Message-ID present, the body
// byte for byte), the Sent Items copy, the envelope, and the original a smart reply brings along.
#include <catch2/catch.hpp>

#include "content/auto_reply.h"
#include "content/compose.h"
#include "content/message.h"
#include "support/text.h"

using namespace easd::content;

namespace {

using easd::test::has;

}  // namespace

TEST_CASE("compose: Bcc leaves what travels, stays in the copy, and is in the envelope", "[compose]") {
    const std::string body = "\r\n--b\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n--b--\r\n";
    const std::string mime = "To: Bob <BOB@example.com>\r\nBcc: hidden@example.com,\r\n  \"Two\" <two@example.org>\r\n"
                             "Cc: bob@example.com\r\nSubject: S\r\nContent-Type: multipart/signed; boundary=b\r\n" + body;
    auto out = prepare_outgoing(mime, "me@example.com", "Me Myself", 1796032800);
    REQUIRE(out);
    CHECK(out->recipients == std::vector<std::string>{"bob@example.com", "hidden@example.com", "two@example.org"});
    CHECK_FALSE(has(out->mime, "Bcc"));
    CHECK_FALSE(has(out->mime, "two@example.org"));
    CHECK(has(out->sent_copy, "Bcc: hidden@example.com,\r\n  \"Two\" <two@example.org>\r\n"));
    CHECK(out->for_sent_items() == out->sent_copy);
    // Only header fields change: the body travels byte for byte (a signature stays valid).
    CHECK(out->mime.substr(out->mime.size() - body.size()) == body);
    CHECK(has(out->mime, "From: Me Myself <me@example.com>\r\n"));
    CHECK(header_values(out->mime, "Date") == std::vector<std::string>{"Mon, 30 Nov 2026 10:00:00 +0000"});
    CHECK(header_values(out->mime, "Message-ID").size() == 1);
    auto parsed = parse_message(out->mime);
    REQUIRE(parsed);
    CHECK(parsed->subject == "S");
}

TEST_CASE("compose: From is always the account; the phone's own name for it is kept", "[compose]") {
    auto spoofed = prepare_outgoing("From: The Boss <boss@example.com>\r\nSender: x@y\r\nTo: a@b.example\r\n\r\nx\r\n",
                                    "me@example.com", "Me", 0);
    REQUIRE(spoofed);
    CHECK(header_values(spoofed->mime, "From") == std::vector<std::string>{"Me <me@example.com>"});
    CHECK(header_values(spoofed->mime, "Sender").empty());
    auto named = prepare_outgoing("From: \"Jörg M.\" <ME@example.com>\r\nTo: a@b.example\r\nDate: Mon, 30 Nov 2026 "
                                  "10:00:00 +0100\r\nMessage-ID: <keep@x>\r\n\r\nx\r\n",
                                  "me@example.com", "", 0);
    REQUIRE(named);
    auto from = parse_message(named->mime);
    REQUIRE(from);
    CHECK(from->from == "\"Jörg M.\" <me@example.com>");
    CHECK(header_values(named->mime, "Message-ID") == std::vector<std::string>{"<keep@x>"});
    CHECK(header_values(named->mime, "Date") == std::vector<std::string>{"Mon, 30 Nov 2026 10:00:00 +0100"});
    // LF-only input keeps LF.
    auto lf = prepare_outgoing("To: a@b.example\nSubject: lf\n\nbody\n", "me@example.com", "", 0);
    REQUIRE(lf);
    CHECK(has(lf->mime, "From: me@example.com\n"));
    CHECK(lf->mime.find('\r') == std::string::npos);
}

TEST_CASE("compose: the parse it keeps is what parsing the prepared message says", "[compose]") {
    // Filing the Sent Items copy and local recipients' copies takes out->parsed instead of parsing
    // again: it must be that parse, the fields prepare_outgoing changes (From, Sender, Date,
    // Message-ID) included.
    const std::vector<std::string> phones = {
        "From: The Boss <boss@example.com>\r\nSender: x@y.example\r\nTo: a@b.example\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nx\r\n",
        "From: \"J\xC3\xB6rg M.\" <ME@example.com>\r\nTo: \"Doe, Jane\" <a@b.example>\r\nBcc: h@c.example\r\nDate: Mon, 30 Nov 2026 "
        "10:00:00 +0100\r\nMessage-ID: <keep@x>\r\nIn-Reply-To: <o@x>\r\nImportance: high\r\n\r\nx\r\n",
        "To: a@b.example\nSubject: lf\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
        "Content-Type: text/html\n\n<p>hi</p>\n--b\nContent-Type: image/png; name=a.png\n"
        "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b--\n",
    };
    for (const auto& phone : phones) {
        INFO(phone);
        auto out = prepare_outgoing(phone, "me@example.com", "Me Myself", 1796032800);
        REQUIRE(out);
        auto again = parse_message(out->for_sent_items());
        REQUIRE(again);
        const ParsedMessage& kept = out->parsed;
        CHECK(kept.from == again->from);
        CHECK(kept.sender == again->sender);
        CHECK(kept.to == again->to);
        CHECK(kept.cc == again->cc);
        CHECK(kept.display_to == again->display_to);
        CHECK(kept.subject == again->subject);
        CHECK(kept.message_id == again->message_id);
        CHECK(kept.in_reply_to == again->in_reply_to);
        CHECK(kept.date == again->date);
        CHECK(kept.importance == again->importance);
        CHECK(kept.message_class == again->message_class);
        CHECK(kept.body_plain == again->body_plain);
        CHECK(kept.body_html == again->body_html);
        REQUIRE(kept.attachments.size() == again->attachments.size());
        for (std::size_t i = 0; i < kept.attachments.size(); ++i) {
            CHECK(kept.attachments[i].part_path == again->attachments[i].part_path);
            CHECK(kept.attachments[i].size == again->attachments[i].size);
        }
    }
}

TEST_CASE("compose: no recipients, or not a message", "[compose]") {
    auto none = prepare_outgoing("Subject: to nobody\r\n\r\nx\r\n", "me@example.com", "", 0);
    REQUIRE(none);
    CHECK(none->recipients.empty());
    std::string error;
    CHECK_FALSE(prepare_outgoing("", "me@example.com", "", 0, &error));
    CHECK_FALSE(error.empty());
}

TEST_CASE("compose: a smart reply quotes the original, a forward carries its attachments", "[compose]") {
    const std::string original =
        "From: Dora <dora@far.example>\r\nTo: me@example.com\r\nSubject: Report\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n"
        "<html><head><title>t</title></head><body><p>The numbers</p></body></html>\r\n--b\r\n"
        "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=q4.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
    auto reply = add_original("From: me@example.com\r\nTo: dora@far.example\r\nSubject: Re: Report\r\n"
                              "In-Reply-To: <r1@far.example>\r\nReferences: <r0@far.example> <r1@far.example>\r\n\r\nThanks\r\n",
                              original, false, 0);
    REQUIRE(reply);
    auto parsed = parse_message(*reply);
    REQUIRE(parsed);
    INFO(parsed->body_plain);
    CHECK(has(parsed->body_plain, "Thanks\r\n\r\n-----Original Message-----\r\nFrom: Dora <dora@far.example>\r\n"));
    CHECK(has(parsed->body_plain, "Subject: Report"));
    CHECK(has(parsed->body_plain, "The numbers"));
    CHECK(parsed->attachments.empty());
    CHECK(header_values(*reply, "In-Reply-To") == std::vector<std::string>{"<r1@far.example>"});
    CHECK(header_values(*reply, "References") == std::vector<std::string>{"<r0@far.example> <r1@far.example>"});

    auto forward = add_original("From: me@example.com\r\nTo: eve@example.org\r\nSubject: Fw: Report\r\n"
                                "Content-Type: text/html\r\n\r\n<html><body><p>FYI</p></body></html>\r\n",
                                original, true, 0);
    REQUIRE(forward);
    auto fwd = parse_message(*forward);
    REQUIRE(fwd);
    CHECK(has(fwd->body_html, "<p>FYI</p><hr><div><b>From:</b> Dora"));
    CHECK(has(fwd->body_html, "<p>The numbers</p>"));
    CHECK_FALSE(has(fwd->body_html, "<title>"));  // the original's body only, not its head
    REQUIRE(fwd->attachments.size() == 1);
    CHECK(fwd->attachments[0].file_name == "q4.pdf");

    std::string error;
    CHECK_FALSE(add_original("", original, false, 0, &error));
}
