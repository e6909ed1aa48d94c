#include "store/pq.h"

#include <soci/postgresql/soci-postgresql.h>

#include <charconv>
#include <mutex>
#include <set>
#include <unordered_map>

namespace easd::store {

std::vector<long long> PqResult::int64_column(int col) const {
    std::vector<long long> out;
    out.reserve(static_cast<std::size_t>(rows()));
    for (int n = 0; n < rows(); ++n) out.push_back(int64(n, col));
    return out;
}

long long PqResult::int64(int row, int col) const {
    std::string_view t = text(row, col);
    long long v = 0;
    std::from_chars(t.data(), t.data() + t.size(), v);
    return v;
}

namespace {

PGconn* connection_of(soci::session& sql) {
    auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
    PGconn* conn = backend ? backend->conn_ : nullptr;
    if (!conn) throw QueryError("no database connection", "08003");
    return conn;
}

// Takes `r` when it succeeded; else throws its error (or the connection's) as a QueryError.
PqResult checked(PGconn* conn, PGresult* r) {
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return PqResult(r);
    std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : (PQstatus(conn) != CONNECTION_OK ? "08006" : "XX000");
    if (r) PQclear(r);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    throw QueryError(message, sqlstate);
}

std::vector<const char*> values_of(const std::vector<std::string>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    return values;
}

// Which statements each open connection has prepared. A connection is used by one thread at a
// time (leased), but the map is shared by all of them; the lock is held only to look up and note.
class PreparedRegistry {
public:
    bool has(PGconn* conn, const std::string& name) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = prepared_.find(conn);
        return it != prepared_.end() && it->second.count(name) != 0;
    }
    void note(PGconn* conn, const std::string& name) {
        std::lock_guard<std::mutex> lock(mutex_);
        prepared_[conn].insert(name);
    }
    void forget(PGconn* conn) {
        std::lock_guard<std::mutex> lock(mutex_);
        prepared_.erase(conn);
    }

private:
    std::mutex mutex_;
    std::unordered_map<PGconn*, std::set<std::string>> prepared_;
};

PreparedRegistry& registry() {
    static PreparedRegistry instance;
    return instance;
}

}  // namespace

PqResult pq_query(soci::session& sql, const char* query, const std::vector<std::string>& params) {
    PGconn* conn = connection_of(sql);
    std::vector<const char*> values = values_of(params);
    return checked(conn, PQexecParams(conn, query, static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                                      nullptr, 0));
}

PqResult pq_query_params(soci::session& sql, const char* query, const std::vector<PqParam>& params) {
    PGconn* conn = connection_of(sql);
    const std::size_t n = params.size();
    std::vector<const char*> values(n);
    std::vector<int> lengths(n), formats(n);
    for (std::size_t i = 0; i < n; ++i) {
        values[i] = params[i].value();
        lengths[i] = params[i].length();
        formats[i] = params[i].format();
    }
    return checked(conn, PQexecParams(conn, query, static_cast<int>(n), nullptr, values.data(), lengths.data(),
                                      formats.data(), 0));
}

PqResult pq_prepared(soci::session& sql, const PreparedQuery& query, const std::vector<std::string>& params) {
    PGconn* conn = connection_of(sql);
    if (!registry().has(conn, query.name)) {
        // Parameter types are left to the server, as PQexecParams leaves them.
        checked(conn, PQprepare(conn, query.name.c_str(), query.text.c_str(), 0, nullptr));
        registry().note(conn, query.name);
    }
    std::vector<const char*> values = values_of(params);
    return checked(conn, PQexecPrepared(conn, query.name.c_str(), static_cast<int>(values.size()), values.data(),
                                        nullptr, nullptr, 0));
}

void forget_prepared_queries(PGconn* conn) { registry().forget(conn); }

std::string id_array(const std::vector<long long>& ids) {
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "}";
}

std::string text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : items[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

std::string like_literal(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace easd::store
