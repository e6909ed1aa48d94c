// lib/content/conversation and common/conversation_index: Thread-Index parsing, the ids derived
// when a message has none, the EAS ConversationIndex bytes, and ids as clients send them back.
#include <catch2/catch.hpp>

#include "support/text.h"
#include "common/conversation_index.h"
#include "content/conversation.h"
#include "content/message.h"

using namespace easd::content;

using easd::test::hex;

namespace {

ParsedMessage parse(const std::string& raw) {
    auto m = parse_message(raw);
    REQUIRE(m);
    return *m;
}

// A 22-byte Thread-Index header: reserved 0x01, FILETIME bytes db0a112233, GUID 10..1f.
const char* const kRootIndex = "AdsKESIzEBESExQVFhcYGRobHB0eHw==";
// The same with one child block 0000123456.
const char* const kChildIndex = "AdsKESIzEBESExQVFhcYGRobHB0eHwAAEjRW";

}  // namespace

TEST_CASE("Thread-Index: GUID, time and child blocks", "[conversation]") {
    auto root = parse_thread_index(kRootIndex);
    REQUIRE(root);
    CHECK(hex(root->time) == "db0a112233");
    CHECK(hex(root->guid) == "101112131415161718191a1b1c1d1e1f");
    CHECK(root->children.empty());
    auto child = parse_thread_index(std::string("  ") + kChildIndex + "\r\n");
    REQUIRE(child);
    CHECK(child->guid == root->guid);
    CHECK(hex(child->children) == "0000123456");
    // Not a Thread-Index: too short, a length that is not 22 + 5n, not base64.
    CHECK_FALSE(parse_thread_index(""));
    CHECK_FALSE(parse_thread_index("AQID"));
    CHECK_FALSE(parse_thread_index("AdsKESIzEBESExQVFhcYGRobHB0eHwAA"));  // 24 bytes
    CHECK_FALSE(parse_thread_index("AdsKESIzEBESExQVFhcYGRobHB0e!w=="));
}

TEST_CASE("conversation of a message with a Thread-Index: the GUID and the index without it", "[conversation]") {
    auto m = parse("From: a@example.com\r\nTo: b@example.com\r\nSubject: RE: Plan\r\nMessage-ID: <c1@x>\r\n"
                   "In-Reply-To: <r1@x>\r\nThread-Index: " + std::string(kChildIndex) + "\r\n\r\nok\r\n");
    CHECK(m.thread_index == kChildIndex);
    auto c = conversation_of(m);
    CHECK(c.from_thread_index);
    CHECK(hex(c.id) == "101112131415161718191a1b1c1d1e1f");
    CHECK(hex(c.index) == "db0a112233" "0000123456");  // MS-ASCON 2.2.2.4: header, then response levels
    CHECK(c.parents == std::vector<std::string>{"r1@x"});
}

TEST_CASE("conversation without a Thread-Index: derived from the thread's root", "[conversation]") {
    const std::string date = "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n";
    // A message that starts a thread: keyed by its own Message-ID.
    auto root = conversation_of(parse("From: a@example.com\r\nSubject: Lunch on Friday\r\nMessage-ID: <root-1@far.example>\r\n" +
                                      date + "\r\nx\r\n"));
    CHECK_FALSE(root.from_thread_index);
    CHECK_FALSE(root.by_topic);
    CHECK(hex(root.id) == "582c44c159035d24d7a4951586770ec3");  // SHA-256("ref:root-1@far.example")[0..16)
    CHECK(hex(root.index) == "01dd7bfa91");                     // FILETIME >> 24 of the Date
    CHECK(root.parents.empty());
    // A reply naming its root, in another mailbox: keyed by the first References id, else
    // In-Reply-To, so it gets the same id; its parents nearest first, without itself.
    auto reply = conversation_of(parse("From: b@example.com\r\nSubject: Re: Lunch on Friday\r\nMessage-ID: <r3@x>\r\n"
                                       "In-Reply-To: <r2@x>\r\nReferences: <root-1@far.example> <r2@x>\r\n\r\nx\r\n"));
    CHECK(reply.id == root.id);
    CHECK_FALSE(reply.by_topic);
    CHECK(reply.parents == std::vector<std::string>{"r2@x", "root-1@far.example"});
    auto only_irt = conversation_of(parse("From: b@example.com\r\nSubject: other\r\nIn-Reply-To: <root-1@far.example>\r\n\r\nx\r\n"));
    CHECK(only_irt.id == root.id);
    // A reply without thread headers, whatever its prefixes and case: the thread topic (and the
    // store looks for the thread by topic).
    auto bare = conversation_of(parse("From: b@example.com\r\nSubject: AW: RE: lunch ON friday\r\nMessage-ID: <b@x>\r\n\r\nx\r\n"));
    CHECK(hex(bare.id) == "6b250015b282d11620de46a7c02a135c");  // SHA-256("topic:lunch on friday")[0..16)
    CHECK(bare.by_topic);
    // No Message-ID and no thread headers: the topic too, but no reply to look for.
    auto anonymous = conversation_of(parse("From: b@example.com\r\nSubject: Lunch on friday\r\n\r\nx\r\n"));
    CHECK(anonymous.id == bare.id);
    CHECK_FALSE(anonymous.by_topic);
    CHECK(derived_conversation_id("ref:root-1@far.example") == reply.id);
}

TEST_CASE("conversation index: header and response levels", "[conversation]") {
    const long long t = 1795514400;  // 2026-11-24T10:00:00Z
    std::string header = easd::conversation_index_header(t);
    CHECK(hex(header) == "01dd7bfa91");
    // An hour later: DC 0, (delta >> 18) in 31 bits, then the random byte.
    std::string child = easd::append_response_level(header, t + 3600, 0xab);
    CHECK(hex(child) == "01dd7bfa91" "00021881" "ab");
    // Two years later the delta no longer fits 49 bits: DC 1.
    std::string late = easd::append_response_level(header, t + 2 * 366 * 86400LL, 0);
    REQUIRE(late.size() == 10);
    CHECK((static_cast<unsigned char>(late[5]) & 0x80) != 0);
    // Before the header's time (a wrong clock): a zero delta, never a wrap.
    std::string early = easd::append_response_level(header, t - 86400, 0);
    CHECK(hex(early.substr(5)) == "0000000000");
}

TEST_CASE("ConversationId as clients send it back", "[conversation]") {
    const std::string bytes("\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f", 16);
    CHECK(parse_conversation_id(bytes) == bytes);
    CHECK(parse_conversation_id("101112131415161718191A1B1C1D1E1F") == bytes);
    CHECK(parse_conversation_id("{10111213-1415-1617-1819-1a1b1c1d1e1f}") == bytes);
    CHECK(parse_conversation_id("EBESExQVFhcYGRobHB0eHw==") == bytes);
    CHECK_FALSE(parse_conversation_id(""));
    CHECK_FALSE(parse_conversation_id("not an id"));
    CHECK_FALSE(parse_conversation_id("10111213141516171819"));  // 10 bytes
}

TEST_CASE("Sender and References are read at delivery", "[conversation]") {
    auto m = parse("From: Boss <boss@example.com>\r\nSender: Assistant <pa@example.com>\r\nTo: b@example.com\r\n"
                   "Subject: x\r\nReferences: <a@x>\r\n <b@x>\r\n\r\nx\r\n");
    CHECK(m.sender == "Assistant <pa@example.com>");
    CHECK(m.references == std::vector<std::string>{"a@x", "b@x"});
    CHECK(m.in_reply_to.empty());
    CHECK(m.thread_index.empty());
}
