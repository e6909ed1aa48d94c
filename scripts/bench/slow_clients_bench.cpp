// Slow clients against nginx's limits (issue 12, resource limits): N connections that each send a
// request and then dribble it, one byte every few seconds: the body (the default) or, with
// --headers, the request headers, which never end. They come from one or several loopback
// addresses (127.0.0.1, 127.0.0.2, ...: all of 127/8 is local on Linux). nginx runs as the project
// ships it (nginx/easd-local.conf.in with production's values from nginx/easd.conf.in:
// client_header_timeout 20 s, client_body_timeout 30 s, 500 requests per address), or with
// --old-config as it was before issue 12 (nginx's defaults, 60 s each, and no per-address limit).
// Prints how many connections are still open every --report seconds, how many were refused at
// once (nginx's 503 from limit_conn) and how many nginx cut off, and nginx's memory. It prints
// numbers; it asserts nothing.
//
// usage: slow_clients_bench [--connections N] [--addresses A] [--interval S] [--seconds S]
//                           [--report S] [--headers] [--old-config]
// Defaults: 5,000 connections from 1 address, a byte every 10 s, for 90 s, a line every 10 s.
// Each connection is one descriptor here and one in nginx; the harness raises the soft descriptor
// limit to the hard one (tests/support/cluster.h).
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench_args.h"
#include "support/cluster.h"
#include "support/server.h"

using namespace easd;
using Clock = std::chrono::steady_clock;

namespace {

using bench::arg_flag;
using bench::arg_int;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// What became of one connection.
enum class Fate { Open, RefusedAtOnce, RefusedLater, CutOff, Other, ConnectFailed };

struct Connection {
    int fd = -1;
    Clock::time_point opened;
    Clock::time_point next_byte;
    std::string answer;  // the first bytes nginx sent, if any
    Fate fate = Fate::Open;
    double lasted = 0;   // seconds from connect to the end
};

// "HTTP/1.1 503 ..." -> 503; 0 when there is no status line yet.
int status_of(const std::string& answer) {
    if (answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12) return 0;
    return std::atoi(answer.substr(9, 3).c_str());
}

// Resident memory of nginx: the master and its workers (their parent is the master), in KB.
long nginx_rss_kb(pid_t master) {
    auto rss_and_parent = [](const std::string& pid, long* rss, long* ppid) {
        std::ifstream in("/proc/" + pid + "/status");
        std::string line;
        *rss = 0;
        *ppid = -1;
        while (std::getline(in, line)) {
            if (line.rfind("VmRSS:", 0) == 0) *rss = std::atol(line.c_str() + 6);
            if (line.rfind("PPid:", 0) == 0) *ppid = std::atol(line.c_str() + 5);
        }
    };
    long total = 0;
    DIR* d = opendir("/proc");
    if (!d) return -1;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        long rss = 0, ppid = 0;
        rss_and_parent(e->d_name, &rss, &ppid);
        if (std::atol(e->d_name) == master || ppid == master) total += rss;
    }
    closedir(d);
    return total;
}

}  // namespace

