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
#include <sys/wait.h>

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
#include "support/eas_client.h"
#include "support/xsd_validator.h"
#include "wbxml/wbxml.h"

using namespace easd;
using Clock = std::chrono::steady_clock;
namespace tag = wbxml::tag;

namespace {

using bench::arg_int;

const std::string root = EASD_SOURCE_DIR;
const std::string state = root + "/var/cluster";
const std::string lb = "10.77.0.20", host1 = "10.77.0.31", host2 = "10.77.0.32";

double ms_since(Clock::time_point t0, Clock::time_point t1 = Clock::now()) {
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    if (line.empty()) throw std::runtime_error("cannot read " + path + " (is the cluster up?)");
    return line;
}

// easd's connection string, as the hosts have it (from host 2's config).
std::string easd_conninfo() {
    std::ifstream in(state + "/host2/easd.conf");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("database = ", 0) == 0) return line.substr(11);
    throw std::runtime_error("no database line in " + state + "/host2/easd.conf");
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Runs a shell command, returns its stdout; the exit status in *status.
std::string run(const std::string& cmd, int* status = nullptr, const std::string& input = {}) {
    std::string out;
    if (!input.empty()) {
        FILE* p = ::popen(cmd.c_str(), "w");
        if (!p) throw std::runtime_error("popen failed");
        std::fwrite(input.data(), 1, input.size(), p);
        int st = ::pclose(p);
        if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
        return out;
    }
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int st = ::pclose(p);
    if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

// SQL as easd's own role, through HAProxy (so on whichever database host is primary).
std::string sql(const std::string& query) {
    int st = 0;
    std::string out = run("/usr/lib/postgresql/15/bin/psql -X -q -At " + shell_quote(easd_conninfo()) + " -c " +
                              shell_quote(query) + " 2>&1",
                          &st);
    if (st != 0) throw std::runtime_error("psql: " + out);
    return out;
}

void cluster(const std::string& args) {
    int st = 0;
    std::string out = run(root + "/scripts/cluster " + args + " 2>&1", &st);
    if (st != 0) throw std::runtime_error("scripts/cluster " + args + " failed:\n" + out);
}

// A message delivered with easd-deliver on host 2 (in its namespace, with its config), as
// Postfix there would. Returns easd-deliver's exit status (0, or 75 when the database is away).
int deliver(const std::string& recipient, const std::string& subject) {
    std::string message = "From: Sender <sender@example.com>\r\nTo: " + recipient + "\r\nSubject: " + subject +
                          "\r\nMessage-ID: <" + subject + "@cluster.test>\r\nContent-Type: text/plain\r\n\r\n"
                          "Sent through host 2.\r\n";
    int st = 0;
    run("ip netns exec easd-host2 " + std::string(EASD_DELIVER_BIN) + " --config " + state +
            "/host2/easd.conf --recipient " + recipient + " >/dev/null 2>&1",
        &st, message);
    return st;
}

void add_user(const std::string& address, const std::string& password) {
    int st = 0;
    std::string out = run(std::string(EASCTL_BIN) + " --database " + shell_quote(easd_conninfo()) + " user add " +
                              address + " --password-stdin >/dev/null 2>&1",
                          &st, password + "\n");
    if (st != 0) throw std::runtime_error("easctl user add " + address + " failed");
}

// How many messages the server holds in the user's Inbox.
long server_count(const std::string& address) {
    return std::atol(sql("SELECT count(*) FROM items i JOIN folders f ON f.id = i.folder_id JOIN users u ON u.id = "
                         "i.user_id WHERE u.address = '" + address + "' AND f.type = 2")
                         .c_str());
}

// One phone: its client, its Inbox and what it holds.
struct Phone {
    test::EasClient client;
    std::string user, inbox, key = "0";
    std::set<std::string> held;
    int duplicates = 0;  // Adds of a ServerId the phone already held
    Phone(const std::string& host, const std::string& user_, const std::string& password, const std::string& device)
        : client(80, user_, password, device), user(user_) {
        client.set_host(host);
        client.set_timeout(std::chrono::seconds(20));
    }
};

void folder_sync(Phone& p) {
    wbxml::Node fs(tag::FolderHierarchy::FolderSync);
    fs.add(tag::FolderHierarchy::SyncKey, "0");
    auto r = p.client.command("FolderSync", &fs);
    if (!r.doc) throw std::runtime_error("FolderSync failed: HTTP " + std::to_string(r.status));
    for (const auto* add : r.doc->child(tag::FolderHierarchy::Changes)->children_of(tag::FolderHierarchy::Add))
        if (add->child_text(tag::FolderHierarchy::Type) == "2")
            p.inbox = std::string(add->child_text(tag::FolderHierarchy::ServerId));
}

// One Sync round. Returns an empty string on success, else what went wrong; *more when the server
// has more, *changes how many commands came.
std::string sync_once(Phone& p, bool* more = nullptr, int* changes = nullptr) {
    wbxml::Node sync(tag::AirSync::Sync);
    auto& col = sync.add(tag::AirSync::Collections).add(tag::AirSync::Collection);
    col.add(tag::AirSync::SyncKey, p.key);
    col.add(tag::AirSync::CollectionId, p.inbox);
    if (p.key != "0") {
        col.add(tag::AirSync::GetChanges);
        col.add(tag::AirSync::WindowSize, "100");
    }
    test::EasResponse r;
    try {
        r = p.client.command("Sync", &sync);
    } catch (const std::exception& e) {
        return "connection: " + std::string(e.what()).substr(0, 60);
    }
    if (more) *more = false;
    if (changes) *changes = 0;
    if (r.status != 200) return "HTTP " + std::to_string(r.status);
    if (!r.doc) return {};  // an empty answer: nothing changed
    const auto* cols = r.doc->child(tag::AirSync::Collections);
    if (!cols) return "Sync status " + std::string(r.doc->child_text(tag::AirSync::Status));
    const auto* out = cols->child(tag::AirSync::Collection);
    std::string status(out->child_text(tag::AirSync::Status));
    if (status != "1") return "Sync status " + status;
    p.key = std::string(out->child_text(tag::AirSync::SyncKey));
    if (more) *more = out->has(tag::AirSync::MoreAvailable);
    if (const auto* cmds = out->child(tag::AirSync::Commands)) {
        for (const auto* add : cmds->children_of(tag::AirSync::Add)) {
            std::string id(add->child_text(tag::AirSync::ServerId));
            if (!p.held.insert(id).second) ++p.duplicates;
            if (changes) ++*changes;
        }
        for (const auto* del : cmds->children_of(tag::AirSync::Delete)) {
            p.held.erase(std::string(del->child_text(tag::AirSync::ServerId)));
            if (changes) ++*changes;
        }
    }
    return {};
}

// Syncs until the server has nothing more (two quiet rounds), retrying errors for up to 60 s.
void catch_up(Phone& p) {
    auto start = Clock::now();
    int quiet = 0;
    while (quiet < 2) {
        bool more = false;
        int changes = 0;
        std::string err = sync_once(p, &more, &changes);
        if (!err.empty()) {
            if (ms_since(start) > 60000) throw std::runtime_error(p.user + ": cannot sync: " + err);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
        }
        quiet = (more || changes > 0 || p.key == "0") ? 0 : quiet + 1;
    }
}

void setup(Phone& p) {
    folder_sync(p);
    if (p.inbox.empty()) throw std::runtime_error("no Inbox for " + p.user);
    catch_up(p);
}

// A Ping on the phone's Inbox; returns its Ping status (0: no answer or an error) and when it came.
struct PingResult {
    int status = 0;
    int http = 0;
    std::string error;
    Clock::time_point at;
};

PingResult ping(Phone& p, int heartbeat) {
    wbxml::Node ping(tag::Ping::Ping);
    ping.add(tag::Ping::HeartbeatInterval, static_cast<long long>(heartbeat));
    auto& f = ping.add(tag::Ping::Folders).add(tag::Ping::Folder);
    f.add(tag::Ping::Id, p.inbox);
    f.add(tag::Ping::Class, "Email");
    PingResult out;
    try {
        auto r = p.client.command("Ping", &ping);
        out.http = r.status;
        if (r.doc) out.status = std::atoi(std::string(r.doc->child_text(tag::Ping::Status, "0")).c_str());
    } catch (const std::exception& e) {
        out.error = e.what();
    }
    out.at = Clock::now();
    return out;
}

// What must hold in every run (nothing lost, nothing twice, everyone served again, no 500s): a
// failed check is printed and makes the exit status 1, so the run can stand in CI.
int failed_checks = 0;
void expect(bool ok, const std::string& what) {
    if (ok) return;
    ++failed_checks;
    std::printf("  FAILED: %s\n", what.c_str());
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

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
}

// Phones syncing in a loop through HAProxy while a deliverer feeds them; `event` happens at a
// moment and the loop measures when each phone is served again.
struct Fleet {
    std::vector<std::unique_ptr<Phone>> phones;
    std::atomic<bool> stop{false};
    std::atomic<bool> stop_delivering{false};
    std::mutex mutex;
    std::optional<Clock::time_point> event;
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
                    if (r.status == 2 && fleet.event && started >= *fleet.event && !fleet.pinger_woken_after[i])
                        fleet.pinger_woken_after[i] = ms_since(*fleet.event, r.at);
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
    {
        std::lock_guard lock(fleet.mutex);
        fleet.event = Clock::now();
    }
    event();
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
    run_fleet(fleet, run_id, "b-", 100, [] { cluster("kill-host 1"); }, 3000);
    print_served(fleet, "host 1 killed");
    expect(compare(fleet), "every accepted message on the server and on every device exactly once");
    cluster("start-host 1");
    std::printf("  host 1 started again (scripts/cluster start-host 1)\n");
}

void scenario_c(const std::string& run_id, const std::string& password, int n) {
    std::printf("\nc. PostgreSQL primary killed (Patroni + postgres) while %d phones sync through HAProxy\n", n);
    // Only with a synchronous standby does a failover promise to lose nothing committed: wait for
    // one (after an earlier kill-primary, start-db brings the old primary back as one).
    int st = 1;
    for (int i = 0; i < 120 && st != 0; ++i) {
        run("curl -fs -m 2 -o /dev/null http://10.77.0.11:8008/sync || curl -fs -m 2 -o /dev/null "
            "http://10.77.0.12:8008/sync",
            &st);
        if (st != 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (st != 0) throw std::runtime_error("no synchronous standby (scripts/cluster start-db N for the one that is down)");
    std::string before = run(root + "/scripts/cluster status | sed -n 's/^primary: //p'");
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
    run_fleet(fleet, run_id, "c-", 100, [&] { killed = Clock::now(); cluster("kill-primary"); }, 3000);
    ping_thread.join();
    std::string after = run(root + "/scripts/cluster status | sed -n 's/^primary: //p'");
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
    if (failed_checks) std::printf("\n%d check(s) FAILED\n", failed_checks);
    return failed_checks ? 1 : 0;
}
