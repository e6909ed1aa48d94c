#include "cli_common.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "common/config.h"
#include "common/config_keys.h"
#include "common/log.h"
#include "common/text.h"
#include "common/version.h"
#include "store/conninfo.h"
#include "store/db.h"

namespace easd::cli {

Args parse_args(int argc, char** argv, const std::vector<std::string>& value_options,
                const std::vector<std::string>& flag_options) {
    std::vector<std::string> values = value_options;
    values.push_back("--config");
    values.push_back("--database");
    std::vector<std::string> flags = flag_options;
    flags.push_back("--json");
    flags.push_back("--help");
    Args args;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
            std::string value;
            bool inline_value = false;
            auto eq = a.find('=');
            if (eq != std::string::npos) {
                value = a.substr(eq + 1);
                a = a.substr(0, eq);
                inline_value = true;
            }
            if (std::find(values.begin(), values.end(), a) != values.end()) {
                if (!inline_value) {
                    if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
                    value = argv[++i];
                }
                args.values[a] = value;
            } else if (std::find(flags.begin(), flags.end(), a) != flags.end() && !inline_value) {
                args.flags[a] = true;
            } else {
                throw std::runtime_error("unknown option " + a);
            }
        } else {
            args.words.push_back(a);
        }
    }
    return args;
}

namespace {
void log_config_warning(const std::string& line) { EASD_LOG_WARN("%s", line.c_str()); }
ConfigWarningReporter g_config_warning = log_config_warning;

Config load_config(const Args& args) {
    std::string error;
    auto config = Config::load_default(args.value("--config"), &error);
    if (!config) throw std::runtime_error(error);
    // A command reads the file more than once (the database, then a key): one warning per run.
    static bool warned = false;
    if (!warned) {
        warned = true;
        for (const std::string& line : unknown_config_key_warnings(*config)) g_config_warning(line);
    }
    return *config;
}
}  // namespace

void report_config_warnings_with(ConfigWarningReporter report) { g_config_warning = report; }

std::string conninfo_for(const Args& args) {
    return database_conninfo(load_config(args), args.value("--database"));
}

bool database_named(const Args& args) {
    const Config config = load_config(args);
    return !args.value("--database").empty() || config.origin() != Config::Origin::none ||
           (std::getenv("EASD_DATABASE") && *std::getenv("EASD_DATABASE"));
}

std::string config_value(const Args& args, const std::string& key) { return load_config(args).get(key); }

std::unique_ptr<soci::session> open_database(const Args& args) {
    const Config config = load_config(args);
    const std::string& given = args.value("--database");
    const std::string conninfo = database_conninfo(config, given);
    try {
        return store::open_session(conninfo);
    } catch (const store::Unavailable& e) {
        // libpq's reason, without the words this message already says.
        std::string why = e.what();
        for (const char* said : {"cannot connect to the database: ", "Cannot establish connection to the database. "})
            if (why.rfind(said, 0) == 0) why.erase(0, std::strlen(said));
        // libpq's lines, joined: one space between them.
        why.erase(std::unique(why.begin(), why.end(), [](char x, char y) { return x == ' ' && y == ' '; }), why.end());
        // Nothing named a database: the likely cure is naming the config.
        const std::string origin = database_origin(config, given);
        std::string hint;
        if (origin.rfind("the default", 0) == 0) hint = "; give --config FILE or set EASD_CONFIG";
        throw store::Unavailable("cannot connect to the database (" + store::describe_conninfo(conninfo) + ", from " +
                                 origin + "): " + why + hint);
    }
}

std::string version_line(const std::string& program) { return program + " " + kVersion; }

std::string format_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(header.size());
    for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
            out += cells[i];
            if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
        }
        out += "\n";
    };
    line(header);
    for (const auto& r : rows) line(r);
    return out;
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    std::cout << format_table(header, rows);
}

void done(const Args& a, const std::string& message, const JsonObject& details) {
    if (!a.flag("--json")) {
        std::cout << message << "\n";
        return;
    }
    std::string members = JsonObject().boolean("ok", true).text("message", message).members();
    if (!details.members().empty()) members += "," + details.members();
    std::cout << "{" << members << "}\n";
}

void show_line(const std::string& label, const std::string& value) {
    std::string l = label + ":";
    std::cout << l << std::string(l.size() < 19 ? 19 - l.size() : 1, ' ') << value << "\n";
}

UsageError unknown_command(const std::string& command, const std::string& sub) {
    return UsageError("unknown command: " + command + (sub.empty() ? "" : " " + sub));
}

int number_option(const Args& a, const std::string& name, int fallback, int min, int max) {
    auto it = a.values.find(name);
    if (it == a.values.end()) return fallback;
    auto n = parse_decimal(it->second);
    if (!n || *n < min || *n > max)
        throw UsageError(name + " takes a number from " + std::to_string(min) + " to " + std::to_string(max) +
                         ", not " + it->second);
    return static_cast<int>(*n);
}

const std::string& word(const Args& a, std::size_t i, const char* what) {
    if (a.words.size() <= i) throw UsageError(std::string("missing ") + what);
    return a.words[i];
}

void no_more_words(const Args& a, std::size_t n) {
    if (a.words.size() > n) throw UsageError("unexpected argument " + a.words[n]);
}

}  // namespace easd::cli