int main(int argc, char** argv) {
    const int n = arg_int(argc, argv, "--connections", 5000);
    const int addresses = std::max(1, std::min(254, arg_int(argc, argv, "--addresses", 1)));
    const int interval = std::max(1, arg_int(argc, argv, "--interval", 10));
    const int duration = arg_int(argc, argv, "--seconds", 90);
    const int report = std::max(1, arg_int(argc, argv, "--report", 10));
    const bool headers = arg_flag(argc, argv, "--headers");
    const bool old_config = arg_flag(argc, argv, "--old-config");

    test::PgCluster cluster;
    test::EasServer::Options options;
    if (old_config) {
        // Before issue 12: nginx's defaults (60 s) and no limit_conn (the harness's "no limit").
        options.client_header_timeout = 60;
        options.client_body_timeout = 60;
        options.connections_per_address = 65535;
    } else {
        // Production's values (nginx/easd.conf.in; scripts/run passes the same).
        options.client_header_timeout = 20;
        options.client_body_timeout = 30;
        options.connections_per_address = 500;
    }
    test::EasServer server(cluster, options);
    const std::string per_address = options.connections_per_address >= 65535
                                        ? std::string("no limit")
                                        : std::to_string(options.connections_per_address) + " requests";
    std::printf("nginx %s: client_header_timeout %d s, client_body_timeout %d s, %s per address\n",
                old_config ? "as before issue 12" : "as shipped", options.client_header_timeout,
                options.client_body_timeout, per_address.c_str());
    std::printf("%d connections from %d address%s, each dribbling its %s one byte every %d s\n", n, addresses,
                addresses == 1 ? "" : "es", headers ? "request headers" : "request body", interval);

    // The request as far as it is sent at once. A body: complete headers promising a megabyte,
    // and its first byte. Headers: the request line and a header that never ends.
    const std::string path = "/Microsoft-Server-ActiveSync?Cmd=Sync&User=slow&DeviceId=SLOW&DeviceType=Bench";
    const std::string opening =
        headers ? "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Dribble: "
                : "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nMS-ASProtocolVersion: 14.1\r\n"
                  "Content-Type: application/vnd.ms-sync.wbxml\r\nContent-Length: 1000000\r\n\r\nx";

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        std::perror("epoll_create1");
        return 1;
    }
    std::vector<Connection> conns(static_cast<std::size_t>(n));
    const auto start = Clock::now();
    int connect_failures = 0;
    for (int i = 0; i < n; ++i) {
        Connection& c = conns[static_cast<std::size_t>(i)];
        c.opened = Clock::now();
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + static_cast<uint32_t>(i % addresses));
        sockaddr_in dst{};
        dst.sin_family = AF_INET;
        dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        dst.sin_port = htons(static_cast<uint16_t>(server.http_port()));
        if (c.fd < 0 || ::bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
            ::connect(c.fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 ||
            ::send(c.fd, opening.data(), opening.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(opening.size())) {
            if (++connect_failures == 1) std::printf("connection %d: %s\n", i, std::strerror(errno));
            if (c.fd >= 0) ::close(c.fd);
            c.fd = -1;
            c.fate = Fate::ConnectFailed;
            continue;
        }
        ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
        // The next bytes spread over the interval, so nginx sees a steady trickle.
        c.next_byte = c.opened + std::chrono::milliseconds(1000LL * interval * (i + 1) / n + 1000LL * interval / 2);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u32 = static_cast<uint32_t>(i);
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    std::printf("connected in %.1f s (%d failed)\n\n", seconds_since(start), connect_failures);

    // A connection nginx answered or closed: what it was, and ours closed (a phone refused at
    // once goes away; keeping it would only test our own descriptors).
    auto finish = [&](Connection& c, bool closed_by_peer) {
        const int status = status_of(c.answer);
        c.lasted = seconds_since(c.opened);
        if (status == 503) c.fate = c.lasted < 2.0 ? Fate::RefusedAtOnce : Fate::RefusedLater;
        else if (closed_by_peer && (status == 0 || status == 408)) c.fate = Fate::CutOff;
        else c.fate = Fate::Other;
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.fd = -1;
    };
    auto count = [&](Fate f) {
        return std::count_if(conns.begin(), conns.end(), [f](const Connection& c) { return c.fate == f; });
    };
    auto print_line = [&] {
        std::printf("t=%4.0f s  open %5ld  refused at once %5ld  cut off %5ld  other %4ld  nginx RSS %ld MB\n",
                    seconds_since(start), count(Fate::Open), count(Fate::RefusedAtOnce) + count(Fate::RefusedLater),
                    count(Fate::CutOff), count(Fate::Other), nginx_rss_kb(server.front_end_pid()) / 1024);
        std::fflush(stdout);
    };

    auto next_report = start + std::chrono::seconds(report);
    const auto end = start + std::chrono::seconds(duration);
    std::vector<epoll_event> events(1024);
    while (Clock::now() < end) {
        int ready = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
        for (int k = 0; k < ready; ++k) {
            Connection& c = conns[events[static_cast<std::size_t>(k)].data.u32];
            if (c.fd < 0) continue;
            bool closed = false;
            for (;;) {
                char buf[4096];
                ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
                if (got > 0) {
                    if (c.answer.size() < 512) c.answer.append(buf, static_cast<std::size_t>(got));
                    continue;
                }
                closed = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
                break;
            }
            // An answer is the end of it: nginx answered (503, 408, 400) and closes or lingers.
            if (closed || status_of(c.answer) != 0) finish(c, closed);
        }
        const auto now = Clock::now();
        for (auto& c : conns) {
            if (c.fd < 0 || now < c.next_byte) continue;
            c.next_byte += std::chrono::seconds(interval);
            const char byte = 'x';
            if (::send(c.fd, &byte, 1, MSG_NOSIGNAL) != 1 && errno != EAGAIN) finish(c, true);
        }
        if (now >= next_report) {
            print_line();
            next_report += std::chrono::seconds(report);
        }
    }

    std::vector<double> cut;
    for (const auto& c : conns)
        if (c.fate == Fate::CutOff) cut.push_back(c.lasted);
    std::sort(cut.begin(), cut.end());
    std::printf("\nafter %d s: %ld still open, %ld refused at once (503 within 2 s), %ld refused later, %ld cut off",
                duration, count(Fate::Open), count(Fate::RefusedAtOnce), count(Fate::RefusedLater), count(Fate::CutOff));
    if (!cut.empty())
        std::printf(" (after %.1f / %.1f / %.1f s: first, median, last)", cut.front(), cut[cut.size() / 2], cut.back());
    std::printf(", %ld other answers, %d not connected\n", count(Fate::Other), connect_failures);
    for (const auto& c : conns)
        if (c.fate == Fate::Other) {
            std::printf("an other answer: %.60s\n", c.answer.c_str());
            break;
        }
    for (auto& c : conns)
        if (c.fd >= 0) ::close(c.fd);
    ::close(ep);
    return 0;
}
