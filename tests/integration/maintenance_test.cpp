// Housekeeping on a real PostgreSQL (store/maintenance.h, easctl maintenance, stale devices,
// backup's handling of the password): what is pruned, the prune horizons, which sync states go and
// which stay, batches, --dry-run. Each test has a cluster of its own, so the counts are exact.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <string>
#include <vector>

#include "store/accounts.h"
#include "store/admin.h"
#include "store/db.h"
#include "store/folders.h"
#include "store/maintenance.h"
#include "store/mail.h"
#include "store/sync_state.h"
#include "support/cluster.h"
#include "support/process.h"
#include "support/server.h"
#include "support/text.h"

using namespace easd;
using easd::test::has;

namespace {

long long json_number(const std::string& json, const std::string& key) {
    auto at = json.find("\"" + key + "\":");
    if (at == std::string::npos) return -1;
    return std::stoll(json.substr(at + key.size() + 3));
}

long long number(soci::session& sql, const std::string& query) {
    long long n = 0;
    sql << query, soci::into(n);
    return n;
}

struct Mailbox {
    store::User user;
    long long inbox = 0;
    std::vector<long long> items;
};

Mailbox mailbox(soci::session& sql, int messages) {
    store::add_domain(sql, "keep.test");
    Mailbox m;
    m.user = store::add_user(sql, "owner@keep.test", "pw");
    for (const auto& f : store::list_folders(sql, m.user.id))
        if (f.type == 2) m.inbox = f.id;
    for (int i = 0; i < messages; ++i) {
        store::NewEmail e;
        e.subject = "message " + std::to_string(i);
        e.mime = "Subject: " + e.subject + "\r\n\r\nbody\r\n";
        m.items.push_back(store::insert_email(sql, m.user.id, m.inbox, e));
    }
    return m;
}

long long device(soci::session& sql, const store::User& u, const std::string& id) {
    long long row = 0;
    sql << "INSERT INTO devices (user_id, device_id) VALUES (:u, :d) RETURNING id", soci::use(u.id), soci::use(id),
        soci::into(row);
    return row;
}

// A collection state as Sync key 0 makes it, holding every live item of the folder, at `mark`.
store::CollectionState state_holding_all(soci::session& sql, long long dev, long long folder, long long mark) {
    soci::transaction tr(sql);
    auto s = store::create_collection_state(sql, dev, folder);
    sql << "INSERT INTO sync_items (collection_id, item_id, added_key) SELECT :c, id, 1 FROM items WHERE folder_id = :f",
        soci::use(s.id), soci::use(folder);
    s.keys.current_mark = mark;
    store::save_collection_keys(sql, s);
    tr.commit();
    return s;
}

}  // namespace

