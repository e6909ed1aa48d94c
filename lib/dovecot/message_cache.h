// Originals of mirrored messages recently fetched from IMAP, shared by a worker's threads. The
// Dovecot store keeps no original in its rows (store::NewEmail::keep_original); a phone that asks
// for MIME (iOS does for every message it syncs), an attachment or a forward fetches it, often
// twice in a row (Sync, then ItemOperations for its attachment), so the last few stay here.
// Bounded by bytes; least recently used first out. An IMAP message never changes under its
// (mailbox, UIDVALIDITY, UID), so an entry is never stale, only unused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace easd::dovecot {

struct MessageKey {
    long long folder_id = 0;
    std::uint32_t uidvalidity = 0;
    std::uint32_t uid = 0;
    bool operator==(const MessageKey& o) const {
        return folder_id == o.folder_id && uidvalidity == o.uidvalidity && uid == o.uid;
    }
};

class MessageCache {
public:
    // max_bytes 0: nothing is kept. A message bigger than an eighth of the cache is never kept, so
    // one large attachment does not push out everything else.
    explicit MessageCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    std::optional<std::string> get(const MessageKey& key);
    void put(const MessageKey& key, const std::string& message);

    std::size_t bytes() const;
    std::size_t entries() const;

private:
    struct KeyHash {
        std::size_t operator()(const MessageKey& k) const {
            return std::hash<long long>()(k.folder_id) ^ (std::hash<std::uint64_t>()(
                                                              (std::uint64_t(k.uidvalidity) << 32) | k.uid) * 31);
        }
    };
    using Entry = std::pair<MessageKey, std::string>;

    const std::size_t max_bytes_;
    mutable std::mutex mutex_;
    std::list<Entry> order_;  // most recently used first
    std::unordered_map<MessageKey, std::list<Entry>::iterator, KeyHash> index_;
    std::size_t bytes_ = 0;
};

}  // namespace easd::dovecot
