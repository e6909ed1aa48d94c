#include "commands/server_metrics.h"

#include <unistd.h>

#include <exception>

#include "commands/request_kinds.h"
#include "common/log.h"
#include "common/version.h"
#include "metrics/merge.h"
#include "push/push_metrics.h"

namespace easd::commands {

namespace {

// How long the database figures are reused; Prometheus scrapes every 15 s to 1 min by default.
constexpr auto kStoreFiguresFor = std::chrono::seconds(5);
// A scrape does not queue for a pooled connection behind requests for longer than this: when the
// pool is exhausted, the metrics that say so must still come out.
constexpr auto kStoreLeaseWait = std::chrono::milliseconds(500);

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

ServerMetrics::ServerMetrics(store::Database& db, const push::PushHub* hub)
    : db_(db), hub_(hub), pid_(std::to_string(getpid())), requests_(request_kinds()) {}

std::string ServerMetrics::render() {
    std::string text = render_process();
    if (snapshots_) {
        std::vector<std::string> others = snapshots_->others();
        if (!others.empty()) {
            std::vector<std::string_view> all{text};
            all.insert(all.end(), others.begin(), others.end());
            text = metrics::merge_expositions(all);
        }
    }
    metrics::TextWriter store;
    write_store(store);
    return text + store.text();
}

std::string ServerMetrics::render_process() const {
    metrics::TextWriter out({{"pid", pid_}});
    write_process(out);
    requests_.write(out);
    if (hub_) push::write_push_metrics(*hub_, out);
    write_pool(out);
    return out.take();
}

void ServerMetrics::write_process(metrics::TextWriter& out) const {
    out.family("easd_build_info", "gauge", "The version of this easd build (always 1).");
    out.sample("easd_build_info", {{"version", kVersion}}, 1);
    out.family("easd_process_start_time_seconds", "gauge", "When this easd process started, in seconds since 1970.");
    out.sample("easd_process_start_time_seconds", {},
               std::chrono::duration<double>(started_.time_since_epoch()).count());
}

void ServerMetrics::write_pool(metrics::TextWriter& out) const {
    const store::Database::PoolStats s = db_.pool_stats();
    out.family("easd_db_pool_connections", "gauge", "PostgreSQL connections in this process's pool (db_pool).");
    out.sample("easd_db_pool_connections", {}, static_cast<double>(s.size));
    out.family("easd_db_pool_connections_in_use", "gauge", "Pooled connections leased to a request or task now.");
    out.sample("easd_db_pool_connections_in_use", {}, static_cast<double>(s.in_use));
    out.family("easd_db_pool_waits_total", "counter", "Leases that found every pooled connection taken and waited.");
    out.sample("easd_db_pool_waits_total", {}, static_cast<double>(s.waits));
    out.family("easd_db_pool_wait_seconds_total", "counter", "Time spent waiting for a pooled connection, in total.");
    out.sample("easd_db_pool_wait_seconds_total", {}, seconds(s.waited));
}

void ServerMetrics::write_store(metrics::TextWriter& out) {
    std::lock_guard<std::mutex> lock(store_mutex_);
    const auto now = std::chrono::steady_clock::now();
    bool fresh = figures_ && now - figures_read_ < kStoreFiguresFor;
    if (!fresh) {
        try {
            store::Database::Lease sql(db_, kStoreLeaseWait);
            figures_ = store::read_store_figures(*sql);
            figures_read_ = now;
            fresh = true;
        } catch (const std::exception& e) {
            EASD_LOG_WARN("metrics: the database figures cannot be read: %s", e.what());
            figures_.reset();
        }
    }
    out.family("easd_store_figures_up", "gauge",
               "1 when the database figures below were read (cached up to 5 s), 0 when the database did not answer.");
    out.sample("easd_store_figures_up", {}, fresh ? 1 : 0);
    if (!fresh) return;
    out.family("easd_devices", "gauge", "Devices known, by the EAS protocol version they last used (\"\": none yet).");
    for (const auto& [version, n] : figures_->devices_by_version)
        out.sample("easd_devices", {{"protocol_version", version}}, static_cast<double>(n));
    out.family("easd_wipes_pending", "gauge", "Remote wipes ordered and not yet acknowledged by the device.");
    out.sample("easd_wipes_pending", {}, static_cast<double>(figures_->wipes_pending));
    out.family("easd_deliveries_last_hour", "gauge",
               "Messages easd-deliver stored within the last hour (native mail store; 0 with Dovecot's).");
    out.sample("easd_deliveries_last_hour", {}, static_cast<double>(figures_->deliveries_last_hour));
}

}  // namespace easd::commands