TEST_CASE("maintenance prunes old tombstones in batches, raises the horizons and removes only dead sync states",
          "[maintenance]") {
    easd::test::PgCluster cluster;
    auto sql = store::open_session(cluster.conninfo());
    Mailbox m = mailbox(*sql, 10);
    const long long away = device(*sql, m.user, "AWAY"), home = device(*sql, m.user, "HOME"),
                    idle = device(*sql, m.user, "IDLE");

    // AWAY synced everything and then nothing more.
    const long long synced_mark = number(*sql, "SELECT max(modseq) FROM items WHERE folder_id = " + std::to_string(m.inbox));
    auto away_state = state_holding_all(*sql, away, m.inbox, synced_mark);
    // A folder both know, and the hierarchy state of HOME at that point.
    long long old_folder = 0;
    *sql << "INSERT INTO folders (user_id, name, type, item_class) VALUES (:u, 'Old', 12, 'Email') RETURNING id",
        soci::use(m.user.id), soci::into(old_folder);
    const long long hierarchy_mark = number(*sql, "SELECT max(modseq) FROM folders WHERE user_id = " + std::to_string(m.user.id));
    *sql << "INSERT INTO folder_sync_states (device_id, epoch, current_key, current_mark) VALUES (:d, 'e', 1, :m)",
        soci::use(home), soci::use(hierarchy_mark);

    // Seven deletions, five of them 40 days old; and the folder, 40 days ago.
    for (int i = 0; i < 7; ++i) *sql << "DELETE FROM items WHERE id = :i", soci::use(m.items[static_cast<std::size_t>(i)]);
    for (int i = 0; i < 5; ++i)
        *sql << "UPDATE item_tombstones SET deleted_at = now() - interval '40 days' WHERE item_id = :i",
            soci::use(m.items[static_cast<std::size_t>(i)]);
    *sql << "DELETE FROM folders WHERE id = :f", soci::use(old_folder);
    *sql << "UPDATE folder_tombstones SET deleted_at = now() - interval '40 days' WHERE folder_id = :f", soci::use(old_folder);
    const long long pruned_top = number(*sql, "SELECT modseq FROM item_tombstones WHERE item_id = " + std::to_string(m.items[4]));
    // HOME has seen every deletion (its state is made after them); IDLE too, but it has not been
    // seen for 100 days.
    const long long all_seen = number(*sql, "SELECT max(modseq) FROM item_tombstones");
    auto home_state = state_holding_all(*sql, home, m.inbox, all_seen);
    auto idle_state = state_holding_all(*sql, idle, m.inbox, all_seen);
    *sql << "UPDATE devices SET last_seen = now() - interval '100 days' WHERE id = :d", soci::use(idle);
    REQUIRE(number(*sql, "SELECT count(*) FROM sync_items WHERE collection_id = " + std::to_string(home_state.id)) == 3);

    store::MaintenanceOptions options;
    options.batch_rows = 2;
    SECTION("--dry-run counts and changes nothing") {
        options.dry_run = true;
        auto r = store::run_maintenance(*sql, options);
        CHECK(r.item_tombstones == 5);
        CHECK(r.folder_tombstones == 1);
        CHECK(r.folders_horizon_moved == 1);
        CHECK(r.users_horizon_moved == 1);
        CHECK(r.stale_collections == 1);  // AWAY
        CHECK(r.idle_collections == 1);   // IDLE
        CHECK(r.sync_items == 13);        // AWAY's 10, IDLE's 3
        CHECK(r.stale_hierarchies == 1);  // HOME's FolderSync state
        CHECK(r.transactions == 0);
        CHECK(number(*sql, "SELECT count(*) FROM item_tombstones") == 7);
        CHECK(number(*sql, "SELECT count(*) FROM folder_prune_horizons") == 0);
        CHECK(number(*sql, "SELECT count(*) FROM sync_collections") == 3);
        CHECK(number(*sql, "SELECT count(*) FROM sync_items") == 16);
    }
    SECTION("the run") {
        auto r = store::run_maintenance(*sql, options);
        CHECK(r.item_tombstones == 5);
        CHECK(r.folder_tombstones == 1);
        CHECK(r.folders_horizon_moved == 1);
        CHECK(r.users_horizon_moved == 1);
        CHECK(r.stale_collections == 1);
        CHECK(r.idle_collections == 1);
        CHECK(r.sync_items == 13);
        CHECK(r.stale_hierarchies == 1);
        // Item tombstones 2+2+1, the folder tombstone, both states retired in one, their 13 held
        // items 6 batches of 2 and one of 1, both rows in one.
        CHECK(r.transactions == 3 + 1 + 1 + 7 + 1);

        // The two recent tombstones stay; the horizon is the highest number pruned.
        CHECK(number(*sql, "SELECT count(*) FROM item_tombstones") == 2);
        CHECK(store::folder_prune_horizon(*sql, m.inbox) == pruned_top);
        CHECK(store::hierarchy_prune_horizon(*sql, m.user.id) > hierarchy_mark);
        // AWAY's and IDLE's states are gone; HOME's is whole and not stale.
        CHECK(number(*sql, "SELECT count(*) FROM sync_collections WHERE id IN (" + std::to_string(away_state.id) + "," +
                               std::to_string(idle_state.id) + ")") == 0);
        CHECK(number(*sql, "SELECT count(*) FROM sync_items") == 3);
        auto peek = store::peek_collection(*sql, m.user.id, home, m.inbox);
        REQUIRE(peek.state);
        CHECK(peek.horizon == pruned_top);
        CHECK_FALSE(peek.state->stale(peek.state->keys.current_mark, peek.horizon));
        CHECK_FALSE(peek.pending);
        // The hierarchy state stays (its next FolderSync answers 9).
        CHECK(number(*sql, "SELECT count(*) FROM folder_sync_states") == 1);

        // A state started now (Sync key 0) is not stale at mark 0: it holds nothing older.
        const long long fresh_device = device(*sql, m.user, "FRESH");
        soci::transaction tr(*sql);
        auto fresh = store::create_collection_state(*sql, fresh_device, m.inbox);
        tr.commit();
        CHECK(fresh.base_seq >= pruned_top);
        CHECK_FALSE(fresh.stale(0, store::folder_prune_horizon(*sql, m.inbox)));
        // ...while one as old as AWAY's was is.
        CHECK(away_state.stale(away_state.keys.current_mark, pruned_top));

        // A second run finds nothing.
        auto again = store::run_maintenance(*sql, options);
        CHECK(again.item_tombstones == 0);
        CHECK(again.folder_tombstones == 0);
        CHECK(again.stale_collections == 0);
        CHECK(again.idle_collections == 0);
        CHECK(again.transactions == 0);
        CHECK(number(*sql, "SELECT count(*) FROM sync_collections") == 2);
    }
    SECTION("--sync-state-days 0 keeps idle devices' states; stale ones go all the same") {
        options.sync_state_days = 0;
        auto r = store::run_maintenance(*sql, options);
        CHECK(r.stale_collections == 1);
        CHECK(r.idle_collections == 0);
        CHECK(number(*sql, "SELECT count(*) FROM sync_collections WHERE id = " + std::to_string(idle_state.id)) == 1);
    }
    SECTION("a retired state answers no key, and the next run finishes removing it") {
        // A state retired by a run that stopped before its rows went (killed, say): no key matches.
        *sql << "UPDATE sync_collections SET current_key = 0, previous_key = NULL WHERE id = :c",
            soci::use(home_state.id);
        auto peek = store::peek_collection(*sql, m.user.id, home, m.inbox);
        REQUIRE(peek.state);
        CHECK(peek.state->keys.match(store::SyncKey{peek.state->keys.epoch, 1}) == store::KeyedState::Match::None);
        // The next run finishes it.
        options.tombstone_days = 1000;
        auto r = store::run_maintenance(*sql, options);
        CHECK(r.sync_items >= 3);
        CHECK(number(*sql, "SELECT count(*) FROM sync_collections WHERE id = " + std::to_string(home_state.id)) == 0);
    }
}

