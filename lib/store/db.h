// PostgreSQL access: a bounded pool of SOCI sessions, transactions, schema migrations.
#pragma once

#include <soci/soci.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace easd::store {

// Thrown when the database cannot be reached (connection refused, server gone). Callers map it
// to "try again later" (HTTP 503, sysexits 75) rather than to a bad request.
struct Unavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A fixed set of connections shared by the threads of one process. Each request leases one
// session for its duration (`Lease`), so the number of concurrent database connections is bounded
// by the pool size, not by the number of requests.
class Database {
public:
    // Opens `size` connections. Throws Unavailable when the database cannot be reached.
    Database(std::string conninfo, std::size_t size);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    const std::string& conninfo() const { return conninfo_; }

    // How the pool is used, for /easd-metrics: counted by every lease with relaxed atomics.
    struct PoolStats {
        std::size_t size = 0;
        std::size_t in_use = 0;
        std::uint64_t waits = 0;         // leases that found every connection taken
        std::chrono::nanoseconds waited{0};  // their time waiting, in total
    };
    PoolStats pool_stats() const;

    // A leased session; returned to the pool on destruction. A session whose connection broke, or
    // whose server said goodbye while it sat in the pool (a restart), is reconnected first.
    class Lease {
    public:
        explicit Lease(Database& db);
        // Waits at most `wait` for a connection; throws Unavailable when none came free (a
        // monitoring scrape, which must not queue behind requests when the pool is exhausted).
        Lease(Database& db, std::chrono::milliseconds wait);
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        soci::session& operator*() { return *session_; }
        soci::session* operator->() { return session_; }

    private:
        Database& db_;
        std::size_t pos_;
        soci::session* session_;
    };

private:
    // A free connection's position, counting the wait when there was none; `wait` < 0: as long as
    // it takes. nullopt when none came free within `wait`.
    std::optional<std::size_t> acquire(std::chrono::milliseconds wait);
    void release(std::size_t pos);

    std::string conninfo_;
    std::unique_ptr<soci::connection_pool> pool_;
    std::size_t size_;
    std::atomic<std::size_t> in_use_{0};
    std::atomic<std::uint64_t> waits_{0};
    std::atomic<std::uint64_t> waited_ns_{0};
};

// Opens a single session (for the command-line tools). Throws Unavailable.
std::unique_ptr<soci::session> open_session(const std::string& conninfo);

// True when `e` came from a broken or refused connection rather than from the statement.
bool is_connection_error(const soci::soci_error& e);

// Applies schema/NNN_*.sql files newer than the recorded version, each in its own transaction,
// under an advisory lock so concurrent runs are safe. Returns the versions applied (empty when up
// to date). Throws std::runtime_error with the failing file's name.
std::vector<int> migrate(soci::session& sql, const std::string& schema_dir);
// Where the migrations are: $EASD_SCHEMA_DIR; else, for a program running from the directories
// it was installed to (`cmake --install`, the Debian package), the installed copy
// (<prefix>/share/easd/schema); else the source tree's, for the programs of a build tree.
std::string default_schema_dir();

// The schema version this build needs (the highest migration in schema/ when it was built), and
// the one the database has (0: never migrated).
int required_schema_version();
int schema_version(soci::session& sql);
// Empty when the database's schema is at least the one this build needs; else one line saying
// what is wrong and what to run. A newer schema is fine: migrations only add, so during an
// upgrade the hosts not yet upgraded keep serving.
std::string schema_problem(soci::session& sql);

// Binary columns: SOCI's PostgreSQL backend reads bytea as text ("\x..." hex); these convert.
std::string bytea_to_hex_literal(std::string_view bytes);  // "\\x..." for decode()-free binding
std::string bytea_from_text(std::string_view text);        // parses "\x..." back to bytes

}  // namespace easd::store
