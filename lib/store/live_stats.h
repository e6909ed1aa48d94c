// The live figures of every easd process (schema 023, `live_workers`): each process writes its
// row every second (fcgi-app/live_publisher.h); `easctl stats` and `easctl top` (and the web
// console) read all of them, so the view covers every process on every host behind the same
// database, where a /easd-metrics scrape reaches one process.
#pragma once

#include <soci/soci.h>

#include <string>
#include <vector>

namespace easd::store {

// What one process publishes. The JSON members are built by the publisher (common/json.h) in the
// shapes schema/023_live_workers.sql names.
struct WorkerFigures {
    std::string instance;  // unique per process: host:pid:start
    std::string host;
    int pid = 0;
    long long started_epoch = 0;  // seconds since 1970
    int threads = 0, working = 0, parked = 0, pool_size = 0, pool_in_use = 0;
    long long pool_waits = 0, errors = 0;
    std::string counts_json = "[]", durations_json = "[]", slowest_json = "[]", errors_json = "[]";
};

// Writes (or rewrites) the process's row with the database's now() as its time.
void publish_worker(soci::session& sql, const WorkerFigures& figures);
// The process stops: its row goes.
void remove_worker(soci::session& sql, const std::string& instance);
// Rows not rewritten for an hour: processes that were killed. Returns how many went.
long long remove_dead_workers(soci::session& sql);

// A row as read back. Time is the database's, in seconds since 1970 (fractions kept), so rates
// computed from two readings do not depend on the reader's clock.
struct LiveWorker {
    std::string instance, host;
    int pid = 0;
    double started_epoch = 0, updated_epoch = 0;
    int threads = 0, working = 0, parked = 0, pool_size = 0, pool_in_use = 0;
    long long pool_waits = 0, errors = 0;
};
struct LiveCount {
    std::string instance, kind, status;
    long long n = 0;
};
struct LiveDuration {
    std::string instance, kind;
    long long n = 0;
    double seconds = 0;
};
struct LiveRequest {
    std::string instance, kind, login, device;
    int status = 0;
    double seconds = 0;
    std::string at;  // when it was answered, ISO 8601 UTC as the publisher wrote it
};
struct LiveView {
    double read_epoch = 0;  // the database's now() at the read
    std::vector<LiveWorker> workers;         // by host, pid
    std::vector<LiveCount> counts;           // per process, since its start
    std::vector<LiveDuration> durations;     // per process, since its start
    std::vector<LiveRequest> slowest;        // slowest first, across processes, at most 20
    std::vector<LiveRequest> recent_errors;  // newest first, across processes, at most 20
};
// The processes whose row was written in the last `fresh_seconds` (older ones stopped without
// saying so, or cannot reach the database), in one transaction-free read.
LiveView read_live(soci::session& sql, int fresh_seconds = 10);

}  // namespace easd::store
