// The Dovecot mail store end to end: a real Dovecot (IMAP, LMTP, the push script) behind which
// easd mirrors the mailboxes, a real nginx and PostgreSQL, phones speaking WBXML. A Dovecot user
// signs in with their Dovecot password; their folders and mail appear; mail delivered through
// Dovecot's LMTP wakes a parked Ping within a second; changes made over IMAP reach the phone and
// the phone's reach IMAP, never echoed back; the poll finds changes when there is no push script.
#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "dovecot_site.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;
using Clock = std::chrono::steady_clock;

namespace {

std::string ping_body(const std::string& folder, int heartbeat = 60) {
    return "<Ping xmlns='Ping'><HeartbeatInterval>" + std::to_string(heartbeat) +
           "</HeartbeatInterval><Folders><Folder><Id>" + folder + "</Id><Class>Email</Class></Folder></Folders></Ping>";
}

// Parks a Ping on `folder`, runs `change` once it is surely parked, and returns the Ping's status
// and the seconds from the change to the answer.
std::pair<std::string, double> ping_across(EasClient& c, const std::string& folder, const std::function<void()>& change,
                                           int heartbeat = 60) {
    auto body = xml(ping_body(folder, heartbeat));
    Clock::time_point changed;
    auto answer = std::async(std::launch::async, [&] { return c.command("Ping", &body); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // parked by now
    REQUIRE(answer.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    changed = Clock::now();
    change();
    EasResponse r = answer.get();
    double seconds = std::chrono::duration<double>(Clock::now() - changed).count();
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    return {text_of(*r.doc, tag::Ping::Status), seconds};
}

}  // namespace

TEST_CASE("Dovecot store: a Dovecot user signs in with their password and finds their folders and mail",
          "[e2e][dovecot]") {
    DovecotSite site(true);
    std::string ann = site.new_account("ann");
    for (int i = 0; i < 3; ++i) site.dovecot.deliver(ann, message(ann, "welcome" + std::to_string(i)));
    site.imap_as(ann)->create("Projects/2026");

    EasClient wrong(site.easd.http_port(), ann, "not-the-password", "WRONG1");
    CHECK(wrong.options().status == 401);

    SyncedPhone p = synced_phone(site, ann, "ANN1");
    for (const char* name : {"Inbox", "Sent", "Trash", "Drafts", "Projects", "2026", "Contacts", "Calendar"})
        CHECK(p.h.ids.count(name) == 1);
    CHECK(p.inbox_ids.size() == 3);
    // The account exists in easd now, for easctl to manage its devices.
    CHECK(sql_one("SELECT count(*) FROM devices d JOIN users u ON u.id = d.user_id WHERE u.address = '" + ann +
                  "' AND d.device_id = 'ANN1'") == "1");
}

TEST_CASE("Dovecot store: mail delivered through LMTP wakes a parked Ping within a second", "[e2e][dovecot][push]") {
    DovecotSite site(true);
    std::string bob = site.new_account("bob");
    SyncedPhone p = synced_phone(site, bob, "BOB1");
    std::vector<double> latencies;
    for (int i = 0; i < 3; ++i) {
        auto [status, seconds] =
            ping_across(p.c, p.h.ids["Inbox"], [&] { site.dovecot.deliver(bob, message(bob, "push" + std::to_string(i))); });
        CHECK(status == "2");
        CHECK(seconds < 1.0);
        latencies.push_back(seconds);
        EasResponse k;
        auto s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k);
        CHECK(s.adds.size() == 1);
        p.inbox_key = s.key;
    }
    WARN("delivery to Ping answer: " << latencies[0] << " s, " << latencies[1] << " s, " << latencies[2] << " s");

    // Dovecot restarted under a parked Ping: the pooled IMAP connections are dead; the next
    // announcement is caught up on a new one, and nothing is lost.
    auto [status, seconds] = ping_across(p.c, p.h.ids["Inbox"], [&] {
        site.dovecot.restart();
        site.dovecot.deliver(bob, message(bob, "after-restart"));
    });
    CHECK(status == "2");
    EasResponse k;
    CHECK(sync(p.c, p.h.ids["Inbox"], p.inbox_key, k).adds.size() == 1);
}

TEST_CASE("Dovecot store: IMAP changes reach the phone, the phone's reach IMAP, and none comes back to its maker",
          "[e2e][dovecot]") {
    DovecotSite site(true);
    std::string cy = site.new_account("cy");
    for (int i = 0; i < 4; ++i) site.dovecot.deliver(cy, message(cy, "two-way" + std::to_string(i)));
    auto imap = site.imap_as(cy);
    imap->create("Projects");
    SyncedPhone p = synced_phone(site, cy, "CY1");
    REQUIRE(p.inbox_ids.size() == 4);
    auto uid_of = [&](const std::string& subject) {
        // UIDs in INBOX follow delivery order: two-way0 is 1, ...
        return std::to_string(subject.back() - '0' + 1);
    };

    // Read and flagged in Thunderbird: the phone gets a Change.
    imap->select("INBOX", false);
    auto [status, seconds] = ping_across(p.c, p.h.ids["Inbox"], [&] {
        imap->store_flags(uid_of("two-way0"), easd::imap::Connection::FlagOp::Add, {"\\Seen", "\\Flagged"});
    });
    CHECK(status == "2");
    EasResponse k;
    auto s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k);
    REQUIRE(s.changes.size() == 1);
    const auto* data = s.changes[0]->child(tag::AirSync::ApplicationData);
    REQUIRE(data);
    CHECK(text_of(*data, tag::Email::Read) == "1");
    p.inbox_key = s.key;

    // Read on the phone: \Seen over IMAP, and no Change back to the phone.
    const std::string second = p.inbox_ids[1];
    s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k,
             "<Commands><Change><ServerId>" + second + "</ServerId><ApplicationData><E:Read>1</E:Read>"
             "</ApplicationData></Change></Commands>");
    CHECK(s.status == "1");
    p.inbox_key = s.key;
    auto fetched = imap->fetch(uid_of("two-way1"), easd::imap::FetchItems{});
    REQUIRE(fetched.size() == 1);
    CHECK(std::find(fetched[0].flags.begin(), fetched[0].flags.end(), "\\Seen") != fetched[0].flags.end());
    s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k);
    CHECK(s.changes.empty());
    CHECK(s.adds.empty());

    // Deleted on the phone: moved to Trash over IMAP (DeletesAsMoves), not echoed.
    s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k,
             "<Commands><Delete><ServerId>" + p.inbox_ids[2] + "</ServerId></Delete></Commands>");
    CHECK(s.status == "1");
    p.inbox_key = s.key;
    imap->unselect();  // STATUS of the selected mailbox would be this session's stale view
    CHECK(imap->status("INBOX").messages == 3);
    CHECK(imap->status("Trash").messages == 1);
    s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k);
    CHECK(s.deletes.empty());

    // Moved on the phone: in Projects over IMAP, and the phone holds it there once.
    auto mv = xml("<MoveItems xmlns='Move'><Move><SrcMsgId>" + p.inbox_ids[3] + "</SrcMsgId><SrcFldId>" +
                  p.h.ids["Inbox"] + "</SrcFldId><DstFldId>" + p.h.ids["Projects"] + "</DstFldId></Move></MoveItems>");
    auto mr = p.c.command("MoveItems", &mv);
    REQUIRE(mr.doc);
    CHECK(text_of(*mr.doc->child(tag::Move::Response), tag::Move::Status) == "3");
    CHECK(imap->status("Projects").messages == 1);
    EasResponse pk;
    auto p0 = sync(p.c, p.h.ids["Projects"], "0", pk);
    auto p1 = sync(p.c, p.h.ids["Projects"], p0.key, pk);
    CHECK(p1.adds.size() == 1);

    // Expunged in Thunderbird: a Delete on the phone.
    imap->select("INBOX", false);
    std::tie(status, seconds) = ping_across(p.c, p.h.ids["Inbox"], [&] { imap->expunge(uid_of("two-way0")); });
    CHECK(status == "2");
    s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k);
    CHECK(s.deletes.size() == 1);
}

