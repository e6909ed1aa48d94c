// Recognising a mailbox's messages again after its UIDVALIDITY changed (RFC 3501 2.3.1.1: every
// UID it had means nothing now). The server still holds mostly the same messages, so instead of
// deleting every item and mirroring the mailbox anew (a phone would get a Delete and an Add for
// each), each message the server lists is paired with the item it was: by Message-ID, size and
// arrival time (INTERNALDATE), which a server keeps when it renumbers; then, for a message with a
// Message-ID, by Message-ID and size alone (an arrival time the rows took from elsewhere, such as a
// draft APPENDed by easd itself). Pairs are one to one: two copies of one message (same key) stay
// two items, in their old UID order. What pairs with nothing was expunged (an item) or is new (a
// message). O(items + messages), with hash maps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace easd::dovecot {

// What recognises one message, on either side.
struct MessageFingerprint {
    std::string message_id;  // without angle brackets; empty: none
    long long size = 0;      // RFC822.SIZE
    long long arrival = 0;   // INTERNALDATE, seconds since the epoch
};

struct MessageMatching {
    std::vector<std::pair<std::size_t, std::size_t>> pairs;  // (item index, message index)
    std::vector<std::size_t> unmatched_items;                 // indexes into items, ascending
    std::vector<std::size_t> unmatched_messages;              // indexes into messages, ascending
};

// `items` in their old UID order, `messages` in their new UID order: copies pair in that order.
MessageMatching match_messages(const std::vector<MessageFingerprint>& items, const std::vector<MessageFingerprint>& messages);

}  // namespace easd::dovecot
