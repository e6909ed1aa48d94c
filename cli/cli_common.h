// What easctl and easd-deliver share: option scanning, the database connection, JSON output.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace easd::cli {

// Splits argv into global options (--config, --database, --json, and the given value/flag names),
// and positional words. Throws std::runtime_error("...") on an unknown option.
struct Args {
    std::map<std::string, std::string> values;  // "--recipient" -> "a@b"
    std::map<std::string, bool> flags;          // "--json" -> true
    std::vector<std::string> words;
    bool flag(const std::string& name) const { return flags.count(name) != 0; }
    std::string value(const std::string& name, const std::string& fallback = {}) const {
        auto it = values.find(name);
        return it == values.end() ? fallback : it->second;
    }
};
Args parse_args(int argc, char** argv, const std::vector<std::string>& value_options,
                const std::vector<std::string>& flag_options);

// The conninfo from --database, $EASD_DATABASE, or the config file (--config, $EASD_CONFIG,
// /etc/easd/easd.conf). Throws std::runtime_error on an unreadable config.
std::string conninfo_for(const Args& args);

std::string json_string(const std::string& s);

}  // namespace easd::cli
