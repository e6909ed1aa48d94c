// DirectPush under load: parks N Pings through nginx, then commits changes at a steady rate and
// measures commit-to-response latency; prints easd's and nginx's memory per parked Ping.
// With --dovecot, the mail store is a real Dovecot (issue 11): one phone per user (N users), each
// user signed in through Dovecot's auth socket, each change a message delivered through Dovecot's
// LMTP and announced by the push script; it also prints how many IMAP connections easd holds.
//
// usage: push_bench [--pings N] [--rate CHANGES_PER_S] [--seconds S] [--burst] [--dovecot [--catch-up-threads N] [--imap-connections N]]
//        push_bench --lateness [--pings N] [--heartbeat S] [--burst] [--notify-rate USERS_PER_S]
// --burst: all N Pings connect at once, as when every phone reconnects after a restart or a
// network blip (else at most 256 are on their way at a time); prints how many got an error and
// the time until all were parked.
// --lateness: no changes; every Ping waits for its heartbeat (default 60 s), and the benchmark
// prints how late each status-1 answer came after the Ping's connect + heartbeat (p50, p99, max),
// and how many got no answer, an error or an early answer. --notify-rate keeps the push hub busy
// meanwhile: that many users per second are announced as changed (pg_notify) with nothing
// changed, so the hub re-checks their Pings against the database and leaves them parked.
// --workers N, --nginx-workers N: easd processes and nginx workers (default: what the descriptor
// limit needs).
// Each parked Ping holds one descriptor in easd, two in nginx (client and upstream, in whichever
// nginx worker took it) and one in a client process here. Where the hard descriptor limit is below
// what one process would need (it is 20,000 on some machines, and not even root may raise it),
// the benchmark spreads the Pings over several easd workers, nginx workers and client processes;
// it prints what it chose. Otherwise N is bounded by nginx's worker_connections
// (nginx/nginx.conf.in).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

// The phones' side runs in client processes (fork), each holding its share of the connections: a
// process may hold no more descriptors than the hard limit (20,000 on some machines, where not even
// root may raise it), and one process cannot hold 20,000 connections and the rest. What they see
// is written into shared memory, one slot per Ping; the times are steady_clock's (CLOCK_MONOTONIC,
// the same in every process).
struct Slot {
    std::atomic<long long> connected_ns{0};  // when connect() was called (0: not yet)
    std::atomic<long long> established_ns{0};  // when the connection was up (the request could be sent)
    std::atomic<long long> answered_ns{0};   // when the first byte of the answer arrived
    std::atomic<int> done{0};                // 1: the connection ended (answered, refused or reset)
    std::atomic<int> http_status{0};         // 0: no answer
    std::atomic<int> ping_status{0};         // the Ping's Status in the answer, 0: none
};

struct Shared {
    std::atomic<int> open_below{0};  // connections with a smaller index may be opened
    std::atomic<int> stop{0};
    std::atomic<int> closed{0};
};

long long now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }
Clock::time_point from_ns(long long ns) { return Clock::time_point(std::chrono::nanoseconds(ns)); }

// "HTTP/1.1 200 OK\r\n...\r\n\r\n<WBXML>": the status and the Ping's Status.
void parse_answer(const std::string& in, int& http_status, int& ping_status) {
    http_status = 0;
    ping_status = 0;
    if (in.size() < 12 || in.compare(0, 5, "HTTP/") != 0) return;
    http_status = std::atoi(in.c_str() + 9);
    auto head_end = in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    std::string body = in.substr(head_end + 4);
    std::string head = in.substr(0, head_end);
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (head.find("transfer-encoding: chunked") != std::string::npos) {
        std::string plain;
        std::size_t at = 0;
        while (at < body.size()) {
            std::size_t n = std::strtoul(body.c_str() + at, nullptr, 16);
            auto line_end = body.find("\r\n", at);
            if (n == 0 || line_end == std::string::npos) break;
            plain += body.substr(line_end + 2, n);
            at = line_end + 2 + n + 2;
        }
        body = plain;
    }
    auto decoded = wbxml::decode(body);
    if (decoded && decoded.root->tag == tag::Ping::Ping)
        ping_status = std::atoi(std::string(decoded.root->child_text(tag::Ping::Status, "0")).c_str());
}

