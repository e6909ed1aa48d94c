// DirectPush under load: parks N Pings through nginx, then commits changes at a steady rate and
// measures commit-to-response latency; prints easd's and nginx's memory per parked Ping.
// With --dovecot, the mail store is a real Dovecot (issue 11): one phone per user (N users), each
// user signed in through Dovecot's auth socket, each change a message delivered through Dovecot's
// LMTP and announced by the push script; it also prints how many IMAP connections easd holds.
//
// usage: push_bench [--pings N] [--rate CHANGES_PER_S] [--seconds S] [--burst] [--dovecot [--catch-up-threads N] [--imap-connections N]]
// --burst: all N Pings connect at once, as when every phone reconnects after a restart or a
// network blip (else at most 256 are on their way at a time); prints how many got an error.
// Each parked Ping holds one descriptor in easd, two in nginx (client and upstream, in whichever
// nginx worker took it) and one here: N is bounded by the descriptor limit of each process and by
// nginx's worker_connections (16384 per worker in nginx/nginx.conf.in, one worker per core).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "protocol/request.h"
#include "store/db.h"
#include "bench_args.h"
#include "store/accounts.h"
#include "support/cluster.h"
#include "support/dovecot_server.h"
#include "support/server.h"
#include "wbxml/wbxml.h"

using namespace easd;
using Clock = std::chrono::steady_clock;
namespace tag = wbxml::tag;

namespace {

using bench::arg_flag;
using bench::arg_int;

// Socket inodes of a process's descriptors.
std::vector<unsigned long> socket_inodes(pid_t pid) {
    std::vector<unsigned long> out;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    for (int fd = 0; fd < 200000; ++fd) {
        char target[128];
        std::string link = dir + "/" + std::to_string(fd);
        ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
        if (n <= 0) {
            if (errno == ENOENT && fd > 65536) break;
            continue;
        }
        target[n] = '\0';
        if (std::strncmp(target, "socket:[", 8) == 0) out.push_back(std::strtoul(target + 8, nullptr, 10));
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Established TCP connections of `pid` to 127.0.0.1:port (its IMAP connections to Dovecot).
int connections_to(pid_t pid, int port) {
    auto mine = socket_inodes(pid);
    std::ifstream tcp("/proc/net/tcp");
    std::string line;
    std::getline(tcp, line);  // header
    int count = 0;
    while (std::getline(tcp, line)) {
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
        char local[64], remote[64], state[8];
        unsigned long inode = 0;
        if (std::sscanf(line.c_str(), "%*s %63s %63s %7s %*s %*s %*s %*s %*s %lu", local, remote, state, &inode) != 4)
            continue;
        const char* colon = std::strchr(remote, ':');
        if (!colon || std::strtol(colon + 1, nullptr, 16) != port || std::strcmp(state, "01") != 0) continue;
        if (std::binary_search(mine.begin(), mine.end(), inode)) ++count;
    }
    return count;
}

long rss_kb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return 0;
}

// nginx's master and its workers (children of the master).
long nginx_rss_kb(pid_t master) {
    long total = rss_kb(master);
    std::ifstream children("/proc/" + std::to_string(master) + "/task/" + std::to_string(master) + "/children");
    pid_t child;
    while (children >> child) total += rss_kb(child);
    return total;
}

struct Conn {
    int fd = -1;
    std::string out;
    std::size_t sent = 0;
    std::string in;
    int user = 0;
    bool done = false;
    bool have_first_byte = false;
    Clock::time_point finished;  // when the first byte of the answer arrived
};

}  // namespace

int main(int argc, char** argv) {
    const int pings = arg_int(argc, argv, "--pings", 5000);
    const int rate = arg_int(argc, argv, "--rate", 100);
    const int seconds = arg_int(argc, argv, "--seconds", 10);
    const bool dovecot = arg_flag(argc, argv, "--dovecot");
    const bool burst = arg_flag(argc, argv, "--burst");
    const int devices_per_user = dovecot ? 1 : 10;
    const int users = (pings + devices_per_user - 1) / devices_per_user;

    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);

