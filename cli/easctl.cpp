// easctl: administration of an easd installation (schema, domains, users, devices, folders,
// protocol log).
// Human-readable tables by default, --json for scripts; one-line errors and non-zero exits.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.h"
#include "store/accounts.h"
#include "store/admin.h"
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
    "  device list [ADDRESS | --domain DOMAIN]  devices, with user agent, version, first/last seen\n"
    "  device show ADDRESS DEVICEID             a device and its sync state (keys, items per folder)\n"
    "  device resync ADDRESS DEVICEID           discard its sync state (never data): full sync next\n"
    "  folder list ADDRESS                      the user's folders, types and item counts\n"
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

void no_more_words(const cli::Args& a, std::size_t n) {
    if (a.words.size() > n) throw UsageError("unexpected argument " + a.words[n]);
}

std::string json_bool(bool b) { return b ? "true" : "false"; }

std::string json_key(const store::KeyInfo& k) {
    return "{\"current\":" + cli::json_string(k.current) +
           ",\"previous\":" + (k.previous ? cli::json_string(*k.previous) : std::string("null")) + "}";
}

std::string json_device_fields(const store::DeviceInfo& d) {
    return "\"user\":" + cli::json_string(d.user) + ",\"device_id\":" + cli::json_string(d.device_id) +
           ",\"device_type\":" + cli::json_string(d.device_type) + ",\"user_agent\":" + cli::json_string(d.user_agent) +
           ",\"protocol_version\":" + cli::json_string(d.protocol_version) +
           ",\"protocol_log\":" + json_bool(d.protocol_log) + ",\"first_seen\":" + cli::json_string(d.first_seen) +
           ",\"last_seen\":" + cli::json_string(d.last_seen);
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

void print_device_list(const std::vector<store::DeviceInfo>& devices, bool json) {
    if (json) {
        std::cout << "[";
        for (std::size_t i = 0; i < devices.size(); ++i)
            std::cout << (i ? "," : "") << "{" << json_device_fields(devices[i]) << "}";
        std::cout << "]\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : devices)
        rows.push_back({d.user, d.device_id, or_dash(d.device_type), or_dash(d.user_agent), or_dash(d.protocol_version),
                        d.first_seen, d.last_seen});
    print_table({"USER", "DEVICE ID", "TYPE", "USER AGENT", "VERSION", "FIRST SEEN", "LAST SEEN"}, rows);
}

std::string key_text(const store::KeyInfo& k) {
    return k.current + (k.previous ? " (previous " + *k.previous + ")" : "");
}

void print_device_details(const store::DeviceDetails& s, bool json) {
    const auto& d = s.device;
    if (json) {
        std::cout << "{" << json_device_fields(d) << ",\"folder_sync_key\":"
                  << (s.folder_sync ? json_key(*s.folder_sync) : std::string("null")) << ",\"collections\":[";
        for (std::size_t i = 0; i < s.collections.size(); ++i) {
            const auto& c = s.collections[i];
            std::cout << (i ? "," : "") << "{\"folder_id\":" << c.folder_id
                      << ",\"folder_name\":" << cli::json_string(c.folder_name)
                      << ",\"class\":" << cli::json_string(c.item_class) << ",\"sync_key\":" << json_key(c.key)
                      << ",\"items_on_device\":" << c.items_held << "}";
        }
        std::cout << "]}\n";
        return;
    }
    std::cout << "User:              " << d.user << "\n"
              << "DeviceId:          " << d.device_id << "\n"
              << "DeviceType:        " << or_dash(d.device_type) << "\n"
              << "User agent:        " << or_dash(d.user_agent) << "\n"
              << "Protocol version:  " << or_dash(d.protocol_version) << "\n"
              << "Protocol log:      " << (d.protocol_log ? "on" : "off") << "\n"
              << "First seen:        " << d.first_seen << "\n"
              << "Last seen:         " << d.last_seen << "\n"
              << "FolderSync key:    "
              << (s.folder_sync ? key_text(*s.folder_sync) : std::string("none (the next FolderSync starts from 0)"))
              << "\n";
    if (s.collections.empty()) {
        std::cout << "Collections:       none\n";
        return;
    }
    std::cout << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : s.collections)
        rows.push_back({c.folder_name, std::to_string(c.folder_id), c.item_class, key_text(c.key),
                        std::to_string(c.items_held)});
    print_table({"FOLDER", "FOLDER ID", "CLASS", "SYNC KEY", "ITEMS ON DEVICE"}, rows);
}

void print_folder_list(const std::vector<store::FolderInfo>& folders, bool json) {
    if (json) {
        std::cout << "[";
        for (std::size_t i = 0; i < folders.size(); ++i) {
            const auto& f = folders[i];
            std::cout << (i ? "," : "") << "{\"id\":" << f.id << ",\"parent_id\":" << f.parent_id
                      << ",\"name\":" << cli::json_string(f.name) << ",\"type\":" << f.type
                      << ",\"type_name\":" << cli::json_string(store::folder_type_name(f.type))
                      << ",\"class\":" << cli::json_string(f.item_class) << ",\"items\":" << f.items << "}";
        }
        std::cout << "]\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : folders)
        rows.push_back({std::to_string(f.id), std::to_string(f.parent_id), f.name,
                        std::to_string(f.type) + " " + store::folder_type_name(f.type), f.item_class,
                        std::to_string(f.items)});
    print_table({"ID", "PARENT", "NAME", "TYPE", "CLASS", "ITEMS"}, rows);
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
    if (cmd == "device" && sub == "list") {
        std::string address = a.words.size() > 2 ? a.words[2] : "";
        no_more_words(a, 3);
        if (!address.empty() && !a.value("--domain").empty())
            throw UsageError("give an address or --domain, not both");
        print_device_list(store::list_devices(*sql, address, a.value("--domain")), json);
        return 0;
    }
    if (cmd == "device" && sub == "show") {
        const std::string& address = word(a, 2, "address");
        const std::string& device = word(a, 3, "device id");
        no_more_words(a, 4);
        print_device_details(store::show_device(*sql, address, device), json);
        return 0;
    }
    if (cmd == "device" && sub == "resync") {
        const std::string& address = word(a, 2, "address");
        const std::string& device = word(a, 3, "device id");
        no_more_words(a, 4);
        auto r = store::resync_device(*sql, address, device);
        std::string who = "device " + device + " of " + store::normalize_address(address);
        std::string msg;
        if (!r.folder_sync_state && r.collections == 0) {
            msg = who + " had no sync state; nothing to discard (its next FolderSync starts from 0)";
        } else {
            msg = "discarded the sync state of " + who + ": " +
                  (r.folder_sync_state ? "the FolderSync key, " : "") + std::to_string(r.collections) +
                  " collection(s), the record of " + std::to_string(r.items_held) +
                  " item(s) on the device; no mail or other data was touched. Its next request gets "
                  "FolderSync status 9 / Sync status 3 and the device starts a full sync.";
        }
        if (json)
            std::cout << "{\"ok\":true,\"message\":" << cli::json_string(msg)
                      << ",\"folder_sync_state\":" << json_bool(r.folder_sync_state)
                      << ",\"collections\":" << r.collections << ",\"items_on_device\":" << r.items_held << "}\n";
        else
            std::cout << msg << "\n";
        return 0;
    }
    if (cmd == "folder" && sub == "list") {
        const std::string& address = word(a, 2, "address");
        no_more_words(a, 3);
        print_folder_list(store::list_user_folders(*sql, address), json);
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
