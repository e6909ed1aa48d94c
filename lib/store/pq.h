// One-round-trip queries for the per-request hot path.
//
// SOCI runs a prepared rowset as four round trips (parse, bind, execute, DEALLOCATE); libpq's
// PQexecParams does the same work in one. The few reads every Sync and Ping make go through here,
// on the connection of the same SOCI session (same transaction); everything else stays in SOCI.
//
// The reads that every request makes (sign-in, device, access, policy, "anything new?") go one
// step further: PreparedQuery is parsed and planned by PostgreSQL once per connection and then
// only executed, which is most of what such a read costs the server.
#pragma once

#include <libpq-fe.h>
#include <soci/soci.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace easd::store {

// Whether an error with this SQLSTATE means the server cannot serve now, so the answer is "try
// again later" (503, exit 75), never a bad request or a bug: class 08 (connection exception),
// 57P01..57P03 (admin shutdown, crash shutdown, cannot connect now), 25006 (a read-only
// transaction: a standby that the connection reached while a failover moves the primary;
// store::Database::Lease reconnects such a connection). The one list for SOCI's errors and ours.
inline bool is_unavailable_sqlstate(std::string_view state) {
    return state.substr(0, 2) == "08" || state.substr(0, 3) == "57P" || state == "25006";
}

// A failed query. sqlstate is PostgreSQL's error code ("08006" for a broken connection).
struct QueryError : std::runtime_error {
    QueryError(const std::string& message, std::string state) : std::runtime_error(message), sqlstate(std::move(state)) {}
    std::string sqlstate;
    bool connection_lost() const { return is_unavailable_sqlstate(sqlstate); }
};

// A result, in PostgreSQL's text form or (pq_for_each_row) its binary form: int64, int32 and
// boolean read either; bytes() is a binary bytea column as it is stored.
class PqResult {
public:
    explicit PqResult(PGresult* r) : result_(r, &PQclear) {}
    int rows() const { return PQntuples(result_.get()); }
    bool is_null(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
    std::string_view text(int row, int col) const {
        return {PQgetvalue(result_.get(), row, col), static_cast<std::size_t>(PQgetlength(result_.get(), row, col))};
    }
    std::string str(int row, int col) const { return std::string(text(row, col)); }
    long long int64(int row, int col) const;
    int int32(int row, int col) const { return static_cast<int>(int64(row, col)); }
    // One column of every row as numbers (the ids a query selected).
    std::vector<long long> int64_column(int col = 0) const;
    // PostgreSQL's text form of boolean: "t" / "f"; the binary form: one byte, 1 / 0.
    bool boolean(int row, int col) const;
    // A bytea column of a binary result: its bytes, held by this result. (A text result has them as
    // "\x..." hex, twice the size: bytea_from_text in store/db.h.) Throws std::logic_error for a
    // text column.
    std::string_view bytes(int row, int col) const;

private:
    bool binary(int col) const { return PQfformat(result_.get(), col) == 1; }

private:
    std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

// Parameter helpers: PostgreSQL array literals ({1,2,3} and {"a","b"}) for ANY($n::bigint[]) and
// unnest($n::text[]), and text that LIKE/ILIKE matches literally (its own % _ \ escaped).
std::string id_array(const std::vector<long long>& ids);
std::string text_array(const std::vector<std::string>& items);
std::string like_literal(std::string_view text);

// Runs `query` ($1, $2, ... placeholders, text parameters) on the session's connection.
// Throws QueryError.
PqResult pq_query(soci::session& sql, const char* query, const std::vector<std::string>& params = {});

// A parameter of pq_query_params: text, NULL, or bytes (bytea) passed as they are, so a message of
// tens of megabytes goes to the server without a hex copy twice its size. Text given as an lvalue
// string and bytes are referred to, not copied: they must outlive the query (the usual
// `pq_query_params(sql, "...", {row.subject, ...})` keeps them).
class PqParam {
public:
    PqParam(const std::string& text) : text_(text.c_str()) {}                 // NOLINT: reads as a string
    PqParam(std::string&& text) : owned_(std::move(text)), is_owned_(true) {}  // NOLINT
    PqParam(const char* text) : text_(text) {}                                 // NOLINT
    static PqParam null() { return PqParam(static_cast<const char*>(nullptr)); }
    static PqParam bytes(std::string_view data) {
        PqParam p(static_cast<const char*>(nullptr));
        p.bytes_ = data;
        p.is_bytes_ = true;
        return p;
    }
    // For libpq: the value (nullptr: NULL), its length (bytes only) and format (1: binary).
    const char* value() const {
        if (is_bytes_) return bytes_.data() ? bytes_.data() : "";
        return is_owned_ ? owned_.c_str() : text_;
    }
    int length() const { return is_bytes_ ? static_cast<int>(bytes_.size()) : 0; }
    int format() const { return is_bytes_ ? 1 : 0; }

private:
    const char* text_ = nullptr;
    std::string owned_;
    bool is_owned_ = false;
    std::string_view bytes_;
    bool is_bytes_ = false;
};
// Runs `query` as pq_query does, with parameters that may be NULL or bytes.
PqResult pq_query_params(soci::session& sql, const char* query, const std::vector<PqParam>& params);

// Runs `query` as pq_query_params does, with binary results in single-row mode: `each_row` gets
// every row as a result of its own (read it with bytes(0, col), int64(0, col)...) as it arrives,
// and the row is freed before the next is read. For bytes that are large in total, selected in
// slices (substring(col FROM n FOR size)), this holds one slice at a time: a whole value of tens
// of megabytes would need libpq to hold it twice (its input buffer, which keeps the size of the
// largest row for the life of the connection, and the result), and in text form four times (hex).
// The statement's results are read to their end even when `each_row` throws (so the connection
// is ready for the next query); then its exception is rethrown. Throws QueryError.
void pq_for_each_row(soci::session& sql, const char* query, const std::vector<PqParam>& params,
                     const std::function<void(const PqResult& row)>& each_row);

// A fixed query text under a name unique in the process ("easd_" + what it reads). Declared once,
// as a static: a text built per call would prepare a new statement on every connection each time.
struct PreparedQuery {
    std::string name;
    std::string text;
};

// Runs `query` as pq_query does, preparing it on this connection first if it has not been.
// Throws QueryError.
PqResult pq_prepared(soci::session& sql, const PreparedQuery& query, const std::vector<std::string>& params = {});

// A connection was opened or reopened: what was prepared on the connection at this address before
// is gone with it. (Called by the code that opens connections, store/db.cpp.)
void forget_prepared_queries(PGconn* conn);

}  // namespace easd::store
