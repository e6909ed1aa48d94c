// Server log: one line per event on stderr, with time, level and program. Thread-safe.
// Never pass passwords or Authorization headers here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace easd {

enum class LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3 };

// "2026-11-25T07:50:00.123Z": the current time in UTC with milliseconds.
std::string utc_timestamp();
// "2026-11-30T13:00:00Z" for a time in seconds since the epoch.
std::string utc_time_text(long long unix_seconds);

void set_log_program(const char* name);
void set_log_level(LogLevel level);
// "debug", "info", "warning" (or "warn"), "error"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view name);
const char* log_level_name(LogLevel level);  // as the log lines and parse_log_level name it

// Points stderr, and so the log and whatever else writes there (libraries, sanitizers), at the
// file `path`, appended to (created 0640). Called again after logrotate renamed the file, it
// opens a new one by that name (SIGHUP). The switch is one dup2(), so no line is cut or lost
// between threads. False, with the reason in *error, when the file cannot be opened: the log
// stays where it was.
bool redirect_log_to_file(const std::string& path, std::string* error);
void log_message(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define EASD_LOG_DEBUG(...) ::easd::log_message(::easd::LogLevel::Debug, __VA_ARGS__)
#define EASD_LOG_INFO(...) ::easd::log_message(::easd::LogLevel::Info, __VA_ARGS__)
#define EASD_LOG_WARN(...) ::easd::log_message(::easd::LogLevel::Warning, __VA_ARGS__)
#define EASD_LOG_ERROR(...) ::easd::log_message(::easd::LogLevel::Error, __VA_ARGS__)

}  // namespace easd
