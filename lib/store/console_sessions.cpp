#include "store/console_sessions.h"

#include "store/accounts.h"
#include "store/pq.h"

namespace easd::store {

void create_console_session(soci::session& sql, const std::string& token_hash, long long user_id,
                            const std::string& csrf_token, int absolute_seconds) {
    pq_query(sql, "DELETE FROM console_sessions WHERE expires_at < now()");
    pq_query_params(sql,
                    "INSERT INTO console_sessions (token_hash, user_id, csrf_token, expires_at) "
                    "VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))",
                    {PqParam::bytes(token_hash), std::to_string(user_id), csrf_token, std::to_string(absolute_seconds)});
}

std::optional<ConsoleSession> use_console_session(soci::session& sql, const std::string& token_hash,
                                                  int idle_seconds) {
    PqResult r = pq_query_params(sql,
        "UPDATE console_sessions SET last_used = now() WHERE token_hash = $1 AND expires_at > now() "
        "AND last_used > now() - make_interval(secs => $2::int) RETURNING user_id, csrf_token",
        {PqParam::bytes(token_hash), std::to_string(idle_seconds)});
    if (r.rows() == 0) {
        end_console_session(sql, token_hash);  // idle or ended: gone (nothing when unknown)
        return std::nullopt;
    }
    return ConsoleSession{r.int64(0, 0), r.str(0, 1)};
}

void end_console_session(soci::session& sql, const std::string& token_hash) {
    pq_query_params(sql, "DELETE FROM console_sessions WHERE token_hash = $1", {PqParam::bytes(token_hash)});
}

long long end_console_sessions_of(soci::session& sql, const std::string& address) {
    PqResult r = pq_query_params(sql,
        "DELETE FROM console_sessions WHERE user_id = (SELECT id FROM users WHERE address = $1) RETURNING 1",
        {normalize_address(address)});
    return static_cast<long long>(r.rows());
}

}  // namespace easd::store
