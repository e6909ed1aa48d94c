// Parked requests and the LISTEN/NOTIFY hub (DESIGN.md, Push).
//
// A parked request holds only a Responder (in easd: the FastCGI request, i.e. its file descriptor)
// and what it waits for. One thread per process owns a dedicated libpq connection that LISTENs,
// keeps the parked requests, fires heartbeat timers, and answers:
//   - a change notification for a watched folder -> re-check the database (a notification is only
//     a hint), then status 2 with the folders that changed;
//   - a newer Ping of the same device, in any process ("easd_supersede") -> status 1 at once;
//   - the heartbeat expired -> status 1;
//   - shutdown -> status 1, so phones reconnect to another worker.
// After the listener connection is lost and re-established, every parked request is re-checked,
// since notifications sent during the gap are gone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/db.h"

struct pg_conn;  // libpq's PGconn, kept out of this header

namespace easd::push {

// Where the answer of a parked request goes. respond() is called exactly once, from the hub's
// thread; it must not block for long (easd hands the write to a finisher pool).
class Responder {
public:
    virtual ~Responder() = default;
    virtual void respond(int http_status, std::string wbxml_body) = 0;
    // The connection the answer goes to, watched while the request waits so that a client (or
    // web server) that hangs up is noticed; -1 when there is none to watch.
    virtual int connection_fd() const { return -1; }
    // The peer went away: release the request without answering.
    virtual void abandon() {}
};

struct PingWait {
    long long user_id = 0;
    long long device_row = 0;  // devices.id
    long long push_seq = 0;    // this Ping's number in the device's push sequence
    std::vector<long long> folders;
    std::chrono::seconds heartbeat{0};
};

class PushHub {
public:
    // `checker` answers, for each of the waits, which of its folders have changes for the device
    // now (empty: none), in one go; it runs on the hub's thread with a session from `db`.
    using Checker =
        std::function<std::vector<std::vector<long long>>(soci::session&, const std::vector<PingWait>&)>;
    // Builds the response body for a status (1, 2 with folders).
    using Answer = std::function<std::string(int status, const std::vector<long long>& folders)>;

    PushHub(store::Database& db, std::string listen_conninfo, Checker checker, Answer answer);
    ~PushHub();
    PushHub(const PushHub&) = delete;
    PushHub& operator=(const PushHub&) = delete;

    void start();
    // Hands a request to the hub. It is checked once against the database after it is registered
    // (closing the race with a change committed just before).
    void park(std::unique_ptr<Responder> responder, PingWait wait);
    // Answers every parked request with status 1 and stops the thread.
    void shutdown();

    std::size_t parked() const;
    // Parked requests whose client hung up and were dropped, since start.
    std::size_t abandoned() const;

private:
    struct Parked {
        std::unique_ptr<Responder> responder;
        PingWait wait;
        std::chrono::steady_clock::time_point deadline;
        bool needs_check = true;
    };
    using Id = unsigned long long;

    void run();
    bool connect_listener();
    void drain_notifications(std::set<long long>& users_changed, std::map<long long, long long>& superseded);
    void answer(Id id, int status, const std::vector<long long>& folders);  // with mutex_ held
    // Removes the request from every index; with mutex_ held. Returns its responder.
    std::unique_ptr<Responder> unpark(Id id);
    void drop_hangups();
    void check(const std::vector<Id>& ids);
    void wake();

    store::Database& db_;
    std::string conninfo_;
    Checker checker_;
    Answer answer_;

    mutable std::mutex mutex_;
    std::map<Id, Parked> parked_;
    std::multimap<long long, Id> by_user_;
    std::multimap<long long, Id> by_device_;
    Id next_id_ = 1;
    bool stopping_ = false;

    int wake_fd_ = -1;   // eventfd: new requests, shutdown
    int epoll_fd_ = -1;  // the parked requests' connections, to notice hang-ups (data: the Id)
    std::size_t gone_ = 0;
    struct PgConnDeleter {
        void operator()(::pg_conn* c) const;
    };
    std::unique_ptr<::pg_conn, PgConnDeleter> listener_;
    std::thread thread_;
};

}  // namespace easd::push
