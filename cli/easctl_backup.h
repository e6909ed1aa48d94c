// easctl backup FILE / easctl restore FILE: pg_dump and pg_restore (custom format) on the database
// easd's config names, the password never on their command line (store/backup.h). The usage
// lines are part of easctl's usage text.
#pragma once

#include <soci/soci.h>

#include "cli_common.h"

namespace easd::cli {

// `backup FILE` and `restore FILE` ([--pg-bindir DIR]); returns the exit status. Throws
// UsageError for a malformed command line, store::InvalidRequest for a refused one.
int run_backup_command(const Args& args, soci::session& sql);
int run_restore_command(const Args& args, soci::session& sql);

}  // namespace easd::cli
