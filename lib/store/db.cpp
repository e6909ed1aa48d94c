#include "store/db.h"

#include <dirent.h>
#include <poll.h>
#include <unistd.h>
#include <libpq-fe.h>

#include <soci/postgresql/soci-postgresql.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

#include "common/log.h"
#include "store/pq.h"

namespace easd::store {

namespace {

PGconn* raw_connection(soci::session& sql) {
    auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
    return backend ? backend->conn_ : nullptr;
}

// Whether a pooled connection can take a query. libpq learns that the server went away only when
// it next talks to it, so a connection whose server restarted would fail the request that leases
// it (503). An idle pooled connection never expects data (it does not LISTEN): anything readable
// on its socket is the server's goodbye (the "terminating connection" message, or EOF), so it is
// reconnected before use. One poll() with no wait; a server that vanished without a word (a host
// gone) still shows only at the first query.
bool connection_ok(soci::session& sql) {
    PGconn* conn = raw_connection(sql);
    if (!conn || PQstatus(conn) != CONNECTION_OK) return false;
    // Connected to a standby (PostgreSQL 14+ reports in_hot_standby, and reports its change when
    // the standby is promoted): reached through a primary-following endpoint (HAProxy on
    // Patroni's /primary) while a failover was under way. Every write would fail there; a new
    // connection reaches the primary.
    if (const char* standby = PQparameterStatus(conn, "in_hot_standby"); standby && std::string_view(standby) == "on")
        return false;
    int fd = PQsocket(conn);
    if (fd < 0) return false;
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, 0);
    if (ready < 0) return errno == EINTR;
    return ready == 0;
}

void open_into(soci::session& sql, const std::string& conninfo) {
    try {
        sql.open(soci::postgresql, conninfo);
        // A new connection has prepared nothing, whatever one at the same address had.
        forget_prepared_queries(raw_connection(sql));
        // easd's queries are short; when the planner's estimates grow (a conversation-mode Sync
        // over a large folder) PostgreSQL's JIT spends ~200 ms compiling a query that runs in
        // ~10 ms. Off once per connection, not before each such query.
        sql << "SET jit = off";
    } catch (const soci::soci_error& e) {
        // libpq's messages span lines; the tools print one line.
        std::string msg = e.get_error_message();
        for (auto& c : msg)
            if (c == '\n' || c == '\t') c = ' ';
        while (!msg.empty() && msg.back() == ' ') msg.pop_back();
        throw Unavailable("cannot connect to the database: " + msg);
    }
}

}  // namespace

bool is_connection_error(const soci::soci_error& e) {
    if (auto* pe = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
        std::string state = pe->sqlstate();
        return state.empty() || is_unavailable_sqlstate(state);
    }
    return e.get_error_category() == soci::soci_error::connection_error;
}

Database::Database(std::string conninfo, std::size_t size)
    : conninfo_(std::move(conninfo)), pool_(std::make_unique<soci::connection_pool>(size)), size_(size) {
    for (std::size_t i = 0; i < size_; ++i) open_into(pool_->at(i), conninfo_);
}

Database::~Database() = default;

Database::PoolStats Database::pool_stats() const {
    PoolStats s;
    s.size = size_;
    s.in_use = in_use_.load(std::memory_order_relaxed);
    s.waits = waits_.load(std::memory_order_relaxed);
    s.waited = std::chrono::nanoseconds(waited_ns_.load(std::memory_order_relaxed));
    return s;
}

std::optional<std::size_t> Database::acquire(std::chrono::milliseconds wait) {
    std::size_t pos = 0;
    // Most leases find a connection free at once: a try that does not wait tells them from the
    // ones that queue, which are timed.
    if (!pool_->try_lease(pos, 0)) {
        const auto began = std::chrono::steady_clock::now();
        const bool got = pool_->try_lease(pos, wait.count() < 0 ? -1 : static_cast<int>(wait.count()));
        waits_.fetch_add(1, std::memory_order_relaxed);
        waited_ns_.fetch_add(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                             std::chrono::steady_clock::now() - began)
                                                             .count()),
                             std::memory_order_relaxed);
        if (!got) return std::nullopt;
    }
    in_use_.fetch_add(1, std::memory_order_relaxed);
    return pos;
}

void Database::release(std::size_t pos) {
    in_use_.fetch_sub(1, std::memory_order_relaxed);
    pool_->give_back(pos);
}

namespace {

std::size_t acquired(std::optional<std::size_t> pos) {
    if (!pos) throw Unavailable("every database connection of the pool is busy");
    return *pos;
}

}  // namespace

Database::Lease::Lease(Database& db) : Lease(db, std::chrono::milliseconds(-1)) {}

Database::Lease::Lease(Database& db, std::chrono::milliseconds wait)
    : db_(db), pos_(acquired(db.acquire(wait))), session_(&db.pool_->at(pos_)) {
    if (!connection_ok(*session_)) {
        try {
            if (session_->get_backend()) session_->close();
            open_into(*session_, db_.conninfo_);
        } catch (...) {
            db_.release(pos_);
            throw;
        }
    }
}

