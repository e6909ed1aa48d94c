// What SIGHUP changes in a running easd (README, "Installing as a Debian service"): the config
// file is read again, with the same command line, and the keys that are safe to change under
// running requests take effect for the requests that start from then on. The rest (sockets,
// threads, pools, the database, the mail store, sign-in limits and request budgets, whose state
// lives in objects built at start) wait for a restart, and the log says which of them changed.
#pragma once

#include <string>
#include <vector>

#include "commands/command.h"
#include "common/config.h"
#include "options.h"

namespace easd::app {

// The keys a reload applies: log_level, log_file and those below (kept in one list with
// reloaded_settings, so the log and the README cannot disagree with the code).
const std::vector<std::string>& reloadable_keys();

// `running` with the reloadable settings taken from `fresh`.
commands::ServerSettings reloaded_settings(const commands::ServerSettings& running, const Options& fresh);

// The keys whose value differs between the config easd started with and `fresh` (added, removed
// or changed) and that take effect only at a restart, sorted. Unknown keys are not among them.
std::vector<std::string> keys_needing_restart(const Config& started_with, const Config& fresh);

}  // namespace easd::app
