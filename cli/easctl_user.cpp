// easctl's domain and user commands: domains served here, accounts, their passwords, ActiveSync
// flag, directory fields, Out of Office and aliases.
#include "easctl_user.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/names.h"
#include "common/text.h"
#include "content/pim_item.h"
#include "store/access.h"
#include "store/accounts.h"
#include "store/admin_roles.h"
#include "store/aliases.h"
#include "store/directory.h"
#include "store/oof.h"

namespace easd::cli {

namespace {

// password_min_length of the config: 8 unless set, 1 at least.
std::size_t password_min_length(const Args& a) {
    const std::string value = config_value(a, "password_min_length");
    if (value.empty()) return 8;
    auto n = parse_decimal(value);
    if (!n || *n < 1 || *n > 1024)
        throw std::runtime_error("password_min_length in the config is a number from 1 to 1024, not " + value);
    return static_cast<std::size_t>(*n);
}

// Characters, not bytes: a UTF-8 sequence counts once.
std::size_t characters(const std::string& s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

std::string checked(std::string pw, std::size_t min_length) {
    if (characters(pw) < min_length)
        throw store::InvalidRequest("the password has " + std::to_string(characters(pw)) + " characters, at least " +
                                    std::to_string(min_length) + " are needed (password_min_length)");
    return pw;
}

std::string read_password(bool from_stdin, std::size_t min_length) {
    std::string pw;
    if (from_stdin || !isatty(0)) {
        if (!std::getline(std::cin, pw)) throw std::runtime_error("no password on standard input");
        if (!pw.empty() && pw.back() == '\r') pw.pop_back();
        return checked(std::move(pw), min_length);
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
    pw = checked(ask("Password: "), min_length);
    if (ask("Again: ") != pw) throw std::runtime_error("the passwords differ");
    return pw;
}


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

void print_user_list(const std::vector<store::User>& users, const std::map<long long, store::AdminRole>& roles,
                     bool json) {
    auto role_of = [&](const store::User& u) {
        auto it = roles.find(u.id);
        return it == roles.end() ? std::string("none") : store::role_text(it->second);
    };
    if (json) {
        std::vector<std::string> objects;
        for (const auto& u : users)
            objects.push_back(JsonObject()
                                  .text("address", u.address)
                                  .text("name", u.display_name)
                                  .raw("activesync", flag_json(u.activesync))
                                  .boolean("protocol_log", u.protocol_log)
                                  .text("role", role_of(u))
                                  .str());
        std::cout << json_array(objects) << "\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& u : users)
        rows.push_back({u.address, u.display_name, flag_text(u.activesync), u.protocol_log ? "on" : "off", role_of(u)});
    print_table({"ADDRESS", "NAME", "ACTIVESYNC", "PROTOCOL LOG", "ROLE"}, rows);
}

std::optional<store::ActiveSyncFlag> parse_flag(const std::string& word) {
    if (word == "on") return store::ActiveSyncFlag::on;
    if (word == "off") return store::ActiveSyncFlag::off;
    if (word == "default") return store::ActiveSyncFlag::unset;
    return std::nullopt;
}

// `user activesync ADDRESS on|off|default` and its aliases `user enable|disable ADDRESS`.
void set_user_flag(const Args& a, soci::session& sql, const std::string& address, store::ActiveSyncFlag flag) {
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
            messages.push_back(JsonObject()
                                   .text("audience", store::audience_name(m.audience))
                                   .boolean("enabled", m.enabled)
                                   .text("body_type", m.html ? "HTML" : "Text")
                                   .text("message", m.text)
                                   .str());
        JsonObject o;
        o.text("state", state);
        if (scheduled) o.text("start", utc_time_text(s.start_time)).text("end", utc_time_text(s.end_time));
        std::cout << o.raw("messages", json_array(messages)).str() << "\n";
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

}  // namespace

int run_user_command(const Args& a, soci::session& sql, const std::string& sub) {
    if (sub == "add") {
        const std::string& address = word(a, 2, "address");
        no_more_words(a, 3);
        // Fail before asking for a password.
        store::normalize_new_account_address(address);
        const std::size_t min_length = password_min_length(a);
        std::string pw = read_password(a.flag("--password-stdin"), min_length);
        auto u = store::add_user(sql, address, pw, a.value("--name"));
        done(a, "added user " + u.address);
        return 0;
    }
    if (sub == "passwd") {
        const std::string& address = word(a, 2, "address");
        no_more_words(a, 3);
        if (!store::find_user(sql, address)) throw store::InvalidRequest("unknown user " + address);
        const std::size_t min_length = password_min_length(a);
        store::set_password(sql, address, read_password(a.flag("--password-stdin"), min_length));
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
        print_user_list(store::list_users(sql, a.value("--domain")), store::admin_roles_by_user(sql), a.flag("--json"));
        return 0;
    }
    if (sub == "role") {
        // The web console's roles (schema 022): what the account may administer there.
        const std::string& address = word(a, 2, "address");
        const std::string& what = word(a, 3, "admin, domain-admin DOMAIN or none");
        store::AdminRole role;
        if (what == "admin" || what == "none") {
            no_more_words(a, 4);
            role = store::set_admin_role(sql, address, what == "admin" ? store::RoleChange::admin : store::RoleChange::none);
        } else if (what == "domain-admin") {
            const std::string& domain = word(a, 4, "domain");
            no_more_words(a, 5);
            role = store::set_admin_role(sql, address, store::RoleChange::domain_admin, domain);
        } else {
            throw UsageError("user role takes admin, domain-admin DOMAIN or none, not " + what);
        }
        done(a, "role of " + store::normalize_address(address) + ": " + store::role_text(role),
             JsonObject().text("role", store::role_text(role)));
        return 0;
    }
    if (sub == "oof") {
        const std::string& address = word(a, 2, "address");
        auto user = store::find_user(sql, address);
        if (!user) throw store::InvalidRequest("unknown user " + store::normalize_address(address));
        if (a.words.size() > 3) {
            // As the phone's Settings and the web console set it: what is not given stays as it was
            // (off keeps the messages, as the phone's own switch does).
            const std::string& state = a.words[3];
            store::OofSettings s = store::load_oof(sql, user->id);
            if (state == "off" || state == "on") {
                no_more_words(a, 4);
                s.state = state == "on" ? store::OofState::on : store::OofState::off;
            } else if (state == "scheduled") {
                auto start = content::parse_eas_datetime(word(a, 4, "start (2026-12-20T09:00:00Z)"));
                auto end = content::parse_eas_datetime(word(a, 5, "end (2027-01-04T17:00:00Z)"));
                if (!start || !end) throw UsageError("give the start and end as 2026-12-20T09:00:00Z (UTC)");
                no_more_words(a, 6);
                s.state = store::OofState::scheduled;
                s.start_time = *start;
                s.end_time = *end;
            } else {
                throw UsageError("user oof takes off, on or scheduled START END, not " + state);
            }
            // --internal/--external-known/--external-unknown TEXT: that audience's reply ("" none).
            for (auto [option, audience] : {std::pair{"--internal", store::OofAudience::internal},
                                            std::pair{"--external-known", store::OofAudience::external_known},
                                            std::pair{"--external-unknown", store::OofAudience::external_unknown}}) {
                if (!a.values.count(option)) continue;
                store::OofMessage m{audience, !a.value(option).empty(), a.flag("--html"), a.value(option)};
                auto it = std::find_if(s.messages.begin(), s.messages.end(),
                                       [&](const store::OofMessage& x) { return x.audience == audience; });
                if (it == s.messages.end()) s.messages.push_back(m);
                else *it = m;
            }
            std::string problem = store::oof_problem(s);
            if (!problem.empty()) throw store::InvalidRequest(problem);
            store::save_oof(sql, user->id, s);
            done(a, "Out of Office is " + state + " for " + user->address);
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
                for (const auto& x : aliases) quoted.push_back(JsonObject().text("alias", x).str());
                std::cout << json_array(quoted) << "\n";
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


int run_domain_command(const Args& a, soci::session& sql, const std::string& sub) {
    if (sub == "add") {
        const std::string& name = word(a, 2, "domain name");
        no_more_words(a, 3);
        store::add_domain(sql, name);
        const std::string stored = normalize_domain_name(name, nullptr).value_or(name);
        done(a, "added domain " + stored + (to_lower_ascii(name) != stored ? " (" + name + ")" : ""),
             JsonObject().text("name", stored));
        return 0;
    }
    if (sub == "remove") {
        const std::string& name = word(a, 2, "domain name");
        no_more_words(a, 3);
        const bool force = a.flag("--force");
        auto removed = store::remove_domain(sql, name, force);
        const std::string stored = normalize_domain_name(name, nullptr).value_or(to_lower_ascii(name));
        std::string with;
        if (removed.users > 0) with += std::to_string(removed.users) + (removed.users == 1 ? " account" : " accounts");
        if (removed.aliases > 0)
            with += (with.empty() ? "" : " and ") + std::to_string(removed.aliases) +
                    (removed.aliases == 1 ? " alias" : " aliases");
        done(a, "removed domain " + stored + (with.empty() ? "" : " with its " + with),
             JsonObject().text("name", stored).number("users", removed.users).number("aliases", removed.aliases));
        return 0;
    }
    if (sub == "list") {
        no_more_words(a, 2);
        auto domains = store::list_domains(sql);
        if (a.flag("--json")) {
            std::vector<std::string> objects;
            for (const auto& d : domains)
                objects.push_back(JsonObject().text("name", d.name).number("users", d.users).str());
            std::cout << json_array(objects) << "\n";
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& d : domains) rows.push_back({d.name, std::to_string(d.users)});
            print_table({"DOMAIN", "USERS"}, rows);
        }
        return 0;
    }
    throw unknown_command("domain", sub);
}


}  // namespace easd::cli
