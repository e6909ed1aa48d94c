#include "push/push_hub.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>

#include "common/log.h"

namespace easd::push {

namespace {

bool parse_pair(std::string_view payload, long long& a, std::string_view& rest) {
    auto colon = payload.find(':');
    if (colon == std::string_view::npos) return false;
    auto [p, ec] = std::from_chars(payload.data(), payload.data() + colon, a);
    if (ec != std::errc() || p != payload.data() + colon) return false;
    rest = payload.substr(colon + 1);
    return true;
}

// One query checks this many parked requests: a burst of changes costs a few round trips, not
// one per request.
constexpr std::size_t kCheckBatch = 500;

// Expiries answered under one hold of the lock. Each is a few microseconds (unindexing, handing
// the answer to the finisher); when thousands end together (phones that all reconnected at once
// after a restart), parking goes on in between.
constexpr std::size_t kExpiryChunk = 256;

}  // namespace

const char* wake_reason_name(WakeReason reason) {
    switch (reason) {
        case WakeReason::Changes: return "changes";
        case WakeReason::Expired: return "expired";
        case WakeReason::Superseded: return "superseded";
        case WakeReason::Crowded: return "crowded";
        case WakeReason::Shutdown: return "shutdown";
    }
    return "?";
}

void PushHub::PgConnDeleter::operator()(::pg_conn* c) const { PQfinish(c); }

PushHub::PushHub(store::Database& db, std::string listen_conninfo, Checker checker, std::size_t max_parked)
    : db_(db), conninfo_(std::move(listen_conninfo)), checker_(std::move(checker)), max_parked_(std::max<std::size_t>(1, max_parked)) {
    for (std::size_t i = 0; i < std::size(kWakeReasons); ++i)
        parked_for_.push_back(std::make_unique<metrics::Histogram>(metrics::parked_duration_bounds()));
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) {
        int err = errno;
        close(wake_fd_);
        throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(err));
    }
}

PushHub::~PushHub() {
    shutdown();
    if (wake_fd_ >= 0) close(wake_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
}

void PushHub::start() {
    connect_listener();  // failure is not fatal: the thread retries
    thread_ = std::thread([this] { run(); });
    check_thread_ = std::thread([this] { run_checks(); });
}

void PushHub::shutdown() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    signal_thread();
    check_ready_.notify_all();
    // The hub's thread answers every parked request; the checking thread may still be inside a
    // query (its wakes find nothing left), and ends after it.
    if (thread_.joinable()) thread_.join();
    if (check_thread_.joinable()) check_thread_.join();
    // Without a thread (never started), answer what is left here.
    std::lock_guard<std::mutex> lock(mutex_);
    while (!parked_.empty()) wake(parked_.begin()->first, WakeReason::Shutdown);
}

std::size_t PushHub::parked() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return parked_.size();
}

std::vector<long long> PushHub::parked_users() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<long long> users;
    for (auto it = by_user_.begin(); it != by_user_.end(); it = by_user_.upper_bound(it->first))
        users.push_back(it->first);
    return users;
}

std::size_t PushHub::abandoned() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return gone_;
}

metrics::HistogramSnapshot PushHub::parked_durations(WakeReason reason) const {
    return parked_for_[static_cast<std::size_t>(reason)]->snapshot();
}

void PushHub::signal_thread() {
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof one);
    (void)ignored;
}

void PushHub::park(std::unique_ptr<Responder> responder, ParkedWait wait) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) {
            responder->wake(WakeReason::Shutdown, {});
            return;
        }
        // Full: the oldest waiter answers now (its phone simply asks again), never the newcomer.
        while (parked_.size() >= max_parked_) {
            EASD_LOG_WARN("push: %zu requests parked (the most this process holds); answering the oldest early",
                          parked_.size());
            wake(parked_.begin()->first, WakeReason::Crowded);
        }
        Id id = next_id_++;
        by_user_.emplace(wait.user_id, id);
        by_device_.emplace(wait.device_row, id);
        // Watch the connection: a request has nothing to read after its body, so readability or a
        // hang-up means the peer went away (nginx closes its side when the phone disconnects).
        if (int fd = responder->connection_fd(); fd >= 0) {
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP;
            ev.data.u64 = id;
            if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0)
                EASD_LOG_WARN("push: cannot watch fd %d: %s", fd, std::strerror(errno));
        }
        Parked p;
        p.responder = std::move(responder);
        // From the request's arrival when known (a deadline already past expires at once: the
        // client has waited its heartbeat).
        p.since = wait.began != Clock::time_point{} ? wait.began : Clock::now();
        p.deadline = p.since + wait.heartbeat;
        p.wait = std::move(wait);
        deadlines_.emplace(p.deadline, id);
        parked_.emplace(id, std::move(p));
        queue_check(id);
    }
    signal_thread();
}

