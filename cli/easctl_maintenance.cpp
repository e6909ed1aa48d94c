#include "easctl_maintenance.h"

#include <iostream>
#include <string>

#include "store/maintenance.h"

namespace easd::cli {

namespace {

std::string report_json(const store::MaintenanceOptions& o, const store::MaintenanceReport& r) {
    return JsonObject()
        .boolean("dry_run", o.dry_run)
        .number("tombstone_days", o.tombstone_days)
        .number("sync_state_days", o.sync_state_days)
        .number("item_tombstones", r.item_tombstones)
        .number("folder_tombstones", r.folder_tombstones)
        .number("folders_horizon_moved", r.folders_horizon_moved)
        .number("users_horizon_moved", r.users_horizon_moved)
        .number("stale_collections", r.stale_collections)
        .number("idle_collections", r.idle_collections)
        .number("sync_items", r.sync_items)
        .number("stale_hierarchies", r.stale_hierarchies)
        .number("transactions", r.transactions)
        .str();
}

void print_report(const store::MaintenanceOptions& o, const store::MaintenanceReport& r) {
    const std::string verb = o.dry_run ? "would remove" : "removed";
    std::string idle = o.sync_state_days > 0 ? "not seen for " + std::to_string(o.sync_state_days) + " days"
                                             : "not seen for long (off: --sync-state-days 0)";
    print_table({"WHAT", o.dry_run ? "WOULD GO" : "REMOVED"},
                {{"item tombstones older than " + std::to_string(o.tombstone_days) + " days",
                  std::to_string(r.item_tombstones)},
                 {"folder tombstones older than " + std::to_string(o.tombstone_days) + " days",
                  std::to_string(r.folder_tombstones)},
                 {"collection states behind their prune horizon", std::to_string(r.stale_collections)},
                 {"collection states of devices " + idle, std::to_string(r.idle_collections)},
                 {"records of items held by those states", std::to_string(r.sync_items)}});
    std::cout << "Prune horizons " << (o.dry_run ? "would rise" : "rose") << " for " << r.folders_horizon_moved
              << " folder(s) and " << r.users_horizon_moved << " user hierarchy(ies). Devices behind one get Sync "
              << "status 3 (FolderSync status 9: " << r.stale_hierarchies
              << " FolderSync state(s) now) and start over; no mail or other data " << (o.dry_run ? "would be" : "was")
              << " touched.\n";
}

}  // namespace

int run_maintenance_command(const Args& a, soci::session& sql) {
    no_more_words(a, 1);
    store::MaintenanceOptions o;
    o.tombstone_days = number_option(a, "--tombstone-days", o.tombstone_days, 0, 36500);
    o.sync_state_days = number_option(a, "--sync-state-days", o.sync_state_days, 0, 36500);
    o.batch_rows = number_option(a, "--batch", o.batch_rows, 1, 50000);
    o.dry_run = a.flag("--dry-run");
    store::MaintenanceReport r = store::run_maintenance(sql, o);
    if (a.flag("--json")) std::cout << report_json(o, r) << "\n";
    else print_report(o, r);
    return 0;
}

}  // namespace easd::cli
