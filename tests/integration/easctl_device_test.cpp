// easctl device list/show/resync/remove/allow/block/access and folder list: the real binary
// against a real database, with device standing and sync state written in SQL, and once against
// the real server (a device that syncs, is resynced, and is then told its keys are gone).
#include <catch2/catch.hpp>

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "support/cluster.h"
#include "support/eas_client.h"
#include "support/process.h"
#include "support/server.h"
#include "support/table_output.h"
#include "wbxml/wbxml.h"
#include "support/text.h"

using easd::test::run_process;
using easd::test::shared_cluster;
namespace tag = easd::wbxml::tag;

namespace {

easd::test::ProcessResult easctl(const std::vector<std::string>& args, const std::string& input = {}) {
    return easd::test::run_easctl(shared_cluster(), args, input);
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }
using easd::test::has;
std::string psql(const std::string& sql) { return shared_cluster().psql(sql); }

// A strict little JSON syntax check (RFC 8259 grammar, no semantics), enough to know that a script
// can parse what --json prints.
class JsonCheck {
public:
    explicit JsonCheck(const std::string& s) : s_(s) {}
    bool valid() {
        ws();
        if (!value()) return false;
        ws();
        return i_ == s_.size();
    }

private:
    bool value() {
        if (i_ >= s_.size()) return false;
        char c = s_[i_];
        if (c == '{') return object();
        if (c == '[') return array();
        if (c == '"') return string();
        if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return number();
        return literal("true") || literal("false") || literal("null");
    }
    bool object() {
        ++i_;
        ws();
        if (peek('}')) return ++i_, true;
        for (;;) {
            ws();
            if (!peek('"') || !string()) return false;
            ws();
            if (!peek(':')) return false;
            ++i_;
            ws();
            if (!value()) return false;
            ws();
            if (peek('}')) return ++i_, true;
            if (!peek(',')) return false;
            ++i_;
        }
    }
    bool array() {
        ++i_;
        ws();
        if (peek(']')) return ++i_, true;
        for (;;) {
            ws();
            if (!value()) return false;
            ws();
            if (peek(']')) return ++i_, true;
            if (!peek(',')) return false;
            ++i_;
        }
    }
    bool string() {
        ++i_;
        while (i_ < s_.size()) {
            unsigned char c = static_cast<unsigned char>(s_[i_++]);
            if (c == '"') return true;
            if (c < 0x20) return false;
            if (c == '\\') {
                if (i_ >= s_.size()) return false;
                char e = s_[i_++];
                if (e == 'u') {
                    for (int k = 0; k < 4; ++k)
                        if (i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_++]))) return false;
                } else if (std::string("\"\\/bfnrt").find(e) == std::string::npos) {
                    return false;
                }
            }
        }
        return false;
    }
    bool number() {
        std::size_t start = i_;
        if (peek('-')) ++i_;
        if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
        if (s_[i_] == '0') {
            ++i_;
        } else {
            while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        }
        if (peek('.')) {
            ++i_;
            std::size_t digits = i_;
            while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
            if (i_ == digits) return false;
        }
        return i_ > start;
    }
    bool literal(const char* word) {
        std::string w = word;
        if (s_.compare(i_, w.size(), w) != 0) return false;
        i_ += w.size();
        return true;
    }
    bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
    }

    const std::string& s_;
    std::size_t i_ = 0;
};

bool valid_json(const std::string& s) { return JsonCheck(s).valid(); }

std::vector<std::vector<std::string>> table(const std::string& out) { return easd::test::table_rows(out); }

}  // namespace

TEST_CASE("the JSON check used below accepts JSON and rejects the rest", "[easctl]") {
    CHECK(valid_json("[]\n"));
    CHECK(valid_json("{\"a\":[1,-2.5,true,null,\"x\\\"y\\u00e9\"],\"b\":{}}"));
    CHECK_FALSE(valid_json("{\"a\":1,}"));
    CHECK_FALSE(valid_json("{\"a\" 1}"));
    CHECK_FALSE(valid_json("[1] x"));
    CHECK_FALSE(valid_json("\"tab\there\""));
}

