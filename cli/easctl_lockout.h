// easctl lockout list|clear: failed sign-ins as every easd worker counts them (store/login_failures.h,
// rules in lib/auth/login_limits.h). The usage lines are part of easctl's usage text.
#pragma once

#include <soci/soci.h>

#include "cli_common.h"

namespace easd::cli {

// Runs `lockout list` or `lockout clear ACCOUNT|IP|KEY|--all` (args.words[0] is "lockout") and
// returns the exit status. Throws UsageError for a malformed command line.
int run_lockout_command(const Args& args, soci::session& sql);

}  // namespace easd::cli
