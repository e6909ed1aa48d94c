// The soak (issue 12): thousands of phones on a cluster started by scripts/cluster (run through
// scripts/cluster-soak), for minutes, with a whole easd host killed and the database primary killed
// on the way, then an exact account of what every phone holds.
//
// Each user has several devices (a phone, a tablet, ...), each a thread doing what a phone does:
// Ping its Inbox (a heartbeat drawn from [--heartbeat-min, --heartbeat-max]); when told of a
// change, Sync until nothing more; now and then open a message (ItemOperations Fetch) and mark one
// read, which the user's other devices must see; after an error, back off a second or three and resync. Every phone connects through
// HAProxy from an address of its own range (up to 50 phones per address, as behind a small NAT), so
// nginx's per-address limits see what they would see in the field. Two deliverers run easd-deliver
// in both hosts' namespaces (--rate messages per second in all), retrying exit 75 as Postfix does.
// At 20% of the run host 1 is killed (every process) and started again 20 s later; at 55% the
// database primary is killed, and the old primary rejoins as a replica once the new one serves.
// At the end every user gets one last message, which must wake every one of their parked Pings,
// and then each device must hold exactly what the server holds, which is exactly what easd-deliver
// accepted: nothing lost, nothing twice, every read flag on every device.
//
// usage: cluster_soak [--devices N] [--per-user N] [--minutes M] [--rate R]
//                     [--heartbeat-min S] [--heartbeat-max S] [--change-percent P]
// Exit status 1 when a check failed. It changes the cluster (kills and restarts parts) with
// scripts/cluster; it adds its phones' addresses (10.77.0.100 and up) to easd-br0 and removes them.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_args.h"
#include "cluster_support.h"
#include "support/xsd_validator.h"
#include "wbxml/wbxml.h"

using namespace easd;
using namespace easd::cluster;
namespace tag = easd::wbxml::tag;

namespace {

using bench::arg_int;

struct Options {
    int devices = 2000;
    int per_user = 10;
    int minutes = 10;
    double rate = 2;  // deliveries per second, both hosts together
    int heartbeat_min = 120, heartbeat_max = 300;
    int change_percent = 5;  // of the wakes, how many end with the device opening a message, and marking one read
};

// One user: what was delivered to them and what their devices marked read.
struct User {
    std::string address;
    std::mutex mutex;
    long accepted = 0;                         // deliveries easd-deliver accepted (exit 0)
    std::set<std::string> marked_read;         // ServerIds some device of theirs marked read
    std::optional<Clock::time_point> last_change;  // start of the latest delivery or mark
    std::optional<Clock::time_point> last_message;  // when the run's last message to them was accepted
};

// What happened, by the clock of the run.
struct Record {
    std::mutex mutex;
    Clock::time_point start = Clock::now();
    std::map<std::string, long> requests;  // by kind, answered as they should be
    struct Failure {
        double at_ms;
        std::string what;
    };
    std::vector<Failure> failures;           // every failed request, when it failed
    struct Wake {
        double at_ms, latency_ms;  // when, and from the change to the Ping's answer (status 2)
        double began_ms;           // when the Ping was sent
        std::string device;
    };
    std::vector<Wake> wakes;
    long pings_expired = 0, pings_woken = 0, pings_late = 0, pings_unanswered = 0;
    long deliveries = 0, exit75 = 0, deliver_other = 0, accepted_on_retry = 0;
    struct Event {
        std::string name;
        double from_ms, to_ms;  // from the kill until the part is back (and 30 s more for stragglers)
    };
    std::vector<Event> events;

