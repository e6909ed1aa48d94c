// Publishes this process's live figures to the database every second (schema 023,
// store/live_stats.h), where `easctl stats` and `easctl top` read every process's. One thread;
// a database that cannot be reached costs a skipped second and one log line a minute, never a
// request's time. The row goes when the process stops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "commands/server_metrics.h"
#include "push/push_hub.h"
#include "store/db.h"
#include "store/live_stats.h"
#include "worker.h"

namespace easd::app {

class LivePublisher {
public:
    // `interval` 0: nothing is published (and start() does nothing).
    LivePublisher(store::Database& db, const push::PushHub& hub, const AcceptThreads& threads,
                  commands::ServerMetrics& metrics, std::chrono::milliseconds interval);
    ~LivePublisher();  // stop()
    LivePublisher(const LivePublisher&) = delete;
    LivePublisher& operator=(const LivePublisher&) = delete;

    void start();
    // Stops the thread and removes this process's row.
    void stop();

    // This process's figures now (what the next second publishes).
    store::WorkerFigures figures();

private:
    void loop();

    store::Database& db_;
    const push::PushHub& hub_;
    const AcceptThreads& threads_;
    commands::ServerMetrics& metrics_;
    const std::chrono::milliseconds interval_;
    std::string host_;
    std::string instance_;
    long long started_epoch_ = 0;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace easd::app
