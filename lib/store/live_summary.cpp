#include "store/live_summary.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

#include "common/json.h"

namespace easd::store {

namespace {

// Per process: its counts and durations by kind, for differences between two readings.
struct ProcessTotals {
    double updated = 0;
    std::map<std::string, long long> n;                             // by kind
    std::map<std::string, std::pair<long long, double>> durations;  // by kind: requests, seconds
};

std::map<std::string, ProcessTotals> totals_of(const LiveView& v) {
    std::map<std::string, ProcessTotals> out;
    for (const auto& w : v.workers) out[w.instance].updated = w.updated_epoch;
    for (const auto& c : v.counts)
        if (out.count(c.instance)) out[c.instance].n[c.kind] += c.n;
    for (const auto& d : v.durations)
        if (out.count(d.instance)) out[d.instance].durations[d.kind] = {d.n, d.seconds};
    return out;
}

std::string request_json(const LiveRequest& r) {
    return json::JsonObject()
        .raw("seconds", live_fixed(r.seconds, 6))
        .text("command", r.kind)
        .number("status", r.status)
        .text_or_null("user", r.login)
        .text_or_null("device", r.device)
        .text("answered", r.at)
        .text("instance", r.instance)
        .str();
}

}  // namespace

std::string live_fixed(double v, int decimals) {
    if (v < 0) return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string live_utc(double epoch) {
    std::time_t t = static_cast<std::time_t>(epoch);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

LiveSummary summarize_live(const LiveView& now, const LiveView* before) {
    LiveSummary s;
    s.view = &now;
    s.read_epoch = now.read_epoch;
    std::set<std::string> hosts;
    for (const auto& w : now.workers) {
        ++s.processes;
        hosts.insert(w.host);
        s.parked += w.parked;
        s.working += w.working;
        s.threads += w.threads;
        s.pool_in_use += w.pool_in_use;
        s.pool_size += w.pool_size;
        s.pool_waits += w.pool_waits;
        s.errors += w.errors;
    }
    s.hosts = static_cast<int>(hosts.size());
    for (const auto& c : now.counts) {
        auto& f = s.commands[c.kind];
        f.total += c.n;
        f.statuses[c.status] += c.n;
    }
    std::map<std::string, std::pair<long long, double>> since_start;
    for (const auto& d : now.durations) {
        since_start[d.kind].first += d.n;
        since_start[d.kind].second += d.seconds;
    }
    for (auto& [kind, f] : s.commands)
        if (since_start[kind].first > 0) f.avg_ms = 1000 * since_start[kind].second / since_start[kind].first;
    if (!before) return s;

    const auto a = totals_of(*before), b = totals_of(now);
    std::map<std::string, double> rate;
    std::map<std::string, std::pair<long long, double>> interval;
    bool any = false;
    for (const auto& [instance, t] : b) {
        auto old = a.find(instance);
        if (old == a.end() || t.updated <= old->second.updated) continue;
        any = true;
        const double span = t.updated - old->second.updated;
        for (const auto& [kind, n] : t.n) {
            auto o = old->second.n.find(kind);
            rate[kind] += static_cast<double>(n - (o == old->second.n.end() ? 0 : o->second)) / span;
        }
        for (const auto& [kind, d] : t.durations) {
            auto o = old->second.durations.find(kind);
            const long long n0 = o == old->second.durations.end() ? 0 : o->second.first;
            const double s0 = o == old->second.durations.end() ? 0 : o->second.second;
            interval[kind].first += d.first - n0;
            interval[kind].second += d.second - s0;
        }
    }
    if (!any) return s;
    s.requests_per_second = 0;
    for (auto& [kind, f] : s.commands) {
        f.per_second = rate.count(kind) ? rate[kind] : 0;
        s.requests_per_second += f.per_second;
        if (interval[kind].first > 0) f.avg_ms = 1000 * interval[kind].second / interval[kind].first;
    }
    return s;
}

std::vector<std::pair<std::string, CommandFigures>> commands_by_activity(const LiveSummary& s) {
    std::vector<std::pair<std::string, CommandFigures>> rows(s.commands.begin(), s.commands.end());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
        if (x.second.per_second != y.second.per_second) return x.second.per_second > y.second.per_second;
        return x.second.total > y.second.total;
    });
    return rows;
}

std::string live_summary_json(const LiveSummary& s) {
    using json::JsonObject;
    auto num_or_null = [](double v, int decimals) { return v < 0 ? std::string("null") : live_fixed(v, decimals); };
    std::vector<std::string> commands, processes, slowest, errors;
    for (const auto& [kind, f] : commands_by_activity(s)) {
        JsonObject statuses;
        for (const auto& [status, n] : f.statuses) statuses.number(status, n);
        commands.push_back(JsonObject()
                               .text("command", kind)
                               .raw("per_second", num_or_null(f.per_second, 3))
                               .raw("avg_ms", num_or_null(f.avg_ms, 3))
                               .number("total", f.total)
                               .raw("statuses", statuses.str())
                               .str());
    }
    if (s.view) {
        for (const auto& w : s.view->workers)
            processes.push_back(JsonObject()
                                    .text("instance", w.instance)
                                    .text("host", w.host)
                                    .number("pid", w.pid)
                                    .raw("up_seconds", live_fixed(s.read_epoch - w.started_epoch, 0))
                                    .number("threads", w.threads)
                                    .number("working", w.working)
                                    .number("parked", w.parked)
                                    .number("pool_size", w.pool_size)
                                    .number("pool_in_use", w.pool_in_use)
                                    .number("pool_waits", w.pool_waits)
                                    .number("errors", w.errors)
                                    .raw("age_seconds", live_fixed(s.read_epoch - w.updated_epoch, 3))
                                    .str());
        for (const auto& r : s.view->slowest) slowest.push_back(request_json(r));
        for (const auto& r : s.view->recent_errors) errors.push_back(request_json(r));
    }
    return JsonObject()
        .text("read_at", live_utc(s.read_epoch))
        .number("processes", s.processes)
        .number("hosts", s.hosts)
        .raw("requests_per_second", num_or_null(s.requests_per_second, 3))
        .number("parked", s.parked)
        .number("working", s.working)
        .number("threads", s.threads)
        .number("pool_in_use", s.pool_in_use)
        .number("pool_size", s.pool_size)
        .number("pool_waits", s.pool_waits)
        .number("errors", s.errors)
        .raw("commands", json::json_array(commands))
        .raw("slowest", json::json_array(slowest))
        .raw("recent_errors", json::json_array(errors))
        .raw("process_list", json::json_array(processes))
        .str();
}

}  // namespace easd::store
