#include "store/submissions.h"

#include "store/pq.h"

namespace easd::store {

bool claim_client_id(soci::session& sql, long long user_id, const std::string& client_id) {
    const std::string uid = std::to_string(user_id);
    pq_query(sql, "DELETE FROM sent_messages WHERE user_id = $1 AND sent_at < now() - interval '30 days'", {uid});
    PqResult r = pq_query(sql,
        "INSERT INTO sent_messages (user_id, client_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
        {uid, client_id});
    return r.rows() == 1;
}

}  // namespace easd::store
