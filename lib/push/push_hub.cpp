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

#include "common/log.h"

namespace easd::push {

namespace {
using Clock = std::chrono::steady_clock;

bool parse_pair(std::string_view payload, long long& a, std::string_view& rest) {
    auto colon = payload.find(':');
    if (colon == std::string_view::npos) return false;
    auto [p, ec] = std::from_chars(payload.data(), payload.data() + colon, a);
    if (ec != std::errc() || p != payload.data() + colon) return false;
    rest = payload.substr(colon + 1);
    return true;
}
}  // namespace

void PushHub::PgConnDeleter::operator()(::pg_conn* c) const { PQfinish(c); }

PushHub::PushHub(store::Database& db, std::string listen_conninfo, Checker checker, Answer answer)
    : db_(db), conninfo_(std::move(listen_conninfo)), checker_(std::move(checker)), answer_(std::move(answer)) {
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
}

PushHub::~PushHub() {
    shutdown();
    if (wake_fd_ >= 0) close(wake_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
}

void PushHub::start() {
    connect_listener();  // failure is not fatal: the thread retries
    thread_ = std::thread([this] { run(); });
}

void PushHub::shutdown() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake();
    if (thread_.joinable()) thread_.join();
}

std::size_t PushHub::parked() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return parked_.size();
}

std::size_t PushHub::abandoned() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return gone_;
}

void PushHub::wake() {
    uint64_t one = 1;
    ssize_t ignored = write(wake_fd_, &one, sizeof one);
    (void)ignored;
}

void PushHub::park(std::unique_ptr<Responder> responder, PingWait wait) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) {
            std::string body = answer_(1, {});
            responder->respond(200, std::move(body));
            return;
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
        p.deadline = Clock::now() + wait.heartbeat;
        p.wait = std::move(wait);
        parked_.emplace(id, std::move(p));
    }
    wake();
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
                users_changed.insert(first);
            } else if (channel == "easd_supersede") {
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
    std::unique_ptr<Responder> responder = std::move(it->second.responder);
    parked_.erase(it);
    if (int fd = responder->connection_fd(); fd >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    return responder;
}

void PushHub::answer(Id id, int status, const std::vector<long long>& folders) {
    if (auto responder = unpark(id)) responder->respond(200, answer_(status, folders));
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

void PushHub::check(const std::vector<Id>& ids) {
    if (ids.empty()) return;
    // In batches, each one query: a burst of changes costs a few round trips, not one per request.
    constexpr std::size_t kBatch = 500;
    try {
        store::Database::Lease sql(db_);
        for (std::size_t from = 0; from < ids.size(); from += kBatch) {
            std::vector<Id> batch_ids;
            std::vector<PingWait> waits;
            {
                std::lock_guard<std::mutex> lock(mutex_);
                for (std::size_t i = from; i < std::min(ids.size(), from + kBatch); ++i) {
                    auto it = parked_.find(ids[i]);
                    if (it == parked_.end()) continue;
                    batch_ids.push_back(ids[i]);
                    waits.push_back(it->second.wait);
                }
            }
            auto started = Clock::now();
            std::vector<std::vector<long long>> changed = checker_(*sql, waits);
            EASD_LOG_DEBUG("push: checked %zu parked requests in %.1f ms", waits.size(),
                           std::chrono::duration<double, std::milli>(Clock::now() - started).count());
            std::lock_guard<std::mutex> lock(mutex_);
            for (std::size_t i = 0; i < batch_ids.size() && i < changed.size(); ++i) {
                auto it = parked_.find(batch_ids[i]);
                if (it == parked_.end()) continue;
                it->second.needs_check = false;
                if (!changed[i].empty()) answer(batch_ids[i], 2, changed[i]);
            }
        }
    } catch (const std::exception& e) {
        // The database is unreachable: the requests stay parked and are checked again later.
        EASD_LOG_WARN("push: re-check failed, will retry: %s", e.what());
    }
}

void PushHub::run() {
    auto last_connect_attempt = Clock::now();
    auto last_check_failure = Clock::time_point{};
    for (;;) {
        // Sleep until the next heartbeat deadline, a notification, a new request or a second (to
        // retry a lost listener connection).
        auto now = Clock::now();
        auto timeout = std::chrono::milliseconds(1000);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (const auto& [id, p] : parked_) {
                if (p.needs_check) timeout = std::chrono::milliseconds(0);
                auto until = std::chrono::duration_cast<std::chrono::milliseconds>(p.deadline - now);
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
            reconnected = connect_listener();
            if (reconnected) EASD_LOG_INFO("push: listener reconnected; re-checking every parked request");
        }

        std::vector<Id> to_check;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) {
                while (!parked_.empty()) answer(parked_.begin()->first, 1, {});
                return;
            }
            for (const auto& [device, seq] : superseded) {
                std::vector<Id> older;
                auto range = by_device_.equal_range(device);
                for (auto i = range.first; i != range.second; ++i)
                    if (parked_.at(i->second).wait.push_seq < seq) older.push_back(i->second);
                for (Id id : older) answer(id, 1, {});
            }
            now = Clock::now();
            std::vector<Id> expired;
            for (auto& [id, p] : parked_) {
                if (p.deadline <= now) expired.push_back(id);
                else if (reconnected) p.needs_check = true;
            }
            for (Id id : expired) answer(id, 1, {});
            for (long long user : users_changed) {
                auto range = by_user_.equal_range(user);
                for (auto i = range.first; i != range.second; ++i) parked_.at(i->second).needs_check = true;
            }
            bool may_check = Clock::now() - last_check_failure >= std::chrono::seconds(1);
            for (const auto& [id, p] : parked_)
                if (p.needs_check && may_check) to_check.push_back(id);
        }
        if (!users_changed.empty())
            EASD_LOG_DEBUG("push: %zu users changed, %zu requests to check", users_changed.size(), to_check.size());
        check(to_check);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (Id id : to_check) {
                auto it = parked_.find(id);
                if (it != parked_.end() && it->second.needs_check) last_check_failure = Clock::now();
            }
        }
    }
}

}  // namespace easd::push