TEST_CASE("Dovecot store: without the push script the poll of waiting users finds new mail", "[e2e][dovecot][push]") {
    DovecotSite site(false);
    std::string dee = site.new_account("dee");
    SyncedPhone p = synced_phone(site, dee, "DEE1");
    auto [status, seconds] =
        ping_across(p.c, p.h.ids["Inbox"], [&] { site.dovecot.deliver(dee, message(dee, "polled")); });
    CHECK(status == "2");
    CHECK(seconds < 3.0);
    WARN("delivery to Ping answer with the poll (1 s): " << seconds << " s");
}

TEST_CASE("Dovecot store: /easd-notify wants the token, and the native store has no such endpoint",
          "[e2e][dovecot][push]") {
    DovecotSite site(true);
    std::string eve = site.new_account("eve");
    EasClient raw(site.easd.http_port(), eve, "x", "RAW1");
    const std::string form = "user=" + EasClient::url_encode(eve) + "&mailbox=INBOX&events=MessageNew";
    const std::map<std::string, std::string> form_type{{"Content-Type", "application/x-www-form-urlencoded"}};
    auto with_token = [&](const std::string& token) {
        auto headers = form_type;
        if (!token.empty()) headers["X-Easd-Push-Token"] = token;
        return raw.raw("POST", "/easd-notify", form, headers).status;
    };
    CHECK(with_token("") == 403);
    CHECK(with_token("wrong-token-wrong-token-0") == 403);
    CHECK(with_token(kPushToken) == 204);  // an address without an account here: nothing to do
    CHECK(raw.raw("GET", "/easd-notify", "", {}).status == 403);  // POST only (nginx)
    CHECK(raw.raw("POST", "/easd-notify", "user", {{"X-Easd-Push-Token", kPushToken}}).status == 400);

    EasClient native(server().http_port(), "nobody@e2e.test", "x", "RAW2");
    CHECK(native.raw("POST", "/easd-notify", form, {{"X-Easd-Push-Token", kPushToken}}).status == 404);
}

