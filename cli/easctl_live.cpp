#include "easctl_live.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "store/live_stats.h"

namespace easd::cli {

namespace {

// One command's figures across every process.
struct CommandFigures {
    long long total = 0;                     // answers since the processes started
    std::map<std::string, long long> statuses;  // of those, by HTTP status
    double per_second = -1;                  // over the last interval; -1: not known yet
    double avg_ms = -1;                      // over the last interval, else since start; -1: none
};

struct Summary {
    double read_epoch = 0;
    int processes = 0, hosts = 0;
    long long parked = 0, working = 0, threads = 0, pool_in_use = 0, pool_size = 0, pool_waits = 0, errors = 0;
    double requests_per_second = -1;
    std::map<std::string, CommandFigures> commands;
    const store::LiveView* view = nullptr;
};

// Per process: its counts and durations by kind, for differences between two readings.
struct ProcessTotals {
    double updated = 0;
    std::map<std::string, long long> n;  // by kind
    std::map<std::string, std::pair<long long, double>> durations;  // by kind: requests, seconds
};

std::map<std::string, ProcessTotals> totals_of(const store::LiveView& v) {
    std::map<std::string, ProcessTotals> out;
    for (const auto& w : v.workers) out[w.instance].updated = w.updated_epoch;
    for (const auto& c : v.counts)
        if (out.count(c.instance)) out[c.instance].n[c.kind] += c.n;
    for (const auto& d : v.durations)
        if (out.count(d.instance)) out[d.instance].durations[d.kind] = {d.n, d.seconds};
    return out;
}

// `before`: an earlier reading (null: none); rates come from the processes in both whose figures
// moved on in between (each process writes its row on its own clock tick).
Summary summarize(const store::LiveView& now, const store::LiveView* before) {
    Summary s;
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

std::string fixed(double v, int decimals) {
    if (v < 0) return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string utc(double epoch) {
    std::time_t t = static_cast<std::time_t>(epoch);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string uptime(double seconds) {
    long long s = static_cast<long long>(seconds);
    if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
    if (s < 86400) return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
    return std::to_string(s / 86400) + "d" + std::to_string(s % 86400 / 3600) + "h";
}

// The commands by rate (then by total), busiest first.
std::vector<std::pair<std::string, CommandFigures>> by_activity(const Summary& s) {
    std::vector<std::pair<std::string, CommandFigures>> rows(s.commands.begin(), s.commands.end());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
        if (x.second.per_second != y.second.per_second) return x.second.per_second > y.second.per_second;
        return x.second.total > y.second.total;
    });
    return rows;
}

void print_requests(std::ostream& out, const std::vector<store::LiveRequest>& rows, std::size_t limit) {
    std::vector<std::vector<std::string>> table;
    for (const auto& r : rows) {
        if (table.size() >= limit) break;
        table.push_back({fixed(r.seconds, 3), r.kind, std::to_string(r.status), or_dash(r.login), or_dash(r.device),
                         r.at, r.instance.substr(0, r.instance.find(':'))});
    }
    if (table.empty()) {
        out << "  (none)\n";
        return;
    }
    out << format_table({"SECONDS", "COMMAND", "STATUS", "USER", "DEVICE", "ANSWERED", "HOST"}, table);
}

std::string render(const Summary& s, double interval_seconds) {
    std::ostringstream out;
    out << "easd " << utc(s.read_epoch) << "  " << s.processes << " process(es) on " << s.hosts
        << " host(s)  every " << fixed(interval_seconds, interval_seconds < 1 ? 1 : 0) << " s\n";
    if (s.processes == 0) {
        out << "No easd process has published figures in the last 10 s (is easd running, on this database, with "
               "live_stats_ms above 0?)\n";
        return out.str();
    }
    out << "requests/s " << fixed(s.requests_per_second, 1) << "  parked " << s.parked << "  working " << s.working
        << "/" << s.threads << " threads  database " << s.pool_in_use << "/" << s.pool_size << " (waits "
        << s.pool_waits << ")  5xx " << s.errors << "\n\n";

    std::vector<std::vector<std::string>> table;
    for (const auto& [kind, f] : by_activity(s)) {
        std::string statuses;
        for (const auto& [status, n] : f.statuses) statuses += (statuses.empty() ? "" : " ") + status + ":" + std::to_string(n);
        table.push_back({kind, fixed(f.per_second, 1), fixed(f.avg_ms, 1), std::to_string(f.total), statuses});
    }
    out << format_table({"COMMAND", "REQ/S", "AVG MS", "TOTAL", "BY STATUS"}, table);

    out << "\nSlowest requests of the last minute\n";
    print_requests(out, s.view->slowest, 10);
    out << "\nLatest errors (5xx)\n";
    print_requests(out, s.view->recent_errors, 5);

    out << "\nProcesses\n";
    table.clear();
    for (const auto& w : s.view->workers)
        table.push_back({w.host, std::to_string(w.pid), uptime(s.read_epoch - w.started_epoch), std::to_string(w.parked),
                         std::to_string(w.working) + "/" + std::to_string(w.threads),
                         std::to_string(w.pool_in_use) + "/" + std::to_string(w.pool_size), std::to_string(w.errors),
                         fixed(s.read_epoch - w.updated_epoch, 1)});
    out << format_table({"HOST", "PID", "UP", "PARKED", "WORKING", "DATABASE", "5XX", "AGE S"}, table);
    return out.str();
}

std::string request_json(const store::LiveRequest& r) {
    return JsonObject()
        .raw("seconds", fixed(r.seconds, 6))
        .text("command", r.kind)
        .number("status", r.status)
        .text_or_null("user", r.login)
        .text_or_null("device", r.device)
        .text("answered", r.at)
        .text("instance", r.instance)
        .str();
}

std::string summary_json(const Summary& s) {
    auto num_or_null = [](double v, int decimals) { return v < 0 ? std::string("null") : fixed(v, decimals); };
    std::vector<std::string> commands, processes, slowest, errors;
    for (const auto& [kind, f] : by_activity(s)) {
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
    for (const auto& w : s.view->workers)
        processes.push_back(JsonObject()
                                .text("instance", w.instance)
                                .text("host", w.host)
                                .number("pid", w.pid)
                                .raw("up_seconds", fixed(s.read_epoch - w.started_epoch, 0))
                                .number("threads", w.threads)
                                .number("working", w.working)
                                .number("parked", w.parked)
                                .number("pool_size", w.pool_size)
                                .number("pool_in_use", w.pool_in_use)
                                .number("pool_waits", w.pool_waits)
                                .number("errors", w.errors)
                                .raw("age_seconds", fixed(s.read_epoch - w.updated_epoch, 3))
                                .str());
    for (const auto& r : s.view->slowest) slowest.push_back(request_json(r));
    for (const auto& r : s.view->recent_errors) errors.push_back(request_json(r));
    return JsonObject()
        .text("read_at", utc(s.read_epoch))
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
        .raw("commands", json_array(commands))
        .raw("slowest", json_array(slowest))
        .raw("recent_errors", json_array(errors))
        .raw("process_list", json_array(processes))
        .str();
}

// --interval as seconds (fractions allowed: 0.5), within [min, 3600].
double interval_option(const Args& a, double fallback, double min) {
    auto it = a.values.find("--interval");
    if (it == a.values.end()) return fallback;
    char* end = nullptr;
    double v = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0' || !(v >= min) || v > 3600)
        throw UsageError("--interval: a number of seconds from " + fixed(min, 1) + " to 3600");
    return v;
}

void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace

int run_stats_command(const Args& a, soci::session& sql) {
    no_more_words(a, 1);
    const double interval = interval_option(a, 1, 0);
    store::LiveView first = store::read_live(sql);
    store::LiveView second;
    const store::LiveView* before = nullptr;
    if (interval > 0) {
        sleep_seconds(interval);
        second = store::read_live(sql);
        before = &first;
    }
    const store::LiveView& now = interval > 0 ? second : first;
    Summary s = summarize(now, before);
    if (a.flag("--json"))
        std::cout << summary_json(s) << "\n";
    else
        std::cout << render(s, interval);
    return 0;
}

int run_top_command(const Args& a, soci::session& sql) {
    no_more_words(a, 1);
    const double interval = interval_option(a, 1, 0.2);
    const int iterations = number_option(a, "--iterations", 0, 0, 1000000);
    const bool terminal = isatty(STDOUT_FILENO) != 0;
    store::LiveView previous = store::read_live(sql);
    for (int i = 0; iterations == 0 || i < iterations; ++i) {
        sleep_seconds(interval);
        store::LiveView now = store::read_live(sql);
        std::string frame = render(summarize(now, &previous), interval);
        // On a terminal: home and clear, then the frame; else frames one after another.
        if (terminal) std::cout << "\033[H\033[2J";
        std::cout << frame << (terminal ? "" : "\n") << std::flush;
        // A reading in which no process had written anew gives no rates: keep the older one.
        if (summarize(now, &previous).requests_per_second >= 0 || previous.workers.empty()) previous = std::move(now);
    }
    return 0;
}

}  // namespace easd::cli
