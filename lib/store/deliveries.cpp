#include "store/deliveries.h"

#include "store/mail.h"
#include "store/pq.h"

namespace easd::store {

std::string delivery_key(std::string_view queue_id, std::string_view mime) {
    std::string digest = message_digest(mime);  // hex SHA-256, as easctl import compares messages
    if (queue_id.empty()) return digest;
    std::string key(queue_id);
    key += ':';
    key += digest;
    return key;
}

bool claim_delivery(soci::session& sql, long long user_id, const std::string& key) {
    PqResult r = pq_query(sql,
                          "INSERT INTO deliveries (user_id, delivery_key) VALUES ($1, $2) "
                          "ON CONFLICT (user_id, delivery_key) DO NOTHING RETURNING 1",
                          {std::to_string(user_id), key});
    return r.rows() == 1;
}

long long prune_deliveries(soci::session& sql, int limit) {
    PqResult r = pq_query(sql,
                          "DELETE FROM deliveries WHERE (user_id, delivery_key) IN ("
                          "SELECT user_id, delivery_key FROM deliveries "
                          "WHERE delivered_at < now() - make_interval(days => $1) "
                          "ORDER BY delivered_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1",
                          {std::to_string(kDeliveryKeyDays), std::to_string(limit)});
    return r.rows();
}

}  // namespace easd::store
