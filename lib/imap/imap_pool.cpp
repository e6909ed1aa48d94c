#include "imap/imap_pool.h"

#include <algorithm>

#include "common/log.h"

namespace easd::imap {

Pool::Pool(PoolSettings settings) : settings_(std::move(settings)) {}

Pool::~Pool() {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.clear();  // each connection logs out and closes
}

Pool::Lease::Lease(Pool& pool, std::string user, std::unique_ptr<Connection> conn)
    : pool_(&pool), user_(std::move(user)), conn_(std::move(conn)) {}

Pool::Lease::Lease(Lease&& o) noexcept : pool_(o.pool_), user_(std::move(o.user_)), conn_(std::move(o.conn_)) {
    o.pool_ = nullptr;
}

Pool::Lease::~Lease() {
    if (!pool_ || !conn_) return;
    if (conn_->usable()) {
        pool_->give_back(user_, std::move(conn_));
    } else {
        conn_.reset();
        pool_->closed_one();
    }
}

void Pool::Lease::discard() {
    if (!pool_ || !conn_) return;
    conn_.reset();
    pool_->closed_one();
}

Pool::Lease Pool::acquire(const std::string& user) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + settings_.acquire_timeout;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        // Close what idled too long.
        const auto now = Clock::now();
        for (auto it = idle_.begin(); it != idle_.end();) {
            if (now - it->since > settings_.idle_timeout) {
                it = idle_.erase(it);
                --open_;
            } else {
                ++it;
            }
        }
        // An idle connection of this user, most recently used first.
        for (auto it = idle_.begin(); it != idle_.end(); ++it) {
            if (it->user == user) {
                std::unique_ptr<Connection> conn = std::move(it->conn);
                idle_.erase(it);
                return Lease(*this, user, std::move(conn));
            }
        }
        // Room for one more, or room made by closing another user's idle connection (the least
        // recently used, at the back).
        if (open_ >= settings_.max_connections && !idle_.empty()) {
            idle_.pop_back();
            --open_;
        }
        if (open_ < settings_.max_connections) break;
        if (freed_.wait_until(lock, deadline) == std::cv_status::timeout)
            throw ImapError(ImapError::Kind::Connection,
                            "all " + std::to_string(settings_.max_connections) + " IMAP connections are busy");
    }
    // The server was unreachable a moment ago: fail at once instead of hammering it.
    if (Clock::now() < retry_after_)
        throw ImapError(ImapError::Kind::Connection, "the IMAP server was unreachable moments ago; retrying later");
    ++open_;
    lock.unlock();
    try {
        auto conn = Connection::open(settings_.endpoint);
        conn->login_as(user, settings_.master_user, settings_.master_password);
        if (settings_.enable_qresync && conn->has_capability("QRESYNC")) conn->enable("QRESYNC");
        std::lock_guard<std::mutex> relock(mutex_);
        backoff_ = std::chrono::milliseconds(0);
        return Lease(*this, user, std::move(conn));
    } catch (const ImapError& e) {
        std::lock_guard<std::mutex> relock(mutex_);
        --open_;
        freed_.notify_one();
        if (e.kind == ImapError::Kind::Connection) {
            backoff_ = std::min(std::chrono::milliseconds(10000),
                                backoff_.count() == 0 ? std::chrono::milliseconds(100) : backoff_ * 2);
            retry_after_ = Clock::now() + backoff_;
        }
        throw;
    }
}

void Pool::give_back(const std::string& user, std::unique_ptr<Connection> conn) {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_front(Idle{user, std::move(conn), std::chrono::steady_clock::now()});
    freed_.notify_one();
}

void Pool::closed_one() {
    std::lock_guard<std::mutex> lock(mutex_);
    --open_;
    freed_.notify_one();
}

void Pool::close_idle() {
    std::list<Idle> closing;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        open_ -= idle_.size();
        closing.swap(idle_);
        freed_.notify_all();
    }
    // The connections close (their sockets too) here, outside the lock.
}

std::size_t Pool::open_connections() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return open_;
}

std::size_t Pool::idle_connections() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return idle_.size();
}

}  // namespace easd::imap
