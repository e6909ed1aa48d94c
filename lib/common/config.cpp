#include "common/config.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <fstream>

#include "common/config_keys.h"

namespace easd {
namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// A key read that the registry does not list would never be warned about as unknown (nor
// suggested for a misspelling of it): stop the tests at the line that reads it. Release builds
// skip the look-up.
void require_registered(const std::string& key) {
#ifndef NDEBUG
    if (!is_config_key(key)) {
        std::fprintf(stderr, "config key '%s' is read but not registered in lib/common/config_keys.h\n", key.c_str());
        std::abort();
    }
#else
    (void)key;
#endif
}

}  // namespace

std::optional<Config> Config::load_file(const std::string& path, std::string* error) {
    std::ifstream in(path);
    if (!in) {
        if (error) *error = "cannot read config " + path;
        return std::nullopt;
    }
    Config config;
    config.source_ = path;
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        auto hash = line.find('#');
        if (hash != std::string::npos) line.erase(hash);
        line = trim(line);
        if (line.empty()) continue;
        auto eq = line.find('=');
        std::string key = eq == std::string::npos ? std::string() : trim(line.substr(0, eq));
        if (key.empty()) {
            if (error) *error = path + ":" + std::to_string(lineno) + ": expected `key = value`";
            return std::nullopt;
        }
        config.values_[key] = trim(line.substr(eq + 1));
    }
    return config;
}

std::optional<Config> Config::load_default(const std::string& explicit_path, std::string* error) {
    auto from = [&](const std::string& path, Origin origin) {
        auto config = load_file(path, error);
        if (config) config->origin_ = origin;
        return config;
    };
    if (!explicit_path.empty()) return from(explicit_path, Origin::option);
    if (const char* env = std::getenv("EASD_CONFIG"); env && *env) {
        auto config = from(env, Origin::environment);
        if (!config && error) *error += " (named by EASD_CONFIG)";
        return config;
    }
    const std::string system_path = "/etc/easd/easd.conf";
    if (access(system_path.c_str(), R_OK) == 0) return from(system_path, Origin::system_path);
    return Config{};
}

bool Config::has(const std::string& key) const {
    require_registered(key);
    return values_.count(key) != 0;
}

std::string Config::get(const std::string& key, const std::string& fallback) const {
    require_registered(key);
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
}

std::optional<long> Config::get_int(const std::string& key, long fallback) const {
    require_registered(key);
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    const char* s = it->second.c_str();
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0') return std::nullopt;
    return v;
}

namespace {
const char* database_env() {
    const char* env = std::getenv("EASD_DATABASE");
    return env && *env ? env : nullptr;
}
}  // namespace

std::string database_conninfo(const Config& config, const std::string& explicit_conninfo) {
    if (!explicit_conninfo.empty()) return explicit_conninfo;
    if (config.origin() == Config::Origin::option && config.has("database")) return config.get("database");
    if (const char* env = database_env()) return env;
    return config.get("database", "dbname=easd");
}

std::string database_origin(const Config& config, const std::string& explicit_conninfo) {
    if (!explicit_conninfo.empty()) return "--database";
    if (config.origin() == Config::Origin::option && config.has("database")) return "the config " + config.source();
    if (database_env()) return "EASD_DATABASE";
    if (config.has("database")) return "the config " + config.source();
    if (config.origin() == Config::Origin::none) return "the default (no --config, EASD_CONFIG or /etc/easd/easd.conf)";
    return "the default (no `database` in " + config.source() + ")";
}

}  // namespace easd
