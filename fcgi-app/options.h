// easd's settings: the config file, then command-line overrides.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "admin/console.h"
#include "auth/login_limits.h"
#include "commands/command.h"
#include "common/log.h"
#include "throttle/throttle_limits.h"
#include "common/address_list.h"
#include "common/config.h"

namespace easd::app {

struct Options {
    std::string config_path;
    std::string database;       // libpq conninfo
    std::string database_from;  // where it came from, for messages (common/config.h database_origin)
    std::string socket_path;    // empty: use the listening socket inherited on fd 0
    int socket_mode = 0660;
    std::string socket_owner;   // "user" or "user:group"; empty: leave as created
    int threads = 16;           // accept threads: requests handled at once
    int db_pool = 8;            // PostgreSQL connections
    std::string protocol_log_dir;
    std::string pid_file;
    std::size_t max_body_bytes = 64u << 20;
    int max_body_memory_mb = 256;  // request bodies held at once (beyond: 503, try again shortly)
    // How long a verified sign-in is remembered (15 min, IIS's UserTokenTTL for Basic): a phone
    // reconnecting after a quiet spell, or every phone at once after a network blip, costs no
    // password hash. A changed password counts at the next request all the same (the native
    // store's stored hash is compared on every request).
    int auth_cache_seconds = 900;
    auth::LoginLimits login_limits;  // config keys login_*, address_*, hash_* (README)
    throttle::ThrottleLimits throttle_limits;  // device_request*, user_request*, autoblock_* (README)
    int sync_loop_repeats = 3;
    // How often this process writes its live figures for easctl stats/top (ms; 0: never).
    int live_stats_ms = 1000;
    // Web console sessions: one unused this long ends, and every one ends this long after its
    // sign-in (config keys console_idle_minutes, console_session_hours; restart-only).
    int console_idle_minutes = 30;
    int console_session_hours = 12;
    int heartbeat_min = 60;      // Ping HeartbeatInterval bounds (seconds)
    int heartbeat_max = 1800;
    int max_ping_folders = 300;
    int finisher_threads = 4;
    int max_parked = 0;  // parked Pings/Syncs at once; 0: as many as descriptors allow
    std::string activesync_url;  // what autodiscover tells phones; "" = from the request's host
    // Device types that change their DeviceId (config: a comma-separated list, or "none").
    std::vector<std::string> rotating_device_types = {"WindowsOutlook15"};
    std::string sendmail_command = "/usr/sbin/sendmail";  // for mail to addresses without an account here
    // Who may read GET /easd-metrics (config key metrics_allow: addresses and networks).
    AddressList metrics_allow = AddressList::loopback();
    // Where the easd processes of this host leave their metrics for each other's scrapes (config
    // key metrics_dir; commands/metrics_snapshots.h). Default: `metrics` beside the socket; empty:
    // none (no socket path, or `metrics_dir = none`), each scrape answers for its process alone.
    std::string metrics_dir;
    LogLevel log_level = LogLevel::Info;  // config key log_level; --verbose: debug
    // Where the log goes (config key log_file); empty: stderr (the journal under systemd).
    std::string log_file;
    // The whole configuration, for the parts that read their own keys (the mail store:
    // mailstore/open_backend.h).
    Config config;
};

// Parses argv and the config file. On error or --help, prints to stderr/stdout and returns the
// exit code to use in *exit_code with nullopt.
std::optional<Options> parse_options(int argc, char** argv, int* exit_code);

// The settings the request handler reads, from the options.
commands::ServerSettings server_settings(const Options& options);

// The web console's settings from the options (session lifetimes).
admin::ConsoleSettings console_settings(const Options& options);

}  // namespace easd::app