TEST_CASE("easctl maintenance: options, --json, --dry-run, usage errors", "[maintenance][easctl]") {
    easd::test::PgCluster cluster;
    auto sql = store::open_session(cluster.conninfo());
    Mailbox m = mailbox(*sql, 3);
    *sql << "DELETE FROM items WHERE id = :i", soci::use(m.items[0]);
    *sql << "UPDATE item_tombstones SET deleted_at = now() - interval '10 days'";

    auto r = easd::test::run_easctl(cluster, {"--json", "maintenance", "--dry-run"});
    REQUIRE(r.exit_code == 0);
    CHECK(json_number(r.out, "item_tombstones") == 0);  // 30 days by default
    CHECK(has(r.out, "\"dry_run\":true"));
    r = easd::test::run_easctl(cluster, {"--json", "maintenance", "--tombstone-days", "7", "--dry-run"});
    REQUIRE(r.exit_code == 0);
    CHECK(json_number(r.out, "item_tombstones") == 1);
    CHECK(number(*sql, "SELECT count(*) FROM item_tombstones") == 1);
    r = easd::test::run_easctl(cluster, {"maintenance", "--tombstone-days", "7"});
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "REMOVED"));
    CHECK(has(r.out, "item tombstones older than 7 days"));
    CHECK(number(*sql, "SELECT count(*) FROM item_tombstones") == 0);
    CHECK(store::folder_prune_horizon(*sql, m.inbox) > 0);

    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{"maintenance", "--tombstone-days", "-1"},
          std::vector<std::string>{"maintenance", "--batch", "0"},
          std::vector<std::string>{"maintenance", "--sync-state-days", "x"},
          std::vector<std::string>{"maintenance", "now"}}) {
        auto u = easd::test::run_easctl(cluster, bad);
        INFO(bad.back() << ": " << u.err);
        CHECK(u.exit_code == 64);
    }
    auto help = easd::test::run_easctl(cluster, {"help", "maintenance"});
    CHECK(help.exit_code == 0);
    CHECK(has(help.out, "--tombstone-days"));
}

