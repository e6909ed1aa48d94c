#include "common/config.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

namespace easd {
namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
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
    if (!explicit_path.empty()) return load_file(explicit_path, error);
    if (const char* env = std::getenv("EASD_CONFIG"); env && *env) return load_file(env, error);
    const std::string system_path = "/etc/easd/easd.conf";
    if (access(system_path.c_str(), R_OK) == 0) return load_file(system_path, error);
    return Config{};
}

std::string Config::get(const std::string& key, const std::string& fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
}

std::optional<long> Config::get_int(const std::string& key, long fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    const char* s = it->second.c_str();
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0') return std::nullopt;
    return v;
}

std::string database_conninfo(const Config& config, const std::string& explicit_conninfo) {
    if (!explicit_conninfo.empty()) return explicit_conninfo;
    if (const char* env = std::getenv("EASD_DATABASE"); env && *env) return env;
    return config.get("database", "dbname=easd");
}

}  // namespace easd
