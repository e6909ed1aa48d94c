#include "store/pq.h"

#include <soci/postgresql/soci-postgresql.h>

#include <charconv>
#include <exception>
#include <mutex>
#include <optional>
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
    if (binary(col)) {
        // int2, int4 or int8: big-endian two's complement of that many bytes.
        if (t.size() != 2 && t.size() != 4 && t.size() != 8)
            throw std::logic_error("PqResult::int64: column " + std::to_string(col) + " is no integer");
        unsigned long long u = static_cast<unsigned char>(t[0]) & 0x80 ? ~0ULL : 0;
        for (char c : t) u = (u << 8) | static_cast<unsigned char>(c);
        return static_cast<long long>(u);
    }
    long long v = 0;
    std::from_chars(t.data(), t.data() + t.size(), v);
    return v;
}

bool PqResult::boolean(int row, int col) const {
    std::string_view t = text(row, col);
    return binary(col) ? t.size() == 1 && t[0] != 0 : t == "t";
}

std::string_view PqResult::bytes(int row, int col) const {
    if (!binary(col)) throw std::logic_error("PqResult::bytes: column " + std::to_string(col) + " is text");
    return text(row, col);
}

namespace {

PGconn* connection_of(soci::session& sql) {
    auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
    PGconn* conn = backend ? backend->conn_ : nullptr;
    if (!conn) throw QueryError("no database connection", "08003");
    return conn;
}

// The error of a failed `r` (nullptr: the connection's).
QueryError error_of(PGconn* conn, const PGresult* r) {
    std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : (PQstatus(conn) != CONNECTION_OK ? "08006" : "XX000");
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return QueryError(message, sqlstate);
}

// Takes `r` when it succeeded; else throws its error (or the connection's) as a QueryError.
PqResult checked(PGconn* conn, PGresult* r) {
    PqResult result(r);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return result;
    throw error_of(conn, r);
}

// The parameters of a PqParam list as libpq takes them.
struct ParamArrays {
    explicit ParamArrays(const std::vector<PqParam>& params)
        : values(params.size()), lengths(params.size()), formats(params.size()) {
        for (std::size_t i = 0; i < params.size(); ++i) {
            values[i] = params[i].value();
            lengths[i] = params[i].length();
            formats[i] = params[i].format();
        }
    }
    int count() const { return static_cast<int>(values.size()); }
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
};

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
    ParamArrays p(params);
    return checked(conn, PQexecParams(conn, query, p.count(), nullptr, p.values.data(), p.lengths.data(),
                                      p.formats.data(), 0));
}

void pq_for_each_row(soci::session& sql, const char* query, const std::vector<PqParam>& params,
                     const std::function<void(const PqResult& row)>& each_row) {
    PGconn* conn = connection_of(sql);
    ParamArrays p(params);
    if (!PQsendQueryParams(conn, query, p.count(), nullptr, p.values.data(), p.lengths.data(), p.formats.data(), 1))
        throw error_of(conn, nullptr);
    // Single-row mode is refused only when no query is pending, which cannot be just after a send;
    // the results are read to their end below all the same.
    const bool single_rows = PQsetSingleRowMode(conn) != 0;
    std::optional<QueryError> failed;
    std::exception_ptr thrown;
    // libpq hands out results until nullptr; each must be taken, or the connection stays busy.
    while (PGresult* r = PQgetResult(conn)) {
        PqResult row(r);
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_SINGLE_TUPLE) {
            if (failed || thrown) continue;
            try {
                each_row(row);
            } catch (...) {
                thrown = std::current_exception();
            }
        } else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !failed) {
            failed = error_of(conn, r);
        }
    }
    if (failed) throw *failed;
    if (thrown) std::rethrow_exception(thrown);
    if (!single_rows) throw std::logic_error("pq_for_each_row: libpq refused single-row mode");
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