Database::Lease::~Lease() {
    // A session must never go back to the pool inside a transaction (a request that threw midway).
    PGconn* conn = raw_connection(*session_);
    if (conn && PQtransactionStatus(conn) != PQTRANS_IDLE) {
        PGresult* r = PQexec(conn, "ROLLBACK");
        PQclear(r);
    }
    db_.release(pos_);
}

std::unique_ptr<soci::session> open_session(const std::string& conninfo) {
    auto sql = std::make_unique<soci::session>();
    open_into(*sql, conninfo);
    return sql;
}

std::string default_schema_dir() {
    if (const char* env = std::getenv("EASD_SCHEMA_DIR"); env && *env) return env;
    // Which copy depends on where the running program is, not on what exists: a build tree's
    // easctl on a machine where the package is installed too must not apply the package's
    // (older) migrations.
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        std::string_view path(exe, static_cast<std::size_t>(n));
        std::string_view dir = path.substr(0, path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/'));
        if (dir == EASD_INSTALLED_BINDIR || dir == EASD_INSTALLED_SBINDIR) return EASD_INSTALLED_SCHEMA_DIR;
    }
    return EASD_SCHEMA_DIR;
}

int required_schema_version() { return EASD_SCHEMA_VERSION; }

int schema_version(soci::session& sql) {
    // A database never migrated has no schema_migrations table (not an error here). Two queries:
    // PostgreSQL resolves every table a statement names before it runs, even in a branch not taken.
    int exists = 0;
    sql << "SELECT count(*) FROM pg_class WHERE oid = to_regclass('schema_migrations')", soci::into(exists);
    if (!exists) return 0;
    int version = 0;
    sql << "SELECT coalesce(max(version), 0) FROM schema_migrations", soci::into(version);
    return version;
}

std::string schema_problem(soci::session& sql) {
    int have = schema_version(sql), need = required_schema_version();
    if (have >= need) return {};
    if (have == 0) return "the database has no easd schema: run `easctl migrate` (with the same config)";
    return "the database schema is at version " + std::to_string(have) + ", this easd needs " + std::to_string(need) +
           ": run `easctl migrate` (with the same config)";
}

std::vector<int> migrate(soci::session& sql, const std::string& schema_dir) {
    struct Migration {
        int version;
        std::string path;
    };
    std::vector<Migration> files;
    DIR* dir = opendir(schema_dir.c_str());
    if (!dir) throw std::runtime_error("cannot read schema directory " + schema_dir);
    while (dirent* e = readdir(dir)) {
        std::string name = e->d_name;
        if (name.size() < 5 || name.compare(name.size() - 4, 4, ".sql") != 0) continue;
        if (!std::isdigit(static_cast<unsigned char>(name[0]))) continue;
        files.push_back({std::atoi(name.c_str()), schema_dir + "/" + name});
    }
    closedir(dir);
    std::sort(files.begin(), files.end(), [](auto& a, auto& b) { return a.version < b.version; });

    sql << "SET client_min_messages = warning";
    sql << "CREATE TABLE IF NOT EXISTS schema_migrations ("
           " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())";
    std::vector<int> applied;
    for (const auto& m : files) {
        soci::transaction tr(sql);
        // Serialise concurrent migrators; the lock ends with the transaction.
        sql << "SELECT pg_advisory_xact_lock(7411, 0)";
        int done = 0;
        sql << "SELECT count(*) FROM schema_migrations WHERE version = :v", soci::use(m.version),
            soci::into(done);
        if (done) continue;  // the transaction rolls back: nothing to do
        std::ifstream in(m.path);
        std::stringstream text;
        text << in.rdbuf();
        if (!in) throw std::runtime_error("cannot read " + m.path);
        PGconn* conn = raw_connection(sql);
        PGresult* r = PQexec(conn, text.str().c_str());  // multi-statement script
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        std::string err = ok ? "" : PQresultErrorMessage(r);
        PQclear(r);
        if (!ok) throw std::runtime_error("migration " + m.path + " failed: " + err);
        sql << "INSERT INTO schema_migrations (version) VALUES (:v)", soci::use(m.version);
        tr.commit();
        applied.push_back(m.version);
    }
    return applied;
}

std::string bytea_to_hex_literal(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 + bytes.size() * 2);
    out += "\\x";
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string bytea_from_text(std::string_view text) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') return std::string(text);
    std::string out;
    out.reserve((text.size() - 2) / 2);
    for (std::size_t i = 2; i + 1 < text.size(); i += 2) {
        int hi = nibble(text[i]), lo = nibble(text[i + 1]);
        if (hi < 0 || lo < 0) break;
        out += static_cast<char>((hi << 4) | lo);
    }
    return out;
}

}  // namespace easd::store
