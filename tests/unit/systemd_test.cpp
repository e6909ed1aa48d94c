// common/systemd: the environment systemd sets, read and cleared; notifications as datagrams on a
// real unix socket (a path and the abstract namespace); the watchdog thread that pings only while
// the process is healthy; sockets taken from fd 3.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "common/systemd.h"
#include "common/unique_fd.h"

using namespace easd;

namespace {

// A bound unix datagram socket: `name` is a path, or "@name" for the abstract namespace.
UniqueFd bound_socket(const std::string& name) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    if (name[0] == '@') addr.sun_path[0] = '\0';
    else ::unlink(name.c_str());
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
    return fd;
}

// The next datagram within `ms`, or "" when none came.
std::string receive(const UniqueFd& fd, int ms = 1000) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return {};
    char buf[512];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string temp_path(const char* stem) {
    return "/tmp/easd-" + std::string(stem) + "-" + std::to_string(getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace

TEST_CASE("sd_notify: a datagram to the socket NOTIFY_SOCKET names, path or abstract", "[systemd]") {
    const std::string path = temp_path("notify");
    UniqueFd server = bound_socket(path);
    systemd::Notifier to_path(path);
    CHECK(to_path.enabled());
    CHECK(to_path.notify("READY=1\nSTATUS=serving"));
    CHECK(receive(server) == "READY=1\nSTATUS=serving");
    ::unlink(path.c_str());

    const std::string abstract = "@easd-test-" + std::to_string(getpid());
    UniqueFd abstract_server = bound_socket(abstract);
    CHECK(systemd::Notifier(abstract).notify("STOPPING=1"));
    CHECK(receive(abstract_server) == "STOPPING=1");

    systemd::Notifier none;  // outside systemd: nothing to do, nothing fails
    CHECK_FALSE(none.enabled());
    CHECK_FALSE(none.notify("READY=1"));
    CHECK_FALSE(systemd::Notifier(temp_path("nobody")).notify("READY=1"));  // nobody listening
}

TEST_CASE("sd_notify: the environment is read once and cleared, so children do not inherit it", "[systemd]") {
    setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
    setenv("WATCHDOG_USEC", "30000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    systemd::Notifier n = systemd::Notifier::from_environment();
    CHECK(n.enabled());
    REQUIRE(n.watchdog_interval());
    CHECK(*n.watchdog_interval() == std::chrono::seconds(30));
    CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);
    CHECK(std::getenv("WATCHDOG_USEC") == nullptr);
    CHECK(std::getenv("WATCHDOG_PID") == nullptr);

    // The watchdog of another process (the variables were inherited), and nonsense.
    setenv("WATCHDOG_USEC", "30000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
    CHECK_FALSE(systemd::Notifier::from_environment().watchdog_interval());
    setenv("NOTIFY_SOCKET", "relative/path", 1);
    setenv("WATCHDOG_USEC", "-5", 1);
    systemd::Notifier bad = systemd::Notifier::from_environment();
    CHECK_FALSE(bad.enabled());
    CHECK_FALSE(bad.watchdog_interval());
}

TEST_CASE("sd_listen_fds: the sockets from fd 3 when LISTEN_PID is ours, close-on-exec; the variables cleared",
          "[systemd]") {
    // Put a listening socket on fd 3 as systemd would (keeping whatever the test runner had there).
    const int saved = ::fcntl(3, F_DUPFD_CLOEXEC, 10);
    UniqueFd listening(::socket(AF_UNIX, SOCK_STREAM, 0));
    REQUIRE(::dup2(listening.get(), 3) == 3);
    REQUIRE((::fcntl(3, F_GETFD) & FD_CLOEXEC) == 0);

    setenv("LISTEN_PID", std::to_string(getpid() + 1).c_str(), 1);  // another process's
    setenv("LISTEN_FDS", "1", 1);
    CHECK(systemd::take_listen_fds().empty());
    CHECK(std::getenv("LISTEN_FDS") == nullptr);

    setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
    setenv("LISTEN_FDS", "1", 1);
    setenv("LISTEN_FDNAMES", "easd.socket", 1);
    CHECK(systemd::take_listen_fds() == std::vector<int>{3});
    CHECK((::fcntl(3, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(std::getenv("LISTEN_PID") == nullptr);
    CHECK(std::getenv("LISTEN_FDS") == nullptr);
    CHECK(std::getenv("LISTEN_FDNAMES") == nullptr);
    CHECK(systemd::take_listen_fds().empty());  // once

    if (saved >= 0) {
        ::dup2(saved, 3);
        ::close(saved);
    } else {
        ::close(3);
    }
}

TEST_CASE("watchdog: WATCHDOG=1 every half interval while healthy, none while not", "[systemd]") {
    const std::string path = temp_path("watchdog");
    UniqueFd server = bound_socket(path);
    systemd::Notifier notifier(path);
    std::atomic<bool> healthy{true};
    {
        systemd::Watchdog watchdog(notifier, std::chrono::milliseconds(200),
                                   [&]() -> std::string { return healthy ? "" : "stuck"; });
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 3; ++i) CHECK(receive(server) == "WATCHDOG=1");
        // Three pings, 100 ms apart (the first at once).
        CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(180));
        healthy = false;
        receive(server, 150);  // one may have been on its way
        CHECK(receive(server, 400).empty());
        healthy = true;
        CHECK(receive(server) == "WATCHDOG=1");
    }
    CHECK(receive(server, 300).empty());  // stopped with its owner
    ::unlink(path.c_str());
}
