// lib/content/message: MIME parsing at delivery, HTML to text, UTF-8 truncation.
#include <catch2/catch.hpp>

#include "content/message.h"

#include <atomic>
#include <random>
#include <thread>
#include <vector>

using namespace easd::content;

namespace {

// Raw strings are written with "\n" line ends; real messages have CRLF. Test both.
std::string crlf(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') out += "\r\n";
        else out.push_back(c);
    }
    return out;
}

ParsedMessage must_parse(std::string_view raw) {
    init_mime();
    std::string err;
    auto m = parse_message(raw, &err);
    INFO(err);
    REQUIRE(m);
    return *m;
}

const char* const kEncodedWords = R"(From: =?ISO-8859-1?Q?Andr=E9_Pirard?= <PIRARD@vm1.ulg.ac.be>
To: "Doe, Jane" <jane@example.com>, =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <joerg@example.de>,
 bob@example.com
Cc: =?iso-8859-1?q?Fran=E7ois?= <f@example.fr>
Reply-To: Lists <lists@example.org>
Subject: =?UTF-8?B?UmU6IEdyw7zDn2UgYXVzIE3DvG5jaGVu?=
Date: Tue, 14 Mar 2023 10:20:30 +0100
Message-ID: <abc123@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hallo Jörg,
bis bald.
)";

}  // namespace

TEST_CASE("RFC 2047 headers (UTF-8 and ISO-8859-1, Q and B), addresses, date", "[content]") {
    for (const std::string& raw : {std::string(kEncodedWords), crlf(kEncodedWords)}) {
        auto m = must_parse(raw);
        CHECK(m.subject == "Re: Grüße aus München");
        CHECK(m.thread_topic == "Grüße aus München");
        CHECK(m.from == "André Pirard <PIRARD@vm1.ulg.ac.be>");
        CHECK(m.to == "\"Doe, Jane\" <jane@example.com>, Jörg Müller <joerg@example.de>, bob@example.com");
        CHECK(m.display_to == "Doe, Jane; Jörg Müller; bob@example.com");
        CHECK(m.cc == "François <f@example.fr>");
        CHECK(m.reply_to == "Lists <lists@example.org>");
        CHECK(m.message_id == "abc123@example.com");
        REQUIRE(m.date);
        CHECK(*m.date == 1678785630);
        CHECK(m.importance == 1);
        CHECK_FALSE(m.has_attachments);
        CHECK(m.message_class == "IPM.Note");
        CHECK(m.body_plain == "Hallo Jörg,\r\nbis bald.\r\n");
        CHECK(m.body_html.empty());
        CHECK(m.size == raw.size());
    }
}

TEST_CASE("Q-encoded UTF-8 subject split over encoded words; missing Date", "[content]") {
    auto m = must_parse("Subject: =?utf-8?q?Caf=C3=A9_?= =?utf-8?q?cr=C3=A8me?=\nFrom: a@b.c\n\nx\n");
    CHECK(m.subject == "Café crème");
    CHECK_FALSE(m.date);
    CHECK(m.to.empty());
    CHECK(m.display_to.empty());
}

