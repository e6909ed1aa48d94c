// What easctl and easd-deliver share: option scanning, the database connection, JSON output,
// tables and the answers of commands.
#pragma once

#include <soci/soci.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/json.h"

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

// False when nothing names a database: no --database, no $EASD_DATABASE and no config file found
// (conninfo_for then answers the default, "dbname=easd"). Throws like conninfo_for.
bool database_named(const Args& args);

// How a config file's unknown keys (common/config_keys.h) are reported, once per run, when the
// file is first read: by default as warnings in the log on stderr (easd-deliver, whose stderr
// Postfix logs); easctl prints them as its other messages.
using ConfigWarningReporter = void (*)(const std::string& line);
void report_config_warnings_with(ConfigWarningReporter report);

// A key of that config file ("" when absent). Throws std::runtime_error on an unreadable config.
std::string config_value(const Args& args, const std::string& key);

// A session on the database conninfo_for names. When it cannot be reached, store::Unavailable
// with one line: what was tried (never a password) and where that came from, libpq's reason, and
// where no config was found, to give --config or set EASD_CONFIG.
std::unique_ptr<soci::session> open_database(const Args& args);

// "easctl 0.1.0": what --version prints.
std::string version_line(const std::string& program);

// The JSON writer (what `--json` prints) lives in common/json.h, shared with easd.
using json::json_string;
using json::JsonObject;
using json::json_array;

// A command line that makes no sense: easctl answers it with the message and exit status 64.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The i-th positional word; UsageError("missing <what>") when there are fewer.
const std::string& word(const Args& a, std::size_t i, const char* what);
// UsageError when there are more than n positional words.
void no_more_words(const Args& a, std::size_t n);

// The value of option `name` as a whole number from min to max, or fallback when it is not given.
// UsageError for anything else ("--tombstone-days takes a number from 0 to 36500, not x").
int number_option(const Args& a, const std::string& name, int fallback, int min, int max);

// "-" for an empty value in a table or a `show` line.
inline std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

// A table: the header, then the rows, columns two spaces apart and padded to their widest cell;
// print_table writes it on stdout.
std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// The answer of a command that changes something: the message, or with --json
// {"ok":true,"message":...} followed by the details.
void done(const Args& a, const std::string& message, const JsonObject& details = {});

// "Label:" padded to a column, then the value: the form of every `show` command.
void show_line(const std::string& label, const std::string& value);

// UsageError("unknown command: device frobnicate").
UsageError unknown_command(const std::string& command, const std::string& sub);

}  // namespace easd::cli
