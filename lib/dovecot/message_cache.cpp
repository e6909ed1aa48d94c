#include "dovecot/message_cache.h"

namespace easd::dovecot {

std::optional<std::string> MessageCache::get(const MessageKey& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
}

void MessageCache::put(const MessageKey& key, const std::string& message) {
    if (message.size() > max_bytes_ / 8) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (index_.count(key)) return;  // fetched by two threads at once: the same bytes
    order_.emplace_front(key, message);
    index_.emplace(key, order_.begin());
    bytes_ += message.size();
    while (bytes_ > max_bytes_ && !order_.empty()) {
        bytes_ -= order_.back().second.size();
        index_.erase(order_.back().first);
        order_.pop_back();
    }
}

std::size_t MessageCache::bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bytes_;
}

std::size_t MessageCache::entries() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return index_.size();
}

}  // namespace easd::dovecot
