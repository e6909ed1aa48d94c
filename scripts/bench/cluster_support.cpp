#include "cluster_support.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "wbxml/wbxml.h"

namespace easd::cluster {

namespace tag = wbxml::tag;

const std::string root = EASD_SOURCE_DIR;
const std::string state = root + "/var/cluster";
const std::string lb = "10.77.0.20", host1 = "10.77.0.31", host2 = "10.77.0.32";

double ms_since(Clock::time_point t0, Clock::time_point t1) {
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    if (line.empty()) throw std::runtime_error("cannot read " + path + " (is the cluster up?)");
    return line;
}

std::string easd_conninfo() {
    std::ifstream in(state + "/host2/easd.conf");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("database = ", 0) == 0) return line.substr(11);
    throw std::runtime_error("no database line in " + state + "/host2/easd.conf");
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string run(const std::string& cmd, int* status, const std::string& input) {
    std::string out;
    if (!input.empty()) {
        FILE* p = ::popen(cmd.c_str(), "w");
        if (!p) throw std::runtime_error("popen failed");
        std::fwrite(input.data(), 1, input.size(), p);
        int st = ::pclose(p);
        if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
        return out;
    }
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int st = ::pclose(p);
    if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

std::string sql_literal(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

std::string sql(const std::string& query) {
    int st = 0;
    std::string out = run("/usr/lib/postgresql/15/bin/psql -X -q -At " + shell_quote(easd_conninfo()) + " -c " +
                              shell_quote(query) + " 2>&1",
                          &st);
    if (st != 0) throw std::runtime_error("psql: " + out);
    return out;
}

void scripts_cluster(const std::string& args) {
    int st = 0;
    std::string out = run(root + "/scripts/cluster " + args + " 2>&1", &st);
    if (st != 0) throw std::runtime_error("scripts/cluster " + args + " failed:\n" + out);
}

std::string primary_db() { return run(root + "/scripts/cluster status | sed -n 's/^primary: //p'"); }

void wait_for_sync_standby(int seconds) {
    int st = 1;
    for (int i = 0; i < seconds * 2 && st != 0; ++i) {
        run("curl -fs -m 2 -o /dev/null http://10.77.0.11:8008/sync || curl -fs -m 2 -o /dev/null "
            "http://10.77.0.12:8008/sync",
            &st);
        if (st != 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (st != 0) throw std::runtime_error("no synchronous standby (scripts/cluster start-db N for the one that is down)");
}

int deliver(const std::string& recipient, const std::string& subject, int host) {
    std::string h = std::to_string(host);
    std::string message = "From: Sender <sender@example.com>\r\nTo: " + recipient + "\r\nSubject: " + subject +
                          "\r\nMessage-ID: <" + subject + "@cluster.test>\r\nContent-Type: text/plain\r\n\r\n"
                          "Sent through host " + h + ".\r\n";
    int st = 0;
    run("ip netns exec easd-host" + h + " " + std::string(EASD_DELIVER_BIN) + " --config " + state + "/host" + h +
            "/easd.conf --recipient " + recipient + " >/dev/null 2>&1",
        &st, message);
    return st;
}

void add_user(const std::string& address, const std::string& password) {
    int st = 0;
    run(std::string(EASCTL_BIN) + " --database " + shell_quote(easd_conninfo()) + " user add " + address +
            " --password-stdin >/dev/null 2>&1",
        &st, password + "\n");
    if (st != 0) throw std::runtime_error("easctl user add " + address + " failed");
}

namespace {
const char* const kInboxItems =
    " FROM items i JOIN folders f ON f.id = i.folder_id JOIN users u ON u.id = i.user_id"
    " JOIN emails e ON e.item_id = i.id WHERE f.type = 2";
}  // namespace

long server_count(const std::string& address) {
    return std::atol(sql(std::string("SELECT count(*)") + kInboxItems + " AND u.address = " + sql_literal(address)).c_str());
}

std::map<std::string, InboxCounts> server_inbox_counts(const std::string& address_like) {
    std::istringstream rows(sql(std::string("SELECT u.address, count(*), count(*) FILTER (WHERE e.read)") + kInboxItems +
                                " AND u.address LIKE " + sql_literal(address_like) + " GROUP BY u.address"));
    std::map<std::string, InboxCounts> out;
    for (std::string line; std::getline(rows, line);) {
        auto a = line.find('|'), b = line.rfind('|');
        if (a == std::string::npos || a == b) continue;
        out[line.substr(0, a)] = {std::atol(line.c_str() + a + 1), std::atol(line.c_str() + b + 1)};
    }
    return out;
}

Phone::Phone(const std::string& host, const std::string& user_, const std::string& password, const std::string& device)
    : client(80, user_, password, device), user(user_) {
    client.set_host(host);
    client.set_timeout(std::chrono::seconds(20));
}

void folder_sync(Phone& p) {
    wbxml::Node fs(tag::FolderHierarchy::FolderSync);
    fs.add(tag::FolderHierarchy::SyncKey, "0");
    auto r = p.client.command("FolderSync", &fs);
    if (!r.doc) throw std::runtime_error("FolderSync failed: HTTP " + std::to_string(r.status));
    for (const auto* add : r.doc->child(tag::FolderHierarchy::Changes)->children_of(tag::FolderHierarchy::Add))
        if (add->child_text(tag::FolderHierarchy::Type) == "2")
            p.inbox = std::string(add->child_text(tag::FolderHierarchy::ServerId));
}

std::string sync_once(Phone& p, bool* more, int* changes) {
    wbxml::Node sync(tag::AirSync::Sync);
    auto& col = sync.add(tag::AirSync::Collections).add(tag::AirSync::Collection);
    col.add(tag::AirSync::SyncKey, p.key);
    col.add(tag::AirSync::CollectionId, p.inbox);
    const bool sending = p.key != "0" && !p.pending_read.empty();
    if (p.key != "0") {
        col.add(tag::AirSync::GetChanges);
        col.add(tag::AirSync::WindowSize, "100");
    }
    if (sending) {
        auto& cmds = col.add(tag::AirSync::Commands);
        for (const auto& id : p.pending_read) {
            auto& change = cmds.add(tag::AirSync::Change);
            change.add(tag::AirSync::ServerId, id);
            change.add(tag::AirSync::ApplicationData).add(tag::Email::Read, "1");
        }
    }
    test::EasResponse r;
    try {
        r = p.client.command("Sync", &sync);
    } catch (const std::exception& e) {
        return "connection: " + std::string(e.what()).substr(0, 60);
    }
    if (more) *more = false;
    if (changes) *changes = 0;
    if (r.status != 200) return "HTTP " + std::to_string(r.status);
    if (!r.doc) {  // an empty answer: nothing changed (and nothing was sent, or it would say so)
        if (sending) return "empty answer to a Sync with changes";
        return {};
    }
    const auto* cols = r.doc->child(tag::AirSync::Collections);
    if (!cols) return "Sync status " + std::string(r.doc->child_text(tag::AirSync::Status));
    const auto* out = cols->child(tag::AirSync::Collection);
    std::string status(out->child_text(tag::AirSync::Status));
    if (status != "1") return "Sync status " + status;
    p.key = std::string(out->child_text(tag::AirSync::SyncKey));
    if (more) *more = out->has(tag::AirSync::MoreAvailable);
    if (sending) {
        // A Change the server accepted gets no Responses entry (MS-ASCMD 2.2.3.145): only failures do.
        if (const auto* responses = out->child(tag::AirSync::Responses))
            for (const auto* change : responses->children_of(tag::AirSync::Change))
                return "Change of " + std::string(change->child_text(tag::AirSync::ServerId)) + " refused, status " +
                       std::string(change->child_text(tag::AirSync::Status));
        for (const auto& id : p.pending_read) p.held[id] = true;
        p.pending_read.clear();
    }
    if (const auto* cmds = out->child(tag::AirSync::Commands)) {
        for (const auto* add : cmds->children_of(tag::AirSync::Add)) {
            std::string id(add->child_text(tag::AirSync::ServerId));
            bool read = false;
            if (const auto* data = add->child(tag::AirSync::ApplicationData)) read = data->child_text(tag::Email::Read) == "1";
            if (!p.held.emplace(id, read).second) ++p.duplicates;
            if (changes) ++*changes;
        }
        for (const auto* change : cmds->children_of(tag::AirSync::Change)) {
            std::string id(change->child_text(tag::AirSync::ServerId));
            if (const auto* data = change->child(tag::AirSync::ApplicationData))
                if (data->has(tag::Email::Read)) p.held[id] = data->child_text(tag::Email::Read) == "1";
            if (changes) ++*changes;
        }
        for (const auto* del : cmds->children_of(tag::AirSync::Delete)) {
            p.held.erase(std::string(del->child_text(tag::AirSync::ServerId)));
            if (changes) ++*changes;
        }
    }
    return {};
}

void catch_up(Phone& p) {
    auto start = Clock::now();
    int quiet = 0;
    while (quiet < 2) {
        bool more = false;
        int changes = 0;
        std::string err = sync_once(p, &more, &changes);
        if (!err.empty()) {
            if (ms_since(start) > 60000) throw std::runtime_error(p.user + ": cannot sync: " + err);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
        }
        quiet = (more || changes > 0 || p.key == "0") ? 0 : quiet + 1;
    }
}

void setup(Phone& p) {
    folder_sync(p);
    if (p.inbox.empty()) throw std::runtime_error("no Inbox for " + p.user);
    catch_up(p);
}

PingResult ping(Phone& p, int heartbeat) {
    wbxml::Node ping(tag::Ping::Ping);
    ping.add(tag::Ping::HeartbeatInterval, static_cast<long long>(heartbeat));
    auto& f = ping.add(tag::Ping::Folders).add(tag::Ping::Folder);
    f.add(tag::Ping::Id, p.inbox);
    f.add(tag::Ping::Class, "Email");
    PingResult out;
    try {
        auto r = p.client.command("Ping", &ping);
        out.http = r.status;
        if (r.doc) out.status = std::atoi(std::string(r.doc->child_text(tag::Ping::Status, "0")).c_str());
    } catch (const std::exception& e) {
        out.error = e.what();
    }
    out.at = Clock::now();
    return out;
}

namespace {
std::mutex checks_mutex;
int failed = 0;
}  // namespace

void expect(bool ok, const std::string& what) {
    if (ok) return;
    std::lock_guard lock(checks_mutex);
    ++failed;
    std::printf("  FAILED: %s\n", what.c_str());
}

int failed_checks() {
    std::lock_guard lock(checks_mutex);
    return failed;
}

double median(std::vector<double> v) { return quantile(std::move(v), 0.5); }

double quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

}  // namespace easd::cluster