// A client process: opens connections first, first + step, ... (each when its index is below
// shared.open_below), sends each its request, records the answers, and exits when every one of
// them ended or shared.stop is set. Never returns.
[[noreturn]] void run_client(Shared& shared, Slot* slots, const std::vector<std::string>& requests, int first,
                             int step, const sockaddr_in& addr) {
    struct Conn {
        int index = 0;
        int fd = -1;
        std::size_t sent = 0;
        std::string in;
    };
    std::vector<Conn> conns;
    for (int i = first; i < static_cast<int>(requests.size()); i += step) {
        conns.emplace_back();
        conns.back().index = i;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    std::vector<epoll_event> events(1024);
    std::size_t next = 0, ended = 0;
    auto finish = [&](Conn& c) {
        Slot& s = slots[c.index];
        int http_status = 0, ping_status = 0;
        parse_answer(c.in, http_status, ping_status);
        s.http_status = http_status;
        s.ping_status = ping_status;
        if (!s.answered_ns) s.answered_ns = now_ns();
        s.done = 1;
        close(c.fd);
        c.fd = -1;
        std::string().swap(c.in);
        ++ended;
        ++shared.closed;
    };
    while (!shared.stop && ended < conns.size()) {
        // A few hundred connects between two looks at the answers, so that a burst's first
        // connections are served while the last are opened.
        const int below = shared.open_below;
        for (int opened = 0; opened < 512 && next < conns.size() && conns[next].index < below; ++opened) {
            Conn& c = conns[next];
            c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c.fd < 0) {
                std::printf("socket: %s (raise the descriptor limit)\n", std::strerror(errno));
                std::fflush(stdout);
                _exit(1);
            }
            slots[c.index].connected_ns = now_ns();
            connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
            epoll_event ev{};
            ev.events = EPOLLOUT | EPOLLIN;
            ev.data.u64 = next;
            epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
            ++next;
        }
        int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 20);
        for (int k = 0; k < n; ++k) {
            const epoll_event& e = events[static_cast<std::size_t>(k)];
            Conn& c = conns[e.data.u64];
            if (c.fd < 0) continue;
            const std::string& out = requests[static_cast<std::size_t>(c.index)];
            if ((e.events & EPOLLOUT) && c.sent < out.size()) {
                if (c.sent == 0 && !slots[c.index].established_ns) slots[c.index].established_ns = now_ns();
                ssize_t w = send(c.fd, out.data() + c.sent, out.size() - c.sent, MSG_NOSIGNAL);
                if (w > 0) c.sent += static_cast<std::size_t>(w);
                if (c.sent == out.size()) {
                    epoll_event ev{};
                    ev.events = EPOLLIN;
                    ev.data.u64 = e.data.u64;
                    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                }
            }
            if (e.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                char buf[4096];
                ssize_t r;
                while ((r = recv(c.fd, buf, sizeof buf, 0)) > 0) {
                    if (c.in.empty()) slots[c.index].answered_ns = now_ns();
                    c.in.append(buf, static_cast<std::size_t>(r));
                }
                if (r == 0 || (r < 0 && errno != EAGAIN)) finish(c);
            }
        }
    }
    _exit(0);
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0.0;
    return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    const int pings = arg_int(argc, argv, "--pings", 5000);
    const int rate = arg_int(argc, argv, "--rate", 100);
    const int seconds = arg_int(argc, argv, "--seconds", 10);
    const bool dovecot = arg_flag(argc, argv, "--dovecot");
    const bool burst = arg_flag(argc, argv, "--burst");
    const bool lateness = arg_flag(argc, argv, "--lateness");
    const int heartbeat = arg_int(argc, argv, "--heartbeat", lateness ? 60 : 3000);
    const int notify_rate = arg_int(argc, argv, "--notify-rate", 0);
    const int devices_per_user = dovecot ? 1 : 10;
    const int users = (pings + devices_per_user - 1) / devices_per_user;

    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    // What one process may hold, less room for everything but the parked connections.
    const long long per_process =
        std::max(1000LL, static_cast<long long>(lim.rlim_cur == RLIM_INFINITY ? 1 << 20 : lim.rlim_cur) - 400);
    auto processes_for = [&](long long descriptors) { return static_cast<int>((descriptors + per_process - 1) / per_process); };
    const int easd_workers = arg_int(argc, argv, "--workers", processes_for(pings));
    // Two descriptors per Ping in nginx; reuseport spreads the connections over the workers, not
    // exactly evenly (a tenth of room).
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int nginx_needed = processes_for(2LL * pings * 11 / 10);
    const int nginx_workers = arg_int(argc, argv, "--nginx-workers", nginx_needed > cores ? nginx_needed : 0);
    const int clients = processes_for(pings);
    std::printf("%d easd worker(s), %s nginx workers, %d client process(es) (hard descriptor limit %lld)\n",
                easd_workers, nginx_workers ? std::to_string(nginx_workers).c_str() : "auto", clients,
                static_cast<long long>(lim.rlim_max));

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
    options.config_lines = {"threads = 16", "db_pool = 8", "heartbeat_min = 1", "heartbeat_max = 3600",
                            "auth_cache_seconds = 3600"};
    options.workers = easd_workers;
    options.nginx_workers = nginx_workers;
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

    auto easd_rss = [&] {
        long total = 0;
        for (int w = 0; w < server.workers(); ++w) total += rss_kb(server.easd_pid(w));
        return total;
    };
    long easd_before = easd_rss(), nginx_before = nginx_rss_kb(server.front_end_pid());
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server.http_port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::vector<std::string> requests(static_cast<std::size_t>(pings));
    std::vector<int> user_of(static_cast<std::size_t>(pings));
    for (int i = 0; i < pings; ++i) {
        const int user = i / devices_per_user;
        user_of[static_cast<std::size_t>(i)] = user;
        wbxml::Node ping(tag::Ping::Ping);
        ping.add(tag::Ping::HeartbeatInterval, static_cast<long long>(heartbeat));
        auto& f = ping.add(tag::Ping::Folders).add(tag::Ping::Folder);
        f.add(tag::Ping::Id, static_cast<long long>(inbox_of[static_cast<std::size_t>(user)].second));
        f.add(tag::Ping::Class, "Email");
        std::string body = wbxml::encode(ping);
        requests[static_cast<std::size_t>(i)] =
            "POST /Microsoft-Server-ActiveSync?Cmd=Ping&User=x&DeviceId=PUSH" + std::to_string(i % devices_per_user + 1) +
            "&DeviceType=Bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Authorization: Basic " + protocol::base64_encode(address_of[static_cast<std::size_t>(user)] + ":pw") +
            "\r\nMS-ASProtocolVersion: 14.1\r\nContent-Type: application/vnd.ms-sync.wbxml\r\nConnection: close\r\n"
            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    // The client processes and the memory they share with this one.
    const std::size_t shared_bytes = sizeof(Shared) + sizeof(Slot) * static_cast<std::size_t>(pings);
    void* mem = mmap(nullptr, shared_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        std::printf("mmap: %s\n", std::strerror(errno));
        return 1;
    }
    Shared& shared = *new (mem) Shared;
    Slot* slots = new (static_cast<char*>(mem) + sizeof(Shared)) Slot[static_cast<std::size_t>(pings)];
    std::fflush(stdout);
    std::vector<pid_t> client_pids;
    for (int k = 0; k < clients; ++k) {
        pid_t pid = fork();
        if (pid == 0) run_client(shared, slots, requests, k, clients, addr);
        if (pid < 0) {
            std::printf("fork: %s\n", std::strerror(errno));
            return 1;
        }
        client_pids.push_back(pid);
    }
    auto stop_clients = [&] {
        shared.stop = 1;
        for (pid_t pid : client_pids) waitpid(pid, nullptr, 0);
        client_pids.clear();
    };

    // Requests are let in as fast as the server parks them, with at most 256 on their way: more
    // would overflow nginx's listen backlog, and the kernel's SYN retries (1 s, 3 s, 7 s, ...)
    // would measure TCP back-off, not easd. A Ping has arrived when its device announced it (the
    // push sequence is taken just before the request parks).
    auto sql = store::open_session(cluster.conninfo());
    auto start_parking = Clock::now();
    for (;;) {
        long long announced = 0;
        *sql << "SELECT count(*) FROM devices WHERE device_type = 'Bench' AND push_seq > 0", soci::into(announced);
        // In a burst some may be refused (nginx's 502) and never arrive: they count as done. (Not
        // every answered one: an early answer, such as a heartbeat that ended, was announced.)
        int refused = 0;
        if (burst)
            for (int i = 0; i < pings; ++i) refused += slots[i].done && slots[i].http_status != 200;
        if (announced + refused >= pings) break;
        shared.open_below = burst ? pings : static_cast<int>(std::min<long long>(pings, announced + 256));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (std::chrono::duration<double>(Clock::now() - start_parking).count() > 120 + pings / 20.0) {
            std::printf("only %lld of %d Pings arrived; giving up (each parked Ping holds two connections in nginx: "
                        "see worker_connections in nginx/nginx.conf.in, and the descriptor limit)\n",
                        announced, pings);
            stop_clients();
            return 1;
        }
    }
    const double parking_seconds = std::chrono::duration<double>(Clock::now() - start_parking).count();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    long easd_parked = easd_rss(), nginx_parked = nginx_rss_kb(server.front_end_pid());
    const int answered_early = shared.closed;
    const int parked = pings - answered_early;
    int errors = 0;
    std::map<std::string, int> by_status;
    for (int i = 0; i < pings; ++i)
        if (slots[i].done && slots[i].http_status != 200) {
            ++errors;
            ++by_status[slots[i].http_status ? std::to_string(slots[i].http_status.load()) : std::string("no answer")];
        }
    if (burst) {
        std::printf("burst of %d Pings: %d answered with an error", pings, errors);
        for (const auto& [status, n] : by_status) std::printf(" (%s: %d)", status.c_str(), n);
        std::printf("\n");
    }
    std::printf("parked %d Pings (%d answered early) in %.1f s\n", parked, answered_early, parking_seconds);
    std::printf("easd  RSS %ld -> %ld KB: %.1f KB per parked Ping\n", easd_before, easd_parked,
                double(easd_parked - easd_before) / std::max(1, parked));
    std::printf("nginx RSS %ld -> %ld KB: %.1f KB per parked Ping\n", nginx_before, nginx_parked,
                double(nginx_parked - nginx_before) / std::max(1, parked));
    if (dovecot)
        std::printf("IMAP connections easd holds with %d users parked: %d\n", parked,
                    connections_to(server.easd_pid(), dovecot_server->imap_port()));

    if (lateness) {
        // Nothing changes: every Ping is answered with status 1 at the end of its heartbeat. With
        // --notify-rate, users are announced as changed meanwhile (nothing changed), so the hub
        // re-checks their Pings against the database while deadlines come due.
        std::atomic<bool> quiet{false};
        std::thread notifier;
        if (notify_rate > 0)
            notifier = std::thread([&] {
                auto session = store::open_session(cluster.conninfo());
                std::size_t next = 0;
                auto t0 = Clock::now();
                for (long long tick = 1; !quiet; ++tick) {
                    std::string ids;
                    for (int k = 0; k < std::max(1, notify_rate / 10); ++k, ++next)
                        ids += (ids.empty() ? "" : ",") + std::to_string(inbox_of[next % inbox_of.size()].first);
                    *session << "SELECT count(pg_notify('easd_change', u || ':0')) FROM unnest('{" + ids + "}'::bigint[]) u";
                    std::this_thread::sleep_until(t0 + std::chrono::milliseconds(100 * tick));
                }
            });
        long long last_connect = 0;
        for (int i = 0; i < pings; ++i) last_connect = std::max(last_connect, slots[i].connected_ns.load());
        // Every Ping has had its heartbeat after the last one connected and the last one parked.
        const auto give_up = std::max(from_ns(last_connect), start_parking + std::chrono::milliseconds(
                                                                                  static_cast<long long>(parking_seconds * 1000))) +
                             std::chrono::seconds(heartbeat + 30);
        while (shared.closed < pings && Clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        quiet = true;
        if (notifier.joinable()) notifier.join();
        stop_clients();
        std::vector<double> late_ms, handshake_ms, late_after_handshake_ms;
        int early = 0, failed = 0, unanswered = 0;
        std::map<std::string, int> failures;
        for (int i = 0; i < pings; ++i) {
            const Slot& s = slots[i];
            if (!s.done || !s.http_status) {
                ++unanswered;
                continue;
            }
            if (s.http_status != 200 || s.ping_status != 1) {
                ++failed;
                ++failures["HTTP " + std::to_string(s.http_status.load()) + " Ping status " + std::to_string(s.ping_status.load())];
                continue;
            }
            double ms = std::chrono::duration<double, std::milli>(from_ns(s.answered_ns) -
                                                                  (from_ns(s.connected_ns) + std::chrono::seconds(heartbeat)))
                            .count();
            if (ms < -1000) {
                ++early;  // crowded out, or the connection was cut
                continue;
            }
            late_ms.push_back(ms);
            // The TCP handshake is not easd's: a burst overflows nginx's listen queue, and the
            // kernel retries dropped SYNs after 1 s, 3 s, 7 s...
            if (s.established_ns) {
                double handshake = std::chrono::duration<double, std::milli>(from_ns(s.established_ns) - from_ns(s.connected_ns)).count();
                handshake_ms.push_back(handshake);
                late_after_handshake_ms.push_back(ms - handshake);
            }
        }
        std::sort(late_ms.begin(), late_ms.end());
        std::sort(handshake_ms.begin(), handshake_ms.end());
        std::sort(late_after_handshake_ms.begin(), late_after_handshake_ms.end());
        std::printf("heartbeat %d s, %d Pings%s: %zu answered status 1 at the end of the heartbeat, %d early, "
                    "%d errors, %d no answer\n",
                    heartbeat, pings, notify_rate ? (", " + std::to_string(notify_rate) + " users/s notified meanwhile").c_str() : "",
                    late_ms.size(), early, failed, unanswered);
        for (const auto& [what, n] : failures) std::printf("  %s: %d\n", what.c_str(), n);
        std::printf("lateness after connect + heartbeat: p50 %.0f ms, p99 %.0f ms, max %.0f ms (min %.0f ms); "
                    "within 1 s: %zu of %d\n",
                    percentile(late_ms, 0.5), percentile(late_ms, 0.99), late_ms.empty() ? 0.0 : late_ms.back(),
                    late_ms.empty() ? 0.0 : late_ms.front(),
                    static_cast<std::size_t>(std::count_if(late_ms.begin(), late_ms.end(), [](double ms) { return ms <= 1000; })),
                    pings);
        std::printf("  of which the TCP handshake with nginx: p50 %.0f ms, p99 %.0f ms, max %.0f ms; "
                    "lateness after the handshake + heartbeat: p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
                    percentile(handshake_ms, 0.5), percentile(handshake_ms, 0.99),
                    handshake_ms.empty() ? 0.0 : handshake_ms.back(), percentile(late_after_handshake_ms, 0.5),
                    percentile(late_after_handshake_ms, 0.99),
                    late_after_handshake_ms.empty() ? 0.0 : late_after_handshake_ms.back());
        return 0;
    }

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
    writer.join();
    const double change_seconds = std::chrono::duration<double>(Clock::now() - changes_began).count();
    std::this_thread::sleep_for(std::chrono::seconds(10));
    stop_clients();

    std::vector<double> latency_ms;
    int woken = 0, missing = 0;
    for (int i = 0; i < pings; ++i) {
        const Slot& s = slots[i];
        auto it = committed.find(user_of[static_cast<std::size_t>(i)]);
        if (it == committed.end()) continue;
        if (!s.done || s.http_status != 200) {
            ++missing;
            continue;
        }
        ++woken;
        latency_ms.push_back(std::chrono::duration<double, std::milli>(from_ns(s.answered_ns) - it->second).count());
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
    return 0;
}
