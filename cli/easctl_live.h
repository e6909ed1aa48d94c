// easctl stats and easctl top: what every easd process behind this database is doing, from the
// figures each publishes every second (store/live_stats.h): requests per second and their
// latency by command, parked Pings, the slowest requests of the last minute with their user and
// device, the latest errors. Like z-push-top, for a whole pool of processes and hosts.
#pragma once

#include <soci/soci.h>

#include "cli_common.h"

namespace easd::cli {

// `stats [--interval S] [--json]`: two readings S seconds apart (1; 0: one reading, totals only).
int run_stats_command(const Args& args, soci::session& sql);
// `top [--interval S] [--iterations N]`: a view redrawn every S seconds (1) until Ctrl-C, or N
// times. Not on a terminal: the frames one after another.
int run_top_command(const Args& args, soci::session& sql);

}  // namespace easd::cli
