#include "store/throttling.h"

#include "store/accounts.h"
#include "store/admin.h"
#include "store/pq.h"

namespace easd::store {

bool autoblock_device(soci::session& sql, long long user_id, const std::string& device_id, int seconds,
                      const std::string& reason) {
    PqResult r = pq_query(sql,
                          "UPDATE devices SET autoblocked_until = now() + make_interval(secs => $3), "
                          "autoblock_reason = $4 WHERE user_id = $1 AND device_id = $2 RETURNING id",
                          {std::to_string(user_id), device_id, std::to_string(seconds), reason});
    return r.rows() > 0;
}

long long autoblock_seconds_left(soci::session& sql, long long user_id, const std::string& device_id) {
    PqResult r = pq_query(sql,
                          "SELECT GREATEST(0, ceil(extract(epoch FROM autoblocked_until - now())))::bigint "
                          "FROM devices WHERE user_id = $1 AND device_id = $2 AND autoblocked_until IS NOT NULL",
                          {std::to_string(user_id), device_id});
    return r.rows() ? r.int64(0, 0) : 0;
}

bool clear_autoblock(soci::session& sql, const std::string& address, const std::string& device_id) {
    long long row = find_device_row(sql, address, device_id);
    PqResult r = pq_query(sql,
                          "UPDATE devices SET autoblocked_until = NULL, autoblock_reason = NULL "
                          "WHERE id = $1 AND autoblocked_until > now() RETURNING id",
                          {std::to_string(row)});
    if (r.rows() == 0)  // an expired block is cleared too, so `device show` stops naming it
        pq_query(sql, "UPDATE devices SET autoblocked_until = NULL, autoblock_reason = NULL WHERE id = $1",
                 {std::to_string(row)});
    return r.rows() > 0;
}

AutoblockInfo device_autoblock(soci::session& sql, long long device_row) {
    PqResult r = pq_query(sql,
                          ("SELECT " + utc_text_sql("autoblocked_until") +
                           ", COALESCE(autoblock_reason, '') FROM devices WHERE id = $1 AND autoblocked_until > now()")
                              .c_str(),
                          {std::to_string(device_row)});
    AutoblockInfo info;
    if (r.rows() == 0) return info;
    info.blocked = true;
    info.until = r.str(0, 0);
    info.reason = r.str(0, 1);
    return info;
}

const char* to_string(QuarantineReason reason) { return reason == QuarantineReason::render ? "render" : "loop"; }

void quarantine_item(soci::session& sql, long long device_row, long long folder_id, long long item_id,
                     QuarantineReason reason, const std::string& detail) {
    pq_query(sql,
             "INSERT INTO sync_quarantine (device_id, item_id, folder_id, modseq, reason, detail) "
             "SELECT $1, id, $3, modseq, $4, left($5, 500) FROM items WHERE id = $2 "
             "ON CONFLICT (device_id, item_id) DO UPDATE SET folder_id = EXCLUDED.folder_id, "
             "modseq = EXCLUDED.modseq, reason = EXCLUDED.reason, detail = EXCLUDED.detail, since = now()",
             {std::to_string(device_row), std::to_string(item_id), std::to_string(folder_id), to_string(reason),
              detail});
}

std::string quarantined_condition(const std::string& device, const std::string& item, const std::string& modseq) {
    return "EXISTS (SELECT 1 FROM sync_quarantine q WHERE q.device_id = " + device + " AND q.item_id = " + item +
           " AND q.modseq >= " + modseq + ")";
}

std::vector<QuarantinedItem> quarantined_items(soci::session& sql, long long device_row) {
    PqResult r = pq_query(sql,
                          ("SELECT q.item_id, i.folder_id, f.name, f.item_class, COALESCE(e.subject, ''), q.reason, "
                           "q.detail, " + utc_text_sql("q.since") +
                           " FROM sync_quarantine q JOIN items i ON i.id = q.item_id AND i.modseq <= q.modseq"
                           " JOIN folders f ON f.id = i.folder_id LEFT JOIN emails e ON e.item_id = q.item_id"
                           " WHERE q.device_id = $1 ORDER BY q.since, q.item_id")
                              .c_str(),
                          {std::to_string(device_row)});
    std::vector<QuarantinedItem> out;
    for (int row = 0; row < r.rows(); ++row) {
        QuarantinedItem q;
        q.item_id = r.int64(row, 0);
        q.folder_id = r.int64(row, 1);
        q.folder_name = r.str(row, 2);
        q.item_class = r.str(row, 3);
        q.subject = r.str(row, 4);
        q.reason = r.str(row, 5);
        q.detail = r.str(row, 6);
        q.since = r.str(row, 7);
        out.push_back(std::move(q));
    }
    return out;
}

int retry_quarantined(soci::session& sql, long long device_row) {
    // Only items still held back; the stamping trigger gives each a new change number.
    PqResult r = pq_query(sql,
                          "WITH gone AS (DELETE FROM sync_quarantine q WHERE q.device_id = $1 RETURNING q.item_id, q.modseq)"
                          " UPDATE items i SET modseq = 0 FROM gone WHERE i.id = gone.item_id AND i.modseq <= gone.modseq"
                          " RETURNING i.id",
                          {std::to_string(device_row)});
    return r.rows();
}

}  // namespace easd::store