std::size_t PushHub::release_oldest(std::size_t count) {
    std::size_t released = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (; released < count && !parked_.empty(); ++released) wake(parked_.begin()->first, WakeReason::Crowded);
    }
    if (released) EASD_LOG_WARN("push: out of descriptors; answered the %zu oldest parked requests early", released);
    return released;
}

bool PushHub::connect_listener() {
    std::unique_ptr<::pg_conn, PgConnDeleter> conn(PQconnectdb(conninfo_.c_str()));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
        EASD_LOG_WARN("push: cannot connect the listener: %s", conn ? PQerrorMessage(conn.get()) : "out of memory");
        return false;
    }
    PGresult* r = PQexec(conn.get(), "LISTEN easd_change; LISTEN easd_supersede");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        EASD_LOG_WARN("push: LISTEN failed: %s", PQerrorMessage(conn.get()));
        return false;
    }
    listener_ = std::move(conn);
    return true;
}

void PushHub::drain_notifications(std::set<long long>& users_changed, std::map<long long, long long>& superseded) {
    while (PGnotify* n = PQnotifies(listener_.get())) {
        std::string_view channel = n->relname, payload = n->extra;
        long long first = 0;
        std::string_view rest;
        if (parse_pair(payload, first, rest)) {
            if (channel == "easd_change") {
                changes_received_.add();
                users_changed.insert(first);
            } else if (channel == "easd_supersede") {
                supersedes_received_.add();
                long long seq = 0;
                if (std::from_chars(rest.data(), rest.data() + rest.size(), seq).ec == std::errc()) {
                    auto& s = superseded[first];
                    s = std::max(s, seq);
                }
            }
        }
        PQfreemem(n);
    }
}

std::unique_ptr<Responder> PushHub::unpark(Id id) {
    auto it = parked_.find(id);
    if (it == parked_.end()) return nullptr;
    auto erase_from = [id](std::multimap<long long, Id>& index, long long key) {
        auto range = index.equal_range(key);
        for (auto i = range.first; i != range.second; ++i)
            if (i->second == id) {
                index.erase(i);
                return;
            }
    };
    erase_from(by_user_, it->second.wait.user_id);
    erase_from(by_device_, it->second.wait.device_row);
    deadlines_.erase({it->second.deadline, id});
    std::unique_ptr<Responder> responder = std::move(it->second.responder);
    parked_.erase(it);  // a stale entry in check_queue_ is skipped when it comes up
    if (int fd = responder->connection_fd(); fd >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    return responder;
}

void PushHub::wake(Id id, WakeReason reason, const std::vector<long long>& folders) {
    auto it = parked_.find(id);
    if (it == parked_.end()) return;
    const Clock::time_point since = it->second.since;
    if (auto responder = unpark(id)) {
        parked_for_[static_cast<std::size_t>(reason)]->observe(Clock::now() - since);
        responder->wake(reason, folders);
    }
}

void PushHub::queue_check(Id id) {
    auto it = parked_.find(id);
    if (it == parked_.end() || it->second.queued_for_check) return;
    it->second.queued_for_check = true;
    check_queue_.push_back(id);
    check_ready_.notify_one();
}

void PushHub::expire_due() {
    for (;;) {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto now = Clock::now();
        std::size_t n = 0;
        while (n < kExpiryChunk && !deadlines_.empty() && deadlines_.begin()->first <= now) {
            wake(deadlines_.begin()->second, WakeReason::Expired);
            ++n;
        }
        if (n < kExpiryChunk) return;
    }
}

void PushHub::drop_hangups() {
    epoll_event events[256];
    int n = epoll_wait(epoll_fd_, events, 256, 0);
    std::lock_guard<std::mutex> lock(mutex_);
    for (int i = 0; i < n; ++i) {
        if (auto responder = unpark(events[i].data.u64)) {
            responder->abandon();
            ++gone_;
            EASD_LOG_DEBUG("push: a parked request's client went away; dropped");
        }
    }
}

bool PushHub::check(const std::vector<Id>& ids) {
    try {
        store::Database::Lease sql(db_);
        for (std::size_t from = 0; from < ids.size(); from += kCheckBatch) {
            std::vector<Id> batch_ids;
            std::vector<ParkedWait> waits;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (stopping_) return true;  // every request is being answered (Shutdown)
                for (std::size_t i = from; i < std::min(ids.size(), from + kCheckBatch); ++i) {
                    auto it = parked_.find(ids[i]);
                    if (it == parked_.end()) continue;
                    batch_ids.push_back(ids[i]);
                    waits.push_back(it->second.wait);
                }
            }
            if (waits.empty()) continue;
            auto started = Clock::now();
            std::vector<std::vector<long long>> changed = checker_(*sql, waits);
            EASD_LOG_DEBUG("push: checked %zu parked requests in %.1f ms", waits.size(),
                           std::chrono::duration<double, std::milli>(Clock::now() - started).count());
            std::lock_guard<std::mutex> lock(mutex_);
            for (std::size_t i = 0; i < batch_ids.size() && i < changed.size(); ++i)
                if (!changed[i].empty()) wake(batch_ids[i], WakeReason::Changes, changed[i]);
        }
        return true;
    } catch (const std::exception& e) {
        // The database is unreachable: the requests stay parked and are checked again later.
        EASD_LOG_WARN("push: re-check failed, will retry: %s", e.what());
        std::lock_guard<std::mutex> lock(mutex_);
        for (Id id : ids) queue_check(id);
        return false;
    }
}

