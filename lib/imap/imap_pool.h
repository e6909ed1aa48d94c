// A bounded pool of IMAP connections, each logged in as one user through the master user (an
// IMAP session cannot change its user, so connections are kept per user). Shared by all threads
// of a process; a Lease gives one thread one connection.
//
// Bounded: at most `max_connections` open. When full, an idle connection of another user is
// closed (least recently used first); when none is idle, acquire waits up to `acquire_timeout`.
// Idle connections are closed after `idle_timeout`. When the server cannot be reached, connects
// are retried with exponential backoff (100 ms doubling to 10 s): meanwhile acquire fails at
// once with ImapError(Connection) instead of hammering a server that is down.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include "imap/imap_client.h"

namespace easd::imap {

struct PoolSettings {
    Endpoint endpoint;
    std::string master_user;      // Dovecot master user (passdb with master=yes)
    std::string master_password;
    std::size_t max_connections = 64;
    std::chrono::seconds idle_timeout{300};
    std::chrono::milliseconds acquire_timeout{10000};
    // Extensions ENABLEd on every new connection when the server offers them.
    bool enable_qresync = true;
};

class Pool {
public:
    explicit Pool(PoolSettings settings);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    class Lease {
    public:
        Lease(Lease&&) noexcept;
        Lease& operator=(Lease&&) = delete;
        ~Lease();  // gives the connection back when it is still usable, else closes it
        Connection& operator*() const { return *conn_; }
        Connection* operator->() const { return conn_.get(); }
        void discard();  // close it instead of giving it back

    private:
        friend class Pool;
        Lease(Pool& pool, std::string user, std::unique_ptr<Connection> conn);
        Pool* pool_;
        std::string user_;
        std::unique_ptr<Connection> conn_;
    };

    // A connection logged in as `user` (an idle one of that user, else a new one).
    Lease acquire(const std::string& user);

    // Closes every idle connection: one of them was found dead, so the server restarted and the
    // others are dead too (the next acquire of each user opens a new one).
    void close_idle();

    std::size_t open_connections() const;  // idle + leased
    std::size_t idle_connections() const;
    const PoolSettings& settings() const { return settings_; }

private:
    void give_back(const std::string& user, std::unique_ptr<Connection> conn);
    void closed_one();

    struct Idle {
        std::string user;
        std::unique_ptr<Connection> conn;
        std::chrono::steady_clock::time_point since;
    };
    PoolSettings settings_;
    mutable std::mutex mutex_;
    std::condition_variable freed_;
    std::list<Idle> idle_;  // most recently returned at the front
    std::size_t open_ = 0;
    std::chrono::steady_clock::time_point retry_after_{};
    std::chrono::milliseconds backoff_{0};
};

}  // namespace easd::imap
