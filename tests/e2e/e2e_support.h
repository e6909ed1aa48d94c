// Shared pieces of the end-to-end tests: one cluster and one server per test binary, users, mail
// delivery and short-hand for requests written as XML.
#pragma once

#include <catch2/catch.hpp>

#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/cluster.h"
#include "support/eas_client.h"
#include "support/server.h"
#include "wbxml/wbxml.h"

namespace e2e {

using easd::test::EasClient;
using easd::test::EasResponse;

inline easd::test::PgCluster& cluster() { return easd::test::shared_cluster(); }

// A stand-in for sendmail: each call leaves its arguments and the message in a directory.
struct FakeSendmail {
    std::string dir = easd::test::make_temp_dir("easd-sendmail");
    std::string script = dir + "/sendmail";
    std::string config = dir + "/easd.conf";
    FakeSendmail() {
        easd::test::write_file(script,
                               "#!/bin/sh\n[ -e \"" + dir + "/fail\" ] && { cat >/dev/null; exit 75; }\nn=$(date +%s%N)\nprintf '%s\\n' \"$@\" > \"" + dir + "/args.$n\"\n"
                               "cat > \"" + dir + "/message.$n\"\n", 0755);
        easd::test::write_file(config, "sendmail = " + script + "\n");
    }
    // While failing, every call exits 75 (EX_TEMPFAIL) and leaves nothing.
    void set_failing(bool failing) const {
        if (failing) easd::test::write_file(dir + "/fail", "");
        else std::remove((dir + "/fail").c_str());
    }
    // The calls so far: (arguments, message), oldest first.
    std::vector<std::pair<std::string, std::string>> calls() const {
        std::vector<std::string> stamps;
        if (DIR* d = opendir(dir.c_str())) {
            while (dirent* e = readdir(d)) {
                std::string name = e->d_name;
                if (name.rfind("args.", 0) == 0) stamps.push_back(name.substr(5));
            }
            closedir(d);
        }
        std::sort(stamps.begin(), stamps.end());
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& s : stamps)
            out.emplace_back(easd::test::read_file(dir + "/args." + s), easd::test::read_file(dir + "/message." + s));
        return out;
    }
    std::vector<std::pair<std::string, std::string>> calls_since(std::size_t n) const {
        auto all = calls();
        all.erase(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(std::min(n, all.size())));
        return all;
    }
};

// The one every process of the tests uses: easd's config and easd-deliver's --config name it.
inline FakeSendmail& fake_sendmail() {
    static FakeSendmail f;
    return f;
}

// While one lives, the shared fake sendmail fails; it works again however the scope is left.
struct FailingSendmail {
    FailingSendmail() { fake_sendmail().set_failing(true); }
    ~FailingSendmail() { fake_sendmail().set_failing(false); }
    FailingSendmail(const FailingSendmail&) = delete;
    FailingSendmail& operator=(const FailingSendmail&) = delete;
};

// The easd settings of the shared servers: heartbeats from 1 s, the fake sendmail.
inline easd::test::EasServer::Options shared_options(
    easd::test::EasServer::FrontEnd front_end = easd::test::EasServer::FrontEnd::nginx) {
    easd::test::EasServer::Options o;
    o.front_end = front_end;
    o.config_lines = {"auth_cache_seconds = 1", "heartbeat_min = 1", "sendmail = " + fake_sendmail().script};
    if (std::getenv("EASD_TEST_VERBOSE")) o.args = {"--verbose"};
    return o;
}

inline easd::test::EasServer& server() {
    static easd::test::EasServer s(cluster(), shared_options());
    return s;
}

// A fresh user for each test, so tests do not see each other's mail.
inline std::string new_user(const std::string& stem, const std::string& password = "secret-pw") {
    static std::atomic<int> n{0};
    std::string address = stem + std::to_string(++n) + "@e2e.test";
    easd::test::create_user(cluster(), address, password);
    return address;
}

inline EasClient client(const std::string& user, const std::string& device = "DEV1", const std::string& version = "14.1",
                        const std::string& password = "secret-pw") {
    return EasClient(server().http_port(), user, password, device, "TestDevice", version);
}

