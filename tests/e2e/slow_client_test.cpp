// Slow and numerous clients are cut off by nginx (issue 12, "Resource limits"): a body that stalls
// longer than client_body_timeout ends the connection, and one address cannot hold more requests
// than limit_conn allows while other addresses are still served; nginx's own 503 for that says
// when to come back (Retry-After). Through the real nginx of the harness, with the limits made
// small (EasServer::Options) so that nothing waits 30 s.
//
// No step here waits a fixed time for nginx to have done something: each waits for what can be
// seen from outside (the connection closed, an answer received, a probe refused) until a deadline
// far beyond what a loaded machine needs. The deadlines only bound a failing run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
    explicit RawConnection(int port, const char* from = nullptr) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        if (from) {
            sockaddr_in src {};
            src.sin_family = AF_INET;
            ::inet_pton(AF_INET, from, &src.sin_addr);
            if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
                int e = errno;
                ::close(fd_);
                throw std::runtime_error(std::string("bind ") + from + ": " + std::strerror(e));
            }
        }
        sockaddr_in dst {};
        dst.sin_family = AF_INET;
        dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        dst.sin_port = htons(static_cast<uint16_t>(port));
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
            int e = errno;
            ::close(fd_);
            throw std::runtime_error(std::string("connect: ") + std::strerror(e));
        }
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
        while (!closed_) {
            // Rounded up: a wait of less than a millisecond still looks once.
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left <= 0) break;
            read_available(static_cast<int>(left));
        }
        return closed_;
    }

    // Whether nginx has said anything on this connection yet (an answer, a close, a reset),
    // without waiting.
    bool answered() {
        read_available(0);
        return closed_ || !received_.empty();
    }

    const std::string& received() const { return received_; }

    // The status of the answer received so far ("HTTP/1.1 503 ..."), 0 if none.
    int status() const {
        if (received_.rfind("HTTP/1.", 0) != 0 || received_.size() < 12) return 0;
        return std::atoi(received_.substr(9, 3).c_str());
    }

    // The values of header `name` (any letter case) in the answer, in order: a header nginx adds
    // to one easd already wrote would show up twice.
    std::vector<std::string> header_values(const std::string& name) const {
        std::vector<std::string> out;
        std::string head = received_.substr(0, received_.find("\r\n\r\n"));
        size_t pos = head.find("\r\n");
        while (pos != std::string::npos) {
            pos += 2;
            size_t end = head.find("\r\n", pos);
            std::string line = head.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
            size_t colon = line.find(':');
            if (colon != std::string::npos && colon == name.size() &&
                std::equal(name.begin(), name.end(), line.begin(),
                           [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                                       std::tolower(static_cast<unsigned char>(b)); })) {
                size_t v = line.find_first_not_of(' ', colon + 1);
                out.push_back(v == std::string::npos ? std::string() : line.substr(v));
            }
            pos = end;
        }
        return out;
    }

private:
    // One poll of up to `timeout_ms`, then whatever is there to read.
    void read_available(int timeout_ms) {
        pollfd p {fd_, POLLIN, 0};
        int ready = ::poll(&p, 1, timeout_ms);
        if (ready <= 0) return;
        char buf[4096];
        ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            received_.append(buf, static_cast<size_t>(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            closed_ = true;
        }
    }

    int fd_ = -1;
    bool closed_ = false;
    std::string received_;
};