TEST_CASE("easctl device list and remove --not-seen-days: stale devices, one transaction each", "[easctl][maintenance]") {
    easd::test::PgCluster cluster;
    auto sql = store::open_session(cluster.conninfo());
    Mailbox m = mailbox(*sql, 1);
    device(*sql, m.user, "RECENT");
    const long long old = device(*sql, m.user, "OLD");
    const long long wiped = device(*sql, m.user, "WIPED");
    *sql << "UPDATE devices SET last_seen = now() - interval '100 days' WHERE id IN (:a, :b)", soci::use(old),
        soci::use(wiped);
    *sql << "UPDATE devices SET wipe_status = 'wiped' WHERE id = :d", soci::use(wiped);
    state_holding_all(*sql, old, m.inbox, 0);

    auto r = easd::test::run_easctl(cluster, {"device", "list", "--not-seen-days", "30"});
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "OLD"));
    CHECK_FALSE(has(r.out, "RECENT"));
    CHECK_FALSE(has(r.out, "WIPED"));  // without --all, as device list always does
    r = easd::test::run_easctl(cluster, {"device", "list", "--not-seen-days", "30", "--all"});
    CHECK(has(r.out, "WIPED"));
    r = easd::test::run_easctl(cluster, {"device", "list", "--not-seen-days", "200"});
    CHECK_FALSE(has(r.out, "OLD"));

    r = easd::test::run_easctl(cluster, {"--json", "device", "remove", "--not-seen-days", "30", "--dry-run"});
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "\"device_id\":\"OLD\""));
    CHECK(has(r.out, "\"device_id\":\"WIPED\""));  // a wiped device is a stale one too
    CHECK_FALSE(has(r.out, "RECENT"));
    CHECK(has(r.out, "\"collections\":1"));
    CHECK(number(*sql, "SELECT count(*) FROM devices") == 3);

    r = easd::test::run_easctl(cluster, {"device", "remove", "owner@keep.test", "--not-seen-days", "30"});
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "removed 2 device(s)"));
    CHECK(number(*sql, "SELECT count(*) FROM devices") == 1);
    CHECK(number(*sql, "SELECT count(*) FROM sync_collections") == 0);

    // The age is checked when the row is deleted: a device seen since it was listed stays.
    auto kept = store::remove_device(*sql, "owner@keep.test", "RECENT", 30);
    CHECK_FALSE(kept.removed);
    CHECK(number(*sql, "SELECT count(*) FROM devices") == 1);
    CHECK(easd::test::run_easctl(cluster, {"device", "remove", "--not-seen-days", "0"}).exit_code == 64);
}

TEST_CASE("easctl backup never puts the password on pg_dump's command line", "[backup]") {
    easd::test::PgCluster cluster;
    // A stand-in for pg_dump that records what it was given and writes a file where told.
    const std::string bin = easd::test::make_temp_dir("easd-fake-pg");
    easd::test::write_file(bin + "/pg_dump",
                           "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + bin + "/args\n"
                           "printf '%s' \"$PGPASSFILE\" > " + bin + "/passfile-name\n"
                           "cat \"$PGPASSFILE\" > " + bin + "/passfile\n"
                           "printf '%s' \"${PGPASSWORD-unset}\" > " + bin + "/pgpassword\n"
                           "for a in \"$@\"; do case $a in --file=*) printf PGDMP > \"${a#--file=}\";; esac; done\n",
                           0755);
    // (No space in it: SOCI's own parsing of the connection string does not take one.)
    const std::string conninfo = cluster.conninfo() + " password='se:cr\\\\et'";
    const std::string file = bin + "/out.backup";
    auto r = easd::test::run_process({EASCTL_BIN, "--database", conninfo, "backup", file, "--pg-bindir", bin}, {},
                                     {{"PGPASSWORD", "from-the-environment"}});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const std::string args = easd::test::read_file(bin + "/args");
    CHECK(has(args, "--format=custom"));
    CHECK(has(args, "dbname='easd'"));
    CHECK_FALSE(has(args, "se:cr"));
    CHECK_FALSE(has(args, "password"));
    CHECK(easd::test::read_file(bin + "/passfile") == "*:*:*:*:se\\:cr\\\\et\n");
    CHECK(easd::test::read_file(bin + "/pgpassword") == "unset");  // it would beat the file
    struct stat st {};
    CHECK(::stat(easd::test::read_file(bin + "/passfile-name").c_str(), &st) != 0);  // removed after
    CHECK(easd::test::read_file(file) == "PGDMP");
    CHECK(::stat((file + ".partial").c_str(), &st) != 0);

    // A failing pg_dump leaves no file behind.
    easd::test::write_file(bin + "/pg_dump", "#!/bin/sh\necho 'pg_dump: error: no' >&2\nexit 1\n", 0755);
    r = easd::test::run_process({EASCTL_BIN, "--database", cluster.conninfo(), "backup", bin + "/failed.backup",
                                 "--pg-bindir", bin});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "pg_dump failed"));
    CHECK(::stat((bin + "/failed.backup").c_str(), &st) != 0);
    CHECK(::stat((bin + "/failed.backup.partial").c_str(), &st) != 0);
    easd::test::remove_tree(bin);
}