// A tree from readable XML (namespaces by EAS page name).
inline easd::wbxml::Node xml(const std::string& text) {
    std::string error;
    auto node = easd::wbxml::from_xml(text, &error);
    if (!node) FAIL("bad test XML: " << error << "\n" << text);
    return *node;
}

inline std::string deliver(const std::string& recipient, const std::string& message) {
    auto r = easd::test::run_process(
        {EASD_DELIVER_BIN, "--database", cluster().conninfo(), "--recipient", recipient}, message);
    if (r.exit_code != 0) FAIL("easd-deliver failed (" << r.exit_code << "): " << r.err);
    return r.out;
}

inline std::string simple_message(const std::string& subject, const std::string& body = "Hello") {
    return "From: Sender <sender@example.com>\r\nTo: someone@e2e.test\r\nSubject: " + subject +
           "\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n";
}

inline std::string text_of(const easd::wbxml::Node& n, easd::wbxml::Tag t) { return std::string(n.child_text(t)); }

// The first Fetch of an ItemOperations answer (HTTP 200, overall status 1); its own Status is the caller's.
inline const easd::wbxml::Node& first_fetch(const EasResponse& r) {
    namespace tag = easd::wbxml::tag;
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    REQUIRE(text_of(*r.doc, tag::ItemOperations::Status) == "1");
    const auto* response = r.doc->child(tag::ItemOperations::Response);
    REQUIRE(response);
    const auto* fetch = response->child(tag::ItemOperations::Fetch);
    REQUIRE(fetch);
    return *fetch;
}

// One value from SQL on the shared cluster.
inline std::string sql_one(const std::string& query) { return cluster().psql(query); }

// A column (or expression over d) of a user's device row.
inline std::string device_column(const std::string& address, const std::string& device, const std::string& column) {
    return sql_one("SELECT " + column + " FROM devices d JOIN users u ON u.id = d.user_id WHERE u.address = '" +
                   address + "' AND d.device_id = '" + device + "'");
}

// The subjects in a user's Inbox, oldest first, '|'-joined.
inline std::string inbox_subjects(const std::string& address) {
    return sql_one("SELECT COALESCE(string_agg(e.subject, '|' ORDER BY i.id), '') FROM emails e "
                   "JOIN items i ON i.id = e.item_id JOIN folders f ON f.id = i.folder_id "
                   "JOIN users u ON u.id = f.user_id WHERE u.address = '" + address + "' AND f.type = 2");
}

// Adds a device access rule through easctl; returns its id (from the --json answer).
inline std::string add_rule(const std::string& action, const std::string& field, const std::string& pattern) {
    auto r = easd::test::run_easctl(cluster(), {"rule", "add", action, field, pattern, "--json"});
    REQUIRE(r.exit_code == 0);
    auto at = r.out.find("\"id\":");
    REQUIRE(at != std::string::npos);
    return r.out.substr(at + 5, r.out.find_first_of(",}", at) - at - 5);
}

inline void remove_rule(const std::string& id) {
    REQUIRE(easd::test::run_easctl(cluster(), {"rule", "remove", id}).exit_code == 0);
}

// The FolderSync status at `key` ("0": the first FolderSync); an HTTP refusal (449 provision
// first, 403) is its status code, e.g. "449".
inline std::string folder_sync_status(EasClient& c, const std::string& key = "0") {
    namespace tag = easd::wbxml::tag;
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>" + key + "</SyncKey></FolderSync>");
    auto r = c.command("FolderSync", &body);
    if (r.status != 200) return std::to_string(r.status);
    REQUIRE(r.doc);
    return text_of(*r.doc, tag::FolderHierarchy::Status);
}

