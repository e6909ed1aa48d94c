// What easd counts on its hot paths: counters and histograms of relaxed atomics. A request adds
// to them from any of many threads with no lock and no allocation; a scrape reads them. Relaxed
// order is enough: each number is read on its own, and a scrape that sees one request's count
// but not yet its duration is off by that request until the next scrape.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "metrics/exposition.h"

namespace easd::metrics {

class Counter {
public:
    void add(std::uint64_t n = 1) { n_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return n_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> n_{0};
};

// Durations in fixed buckets. The bounds are set once (seconds, increasing; +Inf is implied);
// observe() finds the bucket among them and adds to it and to the sum (kept in nanoseconds, an
// integer, so that it too is one atomic add).
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds_seconds);
    Histogram(const Histogram&) = delete;
    Histogram& operator=(const Histogram&) = delete;

    void observe(std::chrono::nanoseconds d);
    // The buckets made cumulative; the count is their total (so _count always equals the +Inf
    // bucket, even while requests add to them during the read).
    HistogramSnapshot snapshot() const;

private:
    std::vector<double> bounds_;
    std::vector<std::int64_t> bounds_ns_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds + 1 (+Inf), not cumulative
    std::atomic<std::uint64_t> sum_ns_{0};
};

// Bounds for how long easd works on a request: 5 ms (a Ping parking, a cached sign-in) to 5 min
// (a large Search, an attachment from a slow mail server).
const std::vector<double>& request_duration_bounds();
// Bounds for how long a request stays parked: 1 s to an hour (heartbeats reach 30 min).
const std::vector<double>& parked_duration_bounds();

}  // namespace easd::metrics
