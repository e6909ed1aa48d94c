// Drives a cluster started by scripts/cluster (run through scripts/cluster-check) with real EAS
// requests (WBXML over HTTP, tests/support's EasClient) and prints what it measures:
//   a. a Ping parked on host 1 woken by a delivery made on host 2 (easd-deliver in host 2's
//      namespace): the wake latency;
//   b. host 1 killed (every process) while phones sync through HAProxy: time until every phone is
//      served again, and whether any phone lost or got twice a message (phone's items vs server's);
//   c. the PostgreSQL primary killed (Patroni and postgres): time to the first successful Sync
//      through HAProxy, no committed delivery lost, a parked Ping answered, deliveries that exit 75
//      during the failover retried and stored exactly once.
// It kills and restarts parts with scripts/cluster itself.
//
// usage: cluster_bench [--phones N] [--pings N] [--only a|b|c]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_args.h"
#include "cluster_support.h"
#include "support/xsd_validator.h"

using namespace easd;

namespace {

using bench::arg_int;
using namespace easd::cluster;

// ---------------------------------------------------------------------------------------------
void scenario_a(const std::string& run_id, const std::string& password, int rounds) {
    std::printf("\na. Ping parked on host 1 (%s), woken by easd-deliver on host 2 (%s)\n", host1.c_str(), host2.c_str());
    Phone phone(host1, "demo@example.test", password, "CLA" + run_id);
    phone.client.set_timeout(std::chrono::seconds(200));
    setup(phone);
    std::vector<double> from_exit, from_start;
    for (int i = 0; i < rounds; ++i) {
        PingResult result;
        std::thread waiter([&] { result = ping(phone, 120); });
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // parked by now
        auto t0 = Clock::now();
        int st = deliver("demo@example.test", "a-" + run_id + "-" + std::to_string(i));
        auto t1 = Clock::now();
        waiter.join();
        if (st != 0 || result.status != 2) {
            std::printf("  round %d: easd-deliver exit %d, Ping HTTP %d status %d %s\n", i + 1, st, result.http,
                        result.status, result.error.c_str());
            continue;
        }
        from_exit.push_back(ms_since(t1, result.at));
        from_start.push_back(ms_since(t0, result.at));
        std::printf("  round %d: Ping answered (status 2) %.1f ms after easd-deliver exited (%.1f ms after it started)\n",
                    i + 1, from_exit.back(), from_start.back());
        catch_up(phone);
    }
    // easd-deliver commits, then tears its process down: the Ping can be answered before the
    // exit is seen (a negative time). The time from its start includes its own start-up.
    std::printf("  wake latency: median %.1f ms after easd-deliver exited, %.1f ms after it started (%zu of %d rounds woken)\n",
                median(from_exit), median(from_start), from_exit.size(), rounds);
    expect(static_cast<int>(from_exit.size()) == rounds, "every Ping parked on host 1 woken by the delivery on host 2");

    // The live view (easctl stats) read on host 2 sees both hosts' easd: each writes its figures
    // to the shared database, and host 1's answered the Pings above.
    int st = 0;
    std::string stats = run("ip netns exec easd-host2 " + std::string(EASCTL_BIN) + " --config " + state +
                                "/host2/easd.conf stats --json --interval 0 2>&1",
                            &st);
    const auto processes_at = stats.find("\"processes\":");
    const int processes = processes_at == std::string::npos ? 0 : std::atoi(stats.c_str() + processes_at + 12);
    std::printf("  easctl stats on host 2: %d easd processes publishing (exit %d)\n", processes, st);
    expect(st == 0 && processes >= 2, "easctl stats on one host sees the easd of both hosts");
    expect(stats.find("\"user\":\"demo@example.test\",\"device\":\"CLA" + run_id + "\"") != std::string::npos,
           "the live view names the phone of host 1 among the slowest requests (its parked Pings)");
}

// Phones syncing in a loop through HAProxy while a deliverer feeds them; `event` happens at a
// moment and the loop measures when each phone is served again.
struct Fleet {
    std::vector<std::unique_ptr<Phone>> phones;
    std::atomic<bool> stop{false};
    std::atomic<bool> stop_delivering{false};
    std::mutex mutex;
    std::optional<Clock::time_point> event;          // when the kill was done: recovery times count from here
    std::optional<Clock::time_point> event_started;  // when the kill began: a Ping sent after it must be woken
    std::vector<std::optional<double>> served_after;  // ms from the event to a success of a request started after it
    std::vector<int> errors_after;
    std::map<std::string, int> error_kinds;
    std::map<std::string, long> delivered;  // per user, exit 0
    std::vector<std::string> accepted;      // subjects easd-deliver accepted
    int exit75 = 0, other_exits = 0, retried_ok = 0;
    std::optional<double> first_delivery_after;  // ms from the event to the first exit 0 after it
    // Phones parked in Ping through HAProxy (another device of each phone's user): a kill cuts the
    // ones on the dead host; they Ping again and must be woken by the next message.
    std::vector<std::unique_ptr<Phone>> pingers;
    std::vector<std::optional<double>> pinger_woken_after;  // ms from the event to a status-2 answer of a Ping begun after it
    int pings_cut = 0;
    std::map<std::string, int> ping_error_kinds;
    std::string ping_user;  // delivered to once, after the first successful delivery after the event
    std::optional<Clock::time_point> ping_delivery;
};

void run_fleet(Fleet& fleet, const std::string& run_id, const std::string& prefix, int interval_ms,
               const std::function<void()>& event, int after_ms) {
    fleet.served_after.assign(fleet.phones.size(), std::nullopt);
    fleet.errors_after.assign(fleet.phones.size(), 0);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < fleet.phones.size(); ++i)
        threads.emplace_back([&, i] {
            Phone& p = *fleet.phones[i];
            while (!fleet.stop) {
                auto started = Clock::now();
                std::string err = sync_once(p);
                std::lock_guard lock(fleet.mutex);
                if (fleet.event && started >= *fleet.event) {
                    if (err.empty() && !fleet.served_after[i]) fleet.served_after[i] = ms_since(*fleet.event);
                    if (!err.empty()) ++fleet.errors_after[i];
                }
                if (!err.empty()) ++fleet.error_kinds[err];
                if (!err.empty()) {
                    fleet.mutex.unlock();
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a phone backs off a little
                    fleet.mutex.lock();
                }
                fleet.mutex.unlock();
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                fleet.mutex.lock();
            }
        });
    fleet.pinger_woken_after.assign(fleet.pingers.size(), std::nullopt);
    for (std::size_t i = 0; i < fleet.pingers.size(); ++i)
        threads.emplace_back([&, i] {
            Phone& p = *fleet.pingers[i];
            while (!fleet.stop) {
                auto started = Clock::now();
                PingResult r = ping(p, 60);
                bool failed = r.status != 1 && r.status != 2;
                {
                    std::lock_guard lock(fleet.mutex);
                    if (r.status == 2 && fleet.event_started && started >= *fleet.event_started &&
                        !fleet.pinger_woken_after[i])
                        fleet.pinger_woken_after[i] = ms_since(*fleet.event_started, r.at);
                    if (failed) {
                        ++fleet.pings_cut;
                        ++fleet.ping_error_kinds[r.error.empty() ? "HTTP " + std::to_string(r.http) + " status " + std::to_string(r.status)
                                                                 : "connection: " + r.error.substr(0, 60)];
                    }
                }
                if (failed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
                else if (r.status == 2) catch_up(p);  // what a phone does with a Ping's news
            }
        });
    std::thread deliverer([&] {
        long n = 0;
        while (!fleet.stop_delivering) {
            Phone& p = *fleet.phones[static_cast<std::size_t>(n % static_cast<long>(fleet.phones.size()))];
            std::string subject = prefix + run_id + "-" + std::to_string(n++);
            bool retried = false;
            for (;;) {
                auto started = Clock::now();
                int st = deliver(p.user, subject);
                std::lock_guard lock(fleet.mutex);
                if (st == 0) {
                    ++fleet.delivered[p.user];
                    fleet.accepted.push_back(subject);
                    if (retried) ++fleet.retried_ok;
                    // Only an attempt begun after the event shows the database is back.
                    if (fleet.event && started >= *fleet.event && !fleet.first_delivery_after)
                        fleet.first_delivery_after = ms_since(*fleet.event);
                    break;
                }
                if (st == 75) ++fleet.exit75; else ++fleet.other_exits;
                retried = true;
                fleet.mutex.unlock();
                std::this_thread::sleep_for(std::chrono::milliseconds(500));  // Postfix retries later
                fleet.mutex.lock();
            }
            bool ping_now = false;
            {
                std::lock_guard lock(fleet.mutex);
                if (fleet.first_delivery_after && !fleet.ping_user.empty() && !fleet.ping_delivery) {
                    fleet.ping_delivery = Clock::now();
                    ping_now = true;
                }
            }
            // The message that should wake the parked Ping, retried like any other until accepted.
            while (ping_now && deliver(fleet.ping_user, prefix + run_id + "-ping") != 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(500));
            std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
        }
    });
    std::this_thread::sleep_for(std::chrono::seconds(3));
    // Times count from when the kill is done (scripts/cluster returns once the processes are gone):
    // counted from before it, a request sent while the script was still starting up was served
    // by the doomed part and showed a "recovery" of a few milliseconds.
    {
        std::lock_guard lock(fleet.mutex);
        fleet.event_started = Clock::now();
    }
    event();
    {
        std::lock_guard lock(fleet.mutex);
        fleet.event = Clock::now();
    }
    // Until every phone was served again (at most 90 s), then a little longer.
    auto deadline = Clock::now() + std::chrono::seconds(90);
    for (;;) {
        {
            std::lock_guard lock(fleet.mutex);
            bool all = std::all_of(fleet.served_after.begin(), fleet.served_after.end(), [](auto& s) { return s.has_value(); });
            if ((all && fleet.first_delivery_after) || Clock::now() > deadline) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
    fleet.stop_delivering = true;
    deliverer.join();
    fleet.stop = true;
    // One last message per user wakes the parked Pings, so their threads see the stop.
    if (!fleet.pingers.empty())
        for (auto& p : fleet.phones) {
            std::string subject = prefix + run_id + "-last-" + p->user.substr(0, p->user.find('@'));
            while (deliver(p->user, subject) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
            std::lock_guard lock(fleet.mutex);
            ++fleet.delivered[p->user];
            fleet.accepted.push_back(subject);
        }
    for (auto& t : threads) t.join();
}

// Phone side against server side, after every phone caught up: each device must hold exactly
// what the server has for its user, which is exactly what easd-deliver accepted for that user.
bool compare(Fleet& fleet) {
    bool ok = true;
    long held_total = 0, server_total = 0, delivered_total = 0;
    int dups = 0;
    for (const auto& [user, n] : fleet.delivered) delivered_total += n;
    std::vector<Phone*> devices;
    for (auto& p : fleet.phones) devices.push_back(p.get());
    for (auto& p : fleet.pingers) devices.push_back(p.get());  // the same users' other devices
    for (Phone* p : devices) {
        catch_up(*p);
        long server = server_count(p->user);
        held_total += static_cast<long>(p->held.size());
        dups += p->duplicates;
        if (static_cast<long>(p->held.size()) != server || server != fleet.delivered[p->user] || p->duplicates) {
            ok = false;
            std::printf("  MISMATCH %s (%s): device holds %zu, server %ld, accepted deliveries %ld, duplicate Adds %d\n",
                        p->user.c_str(), p->client.device_id().c_str(), p->held.size(), server,
                        fleet.delivered[p->user], p->duplicates);
        }
    }
    for (auto& p : fleet.phones) server_total += server_count(p->user);
    std::printf("  items: accepted deliveries %ld, on the server %ld, on %zu devices %ld in all, duplicate Adds %d -> %s\n",
                delivered_total, server_total, devices.size(), held_total, dups,
                ok ? "none lost, none twice" : "MISMATCH");
    return ok;
}

void print_served(Fleet& fleet, const char* what) {
    double worst = 0;
    int missing = 0, errors = 0;
    for (std::size_t i = 0; i < fleet.served_after.size(); ++i) {
        if (fleet.served_after[i]) worst = std::max(worst, *fleet.served_after[i]);
        else ++missing;
        errors += fleet.errors_after[i];
    }
    std::printf("  %s: every phone served again %.0f ms after the kill (%d phones never served; %d failed requests after it)\n",
                what, worst, missing, errors);
    for (const auto& [kind, n] : fleet.error_kinds) {
        std::printf("    failed requests: %d x %s\n", n, kind.c_str());
        expect(kind.find("HTTP 500") == std::string::npos, "no request answered 500 (" + kind + ")");
    }
    expect(missing == 0, "every phone served again");
    if (fleet.pingers.empty()) return;
    double latest = 0;
    int never = 0;
    for (const auto& w : fleet.pinger_woken_after) {
        if (w) latest = std::max(latest, *w);
        else ++never;
    }
    std::printf("  %zu phones parked in Ping: %d Pings cut (answered with an error); every phone's Ping begun after the kill "
                "was woken by a message, the last %.0f ms after the kill (%d never)\n",
                fleet.pingers.size(), fleet.pings_cut, latest, never);
    for (const auto& [kind, n] : fleet.ping_error_kinds) std::printf("    cut Pings: %d x %s\n", n, kind.c_str());
    expect(never == 0, "every Ping begun after the kill woken");
}

std::vector<std::unique_ptr<Phone>> make_phones(const std::string& run_id, const std::string& tag_,
                                                const std::string& password, int n) {
    std::vector<std::unique_ptr<Phone>> phones;
    for (int i = 0; i < n; ++i) {
        std::string user = tag_ + std::to_string(i) + "-" + run_id + "@example.test";
        add_user(user, password);
        phones.push_back(std::make_unique<Phone>(lb, user, password, "CL" + tag_ + std::to_string(i) + run_id));
        setup(*phones.back());
    }
    return phones;
}

void scenario_b(const std::string& run_id, const std::string& password, int n) {
    std::printf("\nb. host 1 killed while %d phones sync and %d more wait in Ping through HAProxy (%s), easd-deliver on host 2 "
                "feeding them\n", n, n, lb.c_str());
    Fleet fleet;
    fleet.phones = make_phones(run_id, "b", password, n);
    for (int i = 0; i < n; ++i) {
        fleet.pingers.push_back(std::make_unique<Phone>(lb, fleet.phones[static_cast<std::size_t>(i)]->user, password,
                                                        "CLbP" + std::to_string(i) + run_id));
        fleet.pingers.back()->client.set_timeout(std::chrono::seconds(120));
        setup(*fleet.pingers.back());
    }
    run_fleet(fleet, run_id, "b-", 100, [] { scripts_cluster("kill-host 1"); }, 3000);
    print_served(fleet, "host 1 killed");
    expect(compare(fleet), "every accepted message on the server and on every device exactly once");
    scripts_cluster("start-host 1");
    std::printf("  host 1 started again (scripts/cluster start-host 1)\n");
}

void scenario_c(const std::string& run_id, const std::string& password, int n) {
    std::printf("\nc. PostgreSQL primary killed (Patroni + postgres) while %d phones sync through HAProxy\n", n);
    // Only with a synchronous standby does a failover promise to lose nothing committed: wait for
    // one (after an earlier kill-primary, start-db brings the old primary back as one).
    wait_for_sync_standby(60);
    std::string before = primary_db();
    Fleet fleet;
    fleet.phones = make_phones(run_id, "c", password, n);
    // A parked Ping on its own account, through host 1 directly: no delivery reaches it until the
    // database is back, so its answer shows easd's listener came back.
    std::string ping_user = "cping-" + run_id + "@example.test";
    add_user(ping_user, password);
    Phone pinger(host1, ping_user, password, "CLP" + run_id);
    pinger.client.set_timeout(std::chrono::seconds(400));
    setup(pinger);
    fleet.ping_user = ping_user;
    PingResult ping_result;
    std::thread ping_thread([&] { ping_result = ping(pinger, 120); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    Clock::time_point killed;
    run_fleet(fleet, run_id, "c-", 100, [&] { scripts_cluster("kill-primary"); killed = Clock::now(); }, 3000);
    ping_thread.join();
    std::string after = primary_db();
    std::printf("  primary was %s, is now %s\n", before.c_str(), after.c_str());
    print_served(fleet, "primary killed");
    if (fleet.first_delivery_after)
        std::printf("  first easd-deliver accepted %.0f ms after the kill; %d attempts exited 75, %d other failures, "
                    "%d messages accepted on a retry\n",
                    *fleet.first_delivery_after, fleet.exit75, fleet.other_exits, fleet.retried_ok);
    std::printf("  parked Ping (host 1): HTTP %d, status %d, %.0f ms after the kill%s%s\n", ping_result.http,
                ping_result.status, ms_since(killed, ping_result.at),
                fleet.ping_delivery ? ", the delivery that should wake it was made at +" : "",
                fleet.ping_delivery ? (std::to_string(static_cast<long>(ms_since(killed, *fleet.ping_delivery))) + " ms").c_str() : "");
    expect(compare(fleet), "every accepted message on the server and on every device exactly once");
    expect(ping_result.http == 200 && ping_result.status == 2, "the Ping parked through the failover woken");
    expect(fleet.other_exits == 0, "easd-deliver exits 0 or 75 (temporary) during the failover, nothing else");
    // Every accepted message exactly once (by subject), on the new primary.
    std::string counts = sql("SELECT count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n > 1) FROM (SELECT subject, "
                             "count(*) AS n FROM emails WHERE subject LIKE 'c-" + run_id + "-%' GROUP BY subject) s");
    long once = std::atol(counts.c_str());
    long twice = std::atol(counts.substr(counts.find('|') + 1).c_str());
    long expected = static_cast<long>(fleet.accepted.size()) + (fleet.ping_delivery ? 1 : 0);
    std::printf("  on the new primary: %ld accepted messages (+ping) expected, %ld stored once, %ld stored more than once\n",
                expected, once, twice);
    expect(once == expected && twice == 0, "every accepted message stored exactly once on the new primary");
}

}  // namespace

int main(int argc, char** argv) {
    int phones = arg_int(argc, argv, "--phones", 6);
    int rounds = arg_int(argc, argv, "--pings", 5);
    std::string only;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress as it happens, also into a log file
    test::set_xsd_validation_enabled(false);
    try {
        std::string password = first_line(state + "/demo-password");
        std::string run_id = std::to_string(std::time(nullptr) % 1000000);
        std::printf("easd cluster (scripts/cluster): HAProxy %s, hosts %s and %s; run %s\n", lb.c_str(), host1.c_str(),
                    host2.c_str(), run_id.c_str());
        if (only.empty() || only == "a") scenario_a(run_id, password, rounds);
        if (only.empty() || only == "b") scenario_b(run_id, password, phones);
        if (only.empty() || only == "c") scenario_c(run_id, password, phones);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cluster_bench: %s\n", e.what());
        return 1;
    }
    if (failed_checks()) std::printf("\n%d check(s) FAILED\n", failed_checks());
    return failed_checks() ? 1 : 0;
}