TEST_CASE("easctl device list, show and resync, and folder list, on state written in SQL", "[easctl]") {
    // Each section starts over from the same state (also after a failed one).
    psql("DELETE FROM users WHERE address IN ('alice@devadm.test', 'bob@devadm.test')");
    psql("DELETE FROM domains WHERE name = 'devadm.test'");
    REQUIRE(easctl({"domain", "add", "devadm.test"}).exit_code == 0);
    REQUIRE(easctl({"user", "add", "alice@devadm.test", "--password-stdin"}, "password\n").exit_code == 0);
    REQUIRE(easctl({"user", "add", "bob@devadm.test", "--password-stdin"}, "password\n").exit_code == 0);
    std::string alice = psql("SELECT id FROM users WHERE address = 'alice@devadm.test'");
    std::string bob = psql("SELECT id FROM users WHERE address = 'bob@devadm.test'");
    std::string inbox = psql("SELECT id FROM folders WHERE user_id = " + alice + " AND type = 2");
    std::string bob_inbox = psql("SELECT id FROM folders WHERE user_id = " + bob + " AND type = 2");

    std::string dev = psql(
        "INSERT INTO devices (user_id, device_id, device_type, user_agent, protocol_version) VALUES (" + alice +
        ", 'PHONE1', 'iPhone', 'Apple-iPhone9C1/1705.18', '14.1') RETURNING id");
    std::string bob_dev = psql("INSERT INTO devices (user_id, device_id, device_type, protocol_version) VALUES (" +
                               bob + ", 'BOBPHONE', 'Android', '16.1') RETURNING id");
    psql("INSERT INTO folder_sync_states (device_id, epoch, current_key, current_mark, previous_key, previous_mark) "
         "VALUES (" + dev + ", 'abc123', 3, 10, 2, 5), (" + bob_dev + ", 'bbb000', 1, 1, NULL, NULL)");
    for (int i = 0; i < 3; ++i) psql("INSERT INTO items (user_id, folder_id) VALUES (" + alice + ", " + inbox + ")");
    psql("INSERT INTO items (user_id, folder_id) VALUES (" + bob + ", " + bob_inbox + ")");
    std::string coll = psql("INSERT INTO sync_collections (device_id, folder_id, epoch, current_key, current_mark, "
                            "previous_key, previous_mark) VALUES (" + dev + ", " + inbox +
                            ", 'def456', 5, 20, 4, 15) RETURNING id");
    std::string bob_coll = psql("INSERT INTO sync_collections (device_id, folder_id, epoch, current_key, current_mark) "
                                "VALUES (" + bob_dev + ", " + bob_inbox + ", 'bbb111', 2, 3) RETURNING id");
    // Three items held, one sent as deleted in the current response (not held any more).
    psql("INSERT INTO sync_items (collection_id, item_id, added_key) SELECT " + coll +
         ", id, 4 FROM items WHERE folder_id = " + inbox);
    psql("INSERT INTO sync_items (collection_id, item_id, added_key, removed_key) VALUES (" + coll + ", 999999, 1, 5)");
    psql("INSERT INTO sync_items (collection_id, item_id, added_key) SELECT " + bob_coll +
         ", id, 1 FROM items WHERE folder_id = " + bob_inbox);

    SECTION("device list: one user, a domain, JSON") {
        auto r = easctl({"device", "list", "alice@devadm.test"});
        REQUIRE(r.exit_code == 0);
        CHECK(has(r.out, "USER"));
        CHECK(has(r.out, "LAST SYNC"));
        CHECK(has(r.out, "alice@devadm.test"));
        CHECK(has(r.out, "PHONE1"));
        CHECK(has(r.out, "iPhone"));
        CHECK(has(r.out, "Apple-iPhone9C1/1705.18"));
        CHECK(has(r.out, "14.1"));
        CHECK_FALSE(has(r.out, "BOBPHONE"));  // only that user's devices

        r = easctl({"device", "list", "--domain", "DEVADM.test"});
        REQUIRE(r.exit_code == 0);
        CHECK(has(r.out, "PHONE1"));
        CHECK(has(r.out, "BOBPHONE"));
        CHECK(r.out.find("alice@devadm.test") < r.out.find("bob@devadm.test"));

        r = easctl({"--json", "device", "list", "alice@devadm.test"});
        REQUIRE(r.exit_code == 0);
        CHECK(valid_json(r.out));
        CHECK(r.out.rfind("[{\"user\":\"alice@devadm.test\",\"device_id\":\"PHONE1\",\"device_type\":\"iPhone\","
                          "\"user_agent\":\"Apple-iPhone9C1/1705.18\",\"protocol_version\":\"14.1\","
                          "\"protocol_log\":false,\"first_seen\":\"",
                          0) == 0);
        CHECK(has(r.out, "\"last_seen\":\""));

        r = easctl({"device", "list"});  // everything
        REQUIRE(r.exit_code == 0);
        CHECK(has(r.out, "BOBPHONE"));
    }

    SECTION("device show: fields, FolderSync key, collections with items held") {
        auto r = easctl({"device", "show", "alice@devadm.test", "PHONE1"});
        REQUIRE(r.exit_code == 0);
        CHECK(has(r.out, "PHONE1"));
        CHECK(has(r.out, "Apple-iPhone9C1/1705.18"));
        CHECK(has(r.out, "FolderSync key:    abc123-3 (previous abc123-2)"));
        CHECK(has(r.out, "Inbox"));
        CHECK(has(r.out, inbox));
        CHECK(has(r.out, "def456-5"));
        CHECK(has(r.out, "ITEMS ON DEVICE"));

        r = easctl({"--json", "device", "show", "alice@devadm.test", "PHONE1"});
        REQUIRE(r.exit_code == 0);
        CHECK(valid_json(r.out));
        CHECK(has(r.out, "\"folder_sync_key\":{\"current\":\"abc123-3\",\"previous\":\"abc123-2\"}"));
        CHECK(has(r.out, "{\"folder_id\":" + inbox + ",\"folder_name\":\"Inbox\",\"class\":\"Email\","
                         "\"sync_key\":{\"current\":\"def456-5\",\"previous\":\"def456-4\"},\"items_on_device\":3}"));

        r = easctl({"--json", "device", "show", "bob@devadm.test", "BOBPHONE"});
        REQUIRE(r.exit_code == 0);
        CHECK(valid_json(r.out));
        CHECK(has(r.out, "\"sync_key\":{\"current\":\"bbb111-2\",\"previous\":null},\"items_on_device\":1"));
    }

    SECTION("folder list: ids, types by number and name, class, item counts") {
        auto r = easctl({"folder", "list", "alice@devadm.test"});
        REQUIRE(r.exit_code == 0);
        CHECK(has(r.out, "PARENT"));
        CHECK(has(r.out, "2 Inbox"));
        CHECK(has(r.out, "4 Deleted Items"));
        CHECK(has(r.out, "12 user-created mail"));
        CHECK(has(r.out, "9 Contacts"));

        r = easctl({"--json", "folder", "list", "alice@devadm.test"});
        REQUIRE(r.exit_code == 0);
        CHECK(valid_json(r.out));
        CHECK(has(r.out, "{\"id\":" + inbox + ",\"parent_id\":0,\"name\":\"Inbox\",\"type\":2,\"type_name\":\"Inbox\","
                         "\"class\":\"Email\",\"items\":3}"));
        CHECK(has(r.out, "\"name\":\"Junk E-mail\",\"type\":12,\"type_name\":\"user-created mail\""));
        CHECK_FALSE(has(r.out, "\"id\":" + bob_inbox + ","));
    }

    SECTION("device resync discards the state, never the data, and only that device's") {
        std::string items_before = psql("SELECT count(*) FROM items WHERE user_id = " + alice);
        auto r = easctl({"device", "resync", "alice@devadm.test", "PHONE1"});
        REQUIRE(r.exit_code == 0);
        CHECK(one_line(r.out));
        CHECK(has(r.out, "discarded"));
        CHECK(has(r.out, "1 collection(s)"));
        CHECK(has(r.out, "3 item(s)"));
        CHECK(psql("SELECT count(*) FROM items WHERE user_id = " + alice) == items_before);
        CHECK(psql("SELECT count(*) FROM devices WHERE id = " + dev) == "1");
        CHECK(psql("SELECT count(*) FROM folder_sync_states WHERE device_id = " + dev) == "0");
        CHECK(psql("SELECT count(*) FROM sync_collections WHERE device_id = " + dev) == "0");
        CHECK(psql("SELECT count(*) FROM sync_items WHERE collection_id = " + coll) == "0");
        // Bob's device is untouched.
        CHECK(psql("SELECT count(*) FROM folder_sync_states WHERE device_id = " + bob_dev) == "1");
        CHECK(psql("SELECT count(*) FROM sync_items WHERE collection_id = " + bob_coll) == "1");

        r = easctl({"device", "show", "alice@devadm.test", "PHONE1"});
        REQUIRE(r.exit_code == 0);
        CHECK(has(r.out, "FolderSync key:    none"));
        CHECK(has(r.out, "Collections:       none"));

        r = easctl({"--json", "device", "resync", "alice@devadm.test", "PHONE1"});
        REQUIRE(r.exit_code == 0);
        CHECK(valid_json(r.out));
        CHECK(has(r.out, "\"folder_sync_state\":false,\"collections\":0"));
    }

    SECTION("device list: model, OS, sync times, access, policy and wipe status; wiped devices only with --all") {
        psql("UPDATE devices SET model = 'iPhone9,1', os = 'iOS 15.8', first_sync = '2026-11-24 10:00:00+00', "
             "last_sync = '2026-11-24 11:30:00+00', access_state = 'quarantined', "
             "access_reason = 'quarantined: no rule matches and the default access is quarantine', "
             "policy_status = 'applied', policy_key = 1234, provisioned_at = '2026-11-24 10:00:05+00' WHERE id = " + dev);
        psql("UPDATE devices SET policy_status = 'unsupported' WHERE id = " + bob_dev);
        psql("INSERT INTO devices (user_id, device_id, device_type, protocol_version, policy_status, wipe_status, "
             "wipe_requested_at, wipe_requested_by, wipe_sent_at, wiped_at) VALUES (" + alice +
             ", 'OLDPHONE', 'Android', '12.1', 'applied', 'wiped', '2026-11-20 08:00:00+00', 'root', "
             "'2026-11-20 08:01:00+00', '2026-11-20 08:02:00+00')");

        using Rows = std::vector<std::vector<std::string>>;
        const std::vector<std::string> header = {"USER",      "DEVICE ID", "TYPE",   "MODEL",  "OS",   "USER AGENT",
                                                 "VERSION",   "FIRST SYNC", "LAST SYNC", "ACCESS", "POLICY", "WIPE"};
        const std::vector<std::string> phone1 = {"alice@devadm.test", "PHONE1", "iPhone", "iPhone9,1", "iOS 15.8",
                                                 "Apple-iPhone9C1/1705.18", "14.1", "2026-11-24T10:00:00Z",
                                                 "2026-11-24T11:30:00Z", "quarantined", "applied", "none"};
        const std::vector<std::string> oldphone = {"alice@devadm.test", "OLDPHONE", "Android", "-", "-", "-", "12.1",
                                                   "-", "-", "allowed", "applied", "wiped"};
        const std::vector<std::string> bobphone = {"bob@devadm.test", "BOBPHONE", "Android", "-", "-", "-", "16.1",
                                                   "-", "-", "allowed", "unsupported", "Unsupported"};
        auto r = easctl({"device", "list", "--domain", "devadm.test"});
        REQUIRE(r.exit_code == 0);
        CHECK(table(r.out) == Rows{header, phone1, bobphone});
        r = easctl({"device", "list", "--domain", "devadm.test", "--all"});
        CHECK(table(r.out) == Rows{header, oldphone, phone1, bobphone});
        r = easctl({"device", "list", "alice@devadm.test"});
        CHECK(table(r.out) == Rows{header, phone1});
        r = easctl({"device", "list", "--all"});  // the whole server
        CHECK(has(r.out, "OLDPHONE"));
        CHECK(has(r.out, "BOBPHONE"));

        // A wipe on its way shows as such, also for a device that never took a policy.
        psql("UPDATE devices SET wipe_status = 'waiting' WHERE id = " + bob_dev);
        r = easctl({"device", "list", "bob@devadm.test"});
        CHECK(table(r.out).at(1).at(11) == "waiting");

        r = easctl({"--json", "device", "list", "alice@devadm.test", "--all"});
        REQUIRE(r.exit_code == 0);
        CHECK(valid_json(r.out));
        CHECK(has(r.out, "\"device_id\":\"OLDPHONE\""));
        CHECK(has(r.out, "\"first_sync\":\"2026-11-24T10:00:00Z\",\"last_sync\":\"2026-11-24T11:30:00Z\","
                         "\"model\":\"iPhone9,1\",\"imei\":\"\",\"friendly_name\":\"\",\"os\":\"iOS 15.8\","
                         "\"os_language\":\"\",\"phone_number\":\"\",\"mobile_operator\":\"\","
                         "\"access_state\":\"quarantined\",\"access_reason\":\"quarantined: no rule matches and the "
                         "default access is quarantine\",\"access_override\":null,\"policy_status\":\"applied\","
                         "\"policy_key\":1234,\"provisioned_at\":\"2026-11-24T10:00:05Z\",\"wipe_status\":\"none\","
                         "\"wipe_account_only\":false,\"wipe_requested_at\":null,\"wipe_requested_by\":\"\","
                         "\"wipe_sent_at\":null,\"wiped_at\":null,\"recovery_password_at\":null}"));
        CHECK(has(r.out, "\"first_sync\":null,\"last_sync\":null"));
        CHECK(has(r.out, "\"wipe_status\":\"wiped\",\"wipe_account_only\":false,"
                         "\"wipe_requested_at\":\"2026-11-20T08:00:00Z\",\"wipe_requested_by\":\"root\","
                         "\"wipe_sent_at\":\"2026-11-20T08:01:00Z\",\"wiped_at\":\"2026-11-20T08:02:00Z\",\"recovery_password_at\":null}"));
        r = easctl({"--json", "device", "list", "alice@devadm.test"});
        CHECK_FALSE(has(r.out, "OLDPHONE"));
    }

    SECTION("device show: what the device told, its access, policy and wipe standing") {
        psql("UPDATE devices SET model = 'iPhone9,1', imei = '356938035643809', friendly_name = 'Alice''s phone', "
             "os = 'iOS 15.8', os_language = 'de-CH', phone_number = '+41 79 000 00 00', mobile_operator = 'Sunrise', "
             "first_sync = '2026-11-24 10:00:00+00', last_sync = '2026-11-24 11:30:00+00', access_override = 'block', "
             "access_state = 'blocked', access_reason = 'blocked by the administrator', policy_status = 'partial', "
             "policy_key = 987654321, provisioned_at = '2026-11-24 10:00:05+00', wipe_status = 'waiting', "
             "wipe_account_only = true, wipe_requested_at = '2026-11-25 09:00:00+00', wipe_requested_by = 'admin' "
             "WHERE id = " + dev);
        auto r = easctl({"device", "show", "alice@devadm.test", "PHONE1"});
        REQUIRE(r.exit_code == 0);
        for (const char* line : {"\nModel:             iPhone9,1\n", "\nFriendly name:     Alice's phone\n",
                                 "\nOS:                iOS 15.8\n", "\nOS language:       de-CH\n",
                                 "\nIMEI:              356938035643809\n", "\nPhone number:      +41 79 000 00 00\n",
                                 "\nMobile operator:   Sunrise\n", "\nFirst sync:        2026-11-24T10:00:00Z\n",
                                 "\nLast sync:         2026-11-24T11:30:00Z\n", "\nAccess:            blocked\n",
                                 "\nAccess reason:     blocked by the administrator\n",
                                 "\nAccess override:   block (easctl device access ... default drops it)\n",
                                 "\nPolicy status:     partial\n", "\nPolicy key:        987654321\n",
                                 "\nProvisioned at:    2026-11-24T10:00:05Z\n",
                                 "\nWipe status:       waiting (account only)\n",
                                 "\nWipe requested:    2026-11-25T09:00:00Z by admin\n", "\nWipe sent:         -\n",
                                 "\nWiped at:          -\n",
                                 "\nFolderSync key:    abc123-3 (previous abc123-2)\n"}) {
            INFO(line);
            CHECK(has(r.out, line));
        }

        r = easctl({"device", "show", "bob@devadm.test", "BOBPHONE"});
        CHECK(has(r.out, "\nModel:             -\n"));
        CHECK(has(r.out, "\nAccess:            allowed\n"));
        CHECK(has(r.out, "\nAccess override:   none (the rules decide)\n"));
        CHECK(has(r.out, "\nPolicy key:        -\n"));
        CHECK(has(r.out, "\nWipe status:       none\n"));
        CHECK_FALSE(has(r.out, "Wipe requested"));

        r = easctl({"--json", "device", "show", "alice@devadm.test", "PHONE1"});
        REQUIRE(r.exit_code == 0);
        CHECK(valid_json(r.out));
        CHECK(has(r.out, "\"friendly_name\":\"Alice's phone\""));
        CHECK(has(r.out, "\"access_override\":\"block\""));
        CHECK(has(r.out, "\"policy_key\":987654321"));
        CHECK(has(r.out, "\"wipe_account_only\":true,\"wipe_requested_at\":\"2026-11-25T09:00:00Z\""));
        CHECK(has(r.out, "\"folder_sync_key\":{\"current\":\"abc123-3\",\"previous\":\"abc123-2\"}"));
    }

    SECTION("device allow, block and access default: the administrator's decision, recorded at once") {
        // Quarantined and waiting for approval.
        psql("UPDATE devices SET access_state = 'quarantined', "
             "access_reason = 'quarantined: no rule matches and the default access is quarantine' WHERE id = " + dev);
        auto state = [&] {
            return psql("SELECT concat_ws('|', access_override, access_state, access_reason) FROM devices WHERE id = " +
                        dev);
        };
        auto r = easctl({"device", "allow", "alice@devadm.test", "PHONE1"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "device PHONE1 of alice@devadm.test: allowed (allowed by the administrator)\n");
        CHECK(state() == "allow|allowed|allowed by the administrator");

        r = easctl({"--json", "device", "block", "ALICE@devadm.test", "PHONE1"});
        REQUIRE(r.exit_code == 0);
        CHECK(valid_json(r.out));
        CHECK(r.out == "{\"ok\":true,\"message\":\"device PHONE1 of alice@devadm.test: blocked (blocked by the "
                       "administrator)\",\"access_state\":\"blocked\",\"access_reason\":\"blocked by the administrator\"}\n");
        CHECK(state() == "block|blocked|blocked by the administrator");
        r = easctl({"device", "list", "alice@devadm.test"});
        CHECK(table(r.out).at(1).at(9) == "blocked");

        r = easctl({"device", "access", "alice@devadm.test", "PHONE1", "allow"});
        CHECK(state() == "allow|allowed|allowed by the administrator");
        r = easctl({"device", "access", "alice@devadm.test", "PHONE1", "default"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "device PHONE1 of alice@devadm.test: the administrator's decision is dropped; allowed "
                       "(allowed: no rule matches and the default access is allow)\n");
        CHECK(state() == "allowed|allowed: no rule matches and the default access is allow");
        CHECK(psql("SELECT access_state FROM devices WHERE id = " + bob_dev) == "allowed");  // untouched
    }

    SECTION("device remove: the device with its sync state and own policy, in one go; nothing else") {
        psql("INSERT INTO policies (device_id, settings) VALUES (" + dev + ", 'AllowCamera=0')");
        psql("INSERT INTO sync_client_adds (collection_id, client_id, item_id, added_key) VALUES (" + coll +
             ", 'c1', 1, 5)");
        std::string items_before = psql("SELECT count(*) FROM items WHERE user_id = " + alice);
        auto r = easctl({"device", "remove", "alice@devadm.test", "PHONE1"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out == "removed device PHONE1 of alice@devadm.test with the FolderSync key, 1 collection(s), its own "
                       "policy; no mail or other data was touched. If it connects again it is a new device.\n");
        CHECK(psql("SELECT count(*) FROM devices WHERE id = " + dev) == "0");
        CHECK(psql("SELECT count(*) FROM folder_sync_states WHERE device_id = " + dev) == "0");
        CHECK(psql("SELECT count(*) FROM sync_collections WHERE device_id = " + dev) == "0");
        CHECK(psql("SELECT count(*) FROM sync_items WHERE collection_id = " + coll) == "0");
        CHECK(psql("SELECT count(*) FROM sync_client_adds WHERE collection_id = " + coll) == "0");
        CHECK(psql("SELECT count(*) FROM policies WHERE device_id = " + dev) == "0");
        CHECK(psql("SELECT count(*) FROM items WHERE user_id = " + alice) == items_before);
        CHECK(psql("SELECT count(*) FROM users WHERE id = " + alice) == "1");
        // Bob's device and its state are untouched.
        CHECK(psql("SELECT count(*) FROM sync_items WHERE collection_id = " + bob_coll) == "1");
        CHECK(psql("SELECT count(*) FROM folder_sync_states WHERE device_id = " + bob_dev) == "1");

        r = easctl({"device", "remove", "alice@devadm.test", "PHONE1"});
        CHECK(r.exit_code == 1);
        CHECK(one_line(r.err));

        r = easctl({"--json", "device", "remove", "bob@devadm.test", "BOBPHONE"});
        REQUIRE(r.exit_code == 0);
        CHECK(valid_json(r.out));
        CHECK(has(r.out, ",\"folder_sync_state\":true,\"collections\":1,\"device_policy\":false}"));
        CHECK(psql("SELECT count(*) FROM devices WHERE id = " + bob_dev) == "0");
    }

    SECTION("unknown users and devices: one line, exit 1; another user's device is unknown") {
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"device", "show", "alice@devadm.test", "NOSUCH"},
                 {"device", "show", "bob@devadm.test", "PHONE1"},
                 {"device", "resync", "alice@devadm.test", "NOSUCH"},
                 {"device", "resync", "bob@devadm.test", "PHONE1"},
                 {"device", "remove", "alice@devadm.test", "NOSUCH"},
                 {"device", "remove", "bob@devadm.test", "PHONE1"},
                 {"device", "allow", "bob@devadm.test", "PHONE1"},
                 {"device", "block", "alice@devadm.test", "NOSUCH"},
                 {"device", "access", "alice@devadm.test", "NOSUCH", "default"},
                 {"device", "allow", "nobody@devadm.test", "PHONE1"},
                 {"device", "show", "nobody@devadm.test", "PHONE1"},
                 {"device", "list", "nobody@devadm.test"},
                 {"device", "list", "--domain", "nosuch.test"},
                 {"folder", "list", "nobody@devadm.test"},
                 {"folder", "list", "not-an-address"},
             }) {
            INFO(args[0] << " " << args[1] << " " << args[2]);
            auto r = easctl(args);
            CHECK(r.exit_code == 1);
            CHECK(one_line(r.err));
            CHECK(r.out.empty());
        }
        CHECK(psql("SELECT count(*) FROM folder_sync_states WHERE device_id = " + dev) == "1");
        CHECK(psql("SELECT count(*) FROM devices WHERE id = " + dev) == "1");
        CHECK(psql("SELECT access_override IS NULL FROM devices WHERE id = " + dev) == "t");
    }

    SECTION("usage errors: exit 64") {
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"device"},
                 {"device", "frob"},
                 {"device", "show", "alice@devadm.test"},
                 {"device", "resync", "alice@devadm.test"},
                 {"device", "resync", "alice@devadm.test", "PHONE1", "extra"},
                 {"device", "list", "alice@devadm.test", "--domain", "devadm.test"},
                 {"device", "list", "alice@devadm.test", "extra"},
                 {"device", "remove", "alice@devadm.test"},
                 {"device", "remove", "alice@devadm.test", "PHONE1", "extra"},
                 {"device", "allow", "alice@devadm.test"},
                 {"device", "block", "alice@devadm.test", "PHONE1", "now"},
                 {"device", "access", "alice@devadm.test", "PHONE1"},
                 {"device", "access", "alice@devadm.test", "PHONE1", "quarantine"},
                 {"device", "access", "alice@devadm.test", "PHONE1", "allow", "extra"},
                 {"device", "list", "--all=yes"},
                 {"folder", "list"},
                 {"folder", "list", "--bogus"},
             }) {
            auto r = easctl(args);
            CHECK(r.exit_code == 64);
            // A command alone gets its usage after the one-line reason.
            CHECK((args.size() == 1 ? r.err.rfind("easctl: device: missing command\nusage:", 0) == 0 : one_line(r.err)));
        }
        CHECK(psql("SELECT count(*) FROM folder_sync_states WHERE device_id = " + dev) == "1");
        CHECK(psql("SELECT access_override IS NULL FROM devices WHERE id = " + dev) == "t");
        auto help = easctl({"--help"});
        CHECK(has(help.out, "device resync ADDRESS DEVICEID"));
        CHECK(has(help.out, "device remove ADDRESS DEVICEID"));
        CHECK(has(help.out, "device access ADDRESS DEVICEID allow|block|default"));
        CHECK(has(help.out, "folder list ADDRESS"));
    }
}

