// Configuration: `key = value` lines with `#` comments, overridden by command-line options.
// Shared by easd, easctl and easd-deliver so they read the same file the same way.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace easd {

class Config {
public:
    // Reads a file; nullopt and a one-line reason in *error when it cannot be read or a line is
    // not `key = value`.
    static std::optional<Config> load_file(const std::string& path, std::string* error);

    // The file named by --config, else $EASD_CONFIG, else /etc/easd/easd.conf when it exists,
    // else an empty configuration. `explicit_path` empty means "not given".
    static std::optional<Config> load_default(const std::string& explicit_path, std::string* error);

    // Where load_default found the file.
    enum class Origin { none, option, environment, system_path };
    Origin origin() const { return origin_; }

    void set(const std::string& key, const std::string& value) { values_[key] = value; }
    // get, get_int and has take only keys registered in common/config_keys.h: without NDEBUG
    // (the Debug and sanitizer builds the tests run) another key aborts, naming it.
    bool has(const std::string& key) const;
    std::string get(const std::string& key, const std::string& fallback = {}) const;
    // nullopt when present but not an integer; fallback when absent.
    std::optional<long> get_int(const std::string& key, long fallback) const;
    const std::string& source() const { return source_; }
    // Every key and its value (to tell what changed between two readings of the file).
    const std::map<std::string, std::string>& entries() const { return values_; }

private:
    std::map<std::string, std::string> values_;
    std::string source_;
    Origin origin_ = Origin::none;
};

// The PostgreSQL connection string, a command-line option before the environment before a default
// path: --database, else the `database` of the file --config named, else $EASD_DATABASE, else the
// `database` of the file $EASD_CONFIG names or of /etc/easd/easd.conf, else "dbname=easd".
std::string database_conninfo(const Config& config, const std::string& explicit_conninfo);

// Where database_conninfo's answer comes from, for messages: "--database", "EASD_DATABASE",
// "the config <path>", or "the default (no --config, EASD_CONFIG or /etc/easd/easd.conf)".
std::string database_origin(const Config& config, const std::string& explicit_conninfo);

}  // namespace easd
