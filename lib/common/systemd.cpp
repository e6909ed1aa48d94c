#include "common/systemd.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "common/log.h"
#include "common/unique_fd.h"

namespace easd::systemd {

namespace {

// The first descriptor systemd passes (SD_LISTEN_FDS_START).
constexpr int kListenFdsStart = 3;

// A whole decimal number in [0, max]; nullopt for anything else (sign, spaces, overflow).
std::optional<unsigned long long> parse_number(const char* text, unsigned long long max) {
    if (!text || *text < '0' || *text > '9') return std::nullopt;
    errno = 0;
    char* end = nullptr;
    unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) return std::nullopt;
    return v;
}

// Whether the variable names this process: unset counts as yes (WATCHDOG_PID is optional).
bool names_this_process(const char* variable) {
    const char* pid = std::getenv(variable);
    if (!pid) return true;
    auto v = parse_number(pid, static_cast<unsigned long long>(INT32_MAX));
    return v && static_cast<pid_t>(*v) == getpid();
}

}  // namespace

std::vector<int> take_listen_fds() {
    std::vector<int> fds;
    const char* pid = std::getenv("LISTEN_PID");
    auto count = parse_number(std::getenv("LISTEN_FDS"), 4096);
    // LISTEN_PID is required here: without it the sockets may be a parent's (sd_listen_fds(3)).
    if (pid && names_this_process("LISTEN_PID") && count) {
        for (int fd = kListenFdsStart; fd < kListenFdsStart + static_cast<int>(*count); ++fd) {
            int flags = fcntl(fd, F_GETFD);
            if (flags < 0) continue;  // not open after all: nothing to take
            fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
            fds.push_back(fd);
        }
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return fds;
}

Notifier Notifier::from_environment() {
    std::string socket;
    if (const char* s = std::getenv("NOTIFY_SOCKET"); s && (s[0] == '/' || s[0] == '@') && s[1] != '\0') socket = s;
    std::optional<std::chrono::microseconds> watchdog;
    if (names_this_process("WATCHDOG_PID"))
        if (auto usec = parse_number(std::getenv("WATCHDOG_USEC"), 1ULL << 62); usec && *usec > 0)
            watchdog = std::chrono::microseconds(static_cast<long long>(*usec));
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    return Notifier(std::move(socket), watchdog);
}

bool Notifier::notify(std::string_view state) const {
    if (socket_.empty()) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_.size() >= sizeof addr.sun_path) return false;
    std::memcpy(addr.sun_path, socket_.data(), socket_.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
    if (socket_[0] == '@')
        addr.sun_path[0] = '\0';  // the abstract namespace: the name is the bytes after the NUL
    else
        ++len;  // a path: its terminating NUL too
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) return false;
    ssize_t sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
    return sent == static_cast<ssize_t>(state.size());
}

Watchdog::Watchdog(const Notifier& notifier, std::chrono::microseconds interval, std::function<std::string()> healthy)
    : notifier_(notifier), period_(interval / 2), healthy_(std::move(healthy)), thread_([this] { run(); }) {}

Watchdog::~Watchdog() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void Watchdog::run() {
    bool was_healthy = true;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        std::string problem = healthy_();
        if (problem.empty()) {
            notifier_.notify("WATCHDOG=1");
            if (!was_healthy) EASD_LOG_INFO("watchdog: healthy again, telling systemd so");
        } else if (was_healthy) {
            // Once per spell: systemd's watchdog ends the process if it lasts.
            EASD_LOG_ERROR("watchdog: %s; not telling systemd that easd is alive", problem.c_str());
        }
        was_healthy = problem.empty();
        lock.lock();
        wake_.wait_for(lock, period_, [this] { return stopping_; });
    }
}

}  // namespace easd::systemd
