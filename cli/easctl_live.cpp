#include "easctl_live.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "store/live_stats.h"
#include "store/live_summary.h"

namespace easd::cli {

namespace {

// The summing up and the rates live in store/live_summary.h, shared with the web console's
// dashboard; this file prints them.
using store::CommandFigures;
using Summary = store::LiveSummary;

Summary summarize(const store::LiveView& now, const store::LiveView* before) { return store::summarize_live(now, before); }
std::string fixed(double v, int decimals) { return store::live_fixed(v, decimals); }
std::string utc(double epoch) { return store::live_utc(epoch); }

std::string uptime(double seconds) {
    long long s = static_cast<long long>(seconds);
    if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
    if (s < 86400) return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
    return std::to_string(s / 86400) + "d" + std::to_string(s % 86400 / 3600) + "h";
}

std::vector<std::pair<std::string, CommandFigures>> by_activity(const Summary& s) {
    return store::commands_by_activity(s);
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
        std::cout << store::live_summary_json(s) << "\n";
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