// A POST whose headers promise `length` bytes of body; the caller sends (some of) the body.
std::string post_headers(size_t length) {
    return "POST /Microsoft-Server-ActiveSync?Cmd=Sync&User=slow&DeviceId=SLOW1&DeviceType=Test HTTP/1.1\r\n"
           "Host: 127.0.0.1\r\nMS-ASProtocolVersion: 14.1\r\nContent-Type: application/vnd.ms-sync.wbxml\r\n"
           "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

// One complete request without credentials from `from`, answered and closed: easd answers 401,
// nginx's limit 503.
std::unique_ptr<RawConnection> ask_from(int port, const char* from) {
    auto c = std::make_unique<RawConnection>(port, from);
    c->send("OPTIONS /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    c->wait_closed(std::chrono::seconds(30));
    return c;
}

int status_from(int port, const char* from) { return ask_from(port, from)->status(); }

// Asks from `from` until the answer has `status` or `within` passes; the last answer. A probe a
// few times a second: each one is a whole request through nginx (and easd).
std::unique_ptr<RawConnection> ask_until(int port, const char* from, int status, std::chrono::seconds within) {
    const auto deadline = Clock::now() + within;
    for (;;) {
        auto answer = ask_from(port, from);
        if (answer->status() == status || Clock::now() >= deadline) return answer;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace

TEST_CASE("a request body that stalls longer than client_body_timeout is cut off; others are served",
          "[e2e][limits][slow_client]") {
    easd::test::EasServer::Options o;
    o.client_body_timeout = 2;
    easd::test::EasServer own(cluster(), o);
    easd::test::create_user(cluster(), "slow@e2e.test", "secret-pw");
    EasClient phone(own.http_port(), "slow@e2e.test", "secret-pw", "SLOWOK");

    // One byte of a 1,000-byte body, then silence: nginx must close the connection once
    // client_body_timeout (2 s) has passed without a byte. Waited for until 20 s: well past a late
    // timer on a loaded machine, well before nginx's old default (60 s between reads).
    RawConnection slow(own.http_port());
    const auto start = Clock::now();
    REQUIRE(slow.send(post_headers(1000) + "x"));
    // While the slow body holds its connection, a phone's ordinary request goes through.
    CHECK(phone.options().status == 200);
    const bool cut = slow.wait_closed(std::chrono::seconds(20));
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    INFO("cut " << cut << " after " << seconds << " s; received: " << slow.received());
    REQUIRE(cut);
    CHECK(seconds >= 1.5);  // by the timeout, not refused at once
    // nginx closes without an answer, or answers 408; it never passed the request to easd. It
    // writes the access log line before it closes the connection.
    CHECK((slow.status() == 0 || slow.status() == 408));
    CHECK(easd::test::has(own.nginx_access_log(), "\" 408 "));
    CHECK(phone.options().status == 200);
}

TEST_CASE("one address gets 503 with Retry-After beyond limit_conn while another address is served",
          "[e2e][limits][slow_client]") {
    constexpr int kLimit = 10;
    easd::test::EasServer::Options o;
    o.connections_per_address = kLimit;
    easd::test::EasServer own(cluster(), o);
    const int port = own.http_port();
    {
        auto first = ask_from(port, "127.0.0.1");
        REQUIRE(first->status() == 401);
        // Only nginx's own refusal gets the Retry-After of the config; the map leaves it out here.
        CHECK(first->header_values("Retry-After").empty());
    }

    // kLimit requests from 127.0.0.1 held open by unfinished bodies (the body timeout stays 30 s).
    auto hold = [&] {
        auto c = std::make_unique<RawConnection>(port, "127.0.0.1");
        REQUIRE(c->send(post_headers(1000) + "x"));
        return c;
    };
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < kLimit; ++i) held.push_back(hold());

    // nginx counts a request once it has read its headers, in whichever of its workers took the
    // connection, at that worker's pace. So a probe can be counted before a held request whose
    // headers a busy worker has not read yet, and then that held request is the one refused (this
    // made the test fail every other run on a loaded machine). A held request is never answered
    // unless refused: one that was is replaced, and we probe until nginx refuses a probe while
    // every held request is still waiting for its body.
    std::unique_ptr<RawConnection> over;
    bool all_held = false;
    for (const auto deadline = Clock::now() + std::chrono::seconds(30); Clock::now() < deadline;) {
        for (auto& h : held)
            if (h->answered()) h = hold();
        over = ask_from(port, "127.0.0.1");
        all_held = std::none_of(held.begin(), held.end(), [](const auto& h) { return h->answered(); });
        if (over->status() == 503 && all_held) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    INFO("answer: " << over->received());
    REQUIRE(over->status() == 503);
    CHECK(all_held);
    // MS-ASHTTP: a 503 may say when to retry; phones back off by it. Once, from the config's map.
    CHECK(over->header_values("Retry-After") == std::vector<std::string>{"30"});
    CHECK(easd::test::has(own.nginx_error_log(), "limiting connections by zone \"easd_per_address\""));

    // Another address (another office, another phone) is not affected.
    CHECK(status_from(port, "127.0.0.2") == 401);

    // The held requests end (nginx sees each close while it waits for the body): the address is
    // served again.
    held.clear();
    CHECK(ask_until(port, "127.0.0.1", 401, std::chrono::seconds(30))->status() == 401);
}

TEST_CASE("easd's own 503 passes nginx with its one Retry-After", "[e2e][limits][slow_client]") {
    // A device budget of one request: the second is easd's 503 (throttling), not nginx's.
    easd::test::EasServer::Options o;
    o.config_lines = {"device_request_burst = 1", "device_requests_per_minute = 1"};
    easd::test::EasServer own(cluster(), o);
    const std::string user = new_user("retry");
    EasClient phone(own.http_port(), user, "secret-pw", "RETRY1");
    const std::string request = "POST /Microsoft-Server-ActiveSync?Cmd=FolderSync&User=" + user +
                                "&DeviceId=RETRY1&DeviceType=Test HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Authorization: " + phone.auth_header() + "\r\nMS-ASProtocolVersion: 14.1\r\n"
                                "Content-Type: application/vnd.ms-sync.wbxml\r\nContent-Length: 0\r\n"
                                "Connection: close\r\n\r\n";
    for (int i = 0; i < 2; ++i) {
        RawConnection c(own.http_port());
        REQUIRE(c.send(request));
        REQUIRE(c.wait_closed(std::chrono::seconds(30)));
        if (i == 0) continue;
        INFO("answer: " << c.received());
        REQUIRE(c.status() == 503);
        CHECK(c.header_values("X-MS-ASThrottle") == std::vector<std::string>{"OutOfBudgets"});
        auto retry = c.header_values("Retry-After");
        REQUIRE(retry.size() == 1);
        CHECK(std::atoi(retry[0].c_str()) >= 1);
    }
}
