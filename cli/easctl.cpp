// easctl: administration of an easd installation (schema, domains, users, devices, folders,
// protocol log, access control, mail export to and import from Maildir, maintenance, backup).
// Human-readable tables by default, --json for scripts; one-line errors and non-zero exits.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli_common.h"
#include "common/log.h"
#include "common/text.h"
#include "easctl_backup.h"
#include "easctl_device.h"
#include "easctl_folder.h"
#include "easctl_help.h"
#include "easctl_lockout.h"
#include "easctl_maildir.h"
#include "easctl_live.h"
#include "easctl_maintenance.h"
#include "easctl_policy.h"
#include "easctl_user.h"
#include "store/access.h"
#include "store/accounts.h"
#include "store/admin.h"
#include "store/db.h"
#include "store/devices.h"
#include "store/provisioning.h"

using namespace easd;

namespace {

using cli::done;
using cli::or_dash;
using cli::print_table;
using cli::UsageError;
using cli::no_more_words;
using cli::word;
using cli::show_line;
using cli::unknown_command;

// ---------------------------------------------------------------------------------------------
// server settings

int server_command(const cli::Args& a, soci::session& sql, const std::string& sub) {
    if (sub == "show") {
        no_more_words(a, 2);
        auto s = store::read_server_settings(sql);
        if (a.flag("--json")) {
            std::cout << cli::JsonObject()
                             .text("access_mode", store::to_string(s.access_mode))
                             .text("default_access", store::to_string(s.default_access))
                             .text("admin_address", s.admin_address)
                             .str()
                      << "\n";
        } else {
            print_table({"SETTING", "VALUE"}, {{"access_mode", store::to_string(s.access_mode)},
                                              {"default_access", store::to_string(s.default_access)},
                                              {"admin_address", or_dash(s.admin_address)}});
        }
        return 0;
    }
    if (sub == "set") {
        const std::string& name = word(a, 2, "setting name");
        const auto& names = store::server_setting_names();
        if (std::find(names.begin(), names.end(), name) == names.end())
            throw UsageError("unknown setting " + name + " (access_mode, default_access, admin_address)");
        const std::string& value = word(a, 3, "value");
        no_more_words(a, 4);
        std::string stored = store::set_server_setting(sql, name, value);
        std::string msg = stored.empty() ? name + " cleared" : name + " set to " + stored;
        // Workers read the mode once per auth-cache period; devices are judged at their next request.
        if (name == "access_mode") msg += " (running workers apply it within their auth cache time)";
        done(a, msg);
        return 0;
    }
    throw unknown_command("server", sub);
}

// ---------------------------------------------------------------------------------------------
// device access rules

// "block model 'Galaxy*'"
std::string rule_text(const store::AccessRule& r) {
    return std::string(store::to_string(r.action)) + " " + store::to_string(r.field) + " '" + r.pattern + "'";
}

std::string rule_json(const store::AccessRule& r) {
    return cli::JsonObject()
        .number("id", r.id)
        .text("action", store::to_string(r.action))
        .text("field", store::to_string(r.field))
        .text("pattern", r.pattern)
        .text("created_at", r.created_at)
        .str();
}

long long rule_id(const std::string& word) {
    auto id = parse_id(word);
    if (!id) throw UsageError("not a rule id: " + word);
    return *id;
}

int rule_command(const cli::Args& a, soci::session& sql, const std::string& sub) {
    bool json = a.flag("--json");
    if (sub == "add") {
        auto action = store::parse_access_action(word(a, 2, "allow, block or quarantine"));
        if (!action) throw UsageError("a rule does allow, block or quarantine, not " + a.words[2]);
        auto field = store::parse_rule_field(word(a, 3, "field"));
        if (!field) throw UsageError("a rule matches model, os, device_type or user_agent, not " + a.words[3]);
        const std::string& pattern = word(a, 4, "pattern");
        no_more_words(a, 5);
        auto rule = store::add_access_rule(sql, *action, *field, pattern);
        done(a, "added rule " + std::to_string(rule.id) + ": " + rule_text(rule), cli::JsonObject().number("id", rule.id));
        return 0;
    }
    if (sub == "list") {
        no_more_words(a, 2);
        auto rules = store::list_access_rules(sql);
        if (json) {
            std::vector<std::string> objects;
            for (const auto& r : rules) objects.push_back(rule_json(r));
            std::cout << cli::json_array(objects) << "\n";
            return 0;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& r : rules)
            rows.push_back({std::to_string(r.id), store::to_string(r.action), store::to_string(r.field), r.pattern,
                            r.created_at});
        print_table({"ID", "ACTION", "FIELD", "PATTERN", "CREATED"}, rows);
        return 0;
    }
    if (sub == "remove") {
        long long id = rule_id(word(a, 2, "rule id"));
        no_more_words(a, 3);
        auto rule = store::remove_access_rule(sql, id);
        done(a, "removed rule " + std::to_string(rule.id) + ": " + rule_text(rule));
        return 0;
    }
    throw unknown_command("rule", sub);
}

// ---------------------------------------------------------------------------------------------
// the rest

void print_folder_list(const std::vector<store::FolderInfo>& folders, bool json) {
    if (json) {
        std::vector<std::string> objects;
        for (const auto& f : folders)
            objects.push_back(cli::JsonObject()
                                  .number("id", f.id)
                                  .number("parent_id", f.parent_id)
                                  .text("name", f.name)
                                  .number("type", f.type)
                                  .text("type_name", store::folder_type_name(f.type))
                                  .text("class", f.item_class)
                                  .number("items", f.items)
                                  .str());
        std::cout << cli::json_array(objects) << "\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : folders)
        rows.push_back({std::to_string(f.id), std::to_string(f.parent_id), f.name,
                        std::to_string(f.type) + " " + store::folder_type_name(f.type), f.item_class,
                        std::to_string(f.items)});
    print_table({"ID", "PARENT", "NAME", "TYPE", "CLASS", "ITEMS"}, rows);
}

int log_command(const cli::Args& a, soci::session& sql, const std::string& sub) {
    if (sub != "enable" && sub != "disable") throw unknown_command("log", sub);
    const std::string& address = word(a, 2, "address");
    bool on = sub == "enable";
    std::string device = a.value("--device");
    if (device.empty()) {
        store::set_user_protocol_log(sql, address, on);
        done(a, std::string("protocol log ") + (on ? "on" : "off") + " for " + store::normalize_address(address));
    } else {
        auto u = store::find_user(sql, address);
        if (!u) throw store::InvalidRequest("unknown user " + address);
        store::set_device_protocol_log(sql, u->id, device, on);
        done(a, std::string("protocol log ") + (on ? "on" : "off") + " for device " + device + " of " + u->address);
    }
    return 0;
}

// --version, and help: `easctl help [COMMAND]`, `easctl -h`, `easctl [COMMAND] --help|-h` on stdout.
// A command that needs more words and has none gets its usage on stderr (64). None of this reads
// the config or touches the database. nullopt: go on.
std::optional<int> answer_without_database(const cli::Args& a) {
    if (a.flag("--version")) {
        std::puts(cli::version_line("easctl").c_str());
        return 0;
    }
    const auto& w = a.words;
    const bool asked = !w.empty() && (w[0] == "help" || w[0] == "-h");
    if (a.flag("--help") || asked || (w.size() > 1 && w[1] == "-h")) {
        std::string topic = asked ? (w.size() > 1 ? w[1] : "") : (w.empty() ? "" : w[0]);
        if (topic.empty()) {
            std::fputs(cli::easctl_usage(), stdout);
            return 0;
        }
        std::string usage = cli::easctl_command_usage(topic);
        if (usage.empty()) throw unknown_command(topic, "");
        std::fputs(usage.c_str(), stdout);
        return 0;
    }
    if (w.empty()) {
        std::fputs(cli::easctl_usage(), stderr);
        return 64;
    }
    if (!cli::easctl_knows(w[0])) throw unknown_command(w[0], "");
    if (w.size() == 1 && w[0] != "migrate" && w[0] != "maintenance" && w[0] != "stats" && w[0] != "top") {
        std::fprintf(stderr, "easctl: %s: missing command\n%s", w[0].c_str(), cli::easctl_command_usage(w[0]).c_str());
        return 64;
    }
    return std::nullopt;
}

int run(const cli::Args& a) {
    if (auto answered = answer_without_database(a)) return *answered;
    const std::string& cmd = a.words[0];
    std::string sub = a.words.size() > 1 ? a.words[1] : "";
    auto sql = cli::open_database(a);

    if (cmd == "migrate") {
        auto applied = store::migrate(*sql, store::default_schema_dir());
        std::string msg = applied.empty() ? "schema is up to date" : "applied " + std::to_string(applied.size()) + " migration(s)";
        done(a, msg);
        return 0;
    }
    if (cmd == "domain") return cli::run_domain_command(a, *sql, sub);
    if (cmd == "user") return cli::run_user_command(a, *sql, sub);
    if (cmd == "server") return server_command(a, *sql, sub);
    if (cmd == "rule") return rule_command(a, *sql, sub);
    if (cmd == "log") return log_command(a, *sql, sub);
    if (cmd == "device") return cli::run_device_command(a, *sql, sub);
    if (cmd == "policy") return cli::run_policy_command(a, *sql);
    if (cmd == "lockout") return cli::run_lockout_command(a, *sql);
    if (cmd == "folder" && sub == "list") {
        const std::string& address = word(a, 2, "address");
        no_more_words(a, 3);
        print_folder_list(store::list_user_folders(*sql, address), a.flag("--json"));
        return 0;
    }
    if (cmd == "folder" && (sub == "add" || sub == "rename" || sub == "remove")) return cli::run_folder_change(a, *sql);
    if (cmd == "maintenance") return cli::run_maintenance_command(a, *sql);
    if (cmd == "stats") return cli::run_stats_command(a, *sql);
    if (cmd == "top") return cli::run_top_command(a, *sql);
    if (cmd == "backup") return cli::run_backup_command(a, *sql);
    if (cmd == "restore") return cli::run_restore_command(a, *sql);
    if (cmd == "export") return cli::run_export(a, *sql);
    if (cmd == "import") return cli::run_import(a, *sql);
    throw unknown_command(cmd, sub);
}

}  // namespace

int main(int argc, char** argv) {
    // Warnings from the libraries (e.g. a stored policy row this release does not understand)
    // reach the administrator on stderr: say whose they are.
    set_log_program("easctl");
    // A config key no program reads (a typo), said as easctl's other messages are, not as a log line.
    cli::report_config_warnings_with([](const std::string& line) { std::fprintf(stderr, "easctl: %s\n", line.c_str()); });
    cli::Args args;
    try {
        args = cli::parse_args(argc, argv,
                               {"--domain", "--device", "--name", "--type", "--phone", "--mobile", "--office",
                                "--title", "--company", "--not-seen-days", "--tombstone-days", "--sync-state-days",
                                "--batch", "--pg-bindir", "--interval", "--iterations", "--internal",
                                "--external-known", "--external-unknown"},
                               {"--password-stdin", "--all", "--account-only", "--cancel", "--force", "--version",
                                "--dry-run", "--html"});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "easctl: %s (see easctl --help)\n", e.what());
        return 64;
    }
    try {
        return run(args);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "easctl: %s (see easctl --help)\n", e.what());
        return 64;
    } catch (const store::Unavailable& e) {
        std::fprintf(stderr, "easctl: %s\n", e.what());
        return 69;
    } catch (const store::InvalidRequest& e) {
        std::fprintf(stderr, "easctl: %s\n", e.what());
        return 1;
    } catch (const soci::soci_error& e) {
        std::string msg = e.get_error_message();
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        std::fprintf(stderr, "easctl: database error: %s\n", msg.c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "easctl: %s\n", e.what());
        return 1;
    }
}
