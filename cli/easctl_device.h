// easctl device ...: the devices of users, their standing (access, policy, wipe, autoblock), their
// sync state and the items held back from them. The usage lines are part of easctl's usage text.
#pragma once

#include <soci/soci.h>

#include <string>

#include "cli_common.h"

namespace easd::cli {

// Runs `device SUB ...` (args.words[0] is "device", `sub` is args.words[1]) and returns the exit
// status. Throws UsageError for a malformed command line, store::InvalidRequest for an unknown
// user or device.
int run_device_command(const Args& args, soci::session& sql, const std::string& sub);

}  // namespace easd::cli