    double now_ms() const { return ms_since(start); }
    void ok(const std::string& kind) {
        std::lock_guard lock(mutex);
        ++requests[kind];
    }
    void failed(const std::string& what) {
        std::lock_guard lock(mutex);
        failures.push_back({now_ms(), what});
    }
};

struct Device {
    std::unique_ptr<Phone> phone;
    User* user = nullptr;
    std::mt19937 rng;
};

std::atomic<bool> stopping{false};

int uniform(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// Sync until the server has nothing more; false (the failure recorded) when a round fails.
bool sync_until_quiet(Device& d, Record& rec) {
    for (int rounds = 0; rounds < 50; ++rounds) {
        bool more = false;
        bool sending = !d.phone->pending_read.empty();
        std::string err = sync_once(*d.phone, &more);
        if (!err.empty()) {
            rec.failed("Sync: " + err);
            return false;
        }
        rec.ok(sending ? "Sync with a change" : "Sync");
        if (!more) return true;
    }
    return true;
}

// A message the device holds unread, marked read on the device (sent with its next Sync).
void mark_one_read(Device& d) {
    std::vector<std::string> unread;
    for (const auto& [id, read] : d.phone->held)
        if (!read) unread.push_back(id);
    if (unread.empty()) return;
    const std::string& id = unread[static_cast<std::size_t>(uniform(d.rng, 0, static_cast<int>(unread.size()) - 1))];
    d.phone->pending_read.push_back(id);
    std::lock_guard lock(d.user->mutex);
    d.user->marked_read.insert(id);
    d.user->last_change = Clock::now();
}

// A user opening a message the device holds: ItemOperations Fetch of its plain-text body.
void open_one(Device& d, Record& rec) {
    if (d.phone->held.empty()) return;
    auto it = d.phone->held.begin();
    std::advance(it, uniform(d.rng, 0, static_cast<int>(d.phone->held.size()) - 1));
    wbxml::Node ops(tag::ItemOperations::ItemOperations);
    auto& fetch = ops.add(tag::ItemOperations::Fetch);
    fetch.add(tag::ItemOperations::Store, "Mailbox");
    fetch.add(tag::AirSync::CollectionId, d.phone->inbox);
    fetch.add(tag::AirSync::ServerId, it->first);
    fetch.add(tag::ItemOperations::Options).add(tag::AirSyncBase::BodyPreference).add(tag::AirSyncBase::Type, "1");
    test::EasResponse r;
    try {
        r = d.phone->client.command("ItemOperations", &ops);
    } catch (const std::exception& e) {
        rec.failed("ItemOperations: connection: " + std::string(e.what()).substr(0, 60));
        return;
    }
    if (r.status != 200 || !r.doc) return rec.failed("ItemOperations: HTTP " + std::to_string(r.status));
    const auto* response = r.doc->child(tag::ItemOperations::Response);
    const auto* out = response ? response->child(tag::ItemOperations::Fetch) : nullptr;
    std::string status(out ? out->child_text(tag::ItemOperations::Status) : r.doc->child_text(tag::ItemOperations::Status));
    // The message is the device's own: anything but status 1 with its body is a fault.
    if (status != "1" || !out->child(tag::ItemOperations::Properties))
        return rec.failed("ItemOperations: Fetch status " + status);
    rec.ok("ItemOperations");
}

void device_loop(Device& d, Record& rec, const Options& opt) {
    Phone& p = *d.phone;
    while (!stopping) {
        int heartbeat = uniform(d.rng, opt.heartbeat_min, opt.heartbeat_max);
        p.client.set_timeout(std::chrono::seconds(heartbeat + 60));
        auto started = Clock::now();
        PingResult r = ping(p, heartbeat);
        double took_s = ms_since(started, r.at) / 1000;
        if (r.status == 1 || r.status == 2) {
            rec.ok("Ping");
            std::optional<Clock::time_point> change, last_message;
            {
                std::lock_guard lock(d.user->mutex);
                change = d.user->last_change;
                last_message = d.user->last_message;
            }
            std::lock_guard lock(rec.mutex);
            if (r.status == 1) {
                ++rec.pings_expired;
                if (took_s > heartbeat + 30) ++rec.pings_late;
                if (last_message && ms_since(*last_message, r.at) > 5000) {
                    ++rec.pings_unanswered;
                    rec.failures.push_back({rec.now_ms(), "Ping: parked when the last message came, not woken by it"});
                }
            } else {
                ++rec.pings_woken;
                // A change made while the Ping was parked: how long the Ping took to answer it.
                if (change && *change > started)
                    rec.wakes.push_back({rec.now_ms(), ms_since(*change, r.at), ms_since(rec.start, started), p.client.device_id()});
            }
        } else if (!r.error.empty() && r.error.find("Timeout") != std::string::npos) {
            std::lock_guard lock(rec.mutex);
            ++rec.pings_unanswered;
            rec.failures.push_back({rec.now_ms(), "Ping: no answer within its heartbeat + 60 s"});
        } else {
            rec.failed(r.error.empty() ? "Ping: HTTP " + std::to_string(r.http) + " status " + std::to_string(r.status)
                                       : "Ping: connection: " + r.error.substr(0, 60));
        }
        if (r.status == 1) continue;  // nothing changed: park again
        if (r.status != 2) std::this_thread::sleep_for(std::chrono::milliseconds(uniform(d.rng, 1000, 3000)));
        // Told of a change (or after an error, where a phone resyncs): sync, maybe mark one read.
        while (!sync_until_quiet(d, rec)) std::this_thread::sleep_for(std::chrono::milliseconds(uniform(d.rng, 1000, 3000)));
        if (!stopping && uniform(d.rng, 1, 100) <= opt.change_percent) open_one(d, rec);
        if (!stopping && uniform(d.rng, 1, 100) <= opt.change_percent) {
            mark_one_read(d);
            while (!sync_until_quiet(d, rec))
                std::this_thread::sleep_for(std::chrono::milliseconds(uniform(d.rng, 1000, 3000)));
        }
    }
}

// easd-deliver until accepted, as Postfix retries a deferred message (sooner here).
void deliver_until_accepted(User& u, const std::string& subject, int host, Record& rec) {
    bool retried = false;
    for (;;) {
        auto started = Clock::now();
        int st = deliver(u.address, subject, host);
        if (st == 0) {
            {
                std::lock_guard lock(u.mutex);
                ++u.accepted;
                if (!u.last_change || started > *u.last_change) u.last_change = started;
            }
            std::lock_guard lock(rec.mutex);
            ++rec.deliveries;
            if (retried) ++rec.accepted_on_retry;
            return;
        }
        {
            std::lock_guard lock(rec.mutex);
            if (st == 75) ++rec.exit75;
            else if (st >= 128) {
                // Killed by a signal: the host it ran on was killed (Postfix there with it; the
                // message stays queued and is delivered again). Fine in the host kill's window only.
                rec.failures.push_back({rec.now_ms(), "easd-deliver killed with its host"});
            } else {
                ++rec.deliver_other;
                rec.failures.push_back({rec.now_ms(), "easd-deliver exit " + std::to_string(st)});
            }
        }
        retried = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

// The phones' own addresses on the bridge: 10.77.0.100 and up, 50 phones each.
std::vector<std::string> add_source_addresses(int devices) {
    int n = std::min(100, (devices + 49) / 50);
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
        std::string a = "10.77.0." + std::to_string(100 + i);
        run("ip addr add " + a + "/32 dev easd-br0 2>/dev/null");  // already there from an interrupted run: fine
        out.push_back(a);
    }
    return out;
}

void remove_source_addresses(const std::vector<std::string>& addresses) {
    for (const auto& a : addresses) run("ip addr del " + a + "/32 dev easd-br0 2>/dev/null");
}

void raise_descriptor_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

// Runs `work(i)` for i in [0, n) on `threads` threads.
template <typename F>
void parallel(int n, int threads, F work) {
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (int i; (i = next++) < n;) work(i);
        });
    for (auto& t : pool) t.join();
}

void report_failures(const Record& rec) {
    // Each failure belongs to the event whose window holds it, else to the steady state.
    std::map<std::string, std::map<std::string, int>> by_phase;
    std::map<std::string, double> last_in_phase;
    for (const auto& f : rec.failures) {
        std::string phase = "steady state";
        for (const auto& e : rec.events)
            if (f.at_ms >= e.from_ms && f.at_ms <= e.to_ms) phase = e.name;
        ++by_phase[phase][f.what];
        last_in_phase[phase] = std::max(last_in_phase[phase], f.at_ms);
    }
    for (const auto& e : rec.events) {
        int n = 0;
        for (const auto& [what, count] : by_phase[e.name]) n += count;
        std::printf("  %s at %.0f s: %d failed requests, the last %.1f s after it%s\n", e.name.c_str(), e.from_ms / 1000, n,
                    n ? (last_in_phase[e.name] - e.from_ms) / 1000 : 0.0, n ? "" : " (none)");
        for (const auto& [what, count] : by_phase[e.name]) std::printf("    %d x %s\n", count, what.c_str());
    }
    int steady = 0;
    for (const auto& [what, count] : by_phase["steady state"]) {
        steady += count;
        std::printf("  steady state: %d x %s\n", count, what.c_str());
    }
    expect(steady == 0, "no failed request outside the host kill and the failover");
    for (const auto& [phase, kinds] : by_phase)
        for (const auto& [what, count] : kinds)
            expect(what.find("HTTP 500") == std::string::npos, "no request answered 500 (" + what + ")");
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    opt.devices = arg_int(argc, argv, "--devices", opt.devices);
    opt.per_user = std::max(1, arg_int(argc, argv, "--per-user", opt.per_user));
    opt.minutes = std::max(1, arg_int(argc, argv, "--minutes", opt.minutes));
    opt.rate = arg_int(argc, argv, "--rate", 2);
    opt.heartbeat_min = arg_int(argc, argv, "--heartbeat-min", opt.heartbeat_min);
    opt.heartbeat_max = std::max(opt.heartbeat_min, arg_int(argc, argv, "--heartbeat-max", opt.heartbeat_max));
    opt.change_percent = arg_int(argc, argv, "--change-percent", opt.change_percent);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress as it happens, also into a log file
    test::set_xsd_validation_enabled(false);
    raise_descriptor_limit();
    std::vector<std::string> sources;
    try {
        std::string password = first_line(state + "/demo-password");
        std::string run_id = std::to_string(std::time(nullptr) % 1000000);
        int users_n = (opt.devices + opt.per_user - 1) / opt.per_user;
        std::printf("easd cluster soak (scripts/cluster): %d devices of %d users through HAProxy %s, %d min, %.0f "
                    "deliveries/s, Ping heartbeats %d-%d s; run %s\n",
                    opt.devices, users_n, lb.c_str(), opt.minutes, opt.rate, opt.heartbeat_min, opt.heartbeat_max,
                    run_id.c_str());
        // Both database hosts in the cluster (an earlier scenario may have left one down), and a
        // synchronous standby, or a failover may lose a commit.
        scripts_cluster("start-db 1");
        scripts_cluster("start-db 2");
        wait_for_sync_standby(120);
        sources = add_source_addresses(opt.devices);

        std::vector<std::unique_ptr<User>> users;
        for (int i = 0; i < users_n; ++i) {
            users.push_back(std::make_unique<User>());
            users.back()->address = "soak" + std::to_string(i) + "-" + run_id + "@example.test";
        }
        auto t0 = Clock::now();
        parallel(users_n, 4, [&](int i) { add_user(users[static_cast<std::size_t>(i)]->address, password); });
        std::vector<Device> devices(static_cast<std::size_t>(opt.devices));
        for (int i = 0; i < opt.devices; ++i) {
            Device& d = devices[static_cast<std::size_t>(i)];
            d.user = users[static_cast<std::size_t>(i / opt.per_user)].get();
            d.phone = std::make_unique<Phone>(lb, d.user->address, password, "SOAK" + std::to_string(i) + "x" + run_id);
            d.phone->client.set_source(sources[static_cast<std::size_t>(i) % sources.size()]);
            d.rng.seed(static_cast<unsigned>(i) * 7919u + 17u);
        }
        parallel(opt.devices, 16, [&](int i) { setup(*devices[static_cast<std::size_t>(i)].phone); });
        std::printf("  set up %d users and %d devices (FolderSync, first Sync) in %.1f s\n", users_n, opt.devices,
                    ms_since(t0) / 1000);

        Record rec;
        std::vector<std::thread> threads;
        for (auto& d : devices) threads.emplace_back([&] { device_loop(d, rec, opt); });
        std::atomic<bool> stop_delivering{false};
        std::vector<std::thread> deliverers;
        for (int host = 1; host <= 2; ++host)
            deliverers.emplace_back([&, host] {
                std::mt19937 rng(static_cast<unsigned>(host));
                auto interval = std::chrono::microseconds(static_cast<long>(2e6 / std::max(0.1, opt.rate)));
                auto next = Clock::now();
                for (long n = 0; !stop_delivering; ++n) {
                    User& u = *users[static_cast<std::size_t>(uniform(rng, 0, users_n - 1))];
                    deliver_until_accepted(u, "soak-" + run_id + "-h" + std::to_string(host) + "-" + std::to_string(n), host, rec);
                    next += interval;
                    std::this_thread::sleep_until(next);
                }
            });

        const double total_ms = opt.minutes * 60000.0;
        auto sleep_until_ms = [&](double ms) {
            while (rec.now_ms() < ms) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        };
        // Host 1 killed at 20%, back 20 s later.
        sleep_until_ms(total_ms * 0.20);
        double kill_at = rec.now_ms();
        scripts_cluster("kill-host 1");
        std::printf("  %.0f s: host 1 killed\n", kill_at / 1000);
        std::this_thread::sleep_for(std::chrono::seconds(20));
        scripts_cluster("start-host 1");
        std::printf("  %.0f s: host 1 started again\n", rec.now_ms() / 1000);
        {
            std::lock_guard lock(rec.mutex);
            rec.events.push_back({"host 1 killed", kill_at, rec.now_ms() + 30000});
        }
        // The primary killed at 55%; the old one back as a replica once the new one serves.
        sleep_until_ms(total_ms * 0.55);
        std::string old_primary = primary_db();
        double failover_at = rec.now_ms();
        scripts_cluster("kill-primary");
        std::printf("  %.0f s: database primary %s killed\n", failover_at / 1000, old_primary.c_str());
        for (;;) {  // until a connection through HAProxy reaches a primary
            try {
                if (sql("SELECT pg_is_in_recovery()") == "f") break;
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        double writable_at = rec.now_ms();
        std::printf("  %.0f s: the database takes writes again (%.1f s after the kill), primary now %s\n",
                    writable_at / 1000, (writable_at - failover_at) / 1000, primary_db().c_str());
        std::this_thread::sleep_for(std::chrono::seconds(10));
        if (old_primary == "db1" || old_primary == "db2") scripts_cluster("start-db " + old_primary.substr(2));
        {
            std::lock_guard lock(rec.mutex);
            rec.events.push_back({"database primary killed", failover_at, writable_at + 30000});
        }

        sleep_until_ms(total_ms);
        stop_delivering = true;
        for (auto& t : deliverers) t.join();
        stopping = true;
        double stop_at = rec.now_ms();
        // One last message per user: it must wake every parked Ping of theirs.
        parallel(users_n, 4, [&](int i) {
            User& u = *users[static_cast<std::size_t>(i)];
            deliver_until_accepted(u, "soak-" + run_id + "-last-" + std::to_string(i), 1 + i % 2, rec);
            std::lock_guard lock(u.mutex);
            u.last_message = Clock::now();
        });
        std::printf("  %.0f s: deliveries stopped, one last message to every user; waiting for every device\n",
                    rec.now_ms() / 1000);
        for (auto& t : threads) t.join();
        std::printf("  every device answered and stopped %.1f s after the last messages began\n",
                    (rec.now_ms() - stop_at) / 1000);

        // Every device caught up, then compared with the server and with what was accepted.
        parallel(opt.devices, 16, [&](int i) { catch_up(*devices[static_cast<std::size_t>(i)].phone); });
        std::map<std::string, InboxCounts> server = server_inbox_counts("soak%-" + run_id + "@example.test");
        long accepted = 0, on_server = 0, held = 0, dups = 0, mismatched = 0, read_marked = 0;
        for (const auto& u : users) {
            accepted += u->accepted;
            on_server += server[u->address].messages;
            read_marked += static_cast<long>(u->marked_read.size());
            if (server[u->address].messages != u->accepted || server[u->address].read != static_cast<long>(u->marked_read.size())) {
                ++mismatched;
                std::printf("  MISMATCH %s: server holds %ld (%ld read), accepted %ld (%zu marked read)\n", u->address.c_str(),
                            server[u->address].messages, server[u->address].read, u->accepted, u->marked_read.size());
            }
        }
        for (const auto& d : devices) {
            held += static_cast<long>(d.phone->held.size());
            dups += d.phone->duplicates;
            std::set<std::string> read_here;
            for (const auto& [id, read] : d.phone->held)
                if (read) read_here.insert(id);
            if (static_cast<long>(d.phone->held.size()) != d.user->accepted || d.phone->duplicates ||
                read_here != d.user->marked_read) {
                ++mismatched;
                std::printf("  MISMATCH %s: holds %zu (%zu read, %d duplicate Adds), accepted %ld (%zu marked read)\n",
                            d.phone->client.device_id().c_str(), d.phone->held.size(), read_here.size(),
                            d.phone->duplicates, d.user->accepted, d.user->marked_read.size());
            }
        }
        std::string counts = sql("SELECT count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n > 1) FROM (SELECT subject, "
                                 "count(*) AS n FROM emails WHERE subject LIKE 'soak-" + run_id + "-%' GROUP BY subject) s");
        long once = std::atol(counts.c_str());
        long twice = std::atol(counts.substr(counts.find('|') + 1).c_str());

        std::printf("\nsoak totals (%d devices, %d users, %.1f min):\n", opt.devices, users_n, stop_at / 60000);
        long answered = 0;
        for (const auto& [kind, n] : rec.requests) {
            answered += n;
            std::printf("  %-20s %ld answered\n", kind.c_str(), n);
        }
        std::printf("  requests answered %ld (%.0f/s), failed %zu\n", answered, answered / (stop_at / 1000),
                    rec.failures.size());
        std::printf("  Pings: %ld woken by a change, %ld expired heartbeats (%ld late by more than 30 s), %ld never answered\n",
                    rec.pings_woken, rec.pings_expired, rec.pings_late, rec.pings_unanswered);
        // Wakes in the steady state and in the events' windows apart: during a failover a change
        // waits for the database, and the Ping for the listener to reconnect.
        std::vector<double> steady_wakes, event_wakes;
        std::vector<const Record::Wake*> slow;
        for (const auto& w : rec.wakes) {
            bool in_event = std::any_of(rec.events.begin(), rec.events.end(),
                                        [&](const auto& e) { return w.at_ms >= e.from_ms && w.at_ms <= e.to_ms; });
            (in_event ? event_wakes : steady_wakes).push_back(w.latency_ms);
            if (!in_event && w.latency_ms > 5000) slow.push_back(&w);
        }
        // The slowest steady-state wakes, to find in the hosts' logs.
        std::sort(slow.begin(), slow.end(), [](auto* a, auto* b) { return a->latency_ms > b->latency_ms; });
        if (!slow.empty()) std::printf("  %zu steady-state wakes took more than 5 s; the slowest:\n", slow.size());
        for (std::size_t i = 0; i < slow.size() && i < 8; ++i)
            std::printf("    %s: Ping sent at %.1f s, answered at %.1f s, %.1f s after the change\n", slow[i]->device.c_str(),
                        slow[i]->began_ms / 1000, slow[i]->at_ms / 1000, slow[i]->latency_ms / 1000);
        std::printf("  wake latency, change to Ping answer: steady state p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu wakes); "
                    "around the kills p50 %.0f ms, max %.0f ms (%zu wakes)\n",
                    median(steady_wakes), quantile(steady_wakes, 0.99), quantile(steady_wakes, 1.0), steady_wakes.size(),
                    median(event_wakes), quantile(event_wakes, 1.0), event_wakes.size());
        std::printf("  easd-deliver: %ld accepted (%ld on a retry), %ld attempts exited 75, %ld other failures\n",
                    rec.deliveries, rec.accepted_on_retry, rec.exit75, rec.deliver_other);
        report_failures(rec);
        std::printf("  items: accepted %ld, on the server %ld (%ld subjects once, %ld more than once), on %d devices %ld "
                    "in all, duplicate Adds %ld, read marks %ld; %ld mismatches -> %s\n",
                    accepted, on_server, once, twice, opt.devices, held, dups, read_marked, mismatched,
                    mismatched == 0 && twice == 0 ? "none lost, none twice" : "MISMATCH");
        expect(mismatched == 0, "every device holds exactly what the server holds, which is what was accepted, read flags included");
        expect(twice == 0 && once == accepted, "every accepted message stored exactly once");
        expect(rec.pings_unanswered == 0 && rec.pings_late == 0, "every Ping answered within its heartbeat");
        expect(rec.deliver_other == 0, "easd-deliver exits 0 or 75, nothing else");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cluster_soak: %s\n", e.what());
        remove_source_addresses(sources);
        return 1;
    }
    remove_source_addresses(sources);
    if (failed_checks()) std::printf("\n%d check(s) FAILED\n", failed_checks());
    return failed_checks() ? 1 : 0;
}
