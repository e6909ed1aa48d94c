#include "dovecot/message_matching.h"

#include <deque>
#include <optional>
#include <unordered_map>

namespace easd::dovecot {

namespace {

std::string exact_key(const MessageFingerprint& k) {
    return k.message_id + '\n' + std::to_string(k.size) + '\n' + std::to_string(k.arrival);
}
std::string loose_key(const MessageFingerprint& k) { return k.message_id + '\n' + std::to_string(k.size); }

// Pairs what is still unpaired on both sides by `key_of` (nullptr from it: this one takes no part).
template <typename KeyOf>
void pair_by(const std::vector<MessageFingerprint>& items, const std::vector<MessageFingerprint>& messages, KeyOf key_of,
             std::vector<bool>& item_paired, std::vector<bool>& message_paired,
             std::vector<std::pair<std::size_t, std::size_t>>& pairs) {
    // Each key's unpaired items, oldest UID first: the copies of one message pair in order.
    std::unordered_map<std::string, std::deque<std::size_t>> waiting;
    waiting.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (item_paired[i]) continue;
        if (auto key = key_of(items[i])) waiting[*key].push_back(i);
    }
    if (waiting.empty()) return;
    for (std::size_t m = 0; m < messages.size(); ++m) {
        if (message_paired[m]) continue;
        auto key = key_of(messages[m]);
        if (!key) continue;
        auto it = waiting.find(*key);
        if (it == waiting.end() || it->second.empty()) continue;
        const std::size_t i = it->second.front();
        it->second.pop_front();
        item_paired[i] = true;
        message_paired[m] = true;
        pairs.emplace_back(i, m);
    }
}

}  // namespace

MessageMatching match_messages(const std::vector<MessageFingerprint>& items, const std::vector<MessageFingerprint>& messages) {
    MessageMatching out;
    std::vector<bool> item_paired(items.size()), message_paired(messages.size());
    pair_by(items, messages, [](const MessageFingerprint& k) { return std::optional<std::string>(exact_key(k)); },
            item_paired, message_paired, out.pairs);
    // Without a Message-ID, size alone says too little: such a message pairs only exactly.
    pair_by(items, messages,
            [](const MessageFingerprint& k) {
                return k.message_id.empty() ? std::nullopt : std::optional<std::string>(loose_key(k));
            },
            item_paired, message_paired, out.pairs);
    for (std::size_t i = 0; i < items.size(); ++i)
        if (!item_paired[i]) out.unmatched_items.push_back(i);
    for (std::size_t m = 0; m < messages.size(); ++m)
        if (!message_paired[m]) out.unmatched_messages.push_back(m);
    return out;
}

}  // namespace easd::dovecot
