// The IMAP client's pure parts: the response grammar, modified UTF-7 mailbox names, UID sets.
#include <catch2/catch.hpp>

#include "imap/imap_client.h"
#include "imap/response_parser.h"

using namespace easd::imap;

TEST_CASE("IMAP responses: FETCH with a literal, flags, MODSEQ", "[imap][unit]") {
    Response r = parse_response(
        "* 12 FETCH (UID 5 FLAGS (\\Seen work) MODSEQ (123) BODY[] {7}\r\nab)\r\n\"c)\r\n");
    REQUIRE(r.kind == Response::Kind::Untagged);
    REQUIRE(r.values.size() == 3);
    CHECK(r.values[0].number() == 12u);
    CHECK(r.values[1].is_atom("fetch"));
    const auto& items = r.values[2].items;
    REQUIRE(items.size() == 8);
    CHECK(items[1].number() == 5u);
    CHECK(items[3].items[0].text == "\\Seen");
    CHECK(items[5].items[0].number() == 123u);
    CHECK(items[6].text == "BODY[]");
    CHECK(items[7].kind == Value::Kind::String);
    CHECK(items[7].text == "ab)\r\n\"c");  // the literal's bytes, whatever they look like
}

TEST_CASE("IMAP responses: status, codes, quoted strings, NIL, continuation", "[imap][unit]") {
    Response ok = parse_response("e3 OK [APPENDUID 38505 3955] APPEND completed\r\n");
    CHECK(ok.kind == Response::Kind::Tagged);
    CHECK(ok.tag == "e3");
    CHECK(ok.status == "OK");
    REQUIRE(ok.code.size() == 3);
    CHECK(ok.code[0].text == "APPENDUID");
    CHECK(ok.code[2].number() == 3955u);
    CHECK(ok.text == "APPEND completed");

    Response no = parse_response("e4 no [AUTHENTICATIONFAILED] Authentication failed.\r\n");
    CHECK(no.status == "NO");
    CHECK(no.code[0].text == "AUTHENTICATIONFAILED");

    Response list = parse_response("* LIST (\\HasNoChildren \\Sent) \"/\" \"a \\\"q\\\" \\\\b\"\r\n");
    CHECK(list.values[3].text == "a \"q\" \\b");
    Response nil = parse_response("* LIST (\\Noselect) NIL flat\r\n");
    CHECK(nil.values[2].kind == Value::Kind::Nil);
    CHECK(parse_response("+ go ahead\r\n").kind == Response::Kind::Continuation);
    Response vanished = parse_response("* VANISHED (EARLIER) 1:3,7\r\n");
    CHECK(vanished.values[2].text == "1:3,7");
}

TEST_CASE("IMAP responses: malformed input is a ParseError", "[imap][unit]") {
    for (const char* bad : {"", "*", "* (unclosed\r\n", "* x \"unterminated\r\n", "* {5}\r\nab\r\n", "tag BOGUS\r\n",
                            "* {99999999999}\r\n", "* a)\r\n", "* OK [COPYUID\rx] y\r\n"})
        CHECK_THROWS_AS(parse_response(bad), ParseError);
}

TEST_CASE("Modified UTF-7 mailbox names both ways", "[imap][unit]") {
    CHECK(encode_mailbox_name("Entwürfe") == "Entw&APw-rfe");
    CHECK(decode_mailbox_name("Entw&APw-rfe") == std::string("Entwürfe"));
    CHECK(encode_mailbox_name("A&B") == "A&-B");
    CHECK(decode_mailbox_name("A&-B") == std::string("A&B"));
    // RFC 3501 5.1.3's example, and a character outside the BMP (a surrogate pair).
    CHECK(decode_mailbox_name("~peter/mail/&U,BTFw-/&ZeVnLIqe-") == std::string("~peter/mail/台北/日本語"));
    CHECK(encode_mailbox_name("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
    CHECK(decode_mailbox_name(encode_mailbox_name("Mail 📬")) == std::string("Mail 📬"));
    CHECK_FALSE(decode_mailbox_name("&U,BTFw"));   // unterminated
    CHECK_FALSE(decode_mailbox_name("&*-"));       // not base64
    CHECK_FALSE(decode_mailbox_name("&2D0-"));     // a lone surrogate
}

TEST_CASE("UID sets", "[imap][unit]") {
    CHECK(uid_set({7, 1, 2, 3, 9, 10, 3}) == "1:3,7,9:10");
    CHECK(parse_uid_set("1:3,7") == std::vector<std::uint32_t>{1, 2, 3, 7});
    CHECK(parse_uid_set("5:3") == std::vector<std::uint32_t>{3, 4, 5});
    CHECK_FALSE(parse_uid_set("1:*"));
    CHECK_FALSE(parse_uid_set("0"));
    CHECK_FALSE(parse_uid_set(""));
    CHECK_FALSE(parse_uid_set("1:4294967295"));  // more UIDs than anyone sends
}
