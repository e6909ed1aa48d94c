// Housekeeping of the change-tracking tables (`easctl maintenance`, run daily by the shipped
// systemd timer): old tombstones and dead sync states go, in small transactions, without ever
// letting a device sync a delta that misses a deletion.
//
// The rule (schema/021_housekeeping.sql): pruning a tombstone records its change number as the
// prune horizon of its folder (item tombstones) or user (folder tombstones), in the transaction
// that deletes it. A sync state whose watermark is below the horizon (and, for a collection, whose
// start is too: CollectionState::stale) could have missed that deletion, so Sync answers it status 3
// and FolderSync status 9, and the device starts over, as after `easctl device resync`. Everything
// here is in library functions, for easctl and the web console alike.
#pragma once

#include <soci/soci.h>

namespace easd::store {

struct MaintenanceOptions {
    // Tombstones older than this many days are pruned (0: every tombstone made before the run).
    int tombstone_days = 30;
    // Collection states of devices not seen for this many days are removed (the device resyncs
    // those folders when it comes back); 0 keeps them. States left behind a prune horizon are
    // removed whatever this says: no key of theirs can be used again.
    int sync_state_days = 90;
    // Rows deleted per transaction, so no lock is held for long and no transaction grows large.
    int batch_rows = 5000;
    // Count what would go, change nothing.
    bool dry_run = false;
};

struct MaintenanceReport {
    long long item_tombstones = 0;    // pruned (with dry_run: that would be)
    long long folder_tombstones = 0;
    long long folders_horizon_moved = 0;  // folders whose prune horizon rose (dry run: would rise)
    long long users_horizon_moved = 0;    // users whose hierarchy prune horizon rose
    long long stale_collections = 0;  // collection states behind their folder's horizon, removed
    long long idle_collections = 0;   // collection states of devices not seen for sync_state_days, removed
    long long sync_items = 0;         // rows of those states' record of items held, removed
    long long stale_hierarchies = 0;  // FolderSync states behind their user's horizon (kept: their
                                      // next FolderSync answers 9; counted, not removed)
    long long transactions = 0;       // transactions that changed something
};

// The whole run: item and folder tombstones, then sync states. Throws on a database error (what
// was committed by then stays committed, and is consistent: each batch is).
MaintenanceReport run_maintenance(soci::session& sql, const MaintenanceOptions& options);

// The parts, each in batches of options.batch_rows, adding to `report`.
void prune_item_tombstones(soci::session& sql, const MaintenanceOptions& options, MaintenanceReport& report);
void prune_folder_tombstones(soci::session& sql, const MaintenanceOptions& options, MaintenanceReport& report);
void prune_sync_states(soci::session& sql, const MaintenanceOptions& options, MaintenanceReport& report);

}  // namespace easd::store
