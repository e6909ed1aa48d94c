// easd as systemd runs it, without a running systemd: the socket passed the way systemd passes it
// (systemd-socket-activate from the systemd package: LISTEN_FDS=1, LISTEN_PID, fd 3), the
// notifications a unit of Type=notify waits for (READY=1 only once the database answered,
// WATCHDOG=1, STOPPING=1) read from a datagram socket standing in for NOTIFY_SOCKET, and SIGHUP
// (ExecReload): the log file reopened after logrotate's rename, run-time settings re-read.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <thread>

#include "common/unique_fd.h"
#include "e2e_support.h"
#include "parked_support.h"

using namespace e2e;
using Clock = std::chrono::steady_clock;

namespace {

// NOTIFY_SOCKET's other end: a unix datagram socket bound to a path, as systemd's is.
class NotifySocket {
public:
    explicit NotifySocket(std::string path) : path_(std::move(path)), fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (!fd_ || path_.size() >= sizeof addr.sun_path) throw std::runtime_error("notify socket: " + path_);
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        ::unlink(path_.c_str());
        if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("cannot bind " + path_ + ": " + std::strerror(errno));
        ::chmod(path_.c_str(), 0666);
    }
    ~NotifySocket() { ::unlink(path_.c_str()); }
    const std::string& path() const { return path_; }

    // The datagrams that arrive until one satisfies `done` (true) or `limit` passes (false).
    bool receive_until(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds limit) {
        const auto end = Clock::now() + limit;
        for (auto now = Clock::now(); now < end; now = Clock::now()) {
            pollfd p{fd_.get(), POLLIN, 0};
            int wait = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(end - now).count());
            if (::poll(&p, 1, std::max(1, wait)) <= 0) continue;
            char buf[4096];
            ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
            if (n <= 0) continue;
            received_.emplace_back(buf, static_cast<std::size_t>(n));
            if (done(received_.back())) return true;
        }
        return false;
    }
    bool wait_for(const std::string& line, std::chrono::milliseconds limit) {
        return receive_until([&](const std::string& d) { return has_line(d, line); }, limit);
    }
    // Everything received so far, one datagram per element.
    const std::vector<std::string>& received() const { return received_; }
    static bool has_line(const std::string& datagram, const std::string& line) {
        return ("\n" + datagram + "\n").find("\n" + line + "\n") != std::string::npos;
    }
    int count(const std::string& line) const {
        int n = 0;
        for (const auto& d : received_) n += has_line(d, line) ? 1 : 0;
        return n;
    }

