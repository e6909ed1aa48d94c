// What this process did lately, by whom: the slowest requests of the last minute and the errors
// (5xx) among them, each with its login and device. `easctl stats` and `easctl top` read it from
// the database, where easd publishes it every second (fcgi-app/live_publisher.h), next to the
// counters of request_metrics.h, which say how many but not who.
//
// One mutex: a request takes it once, when it has been answered, for a few comparisons (and a
// copy of its names when it is among the slowest). Unlike the counters this is not on the path of
// every byte, and keeping "who" needs strings.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace easd::metrics {

struct FinishedRequest {
    std::string kind;    // the request kind's label (request_kinds.h): "Sync", "Ping", "health"...
    int status = 0;      // HTTP status
    std::string login;   // the signed-in login, empty when the request was not signed in
    std::string device;  // the EAS DeviceId, empty when none was given
    double seconds = 0;  // from acceptance to the answer (or to parking)
    std::chrono::system_clock::time_point at;  // when it was answered
};

class LiveActivity {
public:
    // `keep`: how many of the slowest requests and of the latest errors are kept.
    explicit LiveActivity(std::size_t keep = 10, std::chrono::seconds window = std::chrono::seconds(60));
    LiveActivity(const LiveActivity&) = delete;
    LiveActivity& operator=(const LiveActivity&) = delete;

    // Whether a request answered with `status` after `seconds` would be kept: the caller skips
    // gathering its names when not. A hint (read without the lock): finished() decides.
    bool wants(double seconds, int status) const {
        return status >= 500 || seconds > floor_seconds_.load(std::memory_order_relaxed);
    }
    void finished(FinishedRequest request);

    struct Window {
        std::vector<FinishedRequest> slowest;  // slowest first, answered within the window or so
        std::vector<FinishedRequest> errors;   // latest first
        std::uint64_t error_count = 0;         // 5xx answers, in all since the process started
    };
    // The slowest of the last window to two windows (two halves rotate: a request is forgotten
    // between one and two halves after it was answered) and the latest errors.
    Window window(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

private:
    void rotate(std::chrono::system_clock::time_point now);

    const std::size_t keep_;
    const std::chrono::system_clock::duration half_;
    std::mutex mutex_;
    // The fastest of the kept slowest when the current half is full, else 0: a request not slower
    // than this is not kept.
    std::atomic<double> floor_seconds_{0};
    std::chrono::system_clock::time_point current_started_{};
    std::vector<FinishedRequest> current_, previous_;  // each: the slowest of its half, unordered
    std::vector<FinishedRequest> errors_;              // a ring, newest at errors_next_ - 1
    std::size_t errors_next_ = 0;
    std::uint64_t error_count_ = 0;
};

}  // namespace easd::metrics
