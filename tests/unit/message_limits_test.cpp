// Hard limits on what one message may be made of (content/message_limits.h, issue 12): the cheap
// count of MIME boundary lines that runs before GMime, the attachment limit of parse_message, and
// email_from_parsed storing every attachment or refusing the message.
#include <catch2/catch.hpp>

#include <string>

#include "content/draft.h"
#include "content/gmime_parse.h"
#include "content/message.h"
#include "content/message_limits.h"

using namespace easd::content;

namespace {

// A text body and `n` small attachments in one multipart/mixed: n + 2 boundary lines.
std::string with_attachments(std::size_t n) {
    std::string m = "From: a@example.com\r\nTo: b@example.com\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nbody\r\n";
    for (std::size_t i = 0; i < n; ++i)
        m += "--zz\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a" +
             std::to_string(i) + ".bin\r\n\r\nx\r\n";
    m += "--zz--\r\n";
    return m;
}

MessageLimits limits(std::size_t attachments, std::size_t boundary_lines) {
    MessageLimits l;
    l.max_attachments = attachments;
    l.max_boundary_lines = boundary_lines;
    return l;
}

}  // namespace

TEST_CASE("boundary lines: only \"--\" lines that begin with a declared boundary count", "[content][limits][unit]") {
    CHECK(count_boundary_lines(with_attachments(3), 1000) == 5);
    // No multipart: "--" lines of a text (a signature, an SQL dump's comments) are no boundaries.
    CHECK(count_boundary_lines("Subject: sql\r\n\r\n-- a comment\r\n--\r\n-- zz\r\nselect 1;\r\n", 1000) == 0);
    // Inside a multipart, only the declared boundary's lines.
    std::string sql = "Subject: x\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\n";
    for (int i = 0; i < 50; ++i) sql += "-- comment " + std::to_string(i) + "\r\n";
    sql += "--zz--\r\n";
    CHECK(count_boundary_lines(sql, 1000) == 2);
    // Case of the parameter name, spaces around '=', quoting and LF-only lines do not matter; the
    // boundary matches as the beginning of the line, as GMime takes it.
    CHECK(count_boundary_lines("Content-Type: multipart/mixed;\n BOUNDARY = \"a b\"\n\n--a b\n\n--a b--\n", 100) == 2);
    CHECK(count_boundary_lines("Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\n--qq\r\n", 100) == 2);
    // RFC 2231 forms: continuations (the first section is a prefix of the boundary) and encoded.
    CHECK(count_boundary_lines("Content-Type: multipart/mixed; boundary*0=\"ab\"; boundary*1=\"cd\"\r\n\r\n"
                               "--abcd\r\n\r\n--abcd--\r\n",
                               100) == 2);
    CHECK(count_boundary_lines("Content-Type: multipart/mixed; boundary*=utf-8''x%20y\r\n\r\n--x y\r\n\r\n--x y--\r\n",
                               100) == 2);
    // Nested multiparts: every declared boundary counts.
    CHECK(count_boundary_lines("Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n"
                               "Content-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\nx\r\n--i--\r\n--o--\r\n",
                               100) == 4);
    // The count stops at the first line beyond the limit (a 1,000,000-part message is not read to
    // its end).
    CHECK(count_boundary_lines(with_attachments(100), 10) == 11);
}

TEST_CASE("a message with more boundary lines than the limit is refused before GMime parses it",
          "[content][limits][unit]") {
    std::string error;
    // 5 boundary lines (3 attachments): at a limit of 5 it parses, at 4 it is refused, and the
    // reason names the limit.
    CHECK(parse_message(with_attachments(3), &error, limits(kMaxAttachments, 5)));
    CHECK_FALSE(parse_message(with_attachments(3), &error, limits(kMaxAttachments, 4)));
    CHECK(error == "too many MIME parts: more than 4 boundary lines");
    // The production limit: 100,001 boundary lines. Refused by the scan (the reason says so), not
    // by the attachment count after GMime built all 100,000 parts.
    auto huge = with_attachments(kMaxBoundaryLines - 1);
    CHECK(count_boundary_lines(huge, kMaxBoundaryLines) == kMaxBoundaryLines + 1);
    CHECK_FALSE(parse_message(huge, &error));
    CHECK(error == "too many MIME parts: more than 100000 boundary lines");
    // Every other GMime parse of the content library is bounded the same way.
    init_mime();
    CHECK(parse_gmime_message(huge, &error) == nullptr);
    CHECK(error == "too many MIME parts: more than 100000 boundary lines");
    CHECK(parse_gmime_message(with_attachments(3)) != nullptr);
}

TEST_CASE("a message with more attachments than the limit is refused whole", "[content][limits][unit]") {
    std::string error;
    auto at_limit = parse_message(with_attachments(3), &error, limits(3, kMaxBoundaryLines));
    REQUIRE(at_limit);
    CHECK(at_limit->attachments.size() == 3);
    CHECK(at_limit->attachments.back().file_name == "a2.bin");
    CHECK_FALSE(parse_message(with_attachments(4), &error, limits(3, kMaxBoundaryLines)));
    CHECK(error == "too many attachments: more than 3 in one message");
}

TEST_CASE("email_from_parsed stores every attachment or refuses the message", "[content][limits][unit]") {
    auto parsed = parse_message(with_attachments(3));
    REQUIRE(parsed);
    auto email = email_from_parsed(with_attachments(3), *parsed);
    REQUIRE(email.attachments.size() == 3);
    CHECK(email.attachments[2].part_path == "4");

    // An attachment no FileReference could name was left out without a word: the message is
    // refused instead.
    ParsedMessage odd = *parsed;
    odd.attachments[1].part_path = "1234567";  // seven digits
    CHECK_THROWS_AS(email_from_parsed(with_attachments(3), odd), MessageRefused);
    odd.attachments[1].part_path = "";
    CHECK_THROWS_AS(email_from_parsed(with_attachments(3), odd), MessageRefused);

    // More than the limit, however the parse came about.
    ParsedMessage many = *parsed;
    many.attachments.assign(kMaxAttachments + 1, parsed->attachments[0]);
    CHECK_THROWS_AS(email_from_parsed(with_attachments(3), many), MessageRefused);
}
