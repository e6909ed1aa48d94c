// A bound on password checks running at once. A yescrypt check costs ~12 ms of one core: a flood
// of sign-ins (guessing, or every phone at once after a restart) would otherwise take every core
// from the requests whose login is already verified. The checks beyond the bound wait a while
// for a slot, then the sign-in is answered "busy, retry later".
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace easd::auth {

class HashSlots {
public:
    // `slots` 0: half the cores, at least one.
    explicit HashSlots(int slots);
    int capacity() const { return capacity_; }

    // Held while a check runs; gives the slot back when destroyed.
    class Slot {
    public:
        explicit Slot(HashSlots& owner) : owner_(&owner) {}
        Slot(Slot&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
        Slot& operator=(Slot&&) = delete;
        Slot(const Slot&) = delete;
        ~Slot() {
            if (owner_) owner_->release();
        }

    private:
        HashSlots* owner_;
    };

    // A slot, waiting up to `wait` for one; nullopt when none came free in time.
    std::optional<Slot> acquire(std::chrono::milliseconds wait);

private:
    void release();

    int capacity_;
    int free_;
    std::mutex mutex_;
    std::condition_variable freed_;
};

}  // namespace easd::auth
