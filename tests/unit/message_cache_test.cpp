// The cache of originals fetched from IMAP (lib/dovecot/message_cache): bounded by bytes, least
// recently used out first, and never holding one message big enough to empty it.
#include <catch2/catch.hpp>

#include "dovecot/message_cache.h"

using easd::dovecot::MessageCache;
using easd::dovecot::MessageKey;

TEST_CASE("message cache: hits by folder, UIDVALIDITY and UID", "[dovecot][cache]") {
    MessageCache cache(1000);
    cache.put({1, 7, 10}, "ten");
    CHECK(cache.get({1, 7, 10}) == std::optional<std::string>("ten"));
    CHECK(!cache.get({1, 8, 10}));  // the same UID under another UIDVALIDITY is another message
    CHECK(!cache.get({2, 7, 10}));
    CHECK(!cache.get({1, 7, 11}));
    cache.put({1, 7, 10}, "ten");  // twice: held once
    CHECK(cache.entries() == 1);
    CHECK(cache.bytes() == 3);
}

TEST_CASE("message cache: bounded by bytes, least recently used out first", "[dovecot][cache]") {
    MessageCache cache(800);  // messages up to 100 bytes are kept
    const std::string hundred(100, 'x');
    for (std::uint32_t uid = 1; uid <= 8; ++uid) cache.put({1, 1, uid}, hundred);
    CHECK(cache.bytes() == 800);
    CHECK(cache.get({1, 1, 1}));  // used: now the most recent
    cache.put({1, 1, 9}, hundred);
    CHECK(cache.bytes() == 800);
    CHECK(cache.entries() == 8);
    CHECK(cache.get({1, 1, 1}));   // kept
    CHECK(!cache.get({1, 1, 2}));  // the least recently used went
    CHECK(cache.get({1, 1, 9}));
}

TEST_CASE("message cache: a message bigger than an eighth of it is not kept; size 0 keeps nothing",
          "[dovecot][cache]") {
    MessageCache cache(800);
    cache.put({1, 1, 1}, std::string(101, 'x'));
    CHECK(!cache.get({1, 1, 1}));
    CHECK(cache.bytes() == 0);
    MessageCache none(0);
    none.put({1, 1, 1}, "a");
    CHECK(!none.get({1, 1, 1}));
}