TEST_CASE("Dovecot store: a large mailbox is mirrored in the background; the phone gets all of it, once",
          "[e2e][dovecot][first-mirror]") {
    // "Large" is more than 20 messages here, so 120 is mirrored in the background in three batches
    // of 50, while the small folder next to it is mirrored before FolderSync answers.
    DovecotSite site(true, {"imap_inline_first_mirror = 20"});
    std::string hal = site.new_account("hal");
    for (int i = 0; i < 120; ++i) site.dovecot.deliver(hal, message(hal, "bulk" + std::to_string(i)));
    auto imap = site.imap_as(hal);
    imap->create("Small");
    for (int i = 0; i < 3; ++i)
        imap->append("Small", message(hal, "small" + std::to_string(i)), {}, 0);

    EasClient phone = site.phone(hal, "HAL1");
    Hierarchy h = folder_sync(phone);
    REQUIRE(h.ids.count("Small") == 1);
    CHECK(site.easd.easd_log().find("1 large mailbox(es) mirrored in the background") != std::string::npos);
    EasResponse k;
    // The small folder is complete at once.
    std::string small_key = sync(phone, h.ids["Small"], "0", k).key;
    CHECK(sync(phone, h.ids["Small"], small_key, k).adds.size() == 3);

    // The Inbox fills while the phone syncs (and Pings, as a phone does when it has all so far).
    std::set<std::string> seen;
    int duplicates = 0;
    std::string key = sync(phone, h.ids["Inbox"], "0", k).key;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (seen.size() < 120 && Clock::now() < deadline) {
        auto s = sync(phone, h.ids["Inbox"], key, k, "<WindowSize>25</WindowSize>");
        REQUIRE(s.status == "1");
        key = s.key;
        for (const auto* add : s.adds)
            if (!seen.insert(text_of(*add, tag::AirSync::ServerId)).second) ++duplicates;
        if (s.adds.empty() && !s.more_available) {
            auto body = xml(ping_body(h.ids["Inbox"], 5));
            phone.command("Ping", &body);
        }
    }
    CHECK(seen.size() == 120);
    CHECK(duplicates == 0);
    // Done: a later FolderSync catches up in O(changes) and brings nothing new.
    h.key = folder_sync_from(phone, h.key);
    auto after = sync(phone, h.ids["Inbox"], key, k);
    CHECK(after.adds.empty());
}

TEST_CASE("Dovecot store: a Maildir with 1,000 messages in 20 folders appears on a phone, each message once",
          "[e2e][dovecot][large]") {
    DovecotSite site(true);
    std::string kit = site.new_account("kit");
    auto imap = site.imap_as(kit);
    std::vector<std::string> folders;
    for (int f = 0; f < 20; ++f) {
        // Some nested, some with names IMAP must encode (modified UTF-7).
        std::string name = f % 4 == 0 ? "Archiv/Jahr " + std::to_string(2000 + f) : "Ordner " + std::to_string(f);
        if (f == 3) name = "Bücher & Co";
        imap->create(name);
        folders.push_back(name);
        for (int m = 0; m < 50; ++m)
            imap->append(name, message(kit, "f" + std::to_string(f) + "m" + std::to_string(m)), {}, 0);
    }

    EasClient phone = site.phone(kit, "KIT1");
    Hierarchy h = folder_sync(phone);
    std::set<std::string> seen;
    int total = 0;
    for (const auto& name : folders) {
        const std::string leaf = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
        INFO(name);
        REQUIRE(h.ids.count(leaf) == 1);
        EasResponse k;
        std::string key = sync(phone, h.ids[leaf], "0", k).key;
        int in_folder = 0;
        for (;;) {
            auto s = sync(phone, h.ids[leaf], key, k, "<WindowSize>100</WindowSize>");
            REQUIRE(s.status == "1");
            key = s.key;
            for (const auto* add : s.adds) {
                seen.insert(text_of(*add, tag::AirSync::ServerId));
                ++in_folder;
            }
            if (!s.more_available) break;
        }
        CHECK(in_folder == 50);
        total += in_folder;
    }
    CHECK(total == 1000);
    CHECK(seen.size() == 1000);  // no message twice, across folders either
    CHECK(h.ids.count("Archiv") == 1);  // the parent of the nested ones, a folder too
}

