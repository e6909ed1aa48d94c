// Deliveries easd-deliver has stored (schema/020), so that one Postfix retries after a lost answer
// is not stored twice. Only easd-deliver's path uses these: mail stored by other means (Out of
// Office, easctl import, the Dovecot mirror, a phone's drafts and sent mail) is not keyed here.
#pragma once

#include <soci/soci.h>

#include <string>
#include <string_view>

namespace easd::store {

// The key of one delivery of `mime` (the bytes as received) to a user: with Postfix's queue id,
// "<queue id>:<hex SHA-256 of the bytes>"; without one (empty), the hex SHA-256 alone. The bytes
// are part of the key even with a queue id because short Postfix queue ids (the default) are
// made of an inode number and microseconds and repeat over days: the id alone could take another
// message for a retry and drop it. Postfix hands a retry the same bytes (as long as no pipe flag
// writes the time into them, like F).
std::string delivery_key(std::string_view queue_id, std::string_view mime);

// Records the delivery in the caller's transaction, before the message is stored there, so the key
// and the message commit (or roll back) together. False when the key is there already: the
// message was stored before, and the caller stores nothing. A concurrent delivery with the same key
// makes this wait for that transaction's end (PostgreSQL's ON CONFLICT): true if it rolled back,
// false if it committed. Never a unique violation.
bool claim_delivery(soci::session& sql, long long user_id, const std::string& key);

// How long a key is kept: longer than Postfix keeps a message queued (maximal_queue_lifetime,
// 5 days by default).
inline constexpr int kDeliveryKeyDays = 7;

// Removes up to `limit` keys older than kDeliveryKeyDays, oldest first, skipping rows another
// session holds; on its own (not in a transaction of the caller's). Returns how many went.
// easd-deliver calls it after each delivery: each adds one key and may remove many, so the table
// stays about a week of deliveries without any scheduled job.
long long prune_deliveries(soci::session& sql, int limit = 100);

}  // namespace easd::store
