// easd's side of systemd's service protocols, read from the environment as systemd sets it, so no
// libsystemd is needed (both interfaces are declared stable by systemd):
//   - socket activation (sd_listen_fds(3)): LISTEN_PID is our pid, LISTEN_FDS the number of
//     listening sockets passed from descriptor 3 on;
//   - state notifications (sd_notify(3)): "KEY=VALUE\n..." datagrams to the unix socket named by
//     NOTIFY_SOCKET (a path, or "@name" in the abstract namespace): READY=1, RELOADING=1,
//     STOPPING=1, STATUS=..., WATCHDOG=1;
//   - the watchdog (sd_watchdog_enabled(3)): WATCHDOG_USEC (and WATCHDOG_PID, when set, our pid)
//     asks for WATCHDOG=1 at least that often.
// Outside systemd none of the variables is set and all of this does nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace easd::systemd {

// The listening sockets systemd passed to this process (descriptors 3, 4, ...), close-on-exec from
// now on; empty when none were passed (or they were meant for another process). Removes
// LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from the environment, so that a program easd starts
// (sendmail) never takes them for its own. Call once, before other threads start (setenv and
// getenv are not thread-safe).
std::vector<int> take_listen_fds();

// Where notifications go. Built from the environment once, before other threads start; the
// variables are then removed, so children (sendmail) do not talk to systemd in easd's name.
// notify() is thread-safe.
class Notifier {
public:
    static Notifier from_environment();
    // A notifier for an explicit socket path ("" or unset: disabled) and watchdog interval (tests).
    explicit Notifier(std::string socket = {}, std::optional<std::chrono::microseconds> watchdog = std::nullopt)
        : socket_(std::move(socket)), watchdog_(watchdog) {}

    bool enabled() const { return !socket_.empty(); }
    // Sends `state` ("READY=1", "STATUS=...\nREADY=1"...) as one datagram; false when disabled or
    // the send failed (never throws: a missing systemd must not stop the server).
    bool notify(std::string_view state) const;
    // How often systemd expects WATCHDOG=1 (WatchdogSec=); nullopt when it does not.
    std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

private:
    std::string socket_;
    std::optional<std::chrono::microseconds> watchdog_;
};

// A thread that tells systemd the process is alive, at half the watchdog interval (as
// sd_watchdog_enabled(3) advises), but only while `healthy` says so: a process stuck where a
// restart would help stops pinging, and systemd kills and restarts it when the interval runs out.
// `healthy` returns an empty string when all is well, else why not (logged once per spell).
// Stops (and joins) on destruction.
class Watchdog {
public:
    Watchdog(const Notifier& notifier, std::chrono::microseconds interval, std::function<std::string()> healthy);
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

private:
    void run();

    const Notifier& notifier_;
    std::chrono::microseconds period_;
    std::function<std::string()> healthy_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace easd::systemd
