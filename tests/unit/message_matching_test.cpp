// Recognising a mailbox's messages after a UIDVALIDITY change (lib/dovecot/message_matching): one
// item per message, copies paired one to one in order, and only what has no partner left over.
#include <catch2/catch.hpp>

#include <algorithm>

#include "dovecot/message_matching.h"

using easd::dovecot::match_messages;
using easd::dovecot::MessageFingerprint;

TEST_CASE("message matching: the same messages pair whatever their new order", "[dovecot][rematch]") {
    std::vector<MessageFingerprint> items{{"a@x", 100, 1}, {"b@x", 200, 2}, {"c@x", 300, 3}};
    std::vector<MessageFingerprint> messages{{"c@x", 300, 3}, {"a@x", 100, 1}, {"b@x", 200, 2}};
    auto m = match_messages(items, messages);
    using P = std::pair<std::size_t, std::size_t>;
    std::vector<P> pairs(m.pairs.begin(), m.pairs.end());
    std::sort(pairs.begin(), pairs.end());
    CHECK(pairs == std::vector<P>{{0, 1}, {1, 2}, {2, 0}});
    CHECK(m.unmatched_items.empty());
    CHECK(m.unmatched_messages.empty());
}

TEST_CASE("message matching: copies pair one to one, in order; a copy more or less is an add or a delete",
          "[dovecot][rematch]") {
    const MessageFingerprint twin{"t@x", 50, 9};
    auto m = match_messages({twin, twin}, {twin, twin, twin});
    using P = std::pair<std::size_t, std::size_t>;
    CHECK(m.pairs == std::vector<P>{{0, 0}, {1, 1}});
    CHECK(m.unmatched_items.empty());
    CHECK(m.unmatched_messages == std::vector<std::size_t>{2});

    m = match_messages({twin, twin, twin}, {twin});
    CHECK(m.pairs == std::vector<P>{{0, 0}});
    CHECK(m.unmatched_items == std::vector<std::size_t>{1, 2});
    CHECK(m.unmatched_messages.empty());
}

TEST_CASE("message matching: size and Message-ID decide; the arrival time only among equals",
          "[dovecot][rematch]") {
    using P = std::pair<std::size_t, std::size_t>;
    // Another size is another message (a draft edited, a message rewritten), whatever its Message-ID.
    auto m = match_messages({{"d@x", 10, 1}}, {{"d@x", 11, 1}});
    CHECK(m.pairs.empty());
    CHECK(m.unmatched_items == std::vector<std::size_t>{0});
    CHECK(m.unmatched_messages == std::vector<std::size_t>{0});
    // Another arrival time alone does not part them (the rows took it from elsewhere)...
    m = match_messages({{"d@x", 10, 1}}, {{"d@x", 10, 5}});
    CHECK(m.pairs == std::vector<P>{{0, 0}});
    // ...but where the times tell copies apart, they pair exactly, before the loose pass.
    m = match_messages({{"d@x", 10, 1}, {"d@x", 10, 2}}, {{"d@x", 10, 2}, {"d@x", 10, 7}});
    std::vector<P> pairs(m.pairs.begin(), m.pairs.end());
    std::sort(pairs.begin(), pairs.end());
    CHECK(pairs == std::vector<P>{{0, 1}, {1, 0}});
    // Without a Message-ID only size and time together recognise a message.
    m = match_messages({{"", 10, 1}, {"", 20, 2}}, {{"", 10, 3}, {"", 20, 2}});
    CHECK(m.pairs == std::vector<P>{{1, 1}});
    CHECK(m.unmatched_items == std::vector<std::size_t>{0});
    CHECK(m.unmatched_messages == std::vector<std::size_t>{0});
}

TEST_CASE("message matching: 100,000 messages renumbered pair in linear time", "[dovecot][rematch]") {
    std::vector<MessageFingerprint> items, messages;
    for (int i = 0; i < 100000; ++i) items.push_back({"m" + std::to_string(i) + "@x", 1000 + i % 7, 1700000000 + i % 13});
    for (int i = 100000; i-- > 0;) messages.push_back(items[static_cast<std::size_t>(i)]);
    auto m = match_messages(items, messages);
    CHECK(m.pairs.size() == 100000);
    CHECK(m.unmatched_items.empty());
}
