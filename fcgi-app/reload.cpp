#include "reload.h"

#include <algorithm>
#include <set>

#include "common/config_keys.h"

namespace easd::app {

const std::vector<std::string>& reloadable_keys() {
    // Each is read by every request from the settings it started with, or (the log) by one
    // atomic switch: none is held in a thread, a pool or a cache built at start.
    static const std::vector<std::string> keys = {
        "log_level",     "log_file",      "heartbeat_min", "heartbeat_max",         "max_ping_folders",
        "sync_loop_repeats", "activesync_url", "sendmail", "rotating_device_types", "metrics_allow",
    };
    return keys;
}

commands::ServerSettings reloaded_settings(const commands::ServerSettings& running, const Options& fresh) {
    const commands::ServerSettings next = server_settings(fresh);
    commands::ServerSettings s = running;
    s.heartbeat_min = next.heartbeat_min;
    s.heartbeat_max = next.heartbeat_max;
    s.max_ping_folders = next.max_ping_folders;
    s.sync_loop_repeats = next.sync_loop_repeats;
    s.activesync_url = next.activesync_url;
    s.sendmail_command = next.sendmail_command;
    s.rotating_device_types = next.rotating_device_types;
    s.metrics_allow = next.metrics_allow;
    return s;
}

std::vector<std::string> keys_needing_restart(const Config& started_with, const Config& fresh) {
    std::set<std::string> changed;
    const auto& before = started_with.entries();
    const auto& after = fresh.entries();
    for (const auto& [key, value] : before) {
        auto now = after.find(key);
        if (now == after.end() || now->second != value) changed.insert(key);
    }
    for (const auto& [key, value] : after)
        if (!before.count(key)) changed.insert(key);
    const auto& reloadable = reloadable_keys();
    std::vector<std::string> out;
    // A key no program reads takes effect never, not at a restart: the reload warns about it as
    // unknown instead (common/config_keys.h).
    for (const auto& key : changed)
        if (is_config_key(key) && std::find(reloadable.begin(), reloadable.end(), key) == reloadable.end())
            out.push_back(key);
    return out;
}

}  // namespace easd::app
