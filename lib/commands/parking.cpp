// What Ping and hanging Sync share for waiting in the push hub (lib/push): checking, in one query
// for many parked requests, which watched folders have something for the device. (Announcing a
// new wait is store::announce_waiting_request.)
#include "commands/command.h"
#include "store/pq.h"
#include "store/sync_state.h"

namespace easd::commands {

std::vector<std::vector<long long>> parked_folders_with_changes(soci::session& sql,
                                                                const std::vector<push::ParkedWait>& waits) {
    // One query for every (wait, folder) pair: a folder has something for the device when it is
    // gone, was never synced by it, or changed after its current key by anyone but the device
    // itself (its own changes never come back to it). Items the device already knows are gone
    // (removed_key, forgotten at its next Sync) are nothing to tell it either.
    std::string users = "{", devices = "{", folders = "{", owners = "{";
    bool first = true;
    for (std::size_t w = 0; w < waits.size(); ++w)
        for (long long f : waits[w].folders) {
            std::string sep = first ? "" : ",";
            users += sep + std::to_string(waits[w].user_id);
            devices += sep + std::to_string(waits[w].device_row);
            folders += sep + std::to_string(f);
            owners += sep + std::to_string(w);
            first = false;
        }
    std::vector<std::vector<long long>> changed(waits.size());
    if (first) return changed;
    std::string query =
        "SELECT w.o, w.f FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS w(u, d, f, o)"
        " LEFT JOIN folders fo ON fo.id = w.f AND fo.user_id = w.u"
        " LEFT JOIN sync_collections sc ON sc.folder_id = w.f AND sc.device_id = w.d"
        " LEFT JOIN folder_prune_horizons h ON h.folder_id = w.f"
        " WHERE fo.id IS NULL OR sc.id IS NULL"
        // A state that easctl maintenance retired (key 0) or left behind its prune horizon: the
        // device's next Sync gets status 3 and starts over (store/maintenance.h).
        "    OR sc.current_key = 0 OR COALESCE(h.horizon, 0) > GREATEST(sc.current_mark, sc.base_seq)"
        "    OR EXISTS (SELECT 1 FROM items i WHERE i.folder_id = w.f AND i.modseq > sc.current_mark"
        "               AND NOT " + store::own_change_condition("sc.id", "i.id", "i.modseq") + ")"
        "    OR EXISTS (SELECT 1 FROM item_tombstones t WHERE t.folder_id = w.f AND t.modseq > sc.current_mark"
        "               AND NOT " + store::own_change_condition("sc.id", "t.item_id", "t.modseq") + ")";
    store::PqResult r = store::pq_query(sql, query.c_str(),
        {users + "}", devices + "}", folders + "}", owners + "}"});
    for (int row = 0; row < r.rows(); ++row)
        changed[static_cast<std::size_t>(r.int64(row, 0))].push_back(r.int64(row, 1));

    // Ping also ends when the user's folder hierarchy changed after the device's FolderSync state,
    // except by the device's own FolderCreate/Update/Delete (schema/009), or folder tombstones
    // above it were pruned (schema 021; FolderSync then answers 9): one query for all.
    std::string h_users = "{", h_devices = "{", h_owners = "{";
    bool h_first = true;
    for (std::size_t w = 0; w < waits.size(); ++w) {
        if (!waits[w].watch_hierarchy) continue;
        std::string sep = h_first ? "" : ",";
        h_users += sep + std::to_string(waits[w].user_id);
        h_devices += sep + std::to_string(waits[w].device_row);
        h_owners += sep + std::to_string(w);
        h_first = false;
    }
    if (h_first) return changed;
    store::PqResult h = store::pq_query(sql,
        "SELECT w.o FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS w(u, d, o)"
        " JOIN folder_sync_states s ON s.device_id = w.d"
        " WHERE EXISTS (SELECT 1 FROM folders f WHERE f.user_id = w.u AND f.modseq > s.current_mark"
        "               AND f.modseq <> ALL(s.own_changes))"
        "    OR EXISTS (SELECT 1 FROM folder_tombstones t WHERE t.user_id = w.u AND t.modseq > s.current_mark"
        "               AND t.modseq <> ALL(s.own_changes)"
        "               AND (t.created_seq <= s.current_mark OR t.created_seq = ANY(s.own_changes)))"
        "    OR EXISTS (SELECT 1 FROM hierarchy_prune_horizons hp WHERE hp.user_id = w.u"
        "               AND hp.horizon > s.current_mark)",
        {h_users + "}", h_devices + "}", h_owners + "}"});
    for (int row = 0; row < h.rows(); ++row) {
        // Ping answers 7 then, whatever else changed: the device must run FolderSync first.
        changed[static_cast<std::size_t>(h.int64(row, 0))] = {kHierarchyChangedMarker};
    }
    return changed;
}


}  // namespace easd::commands