    test::PgCluster cluster;
    // The Dovecot store's site: Dovecot with the push script, started before easd names its port.
    std::unique_ptr<test::DovecotServer> dovecot_server;
    if (dovecot) {
        test::DovecotServer::Options o;
        o.push = true;
        o.push_token = "bench-push-token-0123456789";
        dovecot_server = std::make_unique<test::DovecotServer>(o);
    }
    test::EasServer::Options options;
    // A long auth cache: parking N Pings should measure parking, not N yescrypt hashes (about 18 ms
    // each here) that a 30 s cache would repeat while the later Pings are still arriving.
    options.config_lines = {"threads = 16", "db_pool = 8", "heartbeat_max = 3600", "auth_cache_seconds = 3600"};
    if (dovecot)
        for (const std::string& line : std::vector<std::string>{"mail_store = dovecot", "imap_port = " + std::to_string(dovecot_server->imap_port()),
                                 "imap_master_user = " + dovecot_server->master_user(),
                                 "imap_master_password = " + dovecot_server->master_password(),
                                 std::string("push_token = bench-push-token-0123456789"),
                                 "dovecot_auth_socket = " + dovecot_server->auth_socket(),
                                 "imap_catch_up_threads = " + std::to_string(arg_int(argc, argv, "--catch-up-threads", 2)),
                                 "imap_max_connections = " + std::to_string(arg_int(argc, argv, "--imap-connections", 64))})
            options.config_lines.push_back(line);
    if (std::getenv("EASD_BENCH_VERBOSE")) options.args = {"--verbose"};
    test::EasServer server(cluster, options);
    std::printf("creating %d users x %d devices%s...\n", users, devices_per_user, dovecot ? " (Dovecot users)" : "");
    if (dovecot) {
        dovecot_server->set_push_url(server.http_url() + "/easd-notify");
        // Dovecot's users with their passwords; easd's accounts as their first login creates them,
        // each with its Inbox bound to INBOX, not yet mirrored (so the first delivery mirrors it).
        std::vector<std::pair<std::string, std::string>> logins;
        for (int u = 0; u < users; ++u) logins.emplace_back("bench" + std::to_string(u) + "@push.test", "pw");
        dovecot_server->add_users(logins);
        auto sql = store::open_session(cluster.conninfo());
        for (const auto& login : logins) store::ensure_external_user(*sql, login.first);
        cluster.psql(
            "INSERT INTO imap_mailboxes (folder_id, user_id, name) SELECT f.id, f.user_id, 'INBOX' FROM folders f "
            "JOIN users u ON u.id = f.user_id WHERE f.type = 2 AND u.address LIKE 'bench%'");
        // Steady state, not a site's first day: each user who gets a change below has had mail
        // before, so Dovecot created the mailbox and easd mirrored it already (a first delivery
        // also creates INBOX, announced as such, and mirrors it for the first time). The users
        // are the ones the changes go to: the same shuffle as below.
        std::vector<int> order(static_cast<std::size_t>(users));
        for (int u = 0; u < users; ++u) order[static_cast<std::size_t>(u)] = u;
        std::shuffle(order.begin(), order.end(), std::mt19937(7));
        const int warm = std::min(users, rate * seconds);
        std::printf("first mail to the %d users who get changes...\n", warm);
        std::vector<std::thread> warmers;
        for (int t = 0; t < 4; ++t)
            warmers.emplace_back([&, t] {
                for (int k = t; k < warm; k += 4) {
                    const std::string& address = logins[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])].first;
                    dovecot_server->deliver(address, "From: a@example.com\r\nTo: " + address +
                                                         "\r\nSubject: welcome\r\n\r\nHello\r\n");
                }
            });
        for (auto& t : warmers) t.join();
        for (auto until = Clock::now() + std::chrono::seconds(300); Clock::now() < until;) {
            if (std::atoi(cluster.psql("SELECT count(*) FROM imap_messages").c_str()) >= warm) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    } else {
        test::create_user(cluster, "bench0@push.test", "pw");
        // The other users share the first one's password hash; folders come from a copy of its set.
        cluster.psql(
            "WITH src AS (SELECT domain_id, password_hash FROM users WHERE address = 'bench0@push.test'), "
            "u AS (INSERT INTO users (domain_id, address, password_hash) SELECT src.domain_id, 'bench' || g || "
            "'@push.test', src.password_hash FROM src, generate_series(1, " + std::to_string(users - 1) +
            ") g RETURNING id) "
            "INSERT INTO folders (user_id, name, type, item_class) SELECT u.id, 'Inbox', 2, 'Email' FROM u");
    }
    // Devices already synced to the current state of their Inbox, so every Ping waits.
    cluster.psql(
        "INSERT INTO devices (user_id, device_id, device_type) SELECT u.id, 'PUSH' || d, 'Bench' "
        "FROM users u, generate_series(1, " + std::to_string(devices_per_user) + ") d WHERE u.address LIKE 'bench%'");
    cluster.psql(
        "INSERT INTO sync_collections (device_id, folder_id, epoch, current_key, current_mark, filter_cutoff) "
        "SELECT d.id, f.id, 'bench', 1, (SELECT last_value FROM change_seq), 0 FROM devices d "
        "JOIN folders f ON f.user_id = d.user_id AND f.type = 2 WHERE d.device_type = 'Bench'");
    std::string rows = cluster.psql(
        "SELECT u.id || ' ' || f.id FROM users u JOIN folders f ON f.user_id = u.id AND f.type = 2 "
        "WHERE u.address LIKE 'bench%' ORDER BY u.id");
    std::vector<std::pair<long long, long long>> inbox_of;  // user index -> (user id, inbox id)
    {
        std::size_t pos = 0;
        while (pos < rows.size()) {
            auto nl = rows.find('\n', pos);
            std::string line = rows.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
            inbox_of.emplace_back(std::atoll(line.c_str()), std::atoll(line.c_str() + line.find(' ') + 1));
            if (nl == std::string::npos) break;
            pos = nl + 1;
        }
    }
    std::map<long long, int> index_of_user;
    std::vector<std::string> address_of(inbox_of.size());
    {
        std::string addrs = cluster.psql("SELECT id || ' ' || address FROM users WHERE address LIKE 'bench%'");
        std::size_t pos = 0;
        while (pos < addrs.size()) {
            auto nl = addrs.find('\n', pos);
            std::string line = addrs.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
            long long id = std::atoll(line.c_str());
            for (std::size_t i = 0; i < inbox_of.size(); ++i)
                if (inbox_of[i].first == id) address_of[i] = line.substr(line.find(' ') + 1);
            if (nl == std::string::npos) break;
            pos = nl + 1;
        }
    }

    long easd_before = rss_kb(server.easd_pid()), nginx_before = nginx_rss_kb(server.nginx_pid());
    int ep = epoll_create1(EPOLL_CLOEXEC);
    std::vector<Conn> conns(static_cast<std::size_t>(pings));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server.http_port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Drive the connections: send requests, collect answers.
    int answered = 0;
    std::vector<epoll_event> events(1024);
    auto pump = [&](int timeout_ms) {
        int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
        for (int k = 0; k < n; ++k) {
            Conn& c = conns[events[static_cast<std::size_t>(k)].data.u32];
            if (c.done) continue;
            if ((events[static_cast<std::size_t>(k)].events & EPOLLOUT) && c.sent < c.out.size()) {
                ssize_t w = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
                if (w > 0) c.sent += static_cast<std::size_t>(w);
                if (c.sent == c.out.size()) {
                    epoll_event ev{};
                    ev.events = EPOLLIN;
                    ev.data.u32 = events[static_cast<std::size_t>(k)].data.u32;
                    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                }
            }
            if (events[static_cast<std::size_t>(k)].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                char buf[4096];
                ssize_t r;
                while ((r = recv(c.fd, buf, sizeof buf, 0)) > 0) {
                    if (!c.have_first_byte) {
                        c.have_first_byte = true;
                        c.finished = Clock::now();
                    }
                    c.in.append(buf, static_cast<std::size_t>(r));
                }
                if (r == 0 || (r < 0 && errno != EAGAIN)) {
                    c.done = true;
                    if (!c.have_first_byte) c.finished = Clock::now();
                    close(c.fd);
                    ++answered;
                }
            }
        }
    };
    auto open_conn = [&](int i) {
        Conn& c = conns[static_cast<std::size_t>(i)];
        c.user = i / devices_per_user;
        wbxml::Node ping(tag::Ping::Ping);
        ping.add(tag::Ping::HeartbeatInterval, "3000");
        auto& f = ping.add(tag::Ping::Folders).add(tag::Ping::Folder);
        f.add(tag::Ping::Id, static_cast<long long>(inbox_of[static_cast<std::size_t>(c.user)].second));
        f.add(tag::Ping::Class, "Email");
        std::string body = wbxml::encode(ping);
        c.out = "POST /Microsoft-Server-ActiveSync?Cmd=Ping&User=x&DeviceId=PUSH" +
                std::to_string(i % devices_per_user + 1) + "&DeviceType=Bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Authorization: Basic " + protocol::base64_encode(address_of[static_cast<std::size_t>(c.user)] + ":pw") +
                "\r\nMS-ASProtocolVersion: 14.1\r\nContent-Type: application/vnd.ms-sync.wbxml\r\nConnection: close\r\n"
                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0) {
            std::printf("socket: %s after %d connections (raise the descriptor limit)\n", std::strerror(errno), i);
            std::exit(1);
        }
        connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        epoll_event ev{};
        ev.events = EPOLLOUT | EPOLLIN;
        ev.data.u32 = static_cast<uint32_t>(i);
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    };
    // Requests are let in as fast as the server parks them, with at most 256 on their way: more
    // would overflow nginx's listen backlog, and the kernel's SYN retries (1 s, 3 s, 7 s, ...)
    // would measure TCP back-off, not easd. A Ping has arrived when its device announced it (the
    // push sequence is taken just before the request parks).
    auto sql = store::open_session(cluster.conninfo());
    auto start_parking = Clock::now();
    int opened = 0;
    for (;;) {
        long long announced = 0;
        *sql << "SELECT count(*) FROM devices WHERE device_type = 'Bench' AND push_seq > 0", soci::into(announced);
        if (announced >= pings || (burst && announced + answered >= pings)) break;
        while (opened < pings && (burst || opened - announced < 256)) open_conn(opened++);
        pump(20);
        if (std::chrono::duration<double>(Clock::now() - start_parking).count() > 120 + pings / 20.0) {
            std::printf("only %lld of %d Pings arrived; giving up (each parked Ping holds two connections in nginx: "
                        "see worker_connections, %d per worker in nginx/nginx.conf.in, and the descriptor limit)\n",
                        announced, pings, 16384);
            return 1;
        }
    }
    for (auto settle = Clock::now() + std::chrono::seconds(2); Clock::now() < settle;) pump(100);
    long easd_parked = rss_kb(server.easd_pid()), nginx_parked = nginx_rss_kb(server.nginx_pid());
    const int parked = pings - answered;
    int errors = 0;
    std::map<std::string, int> by_status;
    for (const auto& c : conns)
        if (c.done && c.in.compare(0, 12, "HTTP/1.1 200") != 0) {
            ++errors;
            ++by_status[c.in.size() >= 12 ? c.in.substr(9, 3) : std::string("no answer")];
        }
    if (burst) {
        std::printf("burst of %d Pings: %d answered with an error", pings, errors);
        for (const auto& [status, n] : by_status) std::printf(" (%s: %d)", status.c_str(), n);
        std::printf("\n");
    }
    std::printf("parked %d Pings (%d answered early) in %.1f s\n", pings - answered, answered,
                std::chrono::duration<double>(Clock::now() - start_parking).count());
    std::printf("easd  RSS %ld -> %ld KB: %.1f KB per parked Ping\n", easd_before, easd_parked,
                double(easd_parked - easd_before) / std::max(1, pings - answered));
    std::printf("nginx RSS %ld -> %ld KB: %.1f KB per parked Ping\n", nginx_before, nginx_parked,
                double(nginx_parked - nginx_before) / std::max(1, pings - answered));
    if (dovecot)
        std::printf("IMAP connections easd holds with %d users parked: %d\n", parked,
                    connections_to(server.easd_pid(), dovecot_server->imap_port()));

    // Changes at a steady rate, each to a different user; their devices' Pings must answer.
    std::vector<int> order(inbox_of.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    std::shuffle(order.begin(), order.end(), std::mt19937(7));
    // The changes come from their own thread, so that reading answers is never held up by a
    // commit (and a commit never waits for the reading).
    std::map<int, Clock::time_point> committed;
    int changes = std::min<int>(rate * seconds, static_cast<int>(order.size()));
    std::atomic<bool> all_committed{false};
    std::thread writer([&] {
        auto t0 = Clock::now();
        for (int k = 0; k < changes; ++k) {
            std::this_thread::sleep_until(t0 + std::chrono::microseconds(static_cast<long long>(k) * 1000000 / rate));
            int u = order[static_cast<std::size_t>(k)];
            if (dovecot) {
                // Delivery through LMTP as Postfix does it: the clock starts before the delivery.
                committed[u] = Clock::now();
                dovecot_server->deliver(address_of[static_cast<std::size_t>(u)],
                                        "From: a@example.com\r\nTo: " + address_of[static_cast<std::size_t>(u)] +
                                            "\r\nSubject: push " + std::to_string(k) + "\r\nMessage-ID: <push" +
                                            std::to_string(k) + "@example.com>\r\n\r\nHello\r\n");
                continue;
            }
            *sql << "WITH i AS (INSERT INTO items (user_id, folder_id) VALUES (" + std::to_string(inbox_of[u].first) +
                        ", " + std::to_string(inbox_of[u].second) + ") RETURNING id) "
                        "INSERT INTO emails (item_id, mime, subject) SELECT id, 'x', 'push' FROM i";
            committed[u] = Clock::now();
        }
        all_committed = true;
    });
    const auto changes_began = Clock::now();
    while (!all_committed) pump(5);
    writer.join();
    const double change_seconds = std::chrono::duration<double>(Clock::now() - changes_began).count();
    auto until = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < until) pump(50);

    std::vector<double> latency_ms;
    int woken = 0, missing = 0;
    for (auto& c : conns) {
        auto it = committed.find(c.user);
        if (it == committed.end()) continue;
        if (!c.done || c.in.find(" 200 ") == std::string::npos) {
            ++missing;
            continue;
        }
        ++woken;
        latency_ms.push_back(std::chrono::duration<double, std::milli>(c.finished - it->second).count());
    }
    std::sort(latency_ms.begin(), latency_ms.end());
    auto pct = [&](double p) { return latency_ms.empty() ? 0.0 : latency_ms[std::min(latency_ms.size() - 1, static_cast<std::size_t>(p * latency_ms.size()))]; };
    std::printf("%d changes at %d/s with %d Pings parked (made in %.1f s): %d woken, %d not answered\n", changes,
                rate, parked, change_seconds, woken, missing);
    std::printf("%s-to-response latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                dovecot ? "delivery" : "commit", pct(0.5), pct(0.99), latency_ms.empty() ? 0.0 : latency_ms.back());
    if (dovecot)
        std::printf("after the changes: IMAP connections easd holds %d, easd RSS %ld KB\n",
                    connections_to(server.easd_pid(), dovecot_server->imap_port()), rss_kb(server.easd_pid()));
    if (dovecot) std::printf("(imap_max_connections %d)\n", arg_int(argc, argv, "--imap-connections", 64));
    if (dovecot) {
        // What went wrong on the way, if anything (catch-ups retried, connections refused).
        std::string log = server.easd_log();
        int warnings = 0;
        std::string first;
        for (std::size_t at = log.find("warning:"); at != std::string::npos; at = log.find("warning:", at + 1)) {
            if (warnings++ == 0) first = log.substr(at, log.find('\n', at) - at);
        }
        std::printf("easd warnings: %d%s%s\n", warnings, warnings ? "; first: " : "", first.c_str());
        if (const char* keep = std::getenv("EASD_BENCH_LOG")) {
            std::ofstream out(keep);
            out << log;
        }
    }
    for (auto& c : conns)
        if (!c.done) close(c.fd);
    return 0;
}
