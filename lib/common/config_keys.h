// Every key easd, easctl and easd-deliver read from the config file, in one table. The file is
// shared by the three programs and each ignores what it does not read, so a misspelt key
// (`heartbeat_maxx = 900`) would otherwise change nothing without a word: with the table, each
// program warns about a key none of them knows, naming the registered key it most likely meant.
//
// The table is complete by construction: in a build without NDEBUG (the Debug and sanitizer
// builds the tests run), Config::get, get_int and has abort on a key that is not in it, so a new
// key read without being registered here fails the tests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace easd {

class Config;

// Which programs read a key (a bit set): for the reader of this table, and for tests.
enum ConfigReader : unsigned {
    kReadByEasd = 1u << 0,
    kReadByEasctl = 1u << 1,
    kReadByDeliver = 1u << 2,
};

struct ConfigKey {
    std::string_view name;
    unsigned readers;  // ConfigReader bits
};

// Grouped as README's "Installing for real" and "Running easd in front of Dovecot" describe them.
inline constexpr ConfigKey kConfigKeys[] = {
    // Every program: the PostgreSQL connection string (common/config.h database_conninfo).
    {"database", kReadByEasd | kReadByEasctl | kReadByDeliver},
    // easd's process, socket and log (fcgi-app/options.cpp).
    {"socket", kReadByEasd},
    {"socket_mode", kReadByEasd},
    {"socket_owner", kReadByEasd},
    {"threads", kReadByEasd},
    {"db_pool", kReadByEasd},
    {"finisher_threads", kReadByEasd},
    {"pid_file", kReadByEasd},
    {"log_level", kReadByEasd},
    {"log_file", kReadByEasd},
    {"protocol_log_dir", kReadByEasd},
    {"live_stats_ms", kReadByEasd},
    {"metrics_allow", kReadByEasd},
    {"metrics_dir", kReadByEasd},
    // Requests: Ping, hanging Sync, bodies, autodiscover, outgoing mail (easd-deliver too: Out of Office).
    {"heartbeat_min", kReadByEasd},
    {"heartbeat_max", kReadByEasd},
    {"max_ping_folders", kReadByEasd},
    {"max_parked", kReadByEasd},
    {"sync_loop_repeats", kReadByEasd},
    {"max_body_memory_mb", kReadByEasd},
    {"activesync_url", kReadByEasd},
    {"sendmail", kReadByEasd | kReadByDeliver},
    {"rotating_device_types", kReadByEasd},
    // Sign-in: the cache and the limits on password guessing (auth/login_limits.h).
    {"auth_cache_seconds", kReadByEasd},
    {"login_free_failures", kReadByEasd},
    {"login_lockout_failures", kReadByEasd},
    {"login_max_delay", kReadByEasd},
    {"login_lockout_seconds", kReadByEasd},
    {"login_failure_window", kReadByEasd},
    {"address_free_failures", kReadByEasd},
    {"address_lockout_failures", kReadByEasd},
    {"known_device_days", kReadByEasd},
    {"hash_slots", kReadByEasd},
    {"hash_wait_ms", kReadByEasd},
    // Request budgets (throttle/throttle_limits.h).
    {"device_requests_per_minute", kReadByEasd},
    {"device_request_burst", kReadByEasd},
    {"user_requests_per_minute", kReadByEasd},
    {"user_request_burst", kReadByEasd},
    {"autoblock_refusals", kReadByEasd},
    {"autoblock_window_seconds", kReadByEasd},
    {"autoblock_seconds", kReadByEasd},
    // The web console's sessions.
    {"console_idle_minutes", kReadByEasd},
    {"console_session_hours", kReadByEasd},
    // easctl user add / passwd.
    {"password_min_length", kReadByEasctl},
    // The mail store (mailstore/open_backend.cpp) and the Dovecot store's keys
    // (dovecot/dovecot_backend.cpp; a secret `x` may come from the file `x_file` instead).
    {"mail_store", kReadByEasd},
    {"imap_host", kReadByEasd},
    {"imap_port", kReadByEasd},
    {"imap_socket", kReadByEasd},
    {"imap_tls", kReadByEasd},
    {"imap_tls_verify", kReadByEasd},
    {"imap_ca_file", kReadByEasd},
    {"imap_master_user", kReadByEasd},
    {"imap_master_password", kReadByEasd},
    {"imap_master_password_file", kReadByEasd},
    {"imap_max_connections", kReadByEasd},
    {"imap_poll_seconds", kReadByEasd},
    {"imap_catch_up_threads", kReadByEasd},
    {"imap_message_cache_mb", kReadByEasd},
    {"imap_body_keep_kb", kReadByEasd},
    {"imap_inline_first_mirror", kReadByEasd},
    {"dovecot_auth_socket", kReadByEasd},
    {"push_token", kReadByEasd},
    {"push_token_file", kReadByEasd},
};

namespace config_keys_detail {
constexpr bool all_distinct() {
    for (const ConfigKey& a : kConfigKeys) {
        int seen = 0;
        for (const ConfigKey& b : kConfigKeys) seen += a.name == b.name ? 1 : 0;
        if (seen != 1) return false;
    }
    return true;
}
}  // namespace config_keys_detail
static_assert(config_keys_detail::all_distinct(), "a config key is registered twice");

// Whether any of the three programs reads `key`.
constexpr bool is_config_key(std::string_view key) {
    for (const ConfigKey& k : kConfigKeys)
        if (k.name == key) return true;
    return false;
}

// The registered key `unknown` most likely meant: one within an edit distance of 2 (the
// closest; the first in the table on a tie), or the same once case and underscores are ignored
// ("HeartbeatMax"). nullopt when none is that close.
std::optional<std::string_view> closest_config_key(std::string_view unknown);

// One line per key of `config` that no program reads, in the order of their names:
// "config /etc/easd/easd.conf: unknown key 'heartbeat_maxx' (ignored); did you mean 'heartbeat_max'?"
// A warning only: a config written for a newer easd must still start an older one.
std::vector<std::string> unknown_config_key_warnings(const Config& config);

}  // namespace easd
