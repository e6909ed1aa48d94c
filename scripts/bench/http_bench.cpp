// Requests per second and latency through nginx to easd, on a PostgreSQL cluster of its own.
//
// Starts PostgreSQL, easd and nginx exactly as the end-to-end tests do (tests/support), creates a
// user with a synced Inbox of N messages, then measures
//   - OPTIONS: requests/s with C concurrent clients (authentication, no database work after the
//     first request of a login, thanks to the auth cache);
//   - a no-change Sync of the Inbox: latency (median, p99) from one client, and requests/s with C.
// Each request is a new HTTP connection, as phones mostly behave.
//
//   - a FolderSync at the current key: requests/s and latency with C.
// Also the time of the initial Sync of the Inbox in windows of 100 (first client). The set-up
// answers are validated against the XSDs; the timed requests are not (the client's validation is
// serialised and would be what is measured).
//
// usage: http_bench [--messages N] [--requests N] [--concurrency C] [--config "KEY = VALUE"]...
//   --config: an extra line of easd's config (repeatable), for A/B runs of one setting, e.g.
//   `--config "live_stats_ms = 0"` (no live-view publisher) next to the default.
//   e.g. --messages 5000; and --messages 100000 --concurrency 1 for the cost of a no-change Sync in
//   a large folder next to a small one.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_args.h"
#include "support/cluster.h"
#include "support/eas_client.h"
#include "support/server.h"
#include "support/xsd_validator.h"
#include "wbxml/wbxml.h"

using namespace easd;
using Clock = std::chrono::steady_clock;
namespace tag = wbxml::tag;

namespace {

using bench::arg_int;

std::string child_text(const wbxml::Node& n, wbxml::Tag t) { return std::string(n.child_text(t)); }

struct Synced {
    std::string collection;
    std::string key;
};

// FolderSync, then Sync the Inbox to the end; returns the collection and its final key.
Synced initial_sync(test::EasClient& c) {
    wbxml::Node fs(tag::FolderHierarchy::FolderSync);
    fs.add(tag::FolderHierarchy::SyncKey, "0");
    auto r = c.command("FolderSync", &fs);
    if (!r.doc) throw std::runtime_error("FolderSync failed: " + std::to_string(r.status));
    Synced s;
    for (const auto* add : r.doc->child(tag::FolderHierarchy::Changes)->children_of(tag::FolderHierarchy::Add))
        if (child_text(*add, tag::FolderHierarchy::Type) == "2") s.collection = child_text(*add, tag::FolderHierarchy::ServerId);
    s.key = "0";
    for (;;) {
        wbxml::Node sync(tag::AirSync::Sync);
        auto& col = sync.add(tag::AirSync::Collections).add(tag::AirSync::Collection);
        col.add(tag::AirSync::SyncKey, s.key);
        col.add(tag::AirSync::CollectionId, s.collection);
        col.add(tag::AirSync::WindowSize, "100");
        auto rr = c.command("Sync", &sync);
        if (!rr.doc) throw std::runtime_error("Sync failed: " + std::to_string(rr.status));
        const auto* out = rr.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection);
        bool first = s.key == "0";  // the key-0 round only hands out the first key
        s.key = child_text(*out, tag::AirSync::SyncKey);
        if (!first && !out->has(tag::AirSync::MoreAvailable) && !out->has(tag::AirSync::Commands)) break;
    }
    return s;
}

// A FolderSync at the client's current key (one FolderSync from 0 first, to learn it).
wbxml::Node current_folder_sync(test::EasClient& c) {
    wbxml::Node fs(tag::FolderHierarchy::FolderSync);
    fs.add(tag::FolderHierarchy::SyncKey, "0");
    auto r = c.command("FolderSync", &fs);
    if (!r.doc) throw std::runtime_error("FolderSync failed: " + std::to_string(r.status));
    wbxml::Node again(tag::FolderHierarchy::FolderSync);
    again.add(tag::FolderHierarchy::SyncKey, child_text(*r.doc, tag::FolderHierarchy::SyncKey));
    return again;
}

wbxml::Node no_change_sync(const Synced& s) {
    wbxml::Node sync(tag::AirSync::Sync);
    auto& col = sync.add(tag::AirSync::Collections).add(tag::AirSync::Collection);
    col.add(tag::AirSync::SyncKey, s.key);
    col.add(tag::AirSync::CollectionId, s.collection);
    return sync;
}

struct Throughput {
    double per_second = 0;
    double p50_ms = 0, p99_ms = 0;  // of each request, under that concurrency
};