TEST_CASE("Dovecot store: a UIDVALIDITY reset sends the phone only what really changed",
          "[e2e][dovecot][uidvalidity]") {
    // Without the push script nothing catches up behind the test's back: the changes below reach
    // easd together with the renumbering, at the phone's next FolderSync.
    DovecotSite site(false);
    std::string uma = site.new_account("uma");
    {
        auto imap = site.imap_as(uma);
        for (int i = 0; i < 4; ++i) imap->append("INBOX", message(uma, "renumbered" + std::to_string(i)), {});
        // Two copies of one message (same Message-ID, size and date): two items, before and after.
        for (int i = 0; i < 2; ++i) imap->append("INBOX", message(uma, "twin"), {}, 1795000000);
    }
    SyncedPhone p = synced_phone(site, uma, "UMA1");
    REQUIRE(p.inbox_ids.size() == 6);
    EasResponse k;

    auto validity = [&] {
        return sql_one("SELECT b.uidvalidity FROM imap_mailboxes b JOIN users u ON u.id = b.user_id WHERE u.address = '" +
                       uma + "' AND b.name = 'INBOX'");
    };
    const std::string first_validity = validity();

    // Renumbered and nothing else: the phone's next Sync has nothing for it.
    site.dovecot.reset_uidvalidity(uma);
    p.h.key = folder_sync_from(p.c, p.h.key);
    const std::string second_validity = validity();
    REQUIRE(second_validity != first_validity);  // the mirror did see the new UIDVALIDITY
    auto s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k);
    CHECK(s.status == "1");
    CHECK(s.adds.empty());
    CHECK(s.deletes.empty());
    CHECK(s.changes.empty());
    if (!s.key.empty()) p.inbox_key = s.key;
    CHECK(sql_one("SELECT count(*) FROM imap_messages m JOIN items i ON i.id = m.item_id WHERE i.id IN (" +
                  [&] {
                      std::string ids;
                      for (const auto& id : p.inbox_ids) ids += (ids.empty() ? "" : ",") + id;
                      return ids;
                  }() + ")") == "6");

    // Renumbered again, with one message expunged and one new meanwhile: one Delete, one Add.
    std::string expunged_subject = "renumbered1";
    {
        auto imap = site.imap_as(uma);
        imap->select("INBOX", false);
        easd::imap::FetchItems items;
        items.modseq = false;
        items.header_only = true;
        std::uint32_t doomed = 0;
        for (const auto& m : imap->fetch("1:*", items))
            if (m.body && m.body->find("Subject: " + expunged_subject + "\r\n") != std::string::npos) doomed = m.uid;
        REQUIRE(doomed != 0);
        imap->expunge(std::to_string(doomed));
        imap->append("INBOX", message(uma, "arrived-with-the-reset"), {});
    }
    const std::string expunged_id =
        sql_one("SELECT e.item_id FROM emails e JOIN items i ON i.id = e.item_id JOIN users u ON u.id = i.user_id "
                "WHERE u.address = '" + uma + "' AND e.subject = '" + expunged_subject + "'");
    site.dovecot.reset_uidvalidity(uma);
    p.h.key = folder_sync_from(p.c, p.h.key);
    REQUIRE(validity() != second_validity);
    s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k);
    CHECK(s.status == "1");
    REQUIRE(s.adds.size() == 1);
    REQUIRE(s.deletes.size() == 1);
    CHECK(s.changes.empty());
    const auto* data = s.adds[0]->child(tag::AirSync::ApplicationData);
    REQUIRE(data);
    CHECK(text_of(*data, tag::Email::Subject) == "arrived-with-the-reset");
    const std::string deleted = text_of(*s.deletes[0], tag::AirSync::ServerId);
    CHECK(std::find(p.inbox_ids.begin(), p.inbox_ids.end(), deleted) != p.inbox_ids.end());
    CHECK(deleted == expunged_id);  // ServerIds are item ids
    p.inbox_key = s.key;
    // The twins are still two items, and nothing more comes.
    CHECK(sql_one("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id JOIN users u ON u.id = i.user_id "
                  "WHERE u.address = '" + uma + "' AND e.subject = 'twin'") == "2");
    s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k);
    CHECK(s.adds.empty());
    CHECK(s.deletes.empty());
    CHECK(s.changes.empty());
}
