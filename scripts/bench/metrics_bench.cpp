// What /easd-metrics costs: the counting every request does, and a scrape.
//
//   - in this process: commands::request_kind (the query's command, no decoding) and
//     RequestMetrics::record (two relaxed atomic adds and a bucket search), per request, from one
//     thread and from two threads adding to the same counters at once (the worst case: one cache
//     line bouncing between cores);
//   - through nginx to easd (PostgreSQL, easd and nginx started as the e2e tests do): the median of
//     a no-change Sync of an Inbox of N messages, with its counting, next to that counting's cost;
//     and the time of one scrape (GET /easd-metrics), with the database figures read (every 5 s)
//     and from their cache.
//
// With --workers N, N easd processes serve the one nginx upstream: each scrape answers for all of
// them (their snapshots in the metrics directory, commands/metrics_snapshots.h), which it reads
// and merges.
//
// usage: metrics_bench [--messages N] [--requests N] [--scrapes N] [--workers N] [--no-metrics-dir] [--show]
//   --no-metrics-dir: metrics_dir = none (each process answers for itself; the cost before the
//     snapshots), to compare
//   --show: print the last scrape, to see what a Prometheus server gets
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_args.h"
#include "commands/request_kinds.h"
#include "metrics/merge.h"
#include "metrics/request_metrics.h"
#include "support/cluster.h"
#include "support/eas_client.h"
#include "support/server.h"
#include "support/xsd_validator.h"
#include "wbxml/wbxml.h"

using namespace easd;
using Clock = std::chrono::steady_clock;
namespace tag = wbxml::tag;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Nanoseconds per counted request: kind found, then recorded, `n` times on each of `threads`.
double counting_ns(int threads, long n) {
    metrics::RequestMetrics m(commands::request_kinds());
    commands::HttpRequest request;
    request.method = "POST";
    request.request_uri = "/Microsoft-Server-ActiveSync?Cmd=Sync&User=bench&DeviceId=BENCH0&DeviceType=T";
    request.query_string = "Cmd=Sync&User=bench&DeviceId=BENCH0&DeviceType=T";
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    std::vector<double> per_thread(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            while (!go) std::this_thread::yield();
            auto t0 = Clock::now();
            for (long i = 0; i < n; ++i)
                m.record(commands::request_kind(request), 200, std::chrono::microseconds(800 + (i & 1023)));
            per_thread[static_cast<std::size_t>(t)] = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
        });
    go = true;
    for (auto& t : pool) t.join();
    if (m.count(commands::request_kind(request), 200) != static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(threads))
        throw std::runtime_error("counts were lost");
    return *std::max_element(per_thread.begin(), per_thread.end());
}

std::string text(const wbxml::Node& n, wbxml::Tag t) { return std::string(n.child_text(t)); }

wbxml::Node sync_body(const std::string& collection, const std::string& key) {
    wbxml::Node sync(tag::AirSync::Sync);
    auto& col = sync.add(tag::AirSync::Collections).add(tag::AirSync::Collection);
    col.add(tag::AirSync::SyncKey, key);
    col.add(tag::AirSync::CollectionId, collection);
    col.add(tag::AirSync::WindowSize, "512");
    return sync;
}

// The Inbox synced to its end (windows of 512 until no MoreAvailable): its id and key.
std::pair<std::string, std::string> synced_inbox(test::EasClient& c) {
    wbxml::Node fs(tag::FolderHierarchy::FolderSync);
    fs.add(tag::FolderHierarchy::SyncKey, "0");
    auto r = c.command("FolderSync", &fs);
    if (!r.doc) throw std::runtime_error("FolderSync failed: " + std::to_string(r.status));
    std::string inbox;
    for (const auto* add : r.doc->child(tag::FolderHierarchy::Changes)->children_of(tag::FolderHierarchy::Add))
        if (text(*add, tag::FolderHierarchy::Type) == "2") inbox = text(*add, tag::FolderHierarchy::ServerId);
    std::string key = "0";
    // Key 0 gives the first key and no items; then windows until the server has nothing more (a
    // key re-sent while items remain would be answered with the same window again, not "no change").
    for (bool more = true; more;) {
        const bool first = key == "0";
        auto body = sync_body(inbox, key);
        auto s = c.command("Sync", &body);
        if (!s.doc) throw std::runtime_error("Sync failed: " + std::to_string(s.status));
        const auto* col = s.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection);
        key = text(*col, tag::AirSync::SyncKey);
        more = first || col->child(tag::AirSync::MoreAvailable) != nullptr;
    }
    return {inbox, key};
}

}  // namespace