private:
    std::string path_;
    easd::UniqueFd fd_;
    std::vector<std::string> received_;
};

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
    const auto end = Clock::now() + limit;
    while (!condition()) {
        if (Clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("systemd: easd serves the socket systemd passes (LISTEN_FDS, fd 3), says READY=1, keeps the watchdog fed, "
          "says STOPPING=1",
          "[e2e][systemd]") {
    easd::test::EasServer own(cluster());
    const std::string user = new_user("sdsocket");
    REQUIRE(own.stop_easd(SIGTERM) == 0);  // nginx stays, pointed at the socket path

    NotifySocket notify(own.dir() + "/notify");
    // systemd-socket-activate binds the path, waits for the first connection, then executes easd in its own place (same pid)
    // with LISTEN_FDS=1, LISTEN_PID=that pid and the socket on fd 3, and an environment of only
    // those and what -E names (the sanitizers' options pass through by name). The config still
    // names `socket = <the same path>`: the socket systemd passes wins.
    easd::test::SpawnOptions so;
    so.log_path = own.dir() + "/activated.log";
    so.death_signal = SIGKILL;
    //
    // A `sleep` started just before holds a copy of the socket, as systemd's socket unit does, so
    // the test can see that the socket outlives easd: a stop must not shut it down for everyone.
    const std::string holder_pid_file = own.dir() + "/holder.pid";
    pid_t pid = easd::test::spawn_child(
        {"systemd-socket-activate", "-l", own.socket_path(), "-E",
         "NOTIFY_SOCKET=" + notify.path(), "-E", "WATCHDOG_USEC=1000000", "-E", "ASAN_OPTIONS", "-E",
         "UBSAN_OPTIONS", "/bin/sh", "-c", "sleep 600 & echo $! > " + holder_pid_file + "; exec \"$0\" \"$@\"",
         EASD_BIN, "--config", own.config_path()},
        so);
    struct stat st {};
    REQUIRE(wait_until([&] { return ::stat(own.socket_path().c_str(), &st) == 0 && S_ISSOCK(st.st_mode); },
                       std::chrono::seconds(10)));
    // Its socket is 0644 whatever the umask; nginx's workers (www-data) may connect once it is
    // 0666, as a socket unit's SocketMode= would make it.
    REQUIRE(::chmod(own.socket_path().c_str(), 0666) == 0);
    // Nothing is said before easd runs: the first request starts it.
    CHECK_FALSE(notify.receive_until([](const std::string&) { return true; }, std::chrono::milliseconds(300)));

    EasClient c(own.http_port(), user, "secret-pw", "SDSOCK1");
    CHECK(c.options().status == 200);
    INFO(easd::test::read_file(so.log_path));
    REQUIRE(notify.wait_for("READY=1", std::chrono::seconds(30)));
    CHECK(contains(notify.received().back(), "STATUS=serving on inherited fd 3 (systemd)"));
    const std::string log = easd::test::read_file(so.log_path);
    CHECK(contains(log, "listening on inherited fd 3 (systemd)"));
    CHECK(contains(log, "serving the socket systemd passed; socket = " + own.socket_path() + " is not used"));
    // The same process: systemd-socket-activate executed easd in its place.
    CHECK(contains(easd::test::read_file("/proc/" + std::to_string(pid) + "/cmdline"), EASD_BIN));
    auto h = folder_sync(c);
    CHECK(h.ids.count("Inbox") == 1);

    // WATCHDOG_USEC=1 s: WATCHDOG=1 every half second while the push hub goes round.
    REQUIRE(notify.receive_until([&](const std::string&) { return notify.count("WATCHDOG=1") >= 3; },
                                 std::chrono::seconds(5)));

    REQUIRE(kill(pid, SIGTERM) == 0);
    CHECK(notify.wait_for("STOPPING=1", std::chrono::seconds(10)));
    CHECK(easd::test::wait_child(pid, std::chrono::seconds(15)) == 0);
    // easd did not create the socket, so it leaves it (systemd owns it), and it still listens for
    // the next easd: a connection now waits in its queue instead of being refused (a shutdown()
    // of the listening socket failed systemd's socket unit at every stop).
    CHECK(::stat(own.socket_path().c_str(), &st) == 0);
    {
        easd::UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, own.socket_path().c_str(), own.socket_path().size() + 1);
        CHECK(::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    const pid_t holder = std::atoi(easd::test::read_file(holder_pid_file).c_str());
    if (holder > 0) ::kill(holder, SIGKILL);
    ::unlink(own.socket_path().c_str());
    own.start_easd();  // as the destructor expects it
}

TEST_CASE("systemd: no READY=1 while the database cannot be reached (easd exits 75, for systemd to try again)",
          "[e2e][systemd]") {
    const std::string dir = easd::test::make_temp_dir("easd-sdnotify");
    NotifySocket notify(dir + "/notify");
    easd::test::SpawnOptions so;
    so.log_path = dir + "/easd.log";
    so.env = {{"NOTIFY_SOCKET", notify.path()}};
    pid_t pid = easd::test::spawn_child({EASD_BIN, "--socket", dir + "/easd.sock", "--database",
                                         "host=" + dir + " dbname=nothing connect_timeout=2"},
                                        so);
    CHECK(easd::test::wait_child(pid, std::chrono::seconds(30)) == 75);
    notify.receive_until([](const std::string&) { return false; }, std::chrono::milliseconds(200));
    CHECK(notify.count("READY=1") == 0);
    easd::test::remove_tree(dir);
}

TEST_CASE("systemd: SIGHUP reopens the log file after logrotate renamed it", "[e2e][systemd][reload]") {
    const std::string logs = easd::test::make_temp_dir("easd-logfile");
    const std::string log = logs + "/easd.log";
    easd::test::EasServer::Options o;
    o.config_lines = {"log_file = " + log};
    easd::test::EasServer own(cluster(), o);
    REQUIRE(wait_until([&] { return contains(easd::test::read_file(log), "listening on"); }, std::chrono::seconds(10)));
    // The log went to the file, not to stderr.
    CHECK_FALSE(contains(own.easd_log(), "listening on"));

    REQUIRE(std::rename(log.c_str(), (log + ".1").c_str()) == 0);
    REQUIRE(kill(own.easd_pid(), SIGHUP) == 0);
    REQUIRE(wait_until([&] { return contains(easd::test::read_file(log), "reloaded:"); }, std::chrono::seconds(10)));
    const std::string rotated = easd::test::read_file(log + ".1");
    CHECK(contains(rotated, "SIGHUP: reopening the log"));  // said before the switch
    CHECK_FALSE(contains(rotated, "reloaded:"));
    // Still serving, and new lines keep going to the new file.
    EasClient c(own.http_port(), new_user("sdlog"), "secret-pw", "SDLOG1");
    CHECK(c.options().status == 200);
    CHECK(own.stop_easd(SIGTERM) == 0);
    CHECK(contains(easd::test::read_file(log), "stopped"));
    CHECK_FALSE(contains(easd::test::read_file(log + ".1"), "stopped"));
    own.start_easd();
    easd::test::remove_tree(logs);
}

TEST_CASE("systemd: SIGHUP applies the run-time settings, says which others wait for a restart, and keeps the "
          "running ones when the config has an error",
          "[e2e][systemd][reload]") {
    easd::test::EasServer own(cluster());
    ParkedPhone p(own.http_port(), new_user("sdreload"), "SDRELOAD1");
    Answer a = ping(p, 3000);
    CHECK(a.status == "5");
    CHECK(text_of(*a.response.doc, easd::wbxml::tag::Ping::HeartbeatInterval) == "1800");

    const std::string conf = easd::test::read_file(own.config_path());
    auto reload = [&](const std::string& extra, const std::string& until) {
        easd::test::write_file(own.config_path(), conf + extra);
        const auto before = own.easd_log().size();
        REQUIRE(kill(own.easd_pid(), SIGHUP) == 0);
        REQUIRE(wait_until([&] { return contains(own.easd_log().substr(before), until); }, std::chrono::seconds(10)));
        return own.easd_log().substr(before);
    };
    std::string said = reload("heartbeat_max = 120\nthreads = 3\n", "reloaded:");
    CHECK(contains(said, "heartbeat 60..120 s"));
    CHECK(contains(said, "reload: threads changed; it takes effect when easd restarts"));
    CHECK_FALSE(contains(said, "heartbeat_max changed"));
    a = ping(p, 3000);
    CHECK(a.status == "5");
    CHECK(text_of(*a.response.doc, easd::wbxml::tag::Ping::HeartbeatInterval) == "120");

    said = reload("heartbeat_max = 300\nlog_level = loud\n", "nothing changed");
    CHECK(contains(said, "invalid log_level: loud"));
    a = ping(p, 3000);
    CHECK(text_of(*a.response.doc, easd::wbxml::tag::Ping::HeartbeatInterval) == "120");
    CHECK(own.easd_running());
}
