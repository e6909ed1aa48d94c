// Server log: one line per event on stderr, with time, level and program. Thread-safe.
// Never pass passwords or Authorization headers here.
#pragma once

#include <string>

namespace easd {

enum class LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3 };

// "2026-11-25T07:50:00.123Z": the current time in UTC with milliseconds.
std::string utc_timestamp();
// "2026-11-30T13:00:00Z" for a time in seconds since the epoch.
std::string utc_time_text(long long unix_seconds);

void set_log_program(const char* name);
void set_log_level(LogLevel level);
void log_message(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

#define EASD_LOG_DEBUG(...) ::easd::log_message(::easd::LogLevel::Debug, __VA_ARGS__)
#define EASD_LOG_INFO(...) ::easd::log_message(::easd::LogLevel::Info, __VA_ARGS__)
#define EASD_LOG_WARN(...) ::easd::log_message(::easd::LogLevel::Warning, __VA_ARGS__)
#define EASD_LOG_ERROR(...) ::easd::log_message(::easd::LogLevel::Error, __VA_ARGS__)

}  // namespace easd
