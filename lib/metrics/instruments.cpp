#include "metrics/instruments.h"

#include <algorithm>
#include <cmath>

namespace easd::metrics {

Histogram::Histogram(std::vector<double> bounds_seconds)
    : bounds_(std::move(bounds_seconds)), buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
    for (double b : bounds_) bounds_ns_.push_back(static_cast<std::int64_t>(std::llround(b * 1e9)));
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(std::chrono::nanoseconds d) {
    const std::int64_t ns = std::max<std::int64_t>(0, d.count());
    // le is "less than or equal": the first bound at or above the value.
    auto it = std::lower_bound(bounds_ns_.begin(), bounds_ns_.end(), ns);
    buckets_[static_cast<std::size_t>(it - bounds_ns_.begin())].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
    HistogramSnapshot s;
    s.bounds = bounds_;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        total += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(total);
    }
    s.sum = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

const std::vector<double>& request_duration_bounds() {
    static const std::vector<double> bounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                               2.5,   5,    10,    30,   60,  120,  300};
    return bounds;
}

const std::vector<double>& parked_duration_bounds() {
    static const std::vector<double> bounds = {1, 5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600};
    return bounds;
}

}  // namespace easd::metrics
