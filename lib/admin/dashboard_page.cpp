// The live dashboard (/easd-admin/dashboard): what `easctl stats` prints, from the rows every easd
// process writes each second (store::read_live), summed up by the same code
// (store::summarize_live). Server-rendered: the page is one reading with a Refresh link. With
// JavaScript, console.js polls /easd-admin/live.json (store::live_summary_json, what
// `easctl stats --json` prints) every 2 s and rewrites the figures in place.
//
// Rates need two readings. The console keeps the previous one per easd process (here, under a
// mutex: every accept thread shares it) rather than in the browser: the rate computation then
// stays the one easctl uses, on per-process counters the JSON does not carry, and the first page
// a browser loads already has rates when anyone looked within the last minute. A reading older
// than that gives no rates ("-"), not an average over an hour; behind several easd processes each
// keeps its own, which changes nothing but which interval a rate spans.
//
// Who sees what: the figures are server-wide and the slowest requests and errors name users and
// devices of every domain. An administrator of every domain sees everything; a domain
// administrator sees the counts only (processes, rates, parked Pings, database pool), never the
// lists that name other domains' accounts.
#include <mutex>
#include <optional>

#include "admin/pages.h"
#include "common/json.h"
#include "store/live_stats.h"
#include "store/live_summary.h"

namespace easd::admin {

namespace {

// Readings further apart than this give no rates.
constexpr double kMaxRateSpanSeconds = 60;

struct LiveReading {
    store::LiveView now;
    std::optional<store::LiveView> before;
};

// The reading of now, and the kept one to compute rates against; keeps this one for the next
// request (unless no process wrote anew since, as `easctl top` does, so rates never go unknown
// between two quick polls).
LiveReading read_with_previous(soci::session& sql) {
    static std::mutex mutex;
    static std::optional<store::LiveView> previous;
    LiveReading r;
    r.now = store::read_live(sql);
    std::lock_guard<std::mutex> lock(mutex);
    if (previous && r.now.read_epoch - previous->read_epoch <= kMaxRateSpanSeconds) r.before = previous;
    const bool moved_on = !r.before || store::summarize_live(r.now, &*r.before).requests_per_second >= 0;
    if (moved_on) previous = r.now;
    return r;
}

// A domain administrator's view: counts only (see the top of this file).
void counts_only(const store::AdminRole& role, store::LiveView& v) {
    if (role.all_domains) return;
    v.slowest.clear();
    v.recent_errors.clear();
}

std::string ms(double seconds) { return store::live_fixed(seconds * 1000, 0); }

// A table of requests; its tbody carries data-live so console.js can rewrite its rows.
std::string requests_table(const char* id, const std::vector<store::LiveRequest>& rows, std::size_t limit) {
    std::string out = "<table><thead><tr><th>ms</th><th>Command</th><th>Status</th><th>User</th><th>Device</th>"
                      "<th>Answered</th></tr></thead><tbody data-live=\"" + std::string(id) + "\">";
    std::size_t n = 0;
    for (const auto& r : rows) {
        if (n++ >= limit) break;
        out += "<tr><td>" + ms(r.seconds) + "</td><td>" + text(r.kind) + "</td><td>" + std::to_string(r.status) +
               "</td><td>" + text_or_dash(r.login) + "</td><td>" + text_or_dash(r.device) + "</td><td>" + text(r.at) +
               "</td></tr>";
    }
    out += "</tbody></table>";
    if (rows.empty()) out += "<p data-live-empty=\"" + std::string(id) + "\">None.</p>";
    return out;
}

// <dt>label</dt><dd data-live="key">value</dd>
void live_row(std::string& out, const char* label, const char* key, const std::string& value) {
    out += "<dt>" + text(label) + "</dt><dd data-live=\"" + std::string(key) + "\">" + text(value) + "</dd>";
}

}  // namespace

Response dashboard_page(const PageContext& c) {
    LiveReading reading = read_with_previous(c.sql);
    counts_only(c.session.role, reading.now);
    const store::LiveSummary s = store::summarize_live(reading.now, reading.before ? &*reading.before : nullptr);

    std::string out = "<p>Every easd process behind this database, as <code>easctl stats</code> shows it. Read at "
                      "<span data-live=\"read_at\">" + text(store::live_utc(s.read_epoch)) +
                      "</span>. <a href=\"/easd-admin/dashboard\">Refresh</a></p>";
    if (s.processes == 0)
        out += error_paragraph("No easd process has published figures in the last 10 s (live_stats_ms above 0?).");
    out += "<dl>";
    live_row(out, "Processes", "processes", std::to_string(s.processes));
    live_row(out, "Hosts", "hosts", std::to_string(s.hosts));
    live_row(out, "Requests per second", "requests_per_second", store::live_fixed(s.requests_per_second, 1));
    live_row(out, "Parked Pings", "parked", std::to_string(s.parked));
    live_row(out, "Working threads", "working", std::to_string(s.working) + "/" + std::to_string(s.threads));
    live_row(out, "Database pool in use", "pool", std::to_string(s.pool_in_use) + "/" + std::to_string(s.pool_size));
    live_row(out, "Database pool waits", "pool_waits", std::to_string(s.pool_waits));
    live_row(out, "Errors (5xx)", "errors", std::to_string(s.errors));
    out += "</dl>";

    out += "<h2>Commands</h2><table><thead><tr><th>Command</th><th>Requests/s</th><th>Average ms</th><th>Total</th>"
           "<th>By status</th></tr></thead><tbody data-live=\"commands\">";
    for (const auto& [kind, f] : store::commands_by_activity(s)) {
        std::string statuses;
        for (const auto& [status, n] : f.statuses) statuses += (statuses.empty() ? "" : " ") + status + ":" + std::to_string(n);
        out += "<tr><td>" + text(kind) + "</td><td>" + store::live_fixed(f.per_second, 1) + "</td><td>" +
               store::live_fixed(f.avg_ms, 1) + "</td><td>" + std::to_string(f.total) + "</td><td>" + text(statuses) +
               "</td></tr>";
    }
    out += "</tbody></table>";

    if (c.session.role.all_domains) {
        out += "<h2>Slowest requests of the last minute</h2>" + requests_table("slowest", reading.now.slowest, 10);
        out += "<h2>Latest errors (5xx)</h2>" + requests_table("recent_errors", reading.now.recent_errors, 10);
    } else {
        out += "<p>The slowest requests and the latest errors name accounts of every domain: administrators of "
               "every domain see them.</p>";
    }

    out += "<h2>Processes</h2><table><thead><tr><th>Host</th><th>PID</th><th>Parked</th><th>Working</th>"
           "<th>Database</th><th>5xx</th></tr></thead><tbody data-live=\"process_list\">";
    for (const auto& w : reading.now.workers)
        out += "<tr><td>" + text(w.host) + "</td><td>" + std::to_string(w.pid) + "</td><td>" + std::to_string(w.parked) +
               "</td><td>" + std::to_string(w.working) + "/" + std::to_string(w.threads) + "</td><td>" +
               std::to_string(w.pool_in_use) + "/" + std::to_string(w.pool_size) + "</td><td>" + std::to_string(w.errors) +
               "</td></tr>";
    out += "</tbody></table>";
    // Not inline: the Content-Security-Policy runs scripts from this server's files only.
    out += "<script src=\"/easd-admin/console.js\"></script>";
    return c.page("Dashboard", out);
}

Response live_json(const PageContext& c) {
    LiveReading reading = read_with_previous(c.sql);
    counts_only(c.session.role, reading.now);
    const store::LiveSummary s = store::summarize_live(reading.now, reading.before ? &*reading.before : nullptr);
    Response r;
    r.body = store::live_summary_json(s) + "\n";
    r.headers.emplace_back("Content-Type", "application/json");
    add_security_headers(r);
    return r;
}

const std::string& console_script() {
    // Progressive: without it the dashboard is one reading and a Refresh link. With it, the
    // figures are rewritten every 2 s from live.json; every value goes in as text (textContent),
    // never as markup. It stops polling on an error answer (a session that ended: the next
    // Refresh shows the sign-in page) rather than hammering the server.
    static const std::string js = R"JS("use strict";
(function () {
  var figures = document.querySelectorAll("[data-live]");
  if (!figures.length) return;
  function fixed(v, d) { return v === null || v === undefined ? "-" : Number(v).toFixed(d); }
  function set(key, value) {
    var e = document.querySelector('[data-live="' + key + '"]');
    if (e) e.textContent = value;
  }
  function rows(key, list, cells) {
    var body = document.querySelector('tbody[data-live="' + key + '"]');
    if (!body) return;
    while (body.firstChild) body.removeChild(body.firstChild);
    list.forEach(function (item) {
      var tr = document.createElement("tr");
      cells(item).forEach(function (c) {
        var td = document.createElement("td");
        td.textContent = c === null || c === undefined || c === "" ? "-" : String(c);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    var empty = document.querySelector('[data-live-empty="' + key + '"]');
    if (empty) empty.hidden = list.length > 0;
  }
  function request(r) { return [fixed(r.seconds * 1000, 0), r.command, r.status, r.user, r.device, r.answered]; }
  function show(v) {
    set("read_at", v.read_at);
    set("processes", v.processes);
    set("hosts", v.hosts);
    set("requests_per_second", fixed(v.requests_per_second, 1));
    set("parked", v.parked);
    set("working", v.working + "/" + v.threads);
    set("pool", v.pool_in_use + "/" + v.pool_size);
    set("pool_waits", v.pool_waits);
    set("errors", v.errors);
    rows("commands", v.commands, function (c) {
      var s = Object.keys(c.statuses).map(function (k) { return k + ":" + c.statuses[k]; }).join(" ");
      return [c.command, fixed(c.per_second, 1), fixed(c.avg_ms, 1), c.total, s];
    });
    rows("slowest", v.slowest.slice(0, 10), request);
    rows("recent_errors", v.recent_errors.slice(0, 10), request);
    rows("process_list", v.process_list, function (p) {
      return [p.host, p.pid, p.parked, p.working + "/" + p.threads, p.pool_in_use + "/" + p.pool_size, p.errors];
    });
  }
  var timer = null;
  function poll() {
    fetch("/easd-admin/live.json", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (v) { show(v); document.body.setAttribute("data-live-updated", v.read_at); })
      .catch(function () { clearInterval(timer); });
  }
  timer = setInterval(poll, 2000);
  poll();
})();
)JS";
    return js;
}

}  // namespace easd::admin