int main(int argc, char** argv) {
    const int messages = bench::arg_int(argc, argv, "--messages", 100);
    const int requests = bench::arg_int(argc, argv, "--requests", 1000);
    const int scrapes = bench::arg_int(argc, argv, "--scrapes", 200);

    const long n = 5'000'000;
    const double one = counting_ns(1, n);
    const double two = counting_ns(2, n);
    std::printf("counting a request (request_kind + record): %.1f ns from one thread, %.1f ns each from two "
                "threads on the same counters\n", one, two);

    test::PgCluster cluster;
    test::EasServer::Options options;
    options.config_lines = {"threads = 16", "db_pool = 8"};
    options.workers = bench::arg_int(argc, argv, "--workers", 1);
    if (bench::arg_flag(argc, argv, "--no-metrics-dir")) options.config_lines.push_back("metrics_dir = none");
    test::EasServer server(cluster, options);
    test::create_user(cluster, "bench@bench.test", "bench-password");
    cluster.psql(
        "WITH u AS (SELECT id FROM users WHERE address = 'bench@bench.test'), "
        "f AS (SELECT f.id, f.user_id FROM folders f JOIN u ON u.id = f.user_id WHERE f.type = 2), "
        "i AS (INSERT INTO items (user_id, folder_id) SELECT f.user_id, f.id FROM f, generate_series(1, " +
        std::to_string(messages) + ") RETURNING id) "
        "INSERT INTO emails (item_id, mime, subject, body_plain) SELECT id, convert_to('Subject: b\r\n\r\nb\r\n', 'UTF8'), "
        "'b', 'b' FROM i");
    test::EasClient phone(server.http_port(), "bench@bench.test", "bench-password", "BENCH0");
    auto [inbox, key] = synced_inbox(phone);
    test::set_xsd_validation_enabled(false);

    const wbxml::Node no_change = sync_body(inbox, key);
    std::vector<double> sync_ms;
    for (int i = 0; i < requests; ++i) {
        auto t0 = Clock::now();
        auto r = phone.command("Sync", &no_change);
        sync_ms.push_back(ms_since(t0));
        if (r.status != 200) throw std::runtime_error("Sync failed: " + std::to_string(r.status));
    }
    const double sync_median = median(sync_ms);
    std::printf("no-change Sync (Inbox of %d), counted: median %.3f ms over %d; its counting %.1f ns = %.4f%% of it\n",
                messages, sync_median, requests, one, one / (sync_median * 1e6) * 100);

    // Every worker has written its snapshot (once a second) before the scrapes are timed.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    test::EasClient prometheus(server.http_port(), "nobody@bench.test", "", "SCRAPER");
    std::vector<double> cached, fresh;
    std::size_t bytes = 0;
    for (int i = 0; i < scrapes; ++i) {
        auto t0 = Clock::now();
        auto r = prometheus.raw("GET", "/easd-metrics");
        double ms = ms_since(t0);
        if (r.status != 200) throw std::runtime_error("scrape failed: " + std::to_string(r.status));
        bytes = r.body.size();
        // The first scrape reads the database figures; the next 5 s take them from the cache.
        (i == 0 ? fresh : cached).push_back(ms);
    }
    for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5100));
        auto t0 = Clock::now();
        if (prometheus.raw("GET", "/easd-metrics").status != 200) throw std::runtime_error("scrape failed");
        fresh.push_back(ms_since(t0));
    }
    // The part a scrape adds per process (in process, no I/O): merging one exposition of this size
    // with another (the samples carry their pid label from the writer).
    {
        const std::string body = prometheus.raw("GET", "/easd-metrics").body;
        const int rounds = 2000;
        auto t0 = Clock::now();
        std::size_t out = 0;
        for (int i = 0; i < rounds; ++i) out += metrics::merge_expositions({body, body}).size();
        std::printf("merging a %zu-byte exposition with another, in process: %.1f us (%zu)\n",
                    body.size(), ms_since(t0) * 1000 / rounds, out / rounds);
    }
    if (bench::arg_flag(argc, argv, "--show")) std::fputs(prometheus.raw("GET", "/easd-metrics").body.c_str(), stdout);
    std::printf("%d easd process(es); ", options.workers);
    std::printf("scrape through nginx (%zu bytes): median %.3f ms from the cache (%d), %.3f ms reading the database "
                "figures (%zu)\n", bytes, median(cached), scrapes - 1, median(fresh), fresh.size());
    return 0;
}
