#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <algorithm>

namespace easd {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};
const char* g_program = "easd";
}  // namespace

std::string utc_timestamp() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    gmtime_r(&ts.tv_sec, &t);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                  t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(ts.tv_nsec / 1000000));
    return buf;
}

std::string utc_time_text(long long unix_seconds) {
    time_t secs = static_cast<time_t>(unix_seconds);
    tm t{};
    gmtime_r(&secs, &t);
    char buf[80];  // room for any int the format could see
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                  t.tm_hour, t.tm_min, t.tm_sec);
    return buf;
}

void set_log_program(const char* name) { g_program = name; }
void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }

const char* log_level_name(LogLevel level) {
    static const char* const names[] = {"debug", "info", "warning", "error"};
    return names[static_cast<int>(level)];
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
    if (name == "debug") return LogLevel::Debug;
    if (name == "info") return LogLevel::Info;
    if (name == "warning" || name == "warn") return LogLevel::Warning;
    if (name == "error") return LogLevel::Error;
    return std::nullopt;
}

bool redirect_log_to_file(const std::string& path, std::string* error) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        *error = "cannot open the log file " + path + ": " + std::strerror(errno);
        return false;
    }
    // dup2 replaces descriptor 2 in one step: a line written meanwhile goes whole to one file.
    // (dup2 leaves close-on-exec off on 2: programs easd starts keep writing their errors here.)
    bool ok = fd == 2 ? ::fcntl(2, F_SETFD, 0) == 0 : ::dup2(fd, 2) == 2;
    if (!ok) *error = "cannot write the log to " + path + ": " + std::strerror(errno);
    if (fd != 2) ::close(fd);
    return ok;
}

void log_message(LogLevel level, const char* fmt, ...) {
    if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
    char line[2048];
    int n = std::snprintf(line, sizeof line, "%s %s[%d] %s: ", utc_timestamp().c_str(), g_program,
                          static_cast<int>(getpid()), log_level_name(level));
    va_list ap;
    va_start(ap, fmt);
    int m = std::vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    size_t len = static_cast<size_t>(n) + (m < 0 ? 0 : std::min<size_t>(m, sizeof line - n - 2));
    line[len++] = '\n';
    // One write() per line keeps lines whole between threads and processes.
    ssize_t ignored = write(2, line, len);
    (void)ignored;
}

}  // namespace easd
