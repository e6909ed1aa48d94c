// Everything GET /easd-metrics tells about this easd process, gathered at scrape time: the
// request counters (which the worker adds to), the push hub, the database pool, figures read from
// the database (cached for a few seconds), and the process itself. main() makes one; the
// RequestHandler answers with it.
//
// Every sample of this process carries pid="N". With a snapshot directory (metrics_snapshots.h) a
// scrape answers the samples of every easd process of the host, each with its pid, so that sum()
// over pid counts the host whichever process nginx passed the scrape to. The database's figures
// are the same in every process: they come once, from the answering process, without a pid.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "commands/metrics_snapshots.h"
#include "metrics/live_activity.h"
#include "metrics/request_metrics.h"
#include "push/push_hub.h"
#include "store/db.h"
#include "store/monitoring.h"

namespace easd::commands {

class ServerMetrics {
public:
    // `hub` may be null (no push metrics then).
    ServerMetrics(store::Database& db, const push::PushHub* hub);
    ServerMetrics(const ServerMetrics&) = delete;
    ServerMetrics& operator=(const ServerMetrics&) = delete;

    // Where the request path counts (indexes: request_kinds.h).
    metrics::RequestMetrics& requests() { return requests_; }
    // Who made the slowest requests and the errors lately (easctl stats and top).
    metrics::LiveActivity& live() { return live_; }

    // The other processes' snapshots to answer with (null: this process alone); it must outlive
    // this object or be unset first.
    void set_snapshots(MetricsSnapshots* snapshots) { snapshots_ = snapshots; }

    // The whole exposition (metrics/exposition.h): this process's samples, the fresh snapshots of
    // the other processes, then the database's figures. Never throws for a database that cannot be
    // reached: its figures are left out and easd_store_figures_up says 0.
    std::string render();
    // This process's own samples, each labelled pid="N", without the database's figures: what it
    // writes to the snapshot directory for the others.
    std::string render_process() const;

private:
    void write_process(metrics::TextWriter& out) const;
    void write_pool(metrics::TextWriter& out) const;
    void write_store(metrics::TextWriter& out);

    store::Database& db_;
    const push::PushHub* hub_;
    MetricsSnapshots* snapshots_ = nullptr;
    const std::string pid_;
    metrics::RequestMetrics requests_;
    metrics::LiveActivity live_;
    const std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();

    // The database figures: one read serves every scrape for a few seconds, so that several
    // Prometheus servers (or a scrape every second) cost the database nothing more.
    std::mutex store_mutex_;
    std::optional<store::StoreFigures> figures_;
    std::chrono::steady_clock::time_point figures_read_{};
};

}  // namespace easd::commands
