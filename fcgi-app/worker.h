// Accepting and serving FastCGI connections. One thread only accepts (accept4, nothing else) and
// queues the connections; `count` request threads take them from the queue, run each through the
// RequestHandler and write the answer. Accept never waits on request work: when every phone
// reconnects at once (a restart, a network blip) the listen backlog drains at accept speed and
// the connections wait in the queue, where nginx waits for them, instead of overflowing the
// backlog into 502s. A fresh FCGX_Request per connection (libfcgi finishes whatever request
// object it is handed first).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "admin/console.h"
#include "commands/request_handler.h"
#include "commands/server_metrics.h"
#include "common/unique_fd.h"
#include "parked_request.h"

namespace easd::app {

class AcceptThreads {
public:
    // `max_body_memory`: request bodies held at once, in bytes (one body is always allowed).
    // Every answer is counted in `metrics` (by commands/request_kinds.h), and who asked in its
    // live activity.
    AcceptThreads(int listen_fd, commands::RequestHandler& handler, std::size_t max_body_bytes,
                  std::size_t max_body_memory, ParkingServices& parking, commands::ServerMetrics& metrics);
    ~AcceptThreads();

    void start(int count);
    // Stop taking new connections; those accepted (in progress or queued) are served. The
    // listening socket itself is left alone: systemd's socket unit, or spawn-fcgi's other children,
    // keep using it, and connections that arrive meanwhile wait in its queue for the next easd.
    void request_stop();
    void join();
    // Connections accepted and waiting for a request thread.
    std::size_t queued() const;
    // Requests a request thread is working on now, and how many request threads there are.
    std::size_t working() const { return working_.load(std::memory_order_relaxed); }
    std::size_t thread_count() const { return thread_count_; }
    // The web console that answers /easd-admin (admin/console.h); unset, that path is ActiveSync's
    // handler's (a 405 or 401). Set before start(); it outlives the threads.
    void set_console(admin::Console* console) { console_ = console; }

private:
    void accept_loop();
    void serve_loop();
    // `accepted`: when accept4 returned it (a Ping's heartbeat counts from there).
    void serve(int fd, std::chrono::steady_clock::time_point accepted);
    // A request under /easd-admin: a small form at most, then the console's page.
    void serve_console(FCGX_Request& req, const commands::HttpRequest& in, const std::function<void(int)>& count);
    bool reserve_body_memory(std::size_t bytes);
    // Counts a connection that waited `waited` for a request thread, `queued` others behind it.
    void note_queue_wait(std::chrono::steady_clock::duration waited, std::size_t queued);

    int listen_fd_;
    // An eventfd that request_stop() makes readable: the acceptor polls it beside the listening
    // socket, so a stop wakes it without shutdown() of a socket that others share.
    UniqueFd wake_;
    commands::RequestHandler& handler_;
    std::size_t max_body_bytes_;
    std::size_t max_body_memory_;
    std::atomic<std::size_t> bodies_in_memory_{0};
    ParkingServices& parking_;
    metrics::RequestMetrics& requests_;
    metrics::LiveActivity& live_;
    std::atomic<std::size_t> working_{0};
    admin::Console* console_ = nullptr;
    std::atomic<bool> stopping_{false};
    bool accepting_done_ = false;  // guarded by queue_mutex_
    mutable std::mutex queue_mutex_;
    std::condition_variable queue_ready_;
    struct Accepted {
        int fd;
        std::chrono::steady_clock::time_point at;
    };
    std::deque<Accepted> queue_;  // accepted connections, oldest first
    std::thread acceptor_;
    std::vector<std::thread> threads_;
    std::size_t thread_count_ = 0;  // set before the threads start
    // Connections that waited a second or more for a request thread since the last report.
    std::mutex slow_wait_mutex_;
    long long slow_waits_ = 0;                            // guarded by slow_wait_mutex_
    std::chrono::steady_clock::duration longest_wait_{};  // guarded by slow_wait_mutex_
    std::size_t most_queued_ = 0;                         // guarded by slow_wait_mutex_
    std::chrono::steady_clock::time_point last_wait_report_{};
};

}  // namespace easd::app
