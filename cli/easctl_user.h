// easctl domain ... and easctl user ... (easctl_user.cpp).
#pragma once

#include <soci/soci.h>

#include <string>

#include "cli_common.h"

namespace easd::cli {

// `domain add|list|remove`.
int run_domain_command(const Args& a, soci::session& sql, const std::string& sub);
// `user add|passwd|list|set|activesync|enable|disable|oof|alias`.
int run_user_command(const Args& a, soci::session& sql, const std::string& sub);

}  // namespace easd::cli
