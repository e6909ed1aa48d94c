#include "metrics/request_metrics.h"

#include <string>

namespace easd::metrics {

RequestMetrics::RequestMetrics(std::vector<std::string_view> kinds)
    : kinds_(std::move(kinds)), counts_(std::make_unique<Counter[]>(kinds_.size() * kStatusSlots)) {
    for (std::size_t i = 0; i < kinds_.size(); ++i)
        durations_.push_back(std::make_unique<Histogram>(request_duration_bounds()));
}

std::size_t RequestMetrics::slot(std::size_t kind, int status) const {
    if (kind >= kinds_.size()) kind = kinds_.size() - 1;
    const std::size_t s = status >= kFirstStatus && status <= kLastStatus
                              ? static_cast<std::size_t>(status - kFirstStatus)
                              : kStatusSlots - 1;
    return kind * kStatusSlots + s;
}

void RequestMetrics::record(std::size_t kind, int status, std::chrono::nanoseconds worked) {
    if (kinds_.empty()) return;
    counts_[slot(kind, status)].add();
    durations_[kind < kinds_.size() ? kind : kinds_.size() - 1]->observe(worked);
}

std::uint64_t RequestMetrics::count(std::size_t kind, int status) const {
    return kinds_.empty() ? 0 : counts_[slot(kind, status)].value();
}

void RequestMetrics::write(TextWriter& out) const {
    out.family("easd_requests_total", "counter",
               "Requests answered, by kind (EAS command or easd URL) and HTTP status. A Ping or hanging "
               "Sync counts once, when it parks (its answer comes later, with status 200).");
    each_count([&](std::string_view kind, std::string_view status, std::uint64_t n) {
        out.sample("easd_requests_total", {{"command", kind}, {"status", status}}, static_cast<double>(n));
    });
    out.family("easd_request_duration_seconds", "histogram",
               "How long easd worked on a request, from accepting its connection (queue wait included) "
               "to its answer or to parking it; the time parked is easd_parked_duration_seconds.");
    for (std::size_t k = 0; k < kinds_.size(); ++k) {
        HistogramSnapshot h = durations_[k]->snapshot();
        if (h.count() == 0) continue;
        out.histogram("easd_request_duration_seconds", {{"command", kinds_[k]}}, h);
    }
}

void RequestMetrics::each_count(
    const std::function<void(std::string_view kind, std::string_view status, std::uint64_t n)>& f) const {
    for (std::size_t k = 0; k < kinds_.size(); ++k) {
        for (std::size_t s = 0; s < kStatusSlots; ++s) {
            std::uint64_t n = counts_[k * kStatusSlots + s].value();
            if (n == 0) continue;
            std::string status = s + 1 == kStatusSlots ? "other" : std::to_string(kFirstStatus + static_cast<int>(s));
            f(kinds_[k], status, n);
        }
    }
}

void RequestMetrics::each_duration(
    const std::function<void(std::string_view kind, std::uint64_t n, double seconds)>& f) const {
    for (std::size_t k = 0; k < kinds_.size(); ++k) {
        HistogramSnapshot h = durations_[k]->snapshot();
        if (h.count() != 0) f(kinds_[k], h.count(), h.sum);
    }
}

}  // namespace easd::metrics