TEST_CASE("multipart/alternative: both bodies, quoted-printable", "[content]") {
    auto m = must_parse(crlf(R"(From: a@example.com
To: b@example.com
Subject: Alternative
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe, this is a long line that is wrapped by quoted-printable=
 soft line breaks.
--b1
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

<html><body><p>Gr=C3=BC=C3=9Fe</p></body></html>
--b1--
)"));
    CHECK(m.body_plain ==
          "Grüße, this is a long line that is wrapped by quoted-printable soft line breaks.");
    CHECK(m.body_html == "<html><body><p>Grüße</p></body></html>");
    CHECK_FALSE(m.has_attachments);
    CHECK(m.attachments.empty());
}

TEST_CASE("HTML only: body_plain derived from the HTML, no tags", "[content]") {
    auto m = must_parse(crlf(R"(From: a@example.com
Subject: HTML only
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<html><head><title>T</title><style>p { color: red; }</style>
<script>alert("x")</script></head>
<body><p>Gr=FC=DFe &amp; <b>hello</b>   world</p><div>Line&nbsp;two<br>Line three</div>
<a href=3D"https://example.com/">the link</a></body></html>
)"));
    CHECK(m.body_html.find("Grüße") != std::string::npos);
    CHECK(m.body_plain == "Grüße & hello world\r\n\r\nLine two\r\nLine three\r\nthe link");
    CHECK(m.body_plain.find('<') == std::string::npos);
    CHECK(m.body_plain.find("alert") == std::string::npos);
    CHECK(m.body_plain.find("color") == std::string::npos);
}

TEST_CASE("nested multipart/mixed with related HTML, inline image, RFC 2231 filename, attached message",
          "[content]") {
    auto m = must_parse(crlf(R"(From: a@example.com
To: =?utf-8?q?B=C3=A4r?= <b@example.com>
Subject: =?iso-8859-1?b?UmVjaG51bmcgTeRyeg==?=
Content-Type: multipart/mixed; boundary="outer"

preamble
--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=us-ascii

Please find the invoice attached.
--alt
Content-Type: multipart/related; boundary="rel"; type="text/html"

--rel
Content-Type: text/html; charset=utf-8

<p>Please find the invoice attached. <img src="cid:logo@example.com"></p>
--rel
Content-Type: image/png
Content-Transfer-Encoding: base64
Content-ID: <logo@example.com>
Content-Disposition: inline

iVBORw0KGgowMDAw
--rel--
--alt--
--outer
Content-Type: application/pdf
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
 filename*0*=UTF-8''Rechnung%20;
 filename*1*=M%C3%A4rz.pdf

JVBERi0xLjQK
--outer
Content-Type: message/rfc822

From: c@example.com
Subject: Forwarded one

inner body
--outer--
epilogue
)"));
    CHECK(m.subject == "Rechnung März");
    CHECK(m.display_to == "Bär");
    CHECK(m.body_plain == "Please find the invoice attached.");
    CHECK(m.body_html.find("cid:logo@example.com") != std::string::npos);
    CHECK(m.has_attachments);
    REQUIRE(m.attachments.size() == 3);

    const auto& img = m.attachments[0];
    CHECK(img.part_path == "1.2.2");
    CHECK(img.content_type == "image/png");
    CHECK(img.content_id == "logo@example.com");
    CHECK(img.is_inline);
    CHECK(img.size == 12);

    const auto& pdf = m.attachments[1];
    CHECK(pdf.part_path == "2");
    CHECK(pdf.file_name == "Rechnung März.pdf");
    CHECK(pdf.content_type == "application/pdf");
    CHECK_FALSE(pdf.is_inline);
    CHECK(pdf.size == 9);

    const auto& msg = m.attachments[2];
    CHECK(msg.part_path == "3");
    CHECK(msg.content_type == "message/rfc822");
    CHECK(msg.file_name == "Forwarded one");
    CHECK(msg.size > 0);
}

TEST_CASE("ISO-8859-1 body converted to UTF-8 (windows-1252 quotes too)", "[content]") {
    std::string raw = "From: a@example.com\r\nSubject: latin\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n"
                      "Content-Transfer-Encoding: 8bit\r\n\r\nGr\xfc\xdf" "e \x93zitiert\x94 \x80\r\n";
    auto m = must_parse(raw);
    CHECK(m.body_plain == "Grüße “zitiert” €\r\n");
}

TEST_CASE("broken charsets fall back to valid UTF-8", "[content]") {
    // Declared UTF-8 but Latin-1 bytes.
    auto m = must_parse("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGr\xfc\xdf" "e\r\n");
    CHECK(m.body_plain == "Grüße\r\n");
    // Unknown charset with UTF-8 bytes.
    m = must_parse("Subject: x\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nGrüße\r\n");
    CHECK(m.body_plain == "Grüße\r\n");
    // No charset, 8-bit Latin-1 bytes; raw 8-bit subject in Latin-1.
    m = must_parse("Subject: M\xfcnchen\r\n\r\nM\xfcnchen\r\n");
    CHECK(m.subject == "München");
    CHECK(m.body_plain == "München\r\n");
    // NUL bytes never reach the store.
    m = must_parse(std::string("Subject: n\r\n\r\na\0b\r\n", 19));
    CHECK(m.body_plain == "ab\r\n");
}

TEST_CASE("importance from Importance, X-Priority, Priority", "[content]") {
    CHECK(must_parse("X-Priority: 1 (Highest)\nSubject: a\n\nx").importance == 2);
    CHECK(must_parse("X-Priority: 2\nSubject: a\n\nx").importance == 2);
    CHECK(must_parse("X-Priority: 3 (Normal)\nSubject: a\n\nx").importance == 1);
    CHECK(must_parse("X-Priority: 4\nSubject: a\n\nx").importance == 0);
    CHECK(must_parse("X-Priority: 5 (Lowest)\nSubject: a\n\nx").importance == 0);
    CHECK(must_parse("Importance: High\nSubject: a\n\nx").importance == 2);
    CHECK(must_parse("Importance: low\nX-Priority: 1\nSubject: a\n\nx").importance == 0);
    CHECK(must_parse("Priority: urgent\nSubject: a\n\nx").importance == 2);
    CHECK(must_parse("Priority: non-urgent\nSubject: a\n\nx").importance == 0);
    CHECK(must_parse("X-Priority: banana\nSubject: a\n\nx").importance == 1);
}

TEST_CASE("S/MIME: multipart/signed and application/pkcs7-mime", "[content]") {
    auto m = must_parse(crlf(R"(From: a@example.com
Subject: signed
MIME-Version: 1.0
Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;
 boundary="sig"

This is a cryptographically signed message in MIME format.

--sig
Content-Type: text/plain; charset=utf-8

Signed text.
--sig
Content-Type: application/pkcs7-signature; name="smime.p7s"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="smime.p7s"

MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAKCC
--sig--
)"));
    CHECK(m.message_class == "IPM.Note.SMIME.MultipartSigned");
    CHECK(m.body_plain == "Signed text.");
    CHECK_FALSE(m.has_attachments);

    m = must_parse(crlf(R"(From: a@example.com
Subject: encrypted
Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="smime.p7m"

MIAGCSqGSIb3DQEHA6CAMIACAQAxggF
)"));
    CHECK(m.message_class == "IPM.Note.SMIME");
    CHECK(m.has_attachments);
    CHECK(m.body_plain.empty());

    // PGP signatures are not S/MIME.
    m = must_parse(crlf(R"(Subject: pgp
Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary="s"

--s
Content-Type: text/plain

t
--s
Content-Type: application/pgp-signature

sig
--s--
)"));
    CHECK(m.message_class == "IPM.Note");
}

TEST_CASE("calendar invitation and cancellation", "[content]") {
    const char* invite = R"(From: organizer@example.com
To: attendee@example.com
Subject: Invitation: Review
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: multipart/alternative; boundary="a"

--a
Content-Type: text/plain; charset=UTF-8

You are invited.
--a
Content-Type: text/calendar; charset=UTF-8; method=%s

BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//EN
METHOD:%s
BEGIN:VEVENT
UID:123@example.com
DTSTART:20240102T100000Z
DTEND:20240102T110000Z
SUMMARY:Review
END:VEVENT
END:VCALENDAR
--a--
--m
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

QkVHSU46VkNBTEVOREFSDQo=
--m--
)";
    auto make = [&](const char* method) {
        std::string s(invite);
        for (int i = 0; i < 2; ++i) s.replace(s.find("%s"), 2, method);
        return crlf(s);
    };
    auto m = must_parse(make("REQUEST"));
    CHECK(m.message_class == "IPM.Schedule.Meeting.Request");
    CHECK(m.body_plain == "You are invited.");
    REQUIRE(m.attachments.size() == 1);  // the .ics file, not the text/calendar alternative
    CHECK(m.attachments[0].file_name == "invite.ics");
    CHECK(must_parse(make("CANCEL")).message_class == "IPM.Schedule.Meeting.Canceled");

    // No method parameter: the METHOD property decides.
    auto m2 = must_parse("Subject: x\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR\n");
    CHECK(m2.message_class == "IPM.Schedule.Meeting.Request");
    auto m3 = must_parse("Subject: x\nContent-Type: text/calendar; method=REPLY\n\nBEGIN:VCALENDAR\n"
                         "BEGIN:VEVENT\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.c\nEND:VEVENT\nEND:VCALENDAR\n");
    CHECK(m3.message_class == "IPM.Schedule.Meeting.Resp.Pos");
}

TEST_CASE("delivery status notification", "[content]") {
    const char* dsn = R"(From: MAILER-DAEMON@example.com
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; nobody@example.org
Action: %s
Status: 5.1.1
--r
Content-Type: text/rfc822-headers

From: a@example.com
Subject: hello
--r--
)";
    std::string failed(dsn);
    failed.replace(failed.find("%s"), 2, "failed");
    auto m = must_parse(crlf(failed));
    CHECK(m.message_class == "REPORT.IPM.Note.NDR");
    CHECK(m.body_plain.find("could not be delivered") != std::string::npos);
    CHECK(m.has_attachments);
    std::string ok(dsn);
    ok.replace(ok.find("%s"), 2, "delivered");
    CHECK(must_parse(crlf(ok)).message_class == "REPORT.IPM.Note.DR");
}

TEST_CASE("thread topic strips reply and forward prefixes", "[content]") {
    auto topic = [](const char* subject) {
        return must_parse(std::string("Subject: ") + subject + "\n\nx").thread_topic;
    };
    CHECK(topic("Re: AW: Fwd: Hello") == "Hello");
    CHECK(topic("RE[2]: Budget") == "Budget");
    CHECK(topic("Sv: VS: Antw: Tr: hei") == "hei");
    CHECK(topic("RE : Réunion") == "Réunion");
    CHECK(topic("Reply needed: today") == "Reply needed: today");
    CHECK(topic("Hello") == "Hello");
    CHECK(topic("Re:") == "");
}

TEST_CASE("empty input and non-messages are errors", "[content]") {
    init_mime();
    std::string err;
    CHECK_FALSE(parse_message("", &err));
    CHECK(err == "not a message: empty");
    CHECK_FALSE(parse_message("hello world, this is not mail", &err));
    CHECK(err == "not a message: no header section");
    CHECK_FALSE(parse_message("\r\n\r\nbody only", &err));
    CHECK_FALSE(parse_message(std::string("\0\0\0\0", 4), &err));
    CHECK_FALSE(parse_message("From ", &err));
    CHECK_FALSE(parse_message(": no name\n\n", &err));
    CHECK_FALSE(parse_message("Subject: x", nullptr) == std::nullopt);  // header only is a message
}

TEST_CASE("garbage input never crashes", "[content]") {
    init_mime();
    std::mt19937 rng(99);
    const std::string seeds[] = {
        kEncodedWords,
        "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: multipart/alternative; boundary=x\n\n--x--\n",
        "Subject: =?utf-8?b?////?= =?x?q?=ZZ?= =?utf-8?q?\n\n",
        "Content-Type: text/plain; charset*=''; name*0*=%%%; name*1*=\xff\n"
        "Content-Disposition: attachment; filename*=utf-8''%ZZ%\n\n\xff\xfe",
        "Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nSubject: x\n\n",
        "Content-Type: multipart/signed; boundary=s\n\n--s\n--s--\n",
        "Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\n\n--r--",
        "Date: Mon, 99 Foo 99999 99:99:99 +9999\nTo: ;;;,,<<>>@@@\"\"\"\nFrom: =?utf-8?q?\xff?= <>\n\n",
    };
    for (const auto& s : seeds) {
        std::string e;
        (void)parse_message(s, &e);
        for (int i = 0; i < 300; ++i) {
            std::string mutated = s;
            int edits = 1 + static_cast<int>(rng() % 8);
            for (int ed = 0; ed < edits && !mutated.empty(); ++ed) {
                auto pos = rng() % mutated.size();
                switch (rng() % 3) {
                case 0: mutated[pos] = static_cast<char>(rng()); break;
                case 1: mutated.erase(pos, 1 + rng() % 8); break;
                default: mutated.insert(pos, mutated.substr(rng() % mutated.size(), rng() % 32)); break;
                }
            }
            (void)parse_message(mutated, &e);
        }
    }
    // Pathological nesting.
    std::string deep;
    for (int i = 0; i < 2000; ++i)
        deep += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" + std::to_string(i) + "\n";
    deep += "Content-Type: text/plain\n\ndeep\n";
    std::string err;
    (void)parse_message("Subject: deep\n" + deep, &err);
    SUCCEED();
}

TEST_CASE("parse_message from many threads at once", "[content]") {
    init_mime();
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                auto m = parse_message(crlf(kEncodedWords));
                if (m && m->subject == "Re: Grüße aus München" && html_to_text("<p>a<br>b</p>") == "a\nb") ++ok;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(ok == 400);
}

TEST_CASE("html_to_text: layout like a browser", "[content]") {
    CHECK(html_to_text("") == "");
    CHECK(html_to_text("plain   text\n with\tspaces") == "plain text with spaces");
    CHECK(html_to_text("<p>One</p><p>Two</p>") == "One\n\nTwo");
    CHECK(html_to_text("a<br>b<br><br>c") == "a\nb\n\nc");
    CHECK(html_to_text("<div>a</div><div>b</div>") == "a\nb");
    CHECK(html_to_text("<ul><li>x</li><li>y</li></ul>after") == "x\ny\n\nafter");
    CHECK(html_to_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>") == "a b\nc");
    CHECK(html_to_text("<h1>Title</h1>Text") == "Title\n\nText");
    CHECK(html_to_text("<blockquote>quoted</blockquote>me") == "quoted\n\nme");
    CHECK(html_to_text("&amp; &lt;tag&gt; &eacute; &#8364; &#x263A;") == "& <tag> é € ☺");
    CHECK(html_to_text("<b>bold</b> <i>italic</i>") == "bold italic");
    CHECK(html_to_text("<a href='http://x'>link text</a>") == "link text");
    CHECK(html_to_text("<pre>  keep\n    this</pre>") == "  keep\n    this");
    CHECK(html_to_text("<p>a</p>\n\n\n<p></p><p></p><div></div><p>b</p>") == "a\n\nb");
    CHECK(html_to_text("<script>var x = '<p>no</p>';</script><style>.a{}</style>yes") == "yes");
    CHECK(html_to_text("<!-- comment -->text") == "text");
    // UTF-8 in, UTF-8 out, even when the document claims another charset.
    CHECK(html_to_text("<meta charset=\"iso-8859-1\"><p>Grüße</p>") == "Grüße");
    CHECK(html_to_text("<html><head><meta http-equiv=Content-Type content='text/html; charset=koi8-r'></head>"
                       "<body>Привет</body></html>") == "Привет");
}

TEST_CASE("html_to_text never crashes on garbage", "[content]") {
    const std::string seeds[] = {"<<<>>><p<div</", "<table><tr><td><table><td>", "</p></p></div>",
                                 "<![CDATA[x]]>", "&#xFFFFFFFF; &#0; &bogus; &", "\xff\xfe\x00<p>",
                                 "<script>", "<style", "<a href=\"", "<?xml ?><!DOCTYPE x [<!ENTITY a 'b'>]>&a;"};
    std::mt19937 rng(5);
    for (const auto& s : seeds) {
        (void)html_to_text(s);
        for (int i = 0; i < 200; ++i) {
            std::string m = s + s;
            for (auto& c : m)
                if (rng() % 4 == 0) c = static_cast<char>(rng());
            std::string out = html_to_text(m);
            (void)out;
        }
    }
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "<div>";
    deep += "x";
    (void)html_to_text(deep);
    SUCCEED();
}

TEST_CASE("truncate_utf8 cuts on character boundaries", "[content]") {
    const std::string s = "aé€😀b";  // 1 + 2 + 3 + 4 + 1 bytes
    REQUIRE(s.size() == 11);
    CHECK(truncate_utf8(s, 100) == s);
    CHECK(truncate_utf8(s, 11) == s);
    CHECK(truncate_utf8(s, 0) == "");
    CHECK(truncate_utf8(s, 1) == "a");
    CHECK(truncate_utf8(s, 2) == "a");
    CHECK(truncate_utf8(s, 3) == "aé");
    CHECK(truncate_utf8(s, 4) == "aé");
    CHECK(truncate_utf8(s, 5) == "aé");
    CHECK(truncate_utf8(s, 6) == "aé€");
    CHECK(truncate_utf8(s, 7) == "aé€");
    CHECK(truncate_utf8(s, 9) == "aé€");
    CHECK(truncate_utf8(s, 10) == "aé€😀");
    CHECK(truncate_utf8("", 5) == "");
    // Invalid input: a long run of continuation bytes is cut where asked, not walked back.
    std::string bad = "a\x80\x80\x80\x80\x80";
    CHECK(truncate_utf8(bad, 5).size() == 5);
    // Every cut of valid UTF-8 is valid UTF-8 and a prefix.
    for (std::size_t n = 0; n <= s.size(); ++n) {
        auto t = truncate_utf8(s, n);
        CHECK(t.size() <= n);
        CHECK(s.compare(0, t.size(), t) == 0);
        CHECK(n - t.size() < 4);
    }
}
