// Slow and numerous clients are cut off by nginx (issue 12, "Resource limits"): a body that stalls
// longer than client_body_timeout ends the connection, and one address cannot hold more requests
// than limit_conn allows while other addresses are still served. Through the real nginx of the
// harness, with the limits made small (EasServer::Options) so that nothing waits 30 s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "e2e_support.h"
#include "support/text.h"

using namespace e2e;
using Clock = std::chrono::steady_clock;

namespace {

// A TCP connection to nginx's plain-HTTP port on 127.0.0.1, from source address `from` (any
// 127.x.y.z: the whole of 127/8 is local on Linux, so a second client address needs no setup).
class RawConnection {
public:
    RawConnection(int port, const char* from = nullptr) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        if (from) {
            sockaddr_in src {};
            src.sin_family = AF_INET;
            ::inet_pton(AF_INET, from, &src.sin_addr);
            if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0)
                throw std::runtime_error(std::string("bind ") + from + ": " + std::strerror(errno));
        }
        sockaddr_in dst {};
        dst.sin_family = AF_INET;
        dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        dst.sin_port = htons(static_cast<uint16_t>(port));
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0)
            throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }
    ~RawConnection() { ::close(fd_); }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    // False when nginx has already closed the connection.
    bool send(const std::string& data) {
        size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return false;
            done += static_cast<size_t>(n);
        }
        return true;
    }

    // Reads until nginx closes the connection or `wait` passes; true if it closed (or reset).
    bool wait_closed(std::chrono::milliseconds wait) {
        const auto deadline = Clock::now() + wait;
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left <= 0) return false;
            pollfd p {fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
            char buf[4096];
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) return true;
            received_.append(buf, static_cast<size_t>(n));
        }
    }

    const std::string& received() const { return received_; }

    // The status of the answer received so far ("HTTP/1.1 503 ..."), 0 if none.
    int status() const {
        if (received_.rfind("HTTP/1.", 0) != 0 || received_.size() < 12) return 0;
        return std::atoi(received_.substr(9, 3).c_str());
    }

private:
    int fd_ = -1;
    std::string received_;
};

// A POST whose headers promise `length` bytes of body; the caller sends (some of) the body.
std::string post_headers(size_t length) {
    return "POST /Microsoft-Server-ActiveSync?Cmd=Sync&User=slow&DeviceId=SLOW1&DeviceType=Test HTTP/1.1\r\n"
           "Host: 127.0.0.1\r\nMS-ASProtocolVersion: 14.1\r\nContent-Type: application/vnd.ms-sync.wbxml\r\n"
           "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

// One complete request without credentials from `from`: easd answers 401, nginx's limit 503.
int status_from(int port, const char* from) {
    RawConnection c(port, from);
    c.send("OPTIONS /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    c.wait_closed(std::chrono::seconds(10));
    return c.status();
}

}  // namespace

TEST_CASE("a request body that stalls longer than client_body_timeout is cut off; others are served",
          "[e2e][limits][slow_client]") {
    easd::test::EasServer::Options o;
    o.client_body_timeout = 2;
    easd::test::EasServer own(cluster(), o);
    easd::test::create_user(cluster(), "slow@e2e.test", "secret");
    EasClient phone(own.http_port(), "slow@e2e.test", "secret", "SLOWOK");

    // One byte of body every 4 s (twice the timeout): nginx must close after the first gap. The
    // deadline is the timeout plus 10 s; nginx's old default (60 s between reads) would keep the
    // connection through all of it.
    RawConnection slow(own.http_port());
    const auto start = Clock::now();
    REQUIRE(slow.send(post_headers(1000)));
    bool cut = false;
    bool served_meanwhile = false;
    while (!cut && Clock::now() - start < std::chrono::seconds(12)) {
        if (!slow.send("x")) {
            cut = true;
            break;
        }
        if (!served_meanwhile) {
            // While the slow body holds its connection, a phone's ordinary request goes through.
            CHECK(phone.options().status == 200);
            served_meanwhile = true;
        }
        cut = slow.wait_closed(std::chrono::seconds(4));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    INFO("cut " << cut << " after " << seconds << " s; received: " << slow.received());
    CHECK(served_meanwhile);
    REQUIRE(cut);
    CHECK(seconds >= 1.5);  // by the timeout, not refused at once
    // nginx closes without an answer, or answers 408; it never passed the request to easd.
    CHECK((slow.status() == 0 || slow.status() == 408));
    CHECK(easd::test::has(own.nginx_access_log(), "\" 408 "));
    CHECK(phone.options().status == 200);
}

TEST_CASE("one address gets 503 beyond limit_conn while another address is served",
          "[e2e][limits][slow_client]") {
    easd::test::EasServer::Options o;
    o.connections_per_address = 10;
    easd::test::EasServer own(cluster(), o);
    REQUIRE(status_from(own.http_port(), "127.0.0.1") == 401);

    // Ten requests from 127.0.0.1 held open by unfinished bodies (the body timeout stays at 30 s).
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < 10; ++i) {
        held.push_back(std::make_unique<RawConnection>(own.http_port(), "127.0.0.1"));
        REQUIRE(held.back()->send(post_headers(1000) + "x"));
    }
    // nginx counts a request once it has read its headers: ask again until it has seen all ten.
    int over = 0;
    for (auto deadline = Clock::now() + std::chrono::seconds(15); Clock::now() < deadline;) {
        over = status_from(own.http_port(), "127.0.0.1");
        if (over == 503) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(over == 503);
    // Another address (another office, another phone) is not affected.
    CHECK(status_from(own.http_port(), "127.0.0.2") == 401);

    // The held requests end: the address is served again.
    held.clear();
    int after = 0;
    for (auto deadline = Clock::now() + std::chrono::seconds(15); Clock::now() < deadline;) {
        after = status_from(own.http_port(), "127.0.0.1");
        if (after == 401) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(after == 401);
}
