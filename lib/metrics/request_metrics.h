// easd_requests_total{command,status} and easd_request_duration_seconds{command}: every request
// easd answers, by the kind of request (an EAS command, or another of easd's URLs) and HTTP status.
//
// The kinds are fixed when the process starts (lib/commands/request_kinds.h names them), so a
// request adds to a slot found by index: no lookup by name, no lock, no allocation. A status is
// a slot of its own too (100..599, every status HTTP has); a scrape writes only the slots used.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "metrics/exposition.h"
#include "metrics/instruments.h"

namespace easd::metrics {

class RequestMetrics {
public:
    // `kinds`: the label of each kind of request; they must outlive this object (string literals).
    explicit RequestMetrics(std::vector<std::string_view> kinds);
    RequestMetrics(const RequestMetrics&) = delete;
    RequestMetrics& operator=(const RequestMetrics&) = delete;

    // One request of kind `kind` (an index into `kinds`; out of range: the last kind) answered
    // with `status` after `worked`.
    void record(std::size_t kind, int status, std::chrono::nanoseconds worked);

    std::uint64_t count(std::size_t kind, int status) const;
    void write(TextWriter& out) const;

    // Every count that is not zero (status "other" for one outside 100..599), and per kind the
    // requests and their summed duration: what easd publishes for `easctl stats` (live_stats).
    void each_count(const std::function<void(std::string_view kind, std::string_view status, std::uint64_t n)>& f) const;
    void each_duration(const std::function<void(std::string_view kind, std::uint64_t n, double seconds)>& f) const;

private:
    static constexpr int kFirstStatus = 100, kLastStatus = 599;
    static constexpr std::size_t kStatusSlots = kLastStatus - kFirstStatus + 2;  // + one for anything else
    std::size_t slot(std::size_t kind, int status) const;

    std::vector<std::string_view> kinds_;
    std::unique_ptr<Counter[]> counts_;                  // kinds × status slots
    std::vector<std::unique_ptr<Histogram>> durations_;  // one per kind
};

}  // namespace easd::metrics
