// Parked requests and the LISTEN/NOTIFY hub (DESIGN.md, Push).
//
// A parked request (a Ping, or a Sync with Wait/HeartbeatInterval) holds only a Responder (in easd:
// the FastCGI connection's descriptor) and what it waits for. One thread per process owns a
// dedicated libpq connection that LISTENs, keeps the parked requests, fires heartbeat timers, and
// wakes requests with a reason; a second thread checks parked requests against the database (with
// a pooled connection), so that no query, however slow, holds up a heartbeat that ends:
//   - Changes: a notification for a watched folder, confirmed by the database (a notification is
//     only a hint), with the folders that have something for the device;
//   - Superseded: a newer Ping or hanging Sync of the same device, in any process
//     ("easd_supersede");
//   - Expired: the heartbeat ended;
//   - Crowded: descriptors run short, and this is among the oldest parked requests;
//   - Shutdown: the process stops, so phones reconnect to another worker.
// After the listener connection is lost and re-established, every parked request is re-checked,
// since notifications sent during the gap are gone.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "metrics/instruments.h"
#include "store/db.h"

struct pg_conn;  // libpq's PGconn, kept out of this header

namespace easd::push {

enum class WakeReason { Changes, Expired, Superseded, Crowded, Shutdown };
inline constexpr WakeReason kWakeReasons[] = {WakeReason::Changes, WakeReason::Expired, WakeReason::Superseded,
                                              WakeReason::Crowded, WakeReason::Shutdown};
const char* wake_reason_name(WakeReason reason);

// Where the answer of a parked request goes. wake() is called exactly once (unless abandon() is),
// from one of the hub's threads with the hub's lock held: it must not block (easd hands the work
// to a pool) and must not call back into the hub.
class Responder {
public:
    virtual ~Responder() = default;
    // `folders`: for Changes, the watched folders that have something for the device.
    virtual void wake(WakeReason reason, const std::vector<long long>& folders) = 0;
    // The connection the answer goes to, watched while the request waits so that a client (or
    // web server) that hangs up is noticed; -1 when there is none to watch.
    virtual int connection_fd() const { return -1; }
    // The peer went away: release the request without answering.
    virtual void abandon() {}
};

// What a parked request waits for. The same for Ping and hanging Sync: folders of the user whose
// changes after the device's sync state end the wait.
struct ParkedWait {
    long long user_id = 0;
    long long device_row = 0;  // devices.id
    long long push_seq = 0;    // this request's number in the device's push sequence
    std::vector<long long> folders;
    std::chrono::milliseconds heartbeat{0};
    // When the client's wait began: its request's arrival. The heartbeat counts from there, as the
    // phone counts it, not from when the request got through sign-in and its checks to park (which
    // takes seconds when every phone reconnects at once). Unset (the epoch): from park().
    std::chrono::steady_clock::time_point began{};
    bool watch_hierarchy = false;  // Ping: a change of the folder hierarchy ends the wait too
};

class PushHub {
public:
    // `checker` answers, for each of the waits, which of its folders have changes for the device
    // now (empty: none), in one go; it runs on the hub's checking thread with a session from `db`.
    using Checker =
        std::function<std::vector<std::vector<long long>>(soci::session&, const std::vector<ParkedWait>&)>;

    // At most `max_parked` requests wait at once: parking one more wakes the oldest (Crowded).
    PushHub(store::Database& db, std::string listen_conninfo, Checker checker, std::size_t max_parked);
    ~PushHub();
    PushHub(const PushHub&) = delete;
    PushHub& operator=(const PushHub&) = delete;

    void start();
    // Hands a request to the hub. It is checked once against the database after it is registered
    // (closing the race with a change committed just before).
    void park(std::unique_ptr<Responder> responder, ParkedWait wait);
    // Wakes the `count` oldest parked requests (Crowded), to free their descriptors; returns how
    // many there were.
    std::size_t release_oldest(std::size_t count);
    // Wakes every parked request (Shutdown) and stops the thread. park() after this wakes the
    // request at once.
    void shutdown();

    std::size_t parked() const;
    std::size_t max_parked() const { return max_parked_; }
    // The users with at least one parked request now (for the mail store's poll, when the mail
    // server cannot announce changes itself).
    std::vector<long long> parked_users() const;
    // Parked requests whose client hung up and were dropped, since start.
    std::size_t abandoned() const;
    // Notifications the listener received since start: easd_change, easd_supersede.
    std::uint64_t changes_received() const { return changes_received_.value(); }
    std::uint64_t supersedes_received() const { return supersedes_received_.value(); }
    // How long the requests woken for `reason` were parked (from their arrival), since start.
    metrics::HistogramSnapshot parked_durations(WakeReason reason) const;
    // When the hub's thread last went round its loop, which it does at least once a second while
    // it runs (with the database reachable or not): a time long past means it is stuck, and only
    // a restart helps (systemd's watchdog, in easd's main). The epoch before start().
    std::chrono::steady_clock::time_point last_turn() const {
        return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(last_turn_.load()));
    }
    // Whether the thread is connecting the listener now: that waits on the network (as long as
    // the kernel tries a host that does not answer), and is no reason to restart the process.
    bool connecting() const { return connecting_.load(); }

private:
    using Clock = std::chrono::steady_clock;
    using Id = unsigned long long;  // increasing: the smallest parked Id is the oldest
    struct Parked {
        std::unique_ptr<Responder> responder;
        ParkedWait wait;
        Clock::time_point deadline;
        Clock::time_point since;  // when the client's wait began
        bool queued_for_check = false;
    };

    void run();
    void run_checks();  // the checking thread
    bool connect_listener();
    void drain_notifications(std::set<long long>& users_changed, std::map<long long, long long>& superseded);
    // The following take mutex_ held.
    void wake(Id id, WakeReason reason, const std::vector<long long>& folders = {});
    std::unique_ptr<Responder> unpark(Id id);  // removes the request from every index
    void queue_check(Id id);
    // Expires every request whose deadline has come, a chunk at a time (the lock is released in
    // between, so parking is not held up by a crowd of expiries).
    void expire_due();
    // Checks the requests against the database in batches (on the checking thread); false if the
    // database failed (the requests stay queued).
    bool check(const std::vector<Id>& ids);
    void drop_hangups();
    void signal_thread();

    store::Database& db_;
    std::string conninfo_;
    Checker checker_;
    std::size_t max_parked_;

    mutable std::mutex mutex_;
    std::map<Id, Parked> parked_;                      // oldest first
    std::set<std::pair<Clock::time_point, Id>> deadlines_;  // earliest first
    std::multimap<long long, Id> by_user_;
    std::multimap<long long, Id> by_device_;
    std::vector<Id> check_queue_;  // requests to check against the database
    std::condition_variable check_ready_;  // check_queue_ filled, or stopping_
    Id next_id_ = 1;
    bool stopping_ = false;
    std::size_t gone_ = 0;
    metrics::Counter changes_received_;
    metrics::Counter supersedes_received_;
    std::vector<std::unique_ptr<metrics::Histogram>> parked_for_;  // by WakeReason

    int wake_fd_ = -1;   // eventfd: new requests, shutdown
    int epoll_fd_ = -1;  // the parked requests' connections, to notice hang-ups (data: the Id)
    struct PgConnDeleter {
        void operator()(::pg_conn* c) const;
    };
    std::unique_ptr<::pg_conn, PgConnDeleter> listener_;
    std::atomic<std::chrono::steady_clock::rep> last_turn_{0};
    std::atomic<bool> connecting_{false};
    std::thread thread_;
    std::thread check_thread_;
};

}  // namespace easd::push
