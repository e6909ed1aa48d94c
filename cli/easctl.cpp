// easctl: administration of an easd installation (schema, domains, users, protocol log).
// Human-readable tables by default, --json for scripts; one-line errors and non-zero exits.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/devices.h"

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
    "  user enable ADDRESS | user disable ADDRESS  (ActiveSync access)\n"
    "  log enable ADDRESS [--device DEVICEID]   protocol log for a user or one of their devices\n"
    "  log disable ADDRESS [--device DEVICEID]\n"
    "Passwords are read from the terminal (asked twice) or, with --password-stdin, from the first\n"
    "line of standard input; never from the command line.\n";

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

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

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(header.size());
    for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    auto line = [&](const std::vector<std::string>& cells) {
        std::string s;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            s += cells[i];
            if (i + 1 < cells.size()) s += std::string(width[i] - cells[i].size() + 2, ' ');
        }
        std::cout << s << "\n";
    };
    line(header);
    for (const auto& r : rows) line(r);
}

const std::string& word(const cli::Args& a, std::size_t i, const char* what) {
    if (a.words.size() <= i) throw UsageError(std::string("missing ") + what);
    return a.words[i];
}

void done(const cli::Args& a, const std::string& message) {
    if (a.flag("--json"))
        std::cout << "{\"ok\":true,\"message\":" << cli::json_string(message) << "}\n";
    else
        std::cout << message << "\n";
}

int run(const cli::Args& a) {
    if (a.flag("--help") || a.words.empty()) {
        std::fputs(kUsage, a.words.empty() && !a.flag("--help") ? stderr : stdout);
        return a.words.empty() && !a.flag("--help") ? 64 : 0;
    }
    const std::string& cmd = a.words[0];
    std::string sub = a.words.size() > 1 ? a.words[1] : "";
    auto sql = store::open_session(cli::conninfo_for(a));
    bool json = a.flag("--json");

    if (cmd == "migrate") {
        auto applied = store::migrate(*sql, store::default_schema_dir());
        std::string msg = applied.empty() ? "schema is up to date" : "applied " + std::to_string(applied.size()) + " migration(s)";
        done(a, msg);
        return 0;
    }
    if (cmd == "domain" && sub == "add") {
        store::add_domain(*sql, word(a, 2, "domain name"));
        done(a, "added domain " + a.words[2]);
        return 0;
    }
    if (cmd == "domain" && sub == "list") {
        auto domains = store::list_domains(*sql);
        if (json) {
            std::cout << "[";
            for (std::size_t i = 0; i < domains.size(); ++i)
                std::cout << (i ? "," : "") << "{\"name\":" << cli::json_string(domains[i].name)
                          << ",\"users\":" << domains[i].users << "}";
            std::cout << "]\n";
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& d : domains) rows.push_back({d.name, std::to_string(d.users)});
            print_table({"DOMAIN", "USERS"}, rows);
        }
        return 0;
    }
    if (cmd == "user" && sub == "add") {
        const std::string& address = word(a, 2, "address");
        store::normalize_address(address);  // fail before asking for a password
        std::string pw = read_password(a.flag("--password-stdin"));
        auto u = store::add_user(*sql, address, pw, a.value("--name"));
        done(a, "added user " + u.address);
        return 0;
    }
    if (cmd == "user" && sub == "passwd") {
        const std::string& address = word(a, 2, "address");
        if (!store::find_user(*sql, address)) throw store::InvalidRequest("unknown user " + address);
        store::set_password(*sql, address, read_password(a.flag("--password-stdin")));
        done(a, "password changed for " + store::normalize_address(address));
        return 0;
    }
    if (cmd == "user" && (sub == "enable" || sub == "disable")) {
        const std::string& address = word(a, 2, "address");
        store::set_activesync(*sql, address, sub == "enable");
        done(a, "ActiveSync " + std::string(sub == "enable" ? "enabled" : "disabled") + " for " +
                    store::normalize_address(address));
        return 0;
    }
    if (cmd == "user" && sub == "list") {
        auto users = store::list_users(*sql, a.value("--domain"));
        if (json) {
            std::cout << "[";
            for (std::size_t i = 0; i < users.size(); ++i)
                std::cout << (i ? "," : "") << "{\"address\":" << cli::json_string(users[i].address)
                          << ",\"name\":" << cli::json_string(users[i].display_name)
                          << ",\"activesync\":" << (users[i].activesync ? "true" : "false")
                          << ",\"protocol_log\":" << (users[i].protocol_log ? "true" : "false") << "}";
            std::cout << "]\n";
        } else {
            std::vector<std::vector<std::string>> rows;
            for (const auto& u : users)
                rows.push_back({u.address, u.display_name, u.activesync ? "enabled" : "disabled",
                                u.protocol_log ? "on" : "off"});
            print_table({"ADDRESS", "NAME", "ACTIVESYNC", "PROTOCOL LOG"}, rows);
        }
        return 0;
    }
    if (cmd == "log" && (sub == "enable" || sub == "disable")) {
        const std::string& address = word(a, 2, "address");
        bool on = sub == "enable";
        std::string device = a.value("--device");
        if (device.empty()) {
            store::set_user_protocol_log(*sql, address, on);
            done(a, std::string("protocol log ") + (on ? "on" : "off") + " for " + store::normalize_address(address));
        } else {
            auto u = store::find_user(*sql, address);
            if (!u) throw store::InvalidRequest("unknown user " + address);
            store::set_device_protocol_log(*sql, u->id, device, on);
            done(a, std::string("protocol log ") + (on ? "on" : "off") + " for device " + device + " of " + u->address);
        }
        return 0;
    }
    throw UsageError("unknown command: " + cmd + (sub.empty() ? "" : " " + sub));
}

}  // namespace

int main(int argc, char** argv) {
    cli::Args args;
    try {
        args = cli::parse_args(argc, argv, {"--domain", "--device", "--name"}, {"--password-stdin"});
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
