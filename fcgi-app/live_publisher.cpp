#include "live_publisher.h"

#include <unistd.h>

#include <ctime>

#include "common/json.h"
#include "common/log.h"
#include "common/text.h"

namespace easd::app {

namespace {

// Text for jsonb: PostgreSQL refuses what is not UTF-8 (a DeviceId is the client's choice).
std::string utf8_or_placeholder(const std::string& s) { return is_valid_utf8(s) ? s : "(not UTF-8)"; }

std::string iso_utc(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string requests_json(const std::vector<metrics::FinishedRequest>& requests) {
    std::vector<std::string> items;
    for (const auto& r : requests) {
        json::JsonObject o;
        o.text("kind", r.kind)
            .number("status", r.status)
            .text("login", utf8_or_placeholder(r.login))
            .text("device", utf8_or_placeholder(r.device))
            .raw("seconds", std::to_string(r.seconds))
            .text("at", iso_utc(r.at));
        items.push_back(o.str());
    }
    return json::json_array(items);
}

}  // namespace

LivePublisher::LivePublisher(store::Database& db, const push::PushHub& hub, const AcceptThreads& threads,
                             commands::ServerMetrics& metrics, std::chrono::milliseconds interval)
    : db_(db), hub_(hub), threads_(threads), metrics_(metrics), interval_(interval) {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) std::snprintf(name, sizeof name, "localhost");
    host_ = utf8_or_placeholder(name);
    started_epoch_ = static_cast<long long>(std::time(nullptr));
    instance_ = host_ + ":" + std::to_string(getpid()) + ":" + std::to_string(started_epoch_);
}

LivePublisher::~LivePublisher() { stop(); }

void LivePublisher::start() {
    if (interval_.count() <= 0 || thread_.joinable()) return;
    thread_ = std::thread([this] { loop(); });
}

void LivePublisher::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (!thread_.joinable()) return;
    thread_.join();
    try {
        store::Database::Lease sql(db_, std::chrono::milliseconds(500));
        store::remove_worker(*sql, instance_);
    } catch (const std::exception& e) {
        EASD_LOG_WARN("live figures: this process's row stays until it is an hour old: %s", e.what());
    }
}

store::WorkerFigures LivePublisher::figures() {
    store::WorkerFigures f;
    f.instance = instance_;
    f.host = host_;
    f.pid = static_cast<int>(getpid());
    f.started_epoch = started_epoch_;
    f.threads = static_cast<int>(threads_.thread_count());
    f.working = static_cast<int>(threads_.working());
    f.parked = static_cast<int>(hub_.parked());
    const auto pool = db_.pool_stats();
    f.pool_size = static_cast<int>(pool.size);
    f.pool_in_use = static_cast<int>(pool.in_use);
    f.pool_waits = static_cast<long long>(pool.waits);

    std::vector<std::string> counts, durations;
    metrics_.requests().each_count([&](std::string_view kind, std::string_view status, std::uint64_t n) {
        counts.push_back(json::JsonObject()
                             .text("kind", std::string(kind))
                             .text("status", std::string(status))
                             .number("n", static_cast<long long>(n))
                             .str());
    });
    metrics_.requests().each_duration([&](std::string_view kind, std::uint64_t n, double seconds) {
        durations.push_back(json::JsonObject()
                                .text("kind", std::string(kind))
                                .number("n", static_cast<long long>(n))
                                .raw("seconds", std::to_string(seconds))
                                .str());
    });
    f.counts_json = json::json_array(counts);
    f.durations_json = json::json_array(durations);
    metrics::LiveActivity::Window w = metrics_.live().window();
    f.errors = static_cast<long long>(w.error_count);
    f.slowest_json = requests_json(w.slowest);
    f.errors_json = requests_json(w.errors);
    return f;
}

void LivePublisher::loop() {
    auto last_failure_log = std::chrono::steady_clock::time_point{};
    auto last_cleanup = std::chrono::steady_clock::time_point{};
    for (;;) {
        try {
            store::WorkerFigures f = figures();
            // A short wait: when the pool is exhausted, requests matter more than this second.
            store::Database::Lease sql(db_, std::chrono::milliseconds(200));
            store::publish_worker(*sql, f);
            const auto now = std::chrono::steady_clock::now();
            if (last_cleanup == decltype(last_cleanup){} || now - last_cleanup > std::chrono::minutes(10)) {
                store::remove_dead_workers(*sql);
                last_cleanup = now;
            }
        } catch (const std::exception& e) {
            const auto now = std::chrono::steady_clock::now();
            if (now - last_failure_log > std::chrono::minutes(1)) {
                EASD_LOG_WARN("live figures not published (easctl stats will not show this process): %s", e.what());
                last_failure_log = now;
            }
        }
        std::unique_lock<std::mutex> lock(mutex_);
        if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
}

}  // namespace easd::app
