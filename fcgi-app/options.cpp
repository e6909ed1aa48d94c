#include "options.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/config.h"
#include "common/split_list.h"
#include "common/text.h"
#include "common/version.h"

namespace easd::app {

namespace {

const char* kUsage =
    "usage: easd [--config FILE] [--database CONNINFO] [--socket PATH] [--socket-mode MODE]\n"
    "            [--socket-owner USER[:GROUP]] [--threads N] [--db-pool N] [--protocol-log-dir DIR]\n"
    "            [--pid-file FILE] [--auth-cache-seconds N] [--heartbeat-min N] [--heartbeat-max N]\n"
    "            [--verbose]\n"
    "       easd --help | --version\n"
    "Serves Exchange ActiveSync over FastCGI. Without a socket, uses the listening socket on fd 0\n"
    "(spawn-fcgi, mod_fcgid, systemd socket activation).\n"
    "The config: --config FILE, else $EASD_CONFIG, else /etc/easd/easd.conf. The database:\n"
    "--database CONNINFO, else the config's `database` (of a --config FILE before $EASD_DATABASE),\n"
    "else $EASD_DATABASE, else dbname=easd.\n";

bool parse_int(const std::string& s, int base, int lo, int hi, int* out) {
    if (s.empty()) return false;
    char* end = nullptr;
    long v = std::strtol(s.c_str(), &end, base);
    if (*end != '\0' || v < lo || v > hi) return false;
    *out = static_cast<int>(v);
    return true;
}

}  // namespace

std::optional<Options> parse_options(int argc, char** argv, int* exit_code) {
    *exit_code = 0;
    Config overrides;
    std::string config_path;
    std::string database;
    bool verbose = false;
    static const char* const keyed[][2] = {
        {"--socket", "socket"},          {"--socket-mode", "socket_mode"}, {"--socket-owner", "socket_owner"},
        {"--threads", "threads"},        {"--db-pool", "db_pool"},         {"--protocol-log-dir", "protocol_log_dir"},
        {"--pid-file", "pid_file"},       {"--auth-cache-seconds", "auth_cache_seconds"},
        {"--heartbeat-min", "heartbeat_min"}, {"--heartbeat-max", "heartbeat_max"},
    };
    // A command line easd cannot follow: the reason and the usage on stderr, exit 2 (as getopt's
    // tools do), before anything is read.
    auto usage_error = [&](const std::string& reason) {
        std::fprintf(stderr, "easd: %s\n%s", reason.c_str(), kUsage);
        *exit_code = 2;
        return std::nullopt;
    };
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return std::nullopt;
        }
        if (arg == "--version") {
            std::printf("easd %s\n", kVersion);
            return std::nullopt;
        }
        if (arg == "--verbose" || arg == "-v") {
            verbose = true;
            continue;
        }
        std::string value;
        auto eq = arg.find('=');
        bool inline_value = eq != std::string::npos;
        if (inline_value) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
        }
        const char* key = nullptr;
        for (const auto& k : keyed)
            if (arg == k[0]) key = k[1];
        if (!key && arg != "--config" && arg != "--database") {
            if (arg.rfind("-", 0) != 0) return usage_error("unexpected argument '" + arg + "'");
            return usage_error("unknown option '" + arg + "'");
        }
        if (!inline_value) {
            if (i + 1 >= argc) return usage_error(arg + " needs a value");
            value = argv[++i];
        }
        if (arg == "--config")
            config_path = value;
        else if (arg == "--database")
            database = value;
        else
            overrides.set(key, value);
    }

    std::string error;
    auto config = Config::load_default(config_path, &error);
    if (!config) {
        std::fprintf(stderr, "easd: %s\n", error.c_str());
        *exit_code = 78;
        return std::nullopt;
    }
    auto get = [&](const char* key) { return overrides.has(key) ? overrides.get(key) : config->get(key); };

    Options o;
    o.config = *config;
    o.config_path = config->source();
    o.database = database_conninfo(*config, database);
    o.database_from = database_origin(*config, database);
    o.socket_path = get("socket");
    o.socket_owner = get("socket_owner");
    o.protocol_log_dir = get("protocol_log_dir");
    o.pid_file = get("pid_file");
    if (std::string sendmail = get("sendmail"); !sendmail.empty()) o.sendmail_command = sendmail;
    o.activesync_url = get("activesync_url");
    if (overrides.has("rotating_device_types") || config->has("rotating_device_types")) {
        o.rotating_device_types.clear();
        const std::string list = get("rotating_device_types");
        for (std::string_view type : split_list(list, ","))
            if (type != "none") o.rotating_device_types.emplace_back(type);
    }
    if (overrides.has("metrics_allow") || config->has("metrics_allow")) {
        // Empty ("metrics_allow =") lets nobody read them; the web server may still add its own rule.
        auto allowed = AddressList::parse(get("metrics_allow"), &error);
        if (!allowed) {
            std::fprintf(stderr, "easd: invalid metrics_allow: %s\n", error.c_str());
            *exit_code = 78;
            return std::nullopt;
        }
        o.metrics_allow = std::move(*allowed);
    }
    if (overrides.has("metrics_dir") || config->has("metrics_dir")) {
        o.metrics_dir = get("metrics_dir");
        if (o.metrics_dir == "none") o.metrics_dir.clear();
    } else if (!o.socket_path.empty()) {
        // Beside the socket: the processes of a host serving one nginx find each other there, and
        // under systemd that is /run/easd, which easd may write (ProtectSystem=strict).
        const std::filesystem::path beside = std::filesystem::path(o.socket_path).parent_path();
        o.metrics_dir = (beside.empty() ? std::filesystem::path(".") : beside) / "metrics";
    }
    o.log_file = get("log_file");
    if (std::string level = get("log_level"); !level.empty()) {
        auto parsed = parse_log_level(level);
        if (!parsed) {
            std::fprintf(stderr, "easd: invalid log_level: %s (debug, info, warning or error)\n", level.c_str());
            *exit_code = 78;
            return std::nullopt;
        }
        o.log_level = *parsed;
    }
    if (verbose) o.log_level = LogLevel::Debug;
    struct IntSetting {
        const char* key;
        int base, lo, hi;
        int* out;
    } ints[] = {
        {"socket_mode", 8, 0, 0777, &o.socket_mode},
        {"threads", 10, 1, 4096, &o.threads},
        {"db_pool", 10, 1, 1024, &o.db_pool},
        {"auth_cache_seconds", 10, 0, 3600, &o.auth_cache_seconds},
        {"heartbeat_min", 10, 1, 86400, &o.heartbeat_min},
        {"heartbeat_max", 10, 1, 86400, &o.heartbeat_max},
        {"max_ping_folders", 10, 1, 10000, &o.max_ping_folders},
        {"finisher_threads", 10, 1, 64, &o.finisher_threads},
        {"max_parked", 10, 0, 10000000, &o.max_parked},
        {"login_free_failures", 10, 1, 1000, &o.login_limits.account.free_failures},
        {"login_lockout_failures", 10, 1, 100000, &o.login_limits.account.lockout_after},
        {"address_free_failures", 10, 1, 100000, &o.login_limits.address.free_failures},
        {"address_lockout_failures", 10, 1, 1000000, &o.login_limits.address.lockout_after},
        {"login_max_delay", 10, 1, 86400, &o.login_limits.max_delay_seconds},
        {"login_lockout_seconds", 10, 1, 604800, &o.login_limits.lockout_seconds},
        {"login_failure_window", 10, 1, 604800, &o.login_limits.window_seconds},
        {"known_device_days", 10, 1, 3650, &o.login_limits.known_device_days},
        {"hash_slots", 10, 0, 1024, &o.login_limits.hash_slots},
        {"hash_wait_ms", 10, 0, 600000, &o.login_limits.hash_wait_ms},
        {"max_body_memory_mb", 10, 1, 1 << 20, &o.max_body_memory_mb},
        {"device_requests_per_minute", 10, 0, 1000000, &o.throttle_limits.device_requests_per_minute},
        {"device_request_burst", 10, 1, 1000000, &o.throttle_limits.device_request_burst},
        {"user_requests_per_minute", 10, 0, 1000000, &o.throttle_limits.user_requests_per_minute},
        {"user_request_burst", 10, 1, 1000000, &o.throttle_limits.user_request_burst},
        {"autoblock_refusals", 10, 0, 1000000, &o.throttle_limits.autoblock_refusals},
        {"autoblock_window_seconds", 10, 1, 604800, &o.throttle_limits.autoblock_window_seconds},
        {"autoblock_seconds", 10, 1, 604800, &o.throttle_limits.autoblock_seconds},
        {"sync_loop_repeats", 10, 0, 1000, &o.sync_loop_repeats},
        {"live_stats_ms", 10, 0, 3600000, &o.live_stats_ms},
        {"console_idle_minutes", 10, 1, 7 * 24 * 60, &o.console_idle_minutes},
        {"console_session_hours", 10, 1, 30 * 24, &o.console_session_hours},
    };
    for (const auto& s : ints) {
        std::string v = get(s.key);
        if (!v.empty() && !parse_int(v, s.base, s.lo, s.hi, s.out)) {
            std::fprintf(stderr, "easd: invalid %s: %s\n", s.key, v.c_str());
            *exit_code = 78;
            return std::nullopt;
        }
    }
    return o;
}

admin::ConsoleSettings console_settings(const Options& options) {
    admin::ConsoleSettings settings;
    settings.idle_seconds = options.console_idle_minutes * 60;
    settings.absolute_seconds = options.console_session_hours * 60 * 60;
    return settings;
}

commands::ServerSettings server_settings(const Options& options) {
    commands::ServerSettings settings;
    settings.protocol_log_dir = options.protocol_log_dir;
    settings.auth_cache_seconds = options.auth_cache_seconds;
    settings.login_limits = options.login_limits;
    settings.throttle_limits = options.throttle_limits;
    settings.sync_loop_repeats = options.sync_loop_repeats;
    settings.max_body_bytes = options.max_body_bytes;
    settings.heartbeat_min = options.heartbeat_min;
    settings.heartbeat_max = std::max(options.heartbeat_min, options.heartbeat_max);
    settings.max_ping_folders = options.max_ping_folders;
    settings.sendmail_command = options.sendmail_command;
    settings.activesync_url = options.activesync_url;
    settings.rotating_device_types = options.rotating_device_types;
    settings.metrics_allow = options.metrics_allow;
    return settings;
}

}  // namespace easd::app