void PushHub::run() {
    auto last_connect_attempt = Clock::now();
    for (;;) {
        last_turn_.store(Clock::now().time_since_epoch().count());
        // Sleep until the next heartbeat deadline, a notification, a new request or a second (to
        // retry a lost listener connection). Nothing here waits on the database: the checks have
        // their own thread, so a deadline is kept however long a check takes.
        auto timeout = std::chrono::milliseconds(1000);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!deadlines_.empty()) {
                auto until = std::chrono::ceil<std::chrono::milliseconds>(deadlines_.begin()->first - Clock::now());
                timeout = std::max(std::chrono::milliseconds(0), std::min(timeout, until));
            }
        }
        pollfd fds[3] = {{wake_fd_, POLLIN, 0}, {epoll_fd_, POLLIN, 0},
                         {listener_ ? PQsocket(listener_.get()) : -1, POLLIN, 0}};
        int n = poll(fds, listener_ ? 3 : 2, static_cast<int>(timeout.count()));
        if (n < 0 && errno != EINTR) EASD_LOG_WARN("push: poll: %s", std::strerror(errno));
        if (fds[0].revents & POLLIN) {
            uint64_t count;
            ssize_t ignored = read(wake_fd_, &count, sizeof count);
            (void)ignored;
        }
        // Deadlines first: everything else below is quick too, but a deadline is what a phone
        // times.
        expire_due();
        if (fds[1].revents & POLLIN) drop_hangups();

        std::set<long long> users_changed;
        std::map<long long, long long> superseded;
        bool reconnected = false;
        if (listener_) {
            if (!PQconsumeInput(listener_.get()) || PQstatus(listener_.get()) != CONNECTION_OK) {
                EASD_LOG_WARN("push: listener connection lost: %s", PQerrorMessage(listener_.get()));
                listener_.reset();
            } else {
                drain_notifications(users_changed, superseded);
            }
        }
        if (!listener_ && Clock::now() - last_connect_attempt >= std::chrono::seconds(1)) {
            last_connect_attempt = Clock::now();
            connecting_.store(true);
            reconnected = connect_listener();
            connecting_.store(false);
            if (reconnected) EASD_LOG_INFO("push: listener reconnected; re-checking every parked request");
        }

        std::size_t queued = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) {
                while (!parked_.empty()) wake(parked_.begin()->first, WakeReason::Shutdown);
                return;
            }
            for (const auto& [device, seq] : superseded) {
                std::vector<Id> older;
                auto range = by_device_.equal_range(device);
                for (auto i = range.first; i != range.second; ++i)
                    if (parked_.at(i->second).wait.push_seq < seq) older.push_back(i->second);
                for (Id id : older) wake(id, WakeReason::Superseded);
            }
            if (reconnected)
                for (const auto& entry : parked_) queue_check(entry.first);
            for (long long user : users_changed) {
                auto range = by_user_.equal_range(user);
                for (auto i = range.first; i != range.second; ++i) queue_check(i->second);
            }
            queued = check_queue_.size();
        }
        if (!users_changed.empty())
            EASD_LOG_DEBUG("push: %zu users changed, %zu requests queued for a check", users_changed.size(), queued);
    }
}

void PushHub::run_checks() {
    auto retry_at = Clock::time_point{};  // after a failed check: not before a second has passed
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        const auto now = Clock::now();
        check_ready_.wait_until(lock, retry_at > now ? retry_at : now + std::chrono::seconds(1), [&] {
            return stopping_ || (!check_queue_.empty() && Clock::now() >= retry_at);
        });
        if (stopping_) return;
        if (check_queue_.empty() || Clock::now() < retry_at) continue;
        std::vector<Id> to_check;
        to_check.swap(check_queue_);
        // A notification from now on queues the request again: the check below may read the
        // database before that change committed.
        for (Id id : to_check)
            if (auto it = parked_.find(id); it != parked_.end()) it->second.queued_for_check = false;
        lock.unlock();
        const bool ok = check(to_check);
        lock.lock();
        if (!ok) retry_at = Clock::now() + std::chrono::seconds(1);
    }
}

}  // namespace easd::push
