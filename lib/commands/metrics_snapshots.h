// The directory where every easd process of a host leaves its metrics for the others (config key
// `metrics_dir`, default `metrics` beside the FastCGI socket: /run/easd/metrics under systemd).
// nginx passes a scrape of GET /easd-metrics to one process of its upstream; with the snapshots
// of the others that one answers for the whole host (commands/server_metrics.h, metrics/merge.h).
//
// Each process writes `<pid>.prom` once a second: its own exposition, every sample labelled with
// its pid, written to `.<pid>.prom.tmp` and renamed, so a reader sees a whole file or the previous
// one. A reader takes the files of live processes (kill(pid, 0)) written within kFreshFor and
// removes the others: a killed process's series disappear at the next scrape, and its file with
// them. A process removes its own file when it stops cleanly.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace easd::commands {

class MetricsSnapshots {
public:
    // Snapshots older than this are another process's that stopped writing (stuck, or a pid
    // reused by another program): left out and removed.
    static constexpr std::chrono::seconds kFreshFor{10};

    // `dir`: created (0750) when missing; a directory that cannot be created or written is logged,
    // and then this process answers for itself alone.
    explicit MetricsSnapshots(std::string dir);
    ~MetricsSnapshots();  // stop()
    MetricsSnapshots(const MetricsSnapshots&) = delete;
    MetricsSnapshots& operator=(const MetricsSnapshots&) = delete;

    // Writes render() (the labelled exposition of this process) every `interval` from a thread.
    void start(std::function<std::string()> render, std::chrono::milliseconds interval = std::chrono::seconds(1));
    // Stops the thread and removes this process's file.
    void stop();

    // Writes one snapshot now; false (logged at most once a minute) when it could not.
    bool write(const std::string& text);
    // The fresh snapshots of the other live processes, by pid; removes stale and dead ones.
    std::vector<std::string> others();

    const std::string& dir() const { return dir_; }

private:
    void loop();

    const std::string dir_;
    const pid_t pid_;
    const std::string file_, temp_;
    std::function<std::string()> render_;
    std::chrono::milliseconds interval_{1000};
    std::chrono::steady_clock::time_point last_failure_log_{};

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace easd::commands
