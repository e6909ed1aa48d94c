// The figures of every easd process summed up, and their rates from two readings: what
// `easctl stats`/`easctl top` print and what the web console's dashboard shows (one computation,
// so the two never disagree). Built from store::read_live's rows (live_stats.h).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/live_stats.h"

namespace easd::store {

// One command's figures across every process.
struct CommandFigures {
    long long total = 0;                        // answers since the processes started
    std::map<std::string, long long> statuses;  // of those, by HTTP status
    double per_second = -1;                     // over the last interval; -1: not known yet
    double avg_ms = -1;                         // over the last interval, else since start; -1: none
};

struct LiveSummary {
    double read_epoch = 0;
    int processes = 0, hosts = 0;
    long long parked = 0, working = 0, threads = 0, pool_in_use = 0, pool_size = 0, pool_waits = 0, errors = 0;
    double requests_per_second = -1;  // -1: not known (one reading, or no process wrote anew)
    std::map<std::string, CommandFigures> commands;
    const LiveView* view = nullptr;  // the later reading (slowest, errors, processes); outlives this
};

// `before`: an earlier reading (null: none); rates come from the processes in both whose figures
// moved on in between (each process writes its row on its own clock tick).
LiveSummary summarize_live(const LiveView& now, const LiveView* before);

// The commands by rate (then by total), busiest first.
std::vector<std::pair<std::string, CommandFigures>> commands_by_activity(const LiveSummary& s);

// The summary as one JSON object (`easctl stats --json`, the console's live.json): rates and
// averages are null while unknown.
std::string live_summary_json(const LiveSummary& s);

// "12.3" with `decimals` decimals; "-" for a negative (unknown) value.
std::string live_fixed(double v, int decimals);
// "2026-12-06 03:40:00 UTC"
std::string live_utc(double epoch);

}  // namespace easd::store
