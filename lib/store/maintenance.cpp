#include "store/maintenance.h"

#include <string>
#include <unordered_set>

#include "store/pq.h"

namespace easd::store {

namespace {

// Seconds since the epoch at which rows older than `days` begin, fixed once per run, so a batch
// loop has an end even while new tombstones keep coming.
long long cutoff_for(soci::session& sql, int days) {
    PqResult r = pq_query(sql, "SELECT floor(extract(epoch FROM now()))::bigint - $1::bigint * 86400",
                          {std::to_string(days)});
    return r.int64(0, 0);
}

// Runs one batch in its own transaction. A batch may lose a race with the server (a folder
// deleted between reading a tombstone and recording its folder's horizon: a foreign key error;
// a deadlock): it is rolled back as a whole and tried again, a few times.
template <typename Batch>
auto in_transaction(soci::session& sql, Batch&& batch) {
    for (int attempt = 1;; ++attempt) {
        try {
            soci::transaction tr(sql);
            auto result = batch();
            tr.commit();
            return result;
        } catch (const QueryError& e) {
            bool race = e.sqlstate == "23503" || e.sqlstate == "40P01" || e.sqlstate == "40001";
            if (!race || attempt >= 3) throw;
        }
    }
}

struct PruneCounts {
    long long rows = 0;
    long long horizons = 0;
};

// One kind of tombstone: `table` (item_tombstones, folder_tombstones), grouped by `owner`
// (folder_id, user_id) into `horizons` (folder_prune_horizons, hierarchy_prune_horizons), whose
// key must still exist in `owners` (folders, users) to get a horizon (a deleted folder or user has
// no sync state left to protect).
struct TombstoneKind {
    const char* table;
    const char* owner;
    const char* horizons;
    const char* owners;
};

PruneCounts prune_tombstones(soci::session& sql, const TombstoneKind& kind, const MaintenanceOptions& options,
                             long long& transactions) {
    const std::string cutoff = std::to_string(cutoff_for(sql, options.tombstone_days));
    const std::string batch = std::to_string(options.batch_rows);
    const std::string t = kind.table, o = kind.owner, h = kind.horizons, owners = kind.owners;
    PruneCounts total;
    if (options.dry_run) {
        // What the batches below would do, in one read.
        std::string query =
            "WITH p AS (SELECT " + o + " AS owner, max(modseq) AS m, count(*) AS n FROM " + t +
            " WHERE deleted_at < to_timestamp($1) GROUP BY " + o + ")"
            " SELECT COALESCE(sum(p.n), 0)::bigint,"
            "  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM " + owners + " x WHERE x.id = p.owner)"
            "                   AND p.m > COALESCE(h.horizon, 0))"
            " FROM p LEFT JOIN " + h + " h ON h." + o + " = p.owner";
        PqResult r = pq_query(sql, query.c_str(), {cutoff});
        return {r.int64(0, 0), r.int64(0, 1)};
    }
    // Oldest first (the index on deleted_at), by physical row (the tables have no key of their
    // own); the horizon of each owner rises to the highest number removed, in the same statement,
    // so no transaction ever sees the tombstone gone and the horizon not yet moved.
    std::string query =
        "WITH victims AS (DELETE FROM " + t + " WHERE ctid = ANY(ARRAY("
        "    SELECT ctid FROM " + t + " WHERE deleted_at < to_timestamp($1) ORDER BY deleted_at LIMIT $2))"
        "  RETURNING " + o + " AS owner, modseq),"
        " p AS (SELECT owner, max(modseq) AS m, count(*) AS n FROM victims GROUP BY owner),"
        " moved AS (INSERT INTO " + h + " AS h (" + o + ", horizon)"
        "  SELECT p.owner, p.m FROM p WHERE EXISTS (SELECT 1 FROM " + owners + " x WHERE x.id = p.owner)"
        "  ON CONFLICT (" + o + ") DO UPDATE SET horizon = GREATEST(h.horizon, EXCLUDED.horizon), pruned_at = now()"
        "  WHERE EXCLUDED.horizon > h.horizon"
        "  RETURNING h." + o + " AS owner)"
        // The rows removed, with each owner whose horizon rose (NULL when none did).
        " SELECT t.n, m.owner FROM (SELECT COALESCE(sum(n), 0)::bigint AS n FROM p) t LEFT JOIN moved m ON true";
    // The owners whose horizon rose, each once however many batches touched it.
    std::unordered_set<long long> moved;
    for (;;) {
        long long rows = in_transaction(sql, [&] {
            PqResult r = pq_query(sql, query.c_str(), {cutoff, batch});
            for (int row = 0; row < r.rows(); ++row)
                if (!r.is_null(row, 1)) moved.insert(r.int64(row, 1));
            return r.int64(0, 0);
        });
        total.rows += rows;
        if (rows > 0) ++transactions;
        if (rows < options.batch_rows) break;
    }
    total.horizons = static_cast<long long>(moved.size());
    return total;
}

// Runs `query` (it deletes at most $1 rows and selects how many) in a transaction of its own,
// again and again until a batch comes short. Returns the rows deleted in all.
long long in_batches(soci::session& sql, const char* query, const MaintenanceOptions& options,
                     long long& transactions) {
    const std::string batch = std::to_string(options.batch_rows);
    long long total = 0;
    for (;;) {
        long long n = in_transaction(sql, [&] { return pq_query(sql, query, {batch}).int64(0, 0); });
        total += n;
        if (n > 0) ++transactions;
        if (n < options.batch_rows) return total;
    }
}

// Collection states that no key can use again (behind their folder's horizon), and with
// sync_state_days those of devices not seen since.
// `horizon` is the folder's horizon (an SQL expression), `idle` the parameter holding the
// sync_state_days cutoff (0: none).
std::string dead_state_condition(const std::string& horizon, const std::string& idle) {
    return "(" + horizon + " > GREATEST(c.current_mark, c.base_seq) OR (" + idle + "::bigint > 0 AND d.last_seen < to_timestamp(" +
           idle + ")))";
}

}  // namespace

void prune_item_tombstones(soci::session& sql, const MaintenanceOptions& options, MaintenanceReport& report) {
    auto n = prune_tombstones(sql, {"item_tombstones", "folder_id", "folder_prune_horizons", "folders"}, options,
                              report.transactions);
    report.item_tombstones += n.rows;
    report.folders_horizon_moved += n.horizons;
}

void prune_folder_tombstones(soci::session& sql, const MaintenanceOptions& options, MaintenanceReport& report) {
    auto n = prune_tombstones(sql, {"folder_tombstones", "user_id", "hierarchy_prune_horizons", "users"}, options,
                              report.transactions);
    report.folder_tombstones += n.rows;
    report.users_horizon_moved += n.horizons;
}

void prune_sync_states(soci::session& sql, const MaintenanceOptions& options, MaintenanceReport& report) {
    const std::string batch = std::to_string(options.batch_rows);
    const std::string idle_cutoff =
        options.sync_state_days > 0 ? std::to_string(cutoff_for(sql, options.sync_state_days)) : "0";
    const std::string tombstone_cutoff = std::to_string(cutoff_for(sql, options.tombstone_days));

    if (options.dry_run) {
        // The horizons as the tombstone prune would leave them, and the states they would kill.
        PqResult r = pq_query(sql,
            ("WITH p AS (SELECT folder_id, max(modseq) AS m FROM item_tombstones"
             "           WHERE deleted_at < to_timestamp($1) GROUP BY folder_id),"
             " s AS (SELECT GREATEST(COALESCE(h.horizon, 0), COALESCE(p.m, 0)) > GREATEST(c.current_mark, c.base_seq)"
             "         AS stale,"
             "       (SELECT count(*) FROM sync_items si WHERE si.collection_id = c.id) AS items"
             "       FROM sync_collections c JOIN devices d ON d.id = c.device_id"
             "       LEFT JOIN folder_prune_horizons h ON h.folder_id = c.folder_id"
             "       LEFT JOIN p ON p.folder_id = c.folder_id"
             "       WHERE c.current_key <> 0 AND " +
             dead_state_condition("GREATEST(COALESCE(h.horizon, 0), COALESCE(p.m, 0))", "$2") + ")"
             " SELECT count(*) FILTER (WHERE stale), count(*) FILTER (WHERE NOT stale), COALESCE(sum(items), 0)::bigint"
             " FROM s").c_str(),
            {tombstone_cutoff, idle_cutoff});
        report.stale_collections += r.int64(0, 0);
        report.idle_collections += r.int64(0, 1);
        report.sync_items += r.int64(0, 2);
        PqResult h = pq_query(sql,
            "WITH p AS (SELECT user_id, max(modseq) AS m FROM folder_tombstones"
            "           WHERE deleted_at < to_timestamp($1) GROUP BY user_id)"
            " SELECT count(*) FROM folder_sync_states s JOIN devices d ON d.id = s.device_id"
            " LEFT JOIN hierarchy_prune_horizons h ON h.user_id = d.user_id LEFT JOIN p ON p.user_id = d.user_id"
            " WHERE GREATEST(COALESCE(h.horizon, 0), COALESCE(p.m, 0)) > s.current_mark",
            {tombstone_cutoff});
        report.stale_hierarchies += h.int64(0, 0);
        return;
    }

    // 1. Retire: no key matches current_key 0, so from this commit on the device is answered
    //    status 3 (and Ping tells it to sync), while the record of what it held may be half gone.
    //    Rows a request holds are skipped (SKIP LOCKED): the next run takes them.
    const std::string retire =
        "UPDATE sync_collections sc SET current_key = 0, previous_key = NULL"
        " FROM (SELECT c.id, COALESCE(h.horizon, 0) > GREATEST(c.current_mark, c.base_seq) AS stale"
        "       FROM sync_collections c JOIN devices d ON d.id = c.device_id"
        "       LEFT JOIN folder_prune_horizons h ON h.folder_id = c.folder_id"
        "       WHERE c.current_key <> 0 AND " + dead_state_condition("COALESCE(h.horizon, 0)", "$2") +
        "       ORDER BY c.id LIMIT $1 FOR UPDATE OF c SKIP LOCKED) v"
        " WHERE sc.id = v.id RETURNING v.stale";
    for (;;) {
        PqResult r = in_transaction(sql, [&] { return pq_query(sql, retire.c_str(), {batch, idle_cutoff}); });
        for (int row = 0; row < r.rows(); ++row) (r.boolean(row, 0) ? report.stale_collections : report.idle_collections)++;
        if (r.rows() > 0) ++report.transactions;
        if (r.rows() < options.batch_rows) break;
    }

    // 2. Their record of items held, a batch at a time.
    report.sync_items += in_batches(sql,
        "WITH gone AS (DELETE FROM sync_items WHERE ctid = ANY(ARRAY("
        "    SELECT si.ctid FROM sync_collections c JOIN sync_items si ON si.collection_id = c.id"
        "    WHERE c.current_key = 0 LIMIT $1)) RETURNING 1)"
        " SELECT count(*) FROM gone",
        options, report.transactions);

    // 3. The emptied rows (with their small companions: client add ids, own changes).
    in_batches(sql,
        "WITH gone AS (DELETE FROM sync_collections WHERE id IN ("
        "    SELECT c.id FROM sync_collections c WHERE c.current_key = 0"
        "    AND NOT EXISTS (SELECT 1 FROM sync_items si WHERE si.collection_id = c.id)"
        "    ORDER BY c.id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING 1)"
        " SELECT count(*) FROM gone",
        options, report.transactions);

    // FolderSync states behind their user's horizon stay (one small row per device, and while it
    // is there Ping tells the device to run FolderSync, which answers 9): counted for the report.
    PqResult h = pq_query(sql,
        "SELECT count(*) FROM folder_sync_states s JOIN devices d ON d.id = s.device_id"
        " JOIN hierarchy_prune_horizons h ON h.user_id = d.user_id WHERE h.horizon > s.current_mark");
    report.stale_hierarchies += h.int64(0, 0);
}

MaintenanceReport run_maintenance(soci::session& sql, const MaintenanceOptions& options) {
    MaintenanceReport report;
    prune_item_tombstones(sql, options, report);
    prune_folder_tombstones(sql, options, report);
    prune_sync_states(sql, options, report);
    return report;
}

}  // namespace easd::store
