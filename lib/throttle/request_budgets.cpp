#include "throttle/request_budgets.h"

#include <algorithm>
#include <cmath>

namespace easd::throttle {

namespace {

// An administrator's `easctl device unblock` reaches a process that holds the block within this.
constexpr auto kConfirmEvery = std::chrono::seconds(5);

double seconds_between(RequestBudgets::Clock::time_point a, RequestBudgets::Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

std::string device_key(long long user_id, std::string_view device_id) {
    std::string key = std::to_string(user_id);
    key += '/';
    key += device_id;
    return key;
}

}  // namespace

RequestBudgets::RequestBudgets(ThrottleLimits limits) : limits_(limits) {}

bool RequestBudgets::Bucket::take(double per_second, double burst, Clock::time_point now, double& wait_seconds) {
    if (tokens < 0) tokens = burst;
    else tokens = std::min(burst, tokens + std::max(0.0, seconds_between(last, now)) * per_second);
    last = now;
    if (tokens >= 1) {
        tokens -= 1;
        return true;
    }
    wait_seconds = (1 - tokens) / per_second;
    return false;
}

bool RequestBudgets::Bucket::full(double per_second, double burst, Clock::time_point now) const {
    return tokens < 0 || tokens + std::max(0.0, seconds_between(last, now)) * per_second >= burst;
}

RequestBudgets::Verdict RequestBudgets::charge(long long user_id, std::string_view device_id, Clock::time_point now) {
    Verdict v;
    const bool device_budget = !device_id.empty() && limits_.device_requests_per_minute > 0;
    const bool user_budget = limits_.user_requests_per_minute > 0;
    if (!device_budget && !user_budget) return v;

    std::lock_guard<std::mutex> lock(mutex_);
    prune(now);
    double wait = 0;
    DeviceEntry* entry = nullptr;
    if (!device_id.empty()) entry = &devices_[device_key(user_id, device_id)];
    if (device_budget) {
        double rate = limits_.device_requests_per_minute / 60.0;
        v.allowed = entry->bucket.take(rate, std::max(1, limits_.device_request_burst), now, wait);
    }
    if (v.allowed && user_budget) {
        double rate = limits_.user_requests_per_minute / 60.0;
        v.allowed = users_[user_id].take(rate, std::max(1, limits_.user_request_burst), now, wait);
        if (!v.allowed && device_budget) entry->bucket.tokens += 1;  // not spent: the request is refused
    }
    if (v.allowed) return v;

    v.retry_after_seconds = std::max(1, static_cast<int>(std::ceil(wait)));
    if (entry && limits_.autoblock_refusals > 0) {
        if (entry->refusals == 0 ||
            now - entry->refusals_since > std::chrono::seconds(limits_.autoblock_window_seconds)) {
            entry->refusals = 0;
            entry->refusals_since = now;
        }
        if (++entry->refusals >= limits_.autoblock_refusals) {
            v.block_device = true;
            entry->refusals = 0;
        }
    }
    return v;
}

std::optional<RequestBudgets::Block> RequestBudgets::blocked(long long user_id, std::string_view device_id,
                                                             Clock::time_point now) {
    if (device_id.empty()) return std::nullopt;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = devices_.find(device_key(user_id, device_id));
    if (it == devices_.end() || it->second.blocked_until <= now) return std::nullopt;
    Block b;
    b.seconds_left = std::max(1, static_cast<int>(std::ceil(seconds_between(now, it->second.blocked_until))));
    if (now >= it->second.confirm_at) {
        b.confirm = true;
        it->second.confirm_at = now + kConfirmEvery;
    }
    return b;
}

void RequestBudgets::note_block(long long user_id, std::string_view device_id, long long seconds,
                                Clock::time_point now) {
    if (device_id.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (seconds <= 0) {
        auto it = devices_.find(device_key(user_id, device_id));
        if (it != devices_.end()) it->second.blocked_until = {};
        return;
    }
    DeviceEntry& e = devices_[device_key(user_id, device_id)];
    e.blocked_until = now + std::chrono::seconds(seconds);
    e.confirm_at = now + kConfirmEvery;
}

std::size_t RequestBudgets::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return devices_.size() + users_.size();
}

void RequestBudgets::prune(Clock::time_point now) {
    if (devices_.size() + users_.size() < prune_at_) return;
    // An entry whose bucket has refilled, with no block and no refusals in the window, says nothing
    // a fresh entry would not: drop it. Amortised: the next sweep waits until the maps double.
    const double device_rate = limits_.device_requests_per_minute / 60.0;
    const double user_rate = limits_.user_requests_per_minute / 60.0;
    const auto window = std::chrono::seconds(limits_.autoblock_window_seconds);
    for (auto it = devices_.begin(); it != devices_.end();) {
        const DeviceEntry& e = it->second;
        bool idle = (device_rate <= 0 || e.bucket.full(device_rate, limits_.device_request_burst, now)) &&
                    e.blocked_until <= now && (e.refusals == 0 || now - e.refusals_since > window);
        it = idle ? devices_.erase(it) : std::next(it);
    }
    for (auto it = users_.begin(); it != users_.end();)
        it = (user_rate <= 0 || it->second.full(user_rate, limits_.user_request_burst, now)) ? users_.erase(it)
                                                                                               : std::next(it);
    prune_at_ = std::max<std::size_t>(4096, 2 * (devices_.size() + users_.size()));
}

}  // namespace easd::throttle
