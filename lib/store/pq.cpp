#include "store/pq.h"

#include <soci/postgresql/soci-postgresql.h>

#include <charconv>

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

PqResult pq_query(soci::session& sql, const char* query, const std::vector<std::string>& params) {
    auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
    PGconn* conn = backend ? backend->conn_ : nullptr;
    if (!conn) throw QueryError("no database connection", "08003");
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecParams(conn, query, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return PqResult(r);
    std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : (PQstatus(conn) != CONNECTION_OK ? "08006" : "XX000");
    if (r) PQclear(r);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    throw QueryError(message, sqlstate);
}

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
