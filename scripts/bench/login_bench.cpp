// Password guessing against easd through nginx, and what honest users see meanwhile (issue 12).
//
// Starts PostgreSQL, easd and nginx as the end-to-end tests do, with the production sign-in limits
// (login_limits.h defaults), then for each scenario for --seconds S:
//   - quiet: no flood (the honest user's baseline);
//   - one account: one client, --attackers A threads, guessing one account's password;
//   - spray: one client guessing "123456" on ever new (unknown) accounts;
//   - many addresses: the same guessing with the failure limits off, which is what a flood from
//     many addresses looks like to easd: only the bound on password checks at once protects the
//     others. Once with hash_slots at its default, once with 64 (the old, unbounded behaviour).
// It prints the guesses that got a password check (answered 401) over the whole flood, and per
// second; those refused unchecked (503 + Retry-After) per second; and the honest user's OPTIONS and no-change FolderSync latency
// (median, p99) from a phone whose login is verified, sequential requests, each a new connection.
//
// usage: login_bench [--seconds S] [--attackers A]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench_args.h"
#include "support/cluster.h"
#include "support/eas_client.h"
#include "support/server.h"
#include "wbxml/wbxml.h"

using namespace easd;
using Clock = std::chrono::steady_clock;
namespace tag = wbxml::tag;

namespace {

struct Percentiles {
    double median = 0, p99 = 0;
};
Percentiles percentiles(std::vector<double> ms) {
    if (ms.empty()) return {};
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
}

std::string folder_sync_key(test::EasClient& c, const std::string& key) {
    wbxml::Node fs(tag::FolderHierarchy::FolderSync);
    fs.add(tag::FolderHierarchy::SyncKey, key);
    auto r = c.command("FolderSync", &fs);
    if (r.status != 200 || !r.doc) return {};
    return std::string(r.doc->child_text(tag::FolderHierarchy::SyncKey));
}

struct Result {
    long checked = 0, refused = 0, other = 0;
    Percentiles options, folder_sync;
    long honest_failures = 0;
};

enum class Flood { None, OneAccount, Spray };

Result run(test::PgCluster& cluster, const std::vector<std::string>& config, Flood flood, int seconds, int attackers,
           const std::string& tag_name) {
    test::EasServer::Options o;
    o.config_lines = {"threads = 16", "db_pool = 8",
                      // the harness raises the per-address limit for tests; production's values:
                      "address_free_failures = 20", "address_lockout_failures = 200"};
    o.config_lines.insert(o.config_lines.end(), config.begin(), config.end());
    test::EasServer server(cluster, o);
    cluster.psql("DELETE FROM login_failures");
    std::string honest = "honest-" + tag_name + "@bench.test", victim = "victim-" + tag_name + "@bench.test";
    test::create_user(cluster, honest, "honest password");
    test::create_user(cluster, victim, "victim password");
    test::EasClient phone(server.http_port(), honest, "honest password", "HONESTPHONE");
    std::string key = folder_sync_key(phone, "0");

    Result result;
    std::atomic<bool> stop{false};
    std::atomic<long> checked{0}, refused{0}, other{0}, sprayed{0};
    std::vector<std::thread> threads;
    if (flood != Flood::None) {
        for (int t = 0; t < attackers; ++t) {
            threads.emplace_back([&, t] {
                for (long n = 0; !stop; ++n) {
                    std::string login = flood == Flood::OneAccount
                                            ? victim
                                            : "sprayed" + std::to_string(sprayed++) + "@bench.test";
                    test::EasClient attacker(server.http_port(), login, "guess-" + std::to_string(t) + "-" +
                                                                          std::to_string(n), "EVIL" + std::to_string(t));
                    int status = attacker.command("FolderSync", nullptr).status;
                    (status == 401 ? checked : status == 503 ? refused : other)++;
                }
            });
        }
    }
    std::vector<double> options_ms, folder_sync_ms;
    auto end = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < end) {
        auto t0 = Clock::now();
        if (phone.options().status != 200) ++result.honest_failures;
        auto t1 = Clock::now();
        if (folder_sync_key(phone, key) != key) ++result.honest_failures;
        auto t2 = Clock::now();
        options_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        folder_sync_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    result.checked = checked;
    result.refused = refused;
    stop = true;
    for (auto& t : threads) t.join();
    result.other = other;
    result.options = percentiles(options_ms);
    result.folder_sync = percentiles(folder_sync_ms);
    return result;
}

void print(const char* name, const Result& r, int seconds) {
    std::printf("%-34s %7ld %9.1f %10.1f   %7.2f / %7.2f   %7.2f / %7.2f   %ld\n", name, r.checked,
                static_cast<double>(r.checked) / seconds, static_cast<double>(r.refused) / seconds, r.options.median,
                r.options.p99, r.folder_sync.median, r.folder_sync.p99, r.honest_failures + r.other);
}

}  // namespace

int main(int argc, char** argv) {
    int seconds = bench::arg_int(argc, argv, "--seconds", 20);
    int attackers = bench::arg_int(argc, argv, "--attackers", 8);
    test::PgCluster cluster;
    std::printf("easd behind nginx (16 threads), %d s per scenario, %d attacking connections at once, %u cores\n",
                seconds, attackers, std::thread::hardware_concurrency());
    std::printf("%-34s %7s %9s %10s   %17s   %17s   %s\n", "scenario", "checked", "checked/s", "refused/s", "OPTIONS med/p99 ms",
                "FolderSync med/p99", "errors");
    const std::vector<std::string> no_limits = {"login_free_failures = 1000", "login_lockout_failures = 1000",
                                                "address_free_failures = 100000", "address_lockout_failures = 1000000"};
    print("quiet", run(cluster, {}, Flood::None, seconds, attackers, "quiet"), seconds);
    print("one client, one account", run(cluster, {}, Flood::OneAccount, seconds, attackers, "one"), seconds);
    print("one client, spraying accounts", run(cluster, {}, Flood::Spray, seconds, attackers, "spray"), seconds);
    print("many addresses (limits off)", run(cluster, no_limits, Flood::OneAccount, seconds, attackers, "many"),
          seconds);
    auto unbounded = no_limits;
    unbounded.push_back("hash_slots = 64");
    print("many addresses, unbounded checks", run(cluster, unbounded, Flood::OneAccount, seconds, attackers, "unb"),
          seconds);
    return 0;
}