// Settings Oof Get as a phone reads it (Status 1 required): the state, the times, and for each
// audience ("internal", "known", "unknown") whether its reply is enabled and the reply.
struct OofView {
    std::string state, start, end;
    std::map<std::string, std::pair<std::string, std::string>> messages;  // audience -> (enabled, text)
    std::string body_type;                                                // of the last message
};
inline OofView oof_get(EasClient& c, const std::string& body_type = "Text") {
    namespace tag = easd::wbxml::tag;
    auto body = xml("<Settings xmlns='Settings'><Oof><Get><BodyType>" + body_type + "</BodyType></Get></Oof></Settings>");
    auto r = c.command("Settings", &body);
    REQUIRE(r.doc);
    const auto* oof = r.doc->child(tag::Settings::Oof);
    REQUIRE(oof);
    REQUIRE(text_of(*oof, tag::Settings::Status) == "1");
    const auto* get = oof->child(tag::Settings::Get);
    REQUIRE(get);
    OofView v;
    v.state = text_of(*get, tag::Settings::OofState);
    v.start = text_of(*get, tag::Settings::StartTime);
    v.end = text_of(*get, tag::Settings::EndTime);
    for (const auto* m : get->children_of(tag::Settings::OofMessage)) {
        std::string audience = m->has(tag::Settings::AppliesToInternal)        ? "internal"
                               : m->has(tag::Settings::AppliesToExternalKnown) ? "known"
                                                                               : "unknown";
        v.messages[audience] = {text_of(*m, tag::Settings::Enabled), text_of(*m, tag::Settings::ReplyMessage)};
        v.body_type = text_of(*m, tag::Settings::BodyType);
    }
    return v;
}

// FolderSync with key 0: returns (key, folder name -> id).
struct Hierarchy {
    std::string key;
    std::map<std::string, std::string> ids;
};
inline Hierarchy folder_sync(EasClient& c) {
    namespace tag = easd::wbxml::tag;
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    auto r = c.command("FolderSync", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    Hierarchy h;
    h.key = text_of(*r.doc, tag::FolderHierarchy::SyncKey);
    for (const auto* add : r.doc->child(tag::FolderHierarchy::Changes)->children_of(tag::FolderHierarchy::Add))
        h.ids[text_of(*add, tag::FolderHierarchy::DisplayName)] = text_of(*add, tag::FolderHierarchy::ServerId);
    return h;
}

// One collection's part of a Sync response.
struct CollectionResult {
    std::string status, key;
    bool more_available = false;
    std::vector<const easd::wbxml::Node*> adds, changes, deletes;
};

inline CollectionResult collection_of(const EasResponse& r) {
    namespace tag = easd::wbxml::tag;
    CollectionResult out;
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    const auto* cols = r.doc->child(tag::AirSync::Collections);
    REQUIRE(cols);
    const auto* col = cols->child(tag::AirSync::Collection);
    REQUIRE(col);
    out.status = text_of(*col, tag::AirSync::Status);
    out.key = text_of(*col, tag::AirSync::SyncKey);
    out.more_available = col->has(tag::AirSync::MoreAvailable);
    if (const auto* cmds = col->child(tag::AirSync::Commands)) {
        out.adds = cmds->children_of(tag::AirSync::Add);
        out.changes = cmds->children_of(tag::AirSync::Change);
        out.deletes = cmds->children_of(tag::AirSync::Delete);
    }
    return out;
}

// Sync of one collection; `extra` goes inside <Collection> (WindowSize, Options, Commands...).
// The response is kept alive in `keep` because CollectionResult points into it.
inline CollectionResult sync(EasClient& c, const std::string& collection, const std::string& key, EasResponse& keep,
                             const std::string& extra = "") {
    auto body = xml("<Sync xmlns='AirSync' xmlns:B='AirSyncBase' xmlns:E='Email'><Collections><Collection><SyncKey>" + key +
                    "</SyncKey><CollectionId>" + collection + "</CollectionId>" + extra +
                    "</Collection></Collections></Sync>");
    keep = c.command("Sync", &body);
    return collection_of(keep);
}

// Sync of one collection with commands, with every namespace a draft uses (Email2 too).
inline CollectionResult sync_with(EasClient& c, const std::string& col, const std::string& key, EasResponse& keep,
                                  const std::string& inside) {
    auto body = xml("<Sync xmlns='AirSync' xmlns:B='AirSyncBase' xmlns:E='Email' xmlns:E2='Email2'><Collections>"
                    "<Collection><SyncKey>" + key + "</SyncKey><CollectionId>" + col + "</CollectionId>" + inside +
                    "</Collection></Collections></Sync>");
    keep = c.command("Sync", &body);
    return collection_of(keep);
}

}  // namespace e2e