template <typename F>
Throughput throughput(int concurrency, int total, F make_request) {
    std::atomic<int> next{0}, failures{0};
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(concurrency));
    auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t)
        threads.emplace_back([&, t] {
            while (next.fetch_add(1) < total) {
                auto t0 = Clock::now();
                if (!make_request(t)) ++failures;
                latencies[static_cast<std::size_t>(t)].push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            }
        });
    for (auto& th : threads) th.join();
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    if (failures) std::printf("  (%d failed requests)\n", failures.load());
    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    Throughput r;
    r.per_second = total / secs;
    if (!all.empty()) {
        r.p50_ms = all[all.size() / 2];
        r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    }
    return r;
}

void print_throughput(const char* what, const Throughput& t, int concurrency) {
    std::printf("%-24s %8.0f requests/s, p50 %.2f ms, p99 %.2f ms (%d concurrent)\n", what, t.per_second, t.p50_ms,
                t.p99_ms, concurrency);
}

}  // namespace

int main(int argc, char** argv) {
    int messages = arg_int(argc, argv, "--messages", 100);
    int requests = arg_int(argc, argv, "--requests", 2000);
    int concurrency = arg_int(argc, argv, "--concurrency", 8);

    test::PgCluster cluster;
    test::EasServer::Options options;
    options.config_lines = {"threads = 16", "db_pool = 8"};
    for (auto& line : bench::arg_all(argc, argv, "--config")) options.config_lines.push_back(line);
    if (std::getenv("EASD_BENCH_VERBOSE")) options.args = {"--verbose"};
    test::EasServer server(cluster, options);
    test::create_user(cluster, "bench@bench.test", "bench-password");
    std::string message =
        "From: Sender <sender@example.com>\r\nTo: bench@bench.test\r\nSubject: benchmark\r\n"
        "Content-Type: text/plain\r\n\r\nSome text for the benchmark.\r\n";
    // Bulk insert through SQL: delivery speed is not what this measures.
    cluster.psql(
        "WITH u AS (SELECT id FROM users WHERE address = 'bench@bench.test'), "
        "f AS (SELECT f.id, f.user_id FROM folders f JOIN u ON u.id = f.user_id WHERE f.type = 2), "
        "i AS (INSERT INTO items (user_id, folder_id) SELECT f.user_id, f.id FROM f, generate_series(1, " +
        std::to_string(messages) + ") RETURNING id) "
        "INSERT INTO emails (item_id, mime, subject, body_plain) SELECT id, convert_to('" + message +
        "', 'UTF8'), 'benchmark', 'Some text for the benchmark.' FROM i");

    std::vector<test::EasClient> clients;
    for (int i = 0; i < concurrency; ++i)
        clients.emplace_back(server.http_port(), "bench@bench.test", "bench-password", "BENCH" + std::to_string(i));
    std::vector<Synced> state;
    auto initial_start = Clock::now();
    state.push_back(initial_sync(clients[0]));
    double initial_s = std::chrono::duration<double>(Clock::now() - initial_start).count();
    for (std::size_t i = 1; i < clients.size(); ++i) state.push_back(initial_sync(clients[i]));

    std::printf("easd %s behind nginx, %d messages in the Inbox, %d requests, concurrency %d\n",
                "(1 worker, 16 threads, 8 db connections)", messages, requests, concurrency);
    for (std::size_t i = 2; i < options.config_lines.size(); ++i)
        std::printf("config: %s\n", options.config_lines[i].c_str());

    std::printf("initial Sync of the Inbox    %.2f s (%d messages, windows of 100, one client)\n", initial_s, messages);
    // From here on the answers were validated in the set-up above; the timed loops measure easd.
    test::set_xsd_validation_enabled(false);
    print_throughput("OPTIONS", throughput(concurrency, requests, [&](int t) { return clients[t].options().status == 200; }),
                     concurrency);

    std::vector<wbxml::Node> bodies;
    for (const auto& s : state) bodies.push_back(no_change_sync(s));
    std::vector<double> latencies;
    for (int i = 0; i < std::min(requests, 2000); ++i) {
        auto t0 = Clock::now();
        auto r = clients[0].command("Sync", &bodies[0]);
        latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (r.status != 200) {
            std::printf("Sync failed: %d\n", r.status);
            return 1;
        }
    }
    std::sort(latencies.begin(), latencies.end());
    std::printf("no-change Sync latency   median %.2f ms, p99 %.2f ms (one client, sequential)\n",
                latencies[latencies.size() / 2], latencies[latencies.size() * 99 / 100]);
    print_throughput("no-change Sync",
                     throughput(concurrency, requests, [&](int t) { return clients[t].command("Sync", &bodies[t]).status == 200; }),
                     concurrency);
    // FolderSync at the key each client holds: what phones send before every Ping round.
    std::vector<wbxml::Node> folder_bodies;
    for (auto& c : clients) folder_bodies.push_back(current_folder_sync(c));
    print_throughput("current-key FolderSync",
                     throughput(concurrency, requests,
                                [&](int t) { return clients[t].command("FolderSync", &folder_bodies[t]).status == 200; }),
                     concurrency);
    return 0;
}
