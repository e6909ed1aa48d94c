#include "metrics/live_activity.h"

#include <algorithm>

namespace easd::metrics {

LiveActivity::LiveActivity(std::size_t keep, std::chrono::seconds window)
    : keep_(std::max<std::size_t>(keep, 1)),
      half_(std::chrono::duration_cast<std::chrono::system_clock::duration>(window) / 2) {}

void LiveActivity::rotate(std::chrono::system_clock::time_point now) {
    if (now - current_started_ < half_) return;
    // A whole half went by without requests: the previous half is older than the window too.
    previous_ = now - current_started_ < 2 * half_ ? std::move(current_) : std::vector<FinishedRequest>();
    current_.clear();
    current_started_ = now;
    floor_seconds_.store(0, std::memory_order_relaxed);
}

void LiveActivity::finished(FinishedRequest request) {
    auto slower = [](const FinishedRequest& a, const FinishedRequest& b) { return a.seconds < b.seconds; };
    std::lock_guard<std::mutex> lock(mutex_);
    rotate(request.at);
    if (request.status >= 500) {
        ++error_count_;
        if (errors_.size() < keep_) {
            errors_.push_back(request);
            errors_next_ = errors_.size() % keep_;
        } else {
            errors_[errors_next_] = request;
            errors_next_ = (errors_next_ + 1) % keep_;
        }
    }
    if (current_.size() < keep_) {
        current_.push_back(std::move(request));
    } else {
        // Full: the new one replaces the fastest kept, if it is slower.
        auto fastest = std::min_element(current_.begin(), current_.end(), slower);
        if (request.seconds > fastest->seconds) *fastest = std::move(request);
    }
    if (current_.size() == keep_)
        floor_seconds_.store(std::min_element(current_.begin(), current_.end(), slower)->seconds,
                             std::memory_order_relaxed);
}

LiveActivity::Window LiveActivity::window(std::chrono::system_clock::time_point now) {
    Window w;
    std::lock_guard<std::mutex> lock(mutex_);
    rotate(now);
    w.slowest = previous_;
    w.slowest.insert(w.slowest.end(), current_.begin(), current_.end());
    std::sort(w.slowest.begin(), w.slowest.end(),
              [](const FinishedRequest& a, const FinishedRequest& b) { return a.seconds > b.seconds; });
    if (w.slowest.size() > keep_) w.slowest.resize(keep_);
    // The ring from newest to oldest.
    for (std::size_t i = 0; i < errors_.size(); ++i)
        w.errors.push_back(errors_[(errors_next_ + errors_.size() - 1 - i) % errors_.size()]);
    w.error_count = error_count_;
    return w;
}

}  // namespace easd::metrics
