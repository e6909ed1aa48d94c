// easctl: administration of an easd installation (schema, domains, users, devices, folders,
// protocol log, access control, mail export to and import from Maildir).
// Human-readable tables by default, --json for scripts; one-line errors and non-zero exits.
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli_common.h"
#include "common/log.h"
#include "common/text.h"
#include "easctl_device.h"
#include "easctl_folder.h"
#include "easctl_lockout.h"
#include "easctl_maildir.h"
#include "easctl_policy.h"
#include "store/access.h"
#include "store/accounts.h"
#include "store/admin.h"
#include "store/oof.h"
#include "store/db.h"
#include "store/aliases.h"
#include "store/devices.h"
#include "store/directory.h"
#include "store/provisioning.h"

using namespace easd;

namespace {

const char* kUsage =
    "usage: easctl [--config FILE] [--database CONNINFO] [--json] COMMAND\n"
    "commands:\n"
    "  migrate                                   apply schema migrations (safe to re-run)\n"
    "  domain add NAME | domain list\n"
    "  user add ADDRESS [--name NAME] [--password-stdin]\n"
    "  user passwd ADDRESS [--password-stdin]\n"
    "  user list [--domain DOMAIN]\n"
    "  user set ADDRESS [--name NAME] [--phone P] [--mobile P] [--office O] [--title T] [--company C]\n"
    "                                           directory (GAL) fields Search and Find show; \"\" clears one\n"
    "  user activesync ADDRESS on|off|default  the account's ActiveSync flag; default follows access_mode\n"
    "  user enable ADDRESS | user disable ADDRESS  the same as activesync on | off\n"
    "  user oof ADDRESS [off]                   Out of Office as set on the phone; off switches it off\n"
    "  user alias add|remove ADDRESS ALIAS      another address of the account: mail to it lands in the\n"
    "                                           account, autodiscover for it redirects to ADDRESS\n"
    "  user alias list ADDRESS\n"
    "  server show                              access mode, default device access, administrator address\n"
    "  server set NAME VALUE                    access_mode all|flagged, default_access allow|block|quarantine,\n"
    "                                           admin_address ADDRESS (\"\" for none)\n"
    "  rule add allow|block|quarantine FIELD PATTERN\n"
    "                                           device access rule on model, os, device_type or user_agent;\n"
    "                                           case is ignored, '*' matches anything\n"
    "  rule list                                the rules, in the order they are weighed\n"
    "  rule remove ID\n"
    "  lockout list                             failed sign-ins counted per account, client address and known\n"
    "                                           device, and which are delayed or locked now\n"
    "  lockout clear ACCOUNT|IP|KEY|--all       forget them (an account: with its devices' keys)\n"
    "  log enable ADDRESS [--device DEVICEID]   protocol log for a user or one of their devices\n"
    "  log disable ADDRESS [--device DEVICEID]\n"
    "  device list [ADDRESS | --domain DOMAIN] [--all]\n"
    "                                           devices with model, OS, sync times, access, policy and wipe\n"
    "                                           status (--all: wiped devices too)\n"
    "  device show ADDRESS DEVICEID             a device, its standing (access, policy, wipe, autoblock), its sync\n"
    "                                           state (keys, items per folder) and the items held back from it\n"
    "  device allow ADDRESS DEVICEID            the administrator's decision, which beats the rules\n"
    "  device block ADDRESS DEVICEID\n"
    "  device access ADDRESS DEVICEID allow|block|default\n"
    "                                           the same; default drops the decision and the rules decide\n"
    "  device resync ADDRESS DEVICEID           discard its sync state (never data): full sync next\n"
    "  device remove ADDRESS DEVICEID           delete the device with its sync state and its own policy\n"
    "  device wipe ADDRESS DEVICEID [--account-only]\n"
    "                                           remote wipe at the device's next request (--account-only: only\n"
    "                                           this account's data, EAS 16.1 devices); the owner is mailed\n"
    "  device wipe ADDRESS DEVICEID --cancel    cancel a wipe the device has not acknowledged\n"
    "  device unblock ADDRESS DEVICEID          lift an autoblock (a device that kept sending requests after\n"
    "                                           being told to wait)\n"
    "  device retry ADDRESS DEVICEID            send the items held back from the device again (items it could\n"
    "                                           not take, listed by device show)\n"
    "  device recovery-password ADDRESS DEVICEID\n"
    "                                           the recovery password the device sent (PasswordRecoveryEnabled)\n"
    "  folder list ADDRESS                      the user's folders, types and item counts\n"
    "  folder add ADDRESS PATH [--type TYPE]    a folder (\"Inbox/Projects\"); TYPE mail|calendar|contacts|tasks|\n"
    "                                           notes|journal, by default what the parent folder holds\n"
    "  folder rename ADDRESS PATH NEWPATH       rename and/or move it (phones see it at their next FolderSync)\n"
    "  folder remove ADDRESS PATH               delete it with its items and subfolders\n"
    "  export ADDRESS DIR                       the user's mail folders and messages into a new Maildir at DIR as\n"
    "                                           Dovecot reads it (maildir:DIR, Maildir++): read, flagged, replied,\n"
    "                                           categories as keywords, date received as mtime; DIR must not hold\n"
    "                                           a Maildir. Contacts, calendar, tasks and notes stay in easd\n"
    "  import ADDRESS DIR                       a Maildir's folders and messages into the user's store, as\n"
    "                                           delivered mail; messages already there are skipped (safe to re-run)\n"
    "  policy show [TARGET]                     each setting in effect at TARGET: value, unit, whether it is\n"
    "                                           sent (no: not enforced, the neutral policy goes out; server:\n"
    "                                           the server's own) and where it comes from; for a device also\n"
    "                                           its policy fingerprint and whether the device acknowledged it\n"
    "  policy set [TARGET] NAME=VALUE...        set at that level, all or nothing; enforce=on|off|inherit too\n"
    "  policy unset [TARGET] NAME...            those settings (or enforce) inherit again at that level\n"
    "  policy inherit [TARGET]                  delete the level's own policy: it inherits everything\n"
    "  policy settings                          every setting: kind, values, unit, default, first EAS version\n"
    "                                           TARGET: global (the default), domain DOMAIN, user ADDRESS or\n"
    "                                           device ADDRESS DEVICEID\n"
    "Passwords are read from the terminal (asked twice) or, with --password-stdin, from the first\n"
    "line of standard input; never from the command line.\n";

using cli::done;
using cli::or_dash;
using cli::print_table;
using cli::UsageError;
using cli::no_more_words;
using cli::word;
using cli::show_line;
using cli::unknown_command;

std::string read_password(bool from_stdin) {
    std::string pw;
    if (from_stdin || !isatty(0)) {
        if (!std::getline(std::cin, pw)) throw std::runtime_error("no password on standard input");
        if (!pw.empty() && pw.back() == '\r') pw.pop_back();
        return pw;
    }
    auto ask = [](const char* prompt) {
        std::fputs(prompt, stderr);
        termios old{};
        tcgetattr(0, &old);
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(0, TCSAFLUSH, &quiet);
        std::string line;
        std::getline(std::cin, line);
        tcsetattr(0, TCSAFLUSH, &old);
        std::fputs("\n", stderr);
        return line;
    };
    pw = ask("Password: ");
    if (ask("Again: ") != pw) throw std::runtime_error("the passwords differ");
    return pw;
}

// ---------------------------------------------------------------------------------------------
// users

// on / off / default, and in JSON true / false / null (the column's own three values).
const char* flag_text(store::ActiveSyncFlag flag) {
    switch (flag) {
        case store::ActiveSyncFlag::on: return "on";
        case store::ActiveSyncFlag::off: return "off";
        case store::ActiveSyncFlag::unset: return "default";
    }
    return "default";
}

const char* flag_json(store::ActiveSyncFlag flag) {
    switch (flag) {
        case store::ActiveSyncFlag::on: return "true";
        case store::ActiveSyncFlag::off: return "false";
        case store::ActiveSyncFlag::unset: return "null";
    }
    return "null";
}

void print_user_list(const std::vector<store::User>& users, bool json) {
    if (json) {
        std::vector<std::string> objects;
        for (const auto& u : users)
            objects.push_back(cli::JsonObject()
                                  .text("address", u.address)
                                  .text("name", u.display_name)
                                  .raw("activesync", flag_json(u.activesync))
                                  .boolean("protocol_log", u.protocol_log)
                                  .str());
        std::cout << cli::json_array(objects) << "\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& u : users)
        rows.push_back({u.address, u.display_name, flag_text(u.activesync), u.protocol_log ? "on" : "off"});
    print_table({"ADDRESS", "NAME", "ACTIVESYNC", "PROTOCOL LOG"}, rows);
}

std::optional<store::ActiveSyncFlag> parse_flag(const std::string& word) {
    if (word == "on") return store::ActiveSyncFlag::on;
    if (word == "off") return store::ActiveSyncFlag::off;
    if (word == "default") return store::ActiveSyncFlag::unset;
    return std::nullopt;
}

// `user activesync ADDRESS on|off|default` and its aliases `user enable|disable ADDRESS`.
void set_user_flag(const cli::Args& a, soci::session& sql, const std::string& address, store::ActiveSyncFlag flag) {
    store::set_activesync_flag(sql, address, flag);
    std::string who = store::normalize_address(address);
    if (flag != store::ActiveSyncFlag::unset) {
        done(a, std::string("ActiveSync ") + flag_text(flag) + " for " + who);
        return;
    }
    // Say what "default" means right now, so nobody has to look the mode up.
    auto mode = store::read_server_settings(sql).access_mode;
    bool allowed = mode == store::AccessMode::all;
    done(a, "ActiveSync flag of " + who + " not set: it follows the access mode (" + store::to_string(mode) +
                ": " + (allowed ? "allowed" : "refused") + ")");
}

// Out of Office as the user set it on the phone.
void print_oof(const store::OofSettings& s, bool json) {
    static const char* kStates[] = {"off", "on", "scheduled"};
    const char* state = kStates[static_cast<int>(s.state)];
    bool scheduled = s.state == store::OofState::scheduled;
    if (json) {
        std::vector<std::string> messages;
        for (const auto& m : s.messages)
            messages.push_back(cli::JsonObject()
                                   .text("audience", store::audience_name(m.audience))
                                   .boolean("enabled", m.enabled)
                                   .text("body_type", m.html ? "HTML" : "Text")
                                   .text("message", m.text)
                                   .str());
        cli::JsonObject o;
        o.text("state", state);
        if (scheduled) o.text("start", utc_time_text(s.start_time)).text("end", utc_time_text(s.end_time));
        std::cout << o.raw("messages", cli::json_array(messages)).str() << "\n";
        return;
    }
    show_line("Out of Office", std::string(state) + (scheduled ? " from " + utc_time_text(s.start_time) + " to " +
                                                                     utc_time_text(s.end_time) : ""));
    for (const auto& m : s.messages) {
        std::string first_line = m.text.substr(0, m.text.find_first_of("\r\n"));
        show_line(std::string("Reply ") + store::audience_name(m.audience),
                  std::string(m.enabled ? "enabled" : "disabled") + (m.html ? ", HTML: " : ": ") + first_line);
    }
}

int user_command(const cli::Args& a, soci::session& sql, const std::string& sub) {
    if (sub == "add") {
        const std::string& address = word(a, 2, "address");
        store::normalize_address(address);  // fail before asking for a password
        std::string pw = read_password(a.flag("--password-stdin"));
        auto u = store::add_user(sql, address, pw, a.value("--name"));
        done(a, "added user " + u.address);
        return 0;
    }
    if (sub == "passwd") {
        const std::string& address = word(a, 2, "address");
        if (!store::find_user(sql, address)) throw store::InvalidRequest("unknown user " + address);
        store::set_password(sql, address, read_password(a.flag("--password-stdin")));
        done(a, "password changed for " + store::normalize_address(address));
        return 0;
    }
    if (sub == "enable" || sub == "disable") {
        const std::string& address = word(a, 2, "address");
        no_more_words(a, 3);
        set_user_flag(a, sql, address, sub == "enable" ? store::ActiveSyncFlag::on : store::ActiveSyncFlag::off);
        return 0;
    }
    if (sub == "activesync") {
        const std::string& address = word(a, 2, "address");
        auto flag = parse_flag(word(a, 3, "on, off or default"));
        if (!flag) throw UsageError("the ActiveSync flag is on, off or default, not " + a.words[3]);
        no_more_words(a, 4);
        set_user_flag(a, sql, address, *flag);
        return 0;
    }
    if (sub == "set") {
        const std::string& address = word(a, 2, "address");
        no_more_words(a, 3);
        store::DirectoryChange change;
        auto given = [&](const char* option, std::optional<std::string>& field) {
            if (a.values.count(option)) field = a.value(option);
        };
        given("--name", change.display_name);
        given("--phone", change.phone);
        given("--mobile", change.mobile_phone);
        given("--office", change.office);
        given("--title", change.title);
        given("--company", change.company);
        store::set_directory_fields(sql, address, change);
        done(a, "directory fields set for " + store::normalize_address(address));
        return 0;
    }
    if (sub == "list") {
        no_more_words(a, 2);
        print_user_list(store::list_users(sql, a.value("--domain")), a.flag("--json"));
        return 0;
    }
    if (sub == "oof") {
        const std::string& address = word(a, 2, "address");
        auto user = store::find_user(sql, address);
        if (!user) throw store::InvalidRequest("unknown user " + store::normalize_address(address));
        if (a.words.size() > 3) {
            if (a.words[3] != "off") throw UsageError("user oof takes only off, not " + a.words[3]);
            no_more_words(a, 4);
            // Off keeps the messages, as the phone's own switch does.
            store::OofSettings s = store::load_oof(sql, user->id);
            s.state = store::OofState::off;
            store::save_oof(sql, user->id, s);
            done(a, "Out of Office is off for " + user->address);
            return 0;
        }
        print_oof(store::load_oof(sql, user->id), a.flag("--json"));
        return 0;
    }
    if (sub == "alias") {
        const std::string& op = word(a, 2, "add, remove or list");
        const std::string& address = word(a, 3, "address");
        if (op == "list") {
            no_more_words(a, 4);
            auto aliases = store::list_aliases(sql, address);
            if (a.flag("--json")) {
                std::vector<std::string> quoted;
                for (const auto& x : aliases) quoted.push_back(cli::JsonObject().text("alias", x).str());
                std::cout << cli::json_array(quoted) << "\n";
            } else {
                for (const auto& x : aliases) std::cout << x << "\n";
            }
            return 0;
        }
        const std::string& alias = word(a, 4, "alias");
        no_more_words(a, 5);
        if (op == "add") {
            store::add_alias(sql, address, alias);
            done(a, "mail to " + store::normalize_address(alias) + " now reaches " + store::normalize_address(address));
            return 0;
        }
        if (op == "remove") {
            store::remove_alias(sql, address, alias);
            done(a, "removed alias " + store::normalize_address(alias) + " of " + store::normalize_address(address));
            return 0;
        }
        throw unknown_command("user alias", op);
    }
    throw unknown_command("user", sub);
}

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

int domain_command(const cli::Args& a, soci::session& sql, const std::string& sub) {
    if (sub == "add") {
        store::add_domain(sql, word(a, 2, "domain name"));
        done(a, "added domain " + a.words[2]);
        return 0;
    }
    if (sub == "list") {
        auto domains = store::list_domains(sql);
        if (a.flag("--json")) {
            std::vector<std::string> objects;
            for (const auto& d : domains)
                objects.push_back(cli::JsonObject().text("name", d.name).number("users", d.users).str());
            std::cout << cli::json_array(objects) << "\n";
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& d : domains) rows.push_back({d.name, std::to_string(d.users)});
            print_table({"DOMAIN", "USERS"}, rows);
        }
        return 0;
    }
    throw unknown_command("domain", sub);
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

int run(const cli::Args& a) {
    if (a.flag("--help") || a.words.empty()) {
        std::fputs(kUsage, a.words.empty() && !a.flag("--help") ? stderr : stdout);
        return a.words.empty() && !a.flag("--help") ? 64 : 0;
    }
    const std::string& cmd = a.words[0];
    std::string sub = a.words.size() > 1 ? a.words[1] : "";
    auto sql = store::open_session(cli::conninfo_for(a));

    if (cmd == "migrate") {
        auto applied = store::migrate(*sql, store::default_schema_dir());
        std::string msg = applied.empty() ? "schema is up to date" : "applied " + std::to_string(applied.size()) + " migration(s)";
        done(a, msg);
        return 0;
    }
    if (cmd == "domain") return domain_command(a, *sql, sub);
    if (cmd == "user") return user_command(a, *sql, sub);
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
    if (cmd == "export") return cli::run_export(a, *sql);
    if (cmd == "import") return cli::run_import(a, *sql);
    throw unknown_command(cmd, sub);
}

}  // namespace

int main(int argc, char** argv) {
    // Warnings from the libraries (e.g. a stored policy row this release does not understand)
    // reach the administrator on stderr: say whose they are.
    set_log_program("easctl");
    cli::Args args;
    try {
        args = cli::parse_args(argc, argv,
                               {"--domain", "--device", "--name", "--type", "--phone", "--mobile", "--office",
                                "--title", "--company"},
                               {"--password-stdin", "--all", "--account-only", "--cancel"});
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
