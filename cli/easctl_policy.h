// easctl policy: the security policies of the four levels (global, domain, user, device), what
// each level sets, what is in effect at a level and where each value comes from
// (store/policies.h, lib/policy). The usage lines are part of easctl's usage text.
#pragma once

#include <soci/soci.h>

#include "cli_common.h"

namespace easd::cli {

// Runs `policy SUBCOMMAND ...` (args.words[0] is "policy") and returns the exit status. Throws
// UsageError for a malformed command line, store::InvalidRequest for unknown targets, settings and
// values (one line each; nothing is saved then).
int run_policy_command(const Args& args, soci::session& sql);

}  // namespace easd::cli
