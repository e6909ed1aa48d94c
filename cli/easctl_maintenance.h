// easctl maintenance: prune old tombstones and dead sync states (store/maintenance.h), as the
// shipped systemd timer (systemd/easd-maintenance.timer) runs it daily. The usage lines are part
// of easctl's usage text.
#pragma once

#include <soci/soci.h>

#include "cli_common.h"

namespace easd::cli {

// Runs `maintenance [--tombstone-days N] [--sync-state-days N] [--batch N] [--dry-run]` and
// returns the exit status. Throws UsageError for a malformed command line.
int run_maintenance_command(const Args& args, soci::session& sql);

}  // namespace easd::cli
