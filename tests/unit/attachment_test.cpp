// FileReference strings (what a client sends back must be exactly what we wrote) and extracting one
// attachment's bytes from a stored message by part number.
#include <catch2/catch.hpp>

#include "content/attachment.h"
#include "content/message.h"

using easd::content::FileReference;
using easd::content::format_file_reference;
using easd::content::parse_file_reference;

TEST_CASE("FileReference round-trips", "[attachments][unit]") {
    for (const auto& ref : {FileReference{1, "1"}, FileReference{42, "2"}, FileReference{987654321012345678LL, "1.2.2"},
                            FileReference{7, "9999.1.10"}}) {
        auto text = format_file_reference(ref);
        auto back = parse_file_reference(text);
        REQUIRE(back);
        CHECK(*back == ref);
    }
    CHECK(format_file_reference({42, "1.2.2"}) == "42:1.2.2");
}

TEST_CASE("FileReference parser rejects everything it did not write", "[attachments][unit]") {
    const char* bad[] = {
        "", ":", "42", "42:", ":1", "42:1.", "42:.1", "42:1..2", "42:0", "42:01", "042:1", "0:1", "-1:1", "+1:1",
        "42:1.0", "42:1000000", "42: 1", " 42:1", "42:1 ", "42:1\n", "42:1:2", "42;1", "42:a", "x:1", "42:1/2",
        "1234567890123456789:1",  // 19 digits
        "42:1%2E2", "4 2:1", "42:-1",
    };
    for (const char* b : bad) {
        INFO("reference: \"" << b << "\"");
        CHECK_FALSE(parse_file_reference(b));
    }
    CHECK_FALSE(parse_file_reference(std::string_view("42:1\0", 5)));
    // Up to 999,999 parts on a level (a message with 20,000 attachments is stored whole).
    CHECK(parse_file_reference("42:20001"));
    CHECK(parse_file_reference("42:999999.1"));
    // Depth: 64 levels are fine, 65 are not.
    std::string deep = "5:1";
    for (int i = 1; i < 64; ++i) deep += ".1";
    CHECK(parse_file_reference(deep));
    CHECK_FALSE(parse_file_reference(deep + ".1"));
    CHECK_FALSE(parse_file_reference("5:" + std::string(400, '1')));
}

TEST_CASE("FileReference: the longest one we can write parses (466 bytes); beyond 512 bytes none does",
          "[attachments][unit][limits]") {
    // An 18-digit item id and an attachment 64 levels deep with six-digit part numbers on every
    // level (schema 017): the parser refused everything over 300 bytes.
    std::string path = "999999";
    for (int i = 1; i < 64; ++i) path += ".999999";
    const FileReference longest{987654321012345678LL, path};
    const std::string text = format_file_reference(longest);
    CHECK(text.size() == 466);
    auto back = parse_file_reference(text);
    REQUIRE(back);
    CHECK(*back == longest);
    CHECK(easd::content::valid_part_path(path));
    // A shorter one over the old limit.
    std::string mid = "42:100000";
    while (mid.size() < 400) mid += ".100000";
    CHECK(mid.size() > 300);
    CHECK(parse_file_reference(mid));
    // Over 512 bytes: refused whatever it holds (here also deeper than 64 levels).
    std::string over = text;
    while (over.size() <= 512) over += ".1";
    CHECK(over.size() > 512);
    CHECK_FALSE(parse_file_reference(over));
    CHECK_FALSE(parse_file_reference(std::string(513, '1')));
}

TEST_CASE("valid_part_path", "[attachments][unit]") {
    CHECK(easd::content::valid_part_path("1"));
    CHECK(easd::content::valid_part_path("3.14.15"));
    CHECK_FALSE(easd::content::valid_part_path(""));
    CHECK_FALSE(easd::content::valid_part_path("1.x"));
    CHECK_FALSE(easd::content::valid_part_path("0"));
}

namespace {
const char* kMessage =
    "From: a@example.com\r\nTo: b@example.com\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
    "--outer\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n"
    "--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>x <img src=\"cid:logo@x\"></p>\r\n"
    "--rel\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <logo@x>\r\n\r\n"
    "AAECAwQF/w==\r\n"
    "--rel--\r\n"
    "--outer\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: quoted-printable\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf\r\n\r\n%PDF=00=FF=\r\nend\r\n"
    "--outer\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@example.com\r\nSubject: inner\r\n\r\ninner body\r\n"
    "--outer--\r\n";
}  // namespace

TEST_CASE("extract_attachment returns each part's decoded bytes", "[attachments][unit]") {
    auto parsed = easd::content::parse_message(kMessage);
    REQUIRE(parsed);
    REQUIRE(parsed->attachments.size() == 3);
    CHECK(parsed->attachments[0].part_path == "1.2");
    CHECK(parsed->attachments[1].part_path == "2");
    CHECK(parsed->attachments[2].part_path == "3");

    auto png = easd::content::extract_attachment(kMessage, "1.2");
    REQUIRE(png);
    CHECK(*png == std::string("\x00\x01\x02\x03\x04\x05\xff", 7));
    CHECK(png->size() == parsed->attachments[0].size);

    auto pdf = easd::content::extract_attachment(kMessage, "2");
    REQUIRE(pdf);
    CHECK(*pdf == std::string("%PDF\x00\xff" "end", 9));
    CHECK(pdf->size() == parsed->attachments[1].size);

    auto eml = easd::content::extract_attachment(kMessage, "3");
    REQUIRE(eml);
    CHECK(eml->find("Subject: inner") != std::string::npos);
    CHECK(eml->size() == parsed->attachments[2].size);
    CHECK(easd::content::attachment_method(parsed->attachments[2]) == 5);
    CHECK(easd::content::attachment_method(parsed->attachments[1]) == 1);

    CHECK_FALSE(easd::content::extract_attachment(kMessage, "1"));    // a multipart, not a leaf
    CHECK_FALSE(easd::content::extract_attachment(kMessage, "4"));    // no such part
    CHECK_FALSE(easd::content::extract_attachment(kMessage, "2.1"));  // below a leaf
    CHECK_FALSE(easd::content::extract_attachment(kMessage, "x"));
    CHECK_FALSE(easd::content::extract_attachment("", "1"));
}

TEST_CASE("a single-part message is part 1", "[attachments][unit]") {
    std::string raw = "From: a@example.com\r\nSubject: one\r\nContent-Type: application/octet-stream\r\n"
                      "Content-Disposition: attachment; filename=blob.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                      "aGVsbG8=\r\n";
    auto parsed = easd::content::parse_message(raw);
    REQUIRE(parsed);
    REQUIRE(parsed->attachments.size() == 1);
    CHECK(parsed->attachments[0].part_path == "1");
    CHECK(easd::content::extract_attachment(raw, "1") == std::optional<std::string>("hello"));
    CHECK_FALSE(easd::content::extract_attachment(raw, "1.1"));
}

TEST_CASE("attachment display names", "[attachments][unit]") {
    easd::store::EmailAttachment a;
    a.file_name = "report.pdf";
    CHECK(easd::content::attachment_display_name(a) == "report.pdf");
    a.file_name.clear();
    a.content_type = "image/png";
    CHECK(easd::content::attachment_display_name(a) == "attachment.png");
    a.content_type = "message/rfc822";
    a.method = 5;
    a.file_name = "Forwarded one";
    CHECK(easd::content::attachment_display_name(a) == "Forwarded one.eml");
    a.file_name = "x.EML";
    CHECK(easd::content::attachment_display_name(a) == "x.EML");
}
