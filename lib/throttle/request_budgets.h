// Request budgets of devices and users, kept in this process (issue 12, part 5).
//
// Each device (a user's DeviceId) and each user has a token bucket: a request takes a token, the
// bucket refills at a steady rate up to its burst. An empty bucket means "wait": the request is
// answered HTTP 503 with X-MS-ASThrottle and Retry-After (MS-ASHTTP 2.2.2.1.2.13, 3.1.5.2.3)
// before its body is read. A device refused again and again within a window ignores Retry-After;
// the caller then blocks it in the store (autoblock, shared by every worker and host) and tells
// the budgets, which refuse it here without a database query until the block ends.
//
// The buckets are per process, so behind a load balancer each host grants its own budget: a
// device spread over N hosts gets up to N times as much, which is still bounded, and costs no
// round trip on the hot path. Blocks are rows, so they hold everywhere.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "throttle/throttle_limits.h"

namespace easd::throttle {

// The X-MS-ASThrottle values we send (the names of Exchange's behaviour types).
inline constexpr const char* kOutOfBudgets = "OutOfBudgets";
inline constexpr const char* kCommandFrequency = "CommandFrequency";

class RequestBudgets {
public:
    using Clock = std::chrono::steady_clock;

    explicit RequestBudgets(ThrottleLimits limits);

    struct Verdict {
        bool allowed = true;
        int retry_after_seconds = 0;  // when refused: until the budget has a token again (>= 1)
        // Refused so often within the window that the device is to be blocked now (once: the count
        // starts again).
        bool block_device = false;
    };
    // Takes one request from the device's budget and the user's. `device_id` empty: the request
    // names no device (an OPTIONS from iOS, autodiscover), only the user's budget applies.
    Verdict charge(long long user_id, std::string_view device_id, Clock::time_point now);

    struct Block {
        int seconds_left = 0;
        // Time to ask the store whether the block still holds (an administrator may have lifted
        // it): at most one caller per device is told so every few seconds.
        bool confirm = false;
    };
    // The device's block as this process knows it, or nullopt.
    std::optional<Block> blocked(long long user_id, std::string_view device_id, Clock::time_point now);
    // The store says the device is blocked for `seconds` more (0 or less: not blocked).
    void note_block(long long user_id, std::string_view device_id, long long seconds, Clock::time_point now);

    // Entries kept (tests and the memory bound).
    std::size_t size() const;

private:
    struct Bucket {
        double tokens = -1;  // < 0: not started (full)
        Clock::time_point last{};
        // Takes a token at `now` or says how long until one is there.
        bool take(double per_second, double burst, Clock::time_point now, double& wait_seconds);
        bool full(double per_second, double burst, Clock::time_point now) const;
    };
    struct DeviceEntry {
        Bucket bucket;
        int refusals = 0;
        Clock::time_point refusals_since{};
        Clock::time_point blocked_until{};
        Clock::time_point confirm_at{};
    };
    void prune(Clock::time_point now);  // drops idle entries once the maps have doubled

    ThrottleLimits limits_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, DeviceEntry> devices_;  // "<user id>/<DeviceId>"
    std::unordered_map<long long, Bucket> users_;
    std::size_t prune_at_ = 4096;
};

}  // namespace easd::throttle