namespace {

easd::wbxml::Node xml(const std::string& text) {
    std::string error;
    auto node = easd::wbxml::from_xml(text, &error);
    if (!node) FAIL("bad test XML: " << error << "\n" << text);
    return *node;
}

std::string text_of(const easd::wbxml::Node& n, easd::wbxml::Tag t) { return std::string(n.child_text(t)); }

easd::test::EasResponse folder_sync(easd::test::EasClient& c, const std::string& key) {
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>" + key + "</SyncKey></FolderSync>");
    auto r = c.command("FolderSync", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    return r;
}

// (status, key, number of Adds) of a one-collection Sync.
struct SyncResult {
    std::string status, key;
    std::size_t adds = 0;
};
SyncResult sync(easd::test::EasClient& c, const std::string& collection, const std::string& key) {
    auto body = xml("<Sync xmlns='AirSync'><Collections><Collection><SyncKey>" + key + "</SyncKey><CollectionId>" +
                    collection + "</CollectionId><WindowSize>100</WindowSize></Collection></Collections></Sync>");
    auto r = c.command("Sync", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    const auto* cols = r.doc->child(tag::AirSync::Collections);
    REQUIRE(cols);
    const auto* col = cols->child(tag::AirSync::Collection);
    REQUIRE(col);
    SyncResult out;
    out.status = text_of(*col, tag::AirSync::Status);
    out.key = text_of(*col, tag::AirSync::SyncKey);
    if (const auto* cmds = col->child(tag::AirSync::Commands)) out.adds = cmds->children_of(tag::AirSync::Add).size();
    return out;
}

}  // namespace

TEST_CASE("easctl device resync against the real server: old keys refused, data kept, full sync works",
          "[easctl][server]") {
    auto& cluster = shared_cluster();
    easd::test::EasServer server(cluster);
    const std::string user = "carol@devsrv.test";
    easd::test::create_user(cluster, user, "secret-pw");
    for (int i = 0; i < 3; ++i) {
        auto d = run_process({EASD_DELIVER_BIN, "--database", cluster.conninfo(), "--recipient", user},
                             "From: a@example.com\r\nTo: " + user + "\r\nSubject: message " + std::to_string(i) +
                                 "\r\n\r\nHello\r\n");
        REQUIRE(d.exit_code == 0);
    }
    easd::test::EasClient c(server.http_port(), user, "secret-pw", "SRVDEV1", "TestDevice", "14.1");

    auto h = folder_sync(c, "0");
    REQUIRE(text_of(*h.doc, tag::FolderHierarchy::Status) == "1");
    std::string folder_key = text_of(*h.doc, tag::FolderHierarchy::SyncKey);
    std::string inbox;
    for (const auto* add : h.doc->child(tag::FolderHierarchy::Changes)->children_of(tag::FolderHierarchy::Add))
        if (text_of(*add, tag::FolderHierarchy::DisplayName) == "Inbox") inbox = text_of(*add, tag::FolderHierarchy::ServerId);
    REQUIRE(!inbox.empty());
    auto first = sync(c, inbox, "0");
    REQUIRE(first.status == "1");
    auto full = sync(c, inbox, first.key);
    REQUIRE(full.status == "1");
    CHECK(full.adds == 3);

    auto r = easctl({"device", "list", user});
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "SRVDEV1"));
    CHECK(has(r.out, "TestDevice"));
    CHECK(has(r.out, "14.1"));
    r = easctl({"--json", "device", "show", user, "SRVDEV1"});
    REQUIRE(r.exit_code == 0);
    CHECK(valid_json(r.out));
    CHECK(has(r.out, "\"folder_sync_key\":{\"current\":\"" + folder_key + "\""));
    CHECK(has(r.out, "\"folder_name\":\"Inbox\",\"class\":\"Email\",\"sync_key\":{\"current\":\"" + full.key + "\""));
    CHECK(has(r.out, "\"items_on_device\":3"));

    std::string items_sql = "SELECT count(*) FROM items i JOIN users u ON u.id = i.user_id WHERE u.address = '" + user + "'";
    std::string items_before = psql(items_sql);
    r = easctl({"device", "resync", user, "SRVDEV1"});
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "discarded"));
    CHECK(psql(items_sql) == items_before);
    CHECK(psql("SELECT count(*) FROM devices d JOIN users u ON u.id = d.user_id WHERE u.address = '" + user +
               "' AND d.device_id = 'SRVDEV1'") == "1");

    // The old keys are gone: FolderSync status 9, Sync status 3 (the device then starts from 0).
    auto stale_folders = folder_sync(c, folder_key);
    CHECK(text_of(*stale_folders.doc, tag::FolderHierarchy::Status) == "9");
    CHECK(sync(c, inbox, full.key).status == "3");

    // The full sync that follows brings everything back.
    auto again = folder_sync(c, "0");
    CHECK(text_of(*again.doc, tag::FolderHierarchy::Status) == "1");
    auto restart = sync(c, inbox, "0");
    REQUIRE(restart.status == "1");
    auto refill = sync(c, inbox, restart.key);
    CHECK(refill.status == "1");
    CHECK(refill.adds == 3);
}
