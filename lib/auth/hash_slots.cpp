#include "auth/hash_slots.h"

#include <algorithm>
#include <thread>

namespace easd::auth {

HashSlots::HashSlots(int slots)
    : capacity_(slots > 0 ? slots : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2)),
      free_(capacity_) {}

std::optional<HashSlots::Slot> HashSlots::acquire(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!freed_.wait_for(lock, wait, [this] { return free_ > 0; })) return std::nullopt;
    --free_;
    return Slot(*this);
}

void HashSlots::release() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++free_;
    }
    freed_.notify_one();
}

}  // namespace easd::auth
