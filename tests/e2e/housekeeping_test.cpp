// Housekeeping end to end (issue 13, part 6): `easctl maintenance` prunes tombstones; a device
// that last synced before a pruned deletion is sent back to key 0 (Sync status 3, FolderSync
// status 9, a Ping that says "sync" or "FolderSync first", GetItemEstimate status 4) and its resync is full and correct;
// a device inside the prune horizon keeps its delta, deletions included; a new device's initial
// sync in small windows is never mistaken for a stale one. And the shipped logrotate config
// rotates the logs of a running easd.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "e2e_support.h"
#include "support/process.h"

namespace tag = easd::wbxml::tag;
using namespace e2e;

namespace {

std::set<std::string> server_ids(const std::vector<const easd::wbxml::Node*>& nodes) {
    std::set<std::string> out;
    for (const auto* n : nodes) out.insert(text_of(*n, tag::AirSync::ServerId));
    return out;
}

// A number member of easctl's --json answer ("-1" when absent).
long long json_number(const std::string& json, const std::string& key) {
    auto at = json.find("\"" + key + "\":");
    if (at == std::string::npos) return -1;
    return std::stoll(json.substr(at + key.size() + 3));
}

std::string item_of(const std::string& address, const std::string& subject) {
    return sql_one("SELECT i.id FROM items i JOIN emails e ON e.item_id = i.id JOIN users u ON u.id = i.user_id "
                   "WHERE u.address = '" + address + "' AND e.subject = '" + subject + "'");
}

// FolderSync from `key`: (status, new key, ids of deleted folders).
struct FolderSyncResult {
    std::string status, key;
    std::set<std::string> deleted;
};
FolderSyncResult folder_sync_from(EasClient& c, const std::string& key) {
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>" + key + "</SyncKey></FolderSync>");
    auto r = c.command("FolderSync", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    FolderSyncResult out;
    out.status = text_of(*r.doc, tag::FolderHierarchy::Status);
    out.key = text_of(*r.doc, tag::FolderHierarchy::SyncKey);
    if (const auto* changes = r.doc->child(tag::FolderHierarchy::Changes))
        for (const auto* d : changes->children_of(tag::FolderHierarchy::Delete))
            out.deleted.insert(text_of(*d, tag::FolderHierarchy::ServerId));
    return out;
}

// Key 0, then Syncs of `window` items until nothing more is available; every answer must be
// status 1. Returns the items added and the last key.
std::pair<std::set<std::string>, std::string> initial_sync(EasClient& c, const std::string& folder, int window) {
    EasResponse keep;
    auto first = sync(c, folder, "0", keep);
    REQUIRE(first.status == "1");
    std::string key = first.key;
    std::set<std::string> added;
    for (int round = 0; round < 50; ++round) {
        auto r = sync(c, folder, key, keep, "<WindowSize>" + std::to_string(window) + "</WindowSize>");
        INFO("round " << round);
        REQUIRE(r.status == "1");
        auto ids = server_ids(r.adds);
        added.insert(ids.begin(), ids.end());
        key = r.key;
        if (!r.more_available) break;
    }
    return {added, key};
}

std::string ping_status(EasClient& c, const std::string& folder, std::vector<std::string>* folders = nullptr) {
    auto body = xml("<Ping xmlns='Ping'><HeartbeatInterval>5</HeartbeatInterval><Folders><Folder><Id>" + folder +
                    "</Id><Class>Email</Class></Folder></Folders></Ping>");
    auto r = c.command("Ping", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    if (folders)
        if (const auto* fs = r.doc->child(tag::Ping::Folders))
            for (const auto* f : fs->children_of(tag::Ping::Folder)) folders->push_back(std::string(f->text()));
    return text_of(*r.doc, tag::Ping::Status);
}

std::string estimate_status(EasClient& c, const std::string& folder, const std::string& key) {
    auto body = xml("<GetItemEstimate xmlns='GetItemEstimate' xmlns:A='AirSync'><Collections><Collection>"
                    "<A:SyncKey>" + key + "</A:SyncKey><CollectionId>" + folder +
                    "</CollectionId></Collection></Collections></GetItemEstimate>");
    auto r = c.command("GetItemEstimate", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    const auto* response = r.doc->child(tag::GetItemEstimate::Response);
    REQUIRE(response);
    return text_of(*response, tag::GetItemEstimate::Status);
}

}  // namespace

TEST_CASE("maintenance prunes past a device's watermark: it resyncs in full; a device inside gets its deletes",
          "[e2e][housekeeping]") {
    const std::string user = new_user("keeper");
    for (const char* s : {"m1", "m2", "m3", "m4"}) deliver(user, simple_message(s));
    const std::string m1 = item_of(user, "m1"), m2 = item_of(user, "m2"), m3 = item_of(user, "m3"),
                      m4 = item_of(user, "m4");
    REQUIRE(easd::test::run_easctl(cluster(), {"folder", "add", user, "Old"}).exit_code == 0);

    EasClient away = client(user, "AWAY"), home = client(user, "HOME");
    Hierarchy ha = folder_sync(away), hh = folder_sync(home);
    const std::string inbox = ha.ids["Inbox"], old_folder = ha.ids["Old"];
    REQUIRE(!old_folder.empty());
    auto [away_items, away_key] = initial_sync(away, inbox, 100);
    auto [home_items, home_key] = initial_sync(home, inbox, 100);
    REQUIRE(away_items == std::set<std::string>{m1, m2, m3, m4});
    REQUIRE(home_items == away_items);

    // m1 and the folder Old are deleted; HOME hears of both, AWAY is away.
    sql_one("DELETE FROM items WHERE id = " + m1);
    REQUIRE(easd::test::run_easctl(cluster(), {"folder", "remove", user, "Old"}).exit_code == 0);
    EasResponse keep;
    auto got = sync(home, inbox, home_key, keep);
    REQUIRE(got.status == "1");
    REQUIRE(server_ids(got.deletes) == std::set<std::string>{m1});
    home_key = got.key;
    auto home_folders = folder_sync_from(home, hh.key);
    REQUIRE(home_folders.status == "1");
    REQUIRE(home_folders.deleted == std::set<std::string>{old_folder});
    // Those deletions are 40 days old now; m2 is deleted today.
    sql_one("UPDATE item_tombstones SET deleted_at = now() - interval '40 days' WHERE item_id = " + m1);
    sql_one("UPDATE folder_tombstones SET deleted_at = now() - interval '40 days' WHERE folder_id = " + old_folder);
    sql_one("DELETE FROM items WHERE id = " + m2);

    auto run = easd::test::run_easctl(cluster(), {"--json", "maintenance"});
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(json_number(run.out, "item_tombstones") >= 1);
    CHECK(json_number(run.out, "folder_tombstones") >= 1);
    CHECK(json_number(run.out, "stale_collections") >= 1);  // AWAY's Inbox
    CHECK(sql_one("SELECT count(*) FROM item_tombstones WHERE item_id = " + m1) == "0");
    CHECK(sql_one("SELECT count(*) FROM item_tombstones WHERE item_id = " + m2) == "1");  // 30 days to go
    CHECK(sql_one("SELECT count(*) FROM folder_tombstones WHERE folder_id = " + old_folder) == "0");
    CHECK(sql_one("SELECT horizon > 0 FROM folder_prune_horizons WHERE folder_id = " + inbox) == "t");

    // Inside the horizon: the delta, with today's deletion.
    got = sync(home, inbox, home_key, keep);
    CHECK(got.status == "1");
    CHECK(server_ids(got.deletes) == std::set<std::string>{m2});
    CHECK(got.adds.empty());
    CHECK(folder_sync_from(home, home_folders.key).status == "1");

    // Behind it: Ping says FolderSync first (the hierarchy is behind its horizon too), Sync says
    // start over (never status 1 without m1's Delete), FolderSync too.
    CHECK(ping_status(away, inbox) == "7");
    CHECK(sync(away, inbox, away_key, keep).status == "3");
    CHECK(folder_sync_from(away, ha.key).status == "9");
    // The resync that follows is full and correct.
    auto fresh = folder_sync(away);
    CHECK(fresh.ids.count("Old") == 0);
    auto [resynced, resync_key] = initial_sync(away, inbox, 100);
    CHECK(resynced == std::set<std::string>{m3, m4});
    CHECK(sync(away, inbox, resync_key, keep).status == "1");

    // A new device after the prune: its first windows end below the horizon (items are read in
    // change order), and still it is never sent back.
    EasClient late = client(user, "LATE");
    auto hl = folder_sync(late);
    auto [late_items, late_key] = initial_sync(late, hl.ids["Inbox"], 1);
    CHECK(late_items == std::set<std::string>{m3, m4});
    CHECK(!late_key.empty());
}

TEST_CASE("a state behind the prune horizon is answered as stale by Sync, GetItemEstimate, Ping and FolderSync",
          "[e2e][housekeeping]") {
    // The horizon as maintenance leaves it, with the state still there (a state maintenance has
    // not reached yet, or one a request held while it ran).
    const std::string user = new_user("horizon");
    for (const char* s : {"h1", "h2", "h3"}) deliver(user, simple_message(s));
    const std::string h1 = item_of(user, "h1");
    EasClient c = client(user, "PHONE");
    Hierarchy h = folder_sync(c);
    const std::string inbox = h.ids["Inbox"];
    auto [items, key] = initial_sync(c, inbox, 100);
    REQUIRE(items.size() == 3);
    CHECK(estimate_status(c, inbox, key) == "1");

    sql_one("DELETE FROM items WHERE id = " + h1);
    sql_one("WITH gone AS (DELETE FROM item_tombstones WHERE item_id = " + h1 +
            " RETURNING folder_id, modseq) INSERT INTO folder_prune_horizons (folder_id, horizon) "
            "SELECT folder_id, modseq FROM gone");

    CHECK(estimate_status(c, inbox, key) == "4");
    std::vector<std::string> pinged;
    CHECK(ping_status(c, inbox, &pinged) == "2");
    CHECK(pinged == std::vector<std::string>{inbox});
    EasResponse keep;
    auto r = sync(c, inbox, key, keep);
    CHECK(r.status == "3");
    CHECK(r.key == "0");

    // The hierarchy: a pruned folder deletion above the device's FolderSync watermark.
    std::string user_id = sql_one("SELECT id FROM users WHERE address = '" + user + "'");
    sql_one("INSERT INTO hierarchy_prune_horizons (user_id, horizon) VALUES (" + user_id +
            ", (SELECT last_value FROM change_seq))");
    auto create = xml("<FolderCreate xmlns='FolderHierarchy'><SyncKey>" + h.key +
                      "</SyncKey><ParentId>0</ParentId><DisplayName>New</DisplayName><Type>12</Type></FolderCreate>");
    auto created = c.command("FolderCreate", &create);
    REQUIRE(created.doc);
    CHECK(text_of(*created.doc, tag::FolderHierarchy::Status) == "9");
    CHECK(sql_one("SELECT count(*) FROM folders WHERE user_id = " + user_id + " AND name = 'New'") == "0");
    CHECK(folder_sync_from(c, h.key).status == "9");
    // Starting over works, and the new key is not stale itself.
    auto again = folder_sync(c);
    CHECK(folder_sync_from(c, again.key).status == "1");
}

TEST_CASE("the shipped logrotate config rotates a running easd's log and protocol logs", "[e2e][housekeeping]") {
    if (::access("/usr/sbin/logrotate", X_OK) != 0) FAIL("logrotate is not installed (scripts/packages.txt)");
    auto options = shared_options();
    options.args = {"--verbose"};  // a log line for every request
    easd::test::EasServer s(cluster(), options);
    const std::string user = new_user("rotate");
    REQUIRE(easd::test::run_easctl(cluster(), {"log", "enable", user}).exit_code == 0);
    EasClient c(s.http_port(), user, "secret-pw", "ROT1");
    folder_sync(c);
    const std::string protocol_log = s.protocol_log_dir() + "/" + user + "/ROT1.log";
    REQUIRE(easd::test::read_file(protocol_log).find("cmd=FolderSync") != std::string::npos);
    REQUIRE(!easd::test::read_file(s.easd_log_path()).empty());

    // The shipped file, pointed at this server's logs.
    std::string conf = easd::test::read_file(EASD_SOURCE_DIR "/packaging/logrotate/easd");
    REQUIRE(!conf.empty());
    auto replace_all = [&](const std::string& from, const std::string& to) {
        for (auto at = conf.find(from); at != std::string::npos; at = conf.find(from, at + to.size()))
            conf.replace(at, from.size(), to);
    };
    replace_all("/var/log/easd/easd.log", s.easd_log_path());
    replace_all("/var/log/easd/protocol", s.protocol_log_dir());
    replace_all("su easd easd", easd::test::running_as_root() ? "su root root" : "");
    const std::string dir = easd::test::make_temp_dir("easd-logrotate");
    easd::test::write_file(dir + "/easd", conf, 0644);
    auto rotated = easd::test::run_process({"/usr/sbin/logrotate", "--force", "--state", dir + "/state", dir + "/easd"});
    INFO(rotated.out << rotated.err << conf);
    REQUIRE(rotated.exit_code == 0);

    // Protocol log: renamed; the next entry makes a new file with only itself.
    CHECK(easd::test::read_file(protocol_log + ".1").find("cmd=FolderSync") != std::string::npos);
    struct stat st {};
    CHECK(::stat(protocol_log.c_str(), &st) != 0);
    auto again = folder_sync_from(c, "0");
    CHECK(again.status == "1");
    std::string fresh = easd::test::read_file(protocol_log);
    CHECK(fresh.find("cmd=FolderSync") != std::string::npos);
    CHECK(fresh.find("=== ") == fresh.rfind("=== "));  // one entry

    // easd's log: copied and truncated; easd goes on writing at the new end (no hole of NULs).
    CHECK(!easd::test::read_file(s.easd_log_path() + ".1").empty());
    folder_sync_from(c, again.key);
    std::string log = easd::test::read_file(s.easd_log_path());
    CHECK(!log.empty());
    CHECK(log.find('\0') == std::string::npos);
    easd::test::remove_tree(dir);
}
