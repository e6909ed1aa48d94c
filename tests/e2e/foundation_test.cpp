// The foundation, end to end: a client speaking real WBXML to nginx, nginx to easd over FastCGI,
// easd to a real PostgreSQL; mail arrives through easd-deliver as Postfix would hand it over.
#include <fstream>
#include <set>
#include <thread>

#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

TEST_CASE("OPTIONS advertises versions and commands, behind authentication", "[e2e][http]") {
    std::string user = new_user("opt");
    auto c = client(user);
    auto r = c.options();
    CHECK(r.status == 200);
    CHECK(r.header("ms-asprotocolversions") == "2.5,12.0,12.1,14.0,14.1,16.0,16.1");
    CHECK(r.header("ms-asprotocolcommands") == "FolderSync,Sync,GetItemEstimate,MoveItems,Ping,ItemOperations,GetAttachment,Provision,Settings,SendMail,SmartReply,SmartForward,Search,ResolveRecipients,Find");
    CHECK_FALSE(r.header("ms-server-activesync").empty());

    SECTION("no credentials: 401 with a Basic challenge") {
        auto a = c.raw("OPTIONS", "/Microsoft-Server-ActiveSync");
        CHECK(a.status == 401);
        CHECK(a.header("www-authenticate").find("Basic") == 0);
    }
    SECTION("wrong password: 401") {
        auto bad = client(user, "DEV1", "14.1", "wrong");
        CHECK(bad.options().status == 401);
        CHECK(bad.command("FolderSync").status == 401);
    }
    SECTION("unknown user: 401") {
        auto ghost = client("ghost@e2e.test");
        CHECK(ghost.options().status == 401);
    }
    SECTION("any letter case of the path") {
        auto lower = c.raw("OPTIONS", "/microsoft-server-activesync", "", {{"Authorization", c.auth_header()}});
        CHECK(lower.status == 200);
        auto upper = c.raw("OPTIONS", "/MICROSOFT-SERVER-ACTIVESYNC", "", {{"Authorization", c.auth_header()}});
        CHECK(upper.status == 200);
    }
    SECTION("a user with ActiveSync disabled: 403") {
        REQUIRE(easd::test::run_easctl(cluster(), {"user", "disable", user}).exit_code == 0);
        // The worker may have verified this login within its auth cache time (1 s in these tests).
        auto fresh = client(user, "DEV2");
        int status = 0;
        for (int i = 0; i < 30 && status != 403; ++i) {
            status = fresh.options().status;
            if (status != 403) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        CHECK(status == 403);
    }
}

TEST_CASE("malformed requests get 400 or 501 and change nothing", "[e2e][http]") {
    std::string user = new_user("bad");
    auto c = client(user);
    auto h = folder_sync(c);
    EasResponse keep;
    auto first = sync(c, h.ids["Inbox"], "0", keep);
    REQUIRE(first.status == "1");
    std::string state_sql =
        "SELECT string_agg(sc.current_key || ':' || sc.current_mark, ',') FROM sync_collections sc "
        "JOIN devices d ON d.id = sc.device_id JOIN users u ON u.id = d.user_id WHERE u.address = '" + user + "'";
    std::string before = cluster().psql(state_sql);

    auto auth = std::map<std::string, std::string>{{"Authorization", c.auth_header()},
                                                   {"MS-ASProtocolVersion", "14.1"},
                                                   {"Content-Type", "application/vnd.ms-sync.wbxml"}};
    std::string path = "/Microsoft-Server-ActiveSync?Cmd=Sync&User=x&DeviceId=DEV1&DeviceType=TestDevice";
    auto valid = easd::wbxml::encode(xml("<Sync xmlns='AirSync'><Collections><Collection><SyncKey>" + first.key +
                                         "</SyncKey><CollectionId>" + h.ids["Inbox"] +
                                         "</CollectionId></Collection></Collections></Sync>"));
    // Every proper prefix of a valid request is truncated WBXML.
    for (std::size_t cut : {std::size_t(1), std::size_t(4), valid.size() / 2, valid.size() - 1})
        CHECK(c.raw("POST", path, valid.substr(0, cut), auth).status == 400);
    CHECK(c.raw("POST", path, "this is not wbxml at all", auth).status == 400);
    CHECK(c.raw("POST", path, std::string("\x03\x01\x6a\x00\x45\x7f\x01", 7), auth).status == 400);
    CHECK(cluster().psql(state_sql) == before);

    CHECK(c.raw("POST", "/Microsoft-Server-ActiveSync?Cmd=Sync", valid, auth).status == 400);  // no DeviceId
    CHECK(c.raw("POST", "/Microsoft-Server-ActiveSync?Cmd=Frobnicate&User=x&DeviceId=D1&DeviceType=T", valid, auth)
              .status == 501);
    CHECK(c.raw("GET", path, "", auth).status == 405);
    CHECK(c.raw("POST", path, "", auth).status == 200);  // an empty Sync is a valid request
    CHECK(cluster().psql(state_sql) == before);
}

TEST_CASE("FolderSync: the whole hierarchy, then only changes", "[e2e][foldersync]") {
    std::string user = new_user("fs");
    auto c = client(user);
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    auto r = c.command("FolderSync", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    CHECK(text_of(*r.doc, tag::FolderHierarchy::Status) == "1");
    std::string key = text_of(*r.doc, tag::FolderHierarchy::SyncKey);
    const auto* changes = r.doc->child(tag::FolderHierarchy::Changes);
    REQUIRE(changes);
    CHECK(text_of(*changes, tag::FolderHierarchy::Count) == "10");
    std::map<std::string, std::string> types;
    for (const auto* add : changes->children_of(tag::FolderHierarchy::Add)) {
        CHECK(text_of(*add, tag::FolderHierarchy::ParentId) == "0");
        types[text_of(*add, tag::FolderHierarchy::DisplayName)] = text_of(*add, tag::FolderHierarchy::Type);
    }
    CHECK(types == std::map<std::string, std::string>{{"Inbox", "2"}, {"Drafts", "3"}, {"Deleted Items", "4"},
                                                      {"Sent Items", "5"}, {"Outbox", "6"}, {"Junk E-mail", "12"},
                                                      {"Contacts", "9"}, {"Calendar", "8"}, {"Tasks", "7"},
                                                      {"Notes", "10"}});

    auto again_body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>" + key + "</SyncKey></FolderSync>");
    auto again = c.command("FolderSync", &again_body);
    REQUIRE(again.doc);
    CHECK(text_of(*again.doc, tag::FolderHierarchy::SyncKey) == key);
    CHECK(text_of(*again.doc->child(tag::FolderHierarchy::Changes), tag::FolderHierarchy::Count) == "0");

    // A folder added and one renamed in the store arrive as Add and Update.
    std::string uid = cluster().psql("SELECT id FROM users WHERE address = '" + user + "'");
    cluster().psql("INSERT INTO folders (user_id, name, type, item_class) VALUES (" + uid + ", 'Projects', 12, 'Email')");
    cluster().psql("UPDATE folders SET name = 'Trash' WHERE user_id = " + uid + " AND type = 4");
    auto inc = c.command("FolderSync", &again_body);
    REQUIRE(inc.doc);
    std::string key2 = text_of(*inc.doc, tag::FolderHierarchy::SyncKey);
    CHECK(key2 != key);
    const auto* ch = inc.doc->child(tag::FolderHierarchy::Changes);
    CHECK(text_of(*ch, tag::FolderHierarchy::Count) == "2");
    REQUIRE(ch->children_of(tag::FolderHierarchy::Add).size() == 1);
    CHECK(text_of(*ch->child(tag::FolderHierarchy::Add), tag::FolderHierarchy::DisplayName) == "Projects");
    REQUIRE(ch->children_of(tag::FolderHierarchy::Update).size() == 1);
    CHECK(text_of(*ch->child(tag::FolderHierarchy::Update), tag::FolderHierarchy::DisplayName) == "Trash");

    // The response was "lost": the old key gets the same answer again.
    auto repeat = c.command("FolderSync", &again_body);
    REQUIRE(repeat.doc);
    CHECK(text_of(*repeat.doc, tag::FolderHierarchy::SyncKey) == key2);
    CHECK(text_of(*repeat.doc->child(tag::FolderHierarchy::Changes), tag::FolderHierarchy::Count) == "2");

    // A deleted folder arrives as Delete.
    std::string projects = cluster().psql("SELECT id FROM folders WHERE user_id = " + uid + " AND name = 'Projects'");
    cluster().psql("DELETE FROM folders WHERE id = " + projects);
    auto del_body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>" + key2 + "</SyncKey></FolderSync>");
    auto del = c.command("FolderSync", &del_body);
    REQUIRE(del.doc);
    const auto* dch = del.doc->child(tag::FolderHierarchy::Changes);
    REQUIRE(dch->children_of(tag::FolderHierarchy::Delete).size() == 1);
    CHECK(text_of(*dch->child(tag::FolderHierarchy::Delete), tag::FolderHierarchy::ServerId) == projects);

    auto bad_body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>bogus-7</SyncKey></FolderSync>");
    auto bad = c.command("FolderSync", &bad_body);
    REQUIRE(bad.doc);
    CHECK(text_of(*bad.doc, tag::FolderHierarchy::Status) == "9");
}

TEST_CASE("250 delivered messages sync in windows of 100, each exactly once; then increments", "[e2e][sync]") {
    std::string user = new_user("bulk");
    for (int i = 0; i < 250; ++i) deliver(user, simple_message("message " + std::to_string(i)));
    auto c = client(user);
    auto h = folder_sync(c);
    std::string inbox = h.ids["Inbox"];
    EasResponse keep;
    auto first = sync(c, inbox, "0", keep);
    REQUIRE(first.status == "1");
    CHECK(first.adds.empty());

    std::multiset<std::string> seen_ids;
    std::set<std::string> subjects;
    std::string key = first.key;
    std::vector<std::size_t> windows;
    for (int round = 0; round < 10; ++round) {
        auto r = sync(c, inbox, key, keep, "<WindowSize>100</WindowSize>");
        REQUIRE(r.status == "1");
        windows.push_back(r.adds.size());
        for (const auto* add : r.adds) {
            seen_ids.insert(text_of(*add, tag::AirSync::ServerId));
            subjects.insert(text_of(*add->child(tag::AirSync::ApplicationData), tag::Email::Subject));
        }
        CHECK(r.key != key);
        key = r.key;
        if (!r.more_available) break;
    }
    CHECK(windows == std::vector<std::size_t>{100, 100, 50});
    CHECK(seen_ids.size() == 250);
    CHECK(std::set<std::string>(seen_ids.begin(), seen_ids.end()).size() == 250);
    CHECK(subjects.size() == 250);

    // Nothing new: same key back, no commands.
    auto idle = sync(c, inbox, key, keep);
    CHECK(idle.key == key);
    CHECK(idle.adds.empty());

    // A new delivery arrives in the next incremental Sync.
    deliver(user, simple_message("late arrival"));
    auto inc = sync(c, inbox, key, keep);
    REQUIRE(inc.adds.size() == 1);
    CHECK(text_of(*inc.adds[0]->child(tag::AirSync::ApplicationData), tag::Email::Subject) == "late arrival");
    key = inc.key;

    // Deleted in the store: a Delete. Marked read in the store: a Change with Read 1.
    std::string gone = *seen_ids.begin();
    std::string read = *seen_ids.rbegin();
    cluster().psql("DELETE FROM items WHERE id = " + gone);
    cluster().psql("UPDATE emails SET read = true WHERE item_id = " + read);
    auto del = sync(c, inbox, key, keep);
    REQUIRE(del.deletes.size() == 1);
    CHECK(text_of(*del.deletes[0], tag::AirSync::ServerId) == gone);
    REQUIRE(del.changes.size() == 1);
    CHECK(text_of(*del.changes[0], tag::AirSync::ServerId) == read);
    CHECK(text_of(*del.changes[0]->child(tag::AirSync::ApplicationData), tag::Email::Read) == "1");

    // That response is lost: the previous key gets the same changes again, and nothing twice after.
    auto repeat = sync(c, inbox, key, keep);
    CHECK(repeat.key == del.key);
    CHECK(repeat.deletes.size() == 1);
    CHECK(repeat.changes.size() == 1);
    auto after = sync(c, inbox, repeat.key, keep);
    CHECK(after.deletes.empty());
    CHECK(after.changes.empty());

    // A key that is neither current nor previous: status 3.
    auto stale = sync(c, inbox, first.key, keep);
    CHECK(stale.status == "3");
}

TEST_CASE("Sync bodies follow the client's preferences", "[e2e][sync][body]") {
    std::string user = new_user("body");
    deliver(user,
            "From: a@example.com\r\nTo: b@e2e.test\r\nSubject: html only\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            "<html><head><style>p{color:red}</style></head><body><p>Hello <b>bold</b> &amp; world</p></body></html>\r\n");
    auto c = client(user);
    auto h = folder_sync(c);
    EasResponse keep;
    auto k0 = sync(c, h.ids["Inbox"], "0", keep);

    SECTION("plain text of an HTML-only message is readable, without tags") {
        auto r = sync(c, h.ids["Inbox"], k0.key, keep,
                      "<Options><B:BodyPreference><B:Type>1</B:Type></B:BodyPreference></Options>");
        REQUIRE(r.adds.size() == 1);
        const auto* body = r.adds[0]->child(tag::AirSync::ApplicationData)->child(tag::AirSyncBase::Body);
        REQUIRE(body);
        CHECK(text_of(*body, tag::AirSyncBase::Type) == "1");
        std::string data = text_of(*body, tag::AirSyncBase::Data);
        CHECK(data.find("Hello bold & world") != std::string::npos);
        CHECK(data.find('<') == std::string::npos);
        CHECK(data.find("color") == std::string::npos);
    }
    SECTION("HTML, truncated to TruncationSize") {
        auto r = sync(c, h.ids["Inbox"], k0.key, keep,
                      "<Options><B:BodyPreference><B:Type>2</B:Type><B:TruncationSize>10</B:TruncationSize>"
                      "</B:BodyPreference></Options>");
        REQUIRE(r.adds.size() == 1);
        const auto* body = r.adds[0]->child(tag::AirSync::ApplicationData)->child(tag::AirSyncBase::Body);
        CHECK(text_of(*body, tag::AirSyncBase::Type) == "2");
        CHECK(text_of(*body, tag::AirSyncBase::Truncated) == "1");
        CHECK(text_of(*body, tag::AirSyncBase::Data).size() == 10);
        CHECK(std::stoi(text_of(*body, tag::AirSyncBase::EstimatedDataSize)) > 10);
    }
    SECTION("EAS 2.5: Email:Body with Truncation") {
        auto old = client(user, "OLD25", "2.5");
        auto h25 = folder_sync(old);
        auto b0 = sync(old, h25.ids["Inbox"], "0", keep);
        auto r = sync(old, h25.ids["Inbox"], b0.key, keep, "<Options><Truncation>1</Truncation></Options>");
        REQUIRE(r.adds.size() == 1);
        const auto* data = r.adds[0]->child(tag::AirSync::ApplicationData);
        CHECK_FALSE(data->has(tag::AirSyncBase::Body));
        CHECK(text_of(*data, tag::Email::Body).find("Hello bold & world") != std::string::npos);
        CHECK(text_of(*data, tag::Email::BodyTruncated) == "0");
        CHECK(text_of(*data, tag::Email::From) == "a@example.com");
    }
}

TEST_CASE("a read flag set on the phone is stored, not echoed, and reaches another device", "[e2e][sync]") {
    std::string user = new_user("read");
    deliver(user, simple_message("mark me"));
    auto phone = client(user, "PHONE");
    auto tablet = client(user, "TABLET");
    auto hp = folder_sync(phone);
    auto ht = folder_sync(tablet);
    // Each result points into its own response.
    EasResponse keep, keep_phone, keep_tablet;
    auto p = sync(phone, hp.ids["Inbox"], sync(phone, hp.ids["Inbox"], "0", keep).key, keep_phone);
    auto t = sync(tablet, ht.ids["Inbox"], sync(tablet, ht.ids["Inbox"], "0", keep).key, keep_tablet);
    REQUIRE(p.adds.size() == 1);
    REQUIRE(t.adds.size() == 1);
    std::string id = text_of(*p.adds[0], tag::AirSync::ServerId);

    auto marked = sync(phone, hp.ids["Inbox"], p.key, keep,
                       "<Commands><Change><ServerId>" + id + "</ServerId><ApplicationData><E:Read>1</E:Read>"
                       "</ApplicationData></Change></Commands>");
    CHECK(marked.status == "1");
    CHECK(marked.changes.empty());
    CHECK(cluster().psql("SELECT read FROM emails WHERE item_id = " + id) == "t");
    auto echo = sync(phone, hp.ids["Inbox"], marked.key, keep);
    CHECK(echo.changes.empty());

    auto other = sync(tablet, ht.ids["Inbox"], t.key, keep);
    REQUIRE(other.changes.size() == 1);
    CHECK(text_of(*other.changes[0]->child(tag::AirSync::ApplicationData), tag::Email::Read) == "1");
}

TEST_CASE("another user's folders and items are out of reach", "[e2e][security]") {
    std::string alice = new_user("alice");
    std::string bob = new_user("bob");
    deliver(bob, simple_message("for bob only"));
    auto a = client(alice);
    auto b = client(bob);
    auto ha = folder_sync(a);
    auto hb = folder_sync(b);
    EasResponse keep;
    auto r = sync(a, hb.ids["Inbox"], "0", keep);
    CHECK(r.status == "12");
    // Alice tries to mark Bob's message read from her own Inbox collection.
    auto k = sync(a, ha.ids["Inbox"], "0", keep);
    std::string bobs = cluster().psql("SELECT i.id FROM items i JOIN users u ON u.id = i.user_id WHERE u.address = '" +
                                      bob + "' LIMIT 1");
    auto attempt = sync(a, ha.ids["Inbox"], k.key, keep,
                        "<Commands><Change><ServerId>" + bobs + "</ServerId><ApplicationData><E:Read>1</E:Read>"
                        "</ApplicationData></Change><Delete><ServerId>" + bobs + "</ServerId></Delete></Commands>");
    CHECK(attempt.status == "1");
    CHECK(cluster().psql("SELECT read FROM emails WHERE item_id = " + bobs) == "f");
    CHECK(cluster().psql("SELECT count(*) FROM items WHERE id = " + bobs) == "1");
    const auto* responses = keep.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(tag::AirSync::Responses);
    REQUIRE(responses);
    for (const auto& resp : responses->children) CHECK(text_of(resp, tag::AirSync::Status) == "8");
}

TEST_CASE("libwbxml2 decodes what the server sends", "[e2e][oracle]") {
    std::string user = new_user("oracle");
    deliver(user, simple_message("Grüße aus Köln", "Zeile 1\nZeile 2"));
    auto c = client(user);
    auto h = folder_sync(c);
    EasResponse keep;
    auto k = sync(c, h.ids["Inbox"], "0", keep);
    auto r = sync(c, h.ids["Inbox"], k.key, keep);
    REQUIRE(r.adds.size() == 1);
    std::string path = server().dir() + "/oracle.wbxml";
    std::ofstream(path, std::ios::binary) << keep.body;
    auto decoded = easd::test::run_process({"wbxml2xml", "-k", "-l", "ACTIVESYNC", "-m", "0", "-o", "-", path});
    REQUIRE(decoded.exit_code == 0);
    CHECK(decoded.out.find("<Subject xmlns=\"Email:\">Grüße aus Köln</Subject>") != std::string::npos);
    CHECK(decoded.out.find("<Status>1</Status>") != std::string::npos);
    CHECK(decoded.out.find("<unknown") == std::string::npos);
}

TEST_CASE("the protocol log records decoded requests and responses, never credentials", "[e2e][log]") {
    std::string user = new_user("logged", "hunter2-password");
    REQUIRE(easd::test::run_easctl(cluster(), {"log", "enable", user}).exit_code == 0);
    auto c = client(user, "LOGDEV", "14.1", "hunter2-password");
    folder_sync(c);
    std::string path = server().protocol_log_dir() + "/" + user + "/LOGDEV.log";
    std::string log = easd::test::read_file(path);
    REQUIRE_FALSE(log.empty());
    CHECK(log.find("cmd=FolderSync") != std::string::npos);
    CHECK(log.find("device=LOGDEV") != std::string::npos);
    CHECK(log.find("status=200") != std::string::npos);
    CHECK(log.find("<DisplayName>Inbox</DisplayName>") != std::string::npos);
    CHECK(log.find("hunter2") == std::string::npos);
    CHECK(log.find(c.auth_header().substr(6)) == std::string::npos);
    CHECK(log.find("Authorization") == std::string::npos);

    // A user without the flag leaves no log.
    std::string quiet = new_user("quiet");
    auto q = client(quiet, "QDEV");
    folder_sync(q);
    CHECK(easd::test::read_file(server().protocol_log_dir() + "/" + quiet + "/QDEV.log").empty());
}

TEST_CASE("the base64-encoded query form works without the version header", "[e2e][http]") {
    std::string user = new_user("b64");
    auto c = client(user);
    // MS-ASHTTP 2.2.1.1.1.1: version 14.1, command 9 (FolderSync), locale 0x0409, DeviceId,
    // no policy key, DeviceType.
    std::string raw;
    raw += static_cast<char>(141);
    raw += static_cast<char>(9);
    raw += std::string("\x09\x04", 2);
    raw += static_cast<char>(6);
    raw += "B64DEV";
    raw += static_cast<char>(0);
    raw += static_cast<char>(5);
    raw += "Phone";
    std::string query = EasClient::url_encode(EasClient::base64(raw));
    auto body = easd::wbxml::encode(xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>"));
    auto r = c.raw("POST", "/Microsoft-Server-ActiveSync?" + query, body,
                   {{"Authorization", c.auth_header()}, {"Content-Type", "application/vnd.ms-sync.wbxml"}});
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    CHECK(text_of(*r.doc, tag::FolderHierarchy::Status) == "1");
    CHECK(cluster().psql("SELECT device_type || '/' || protocol_version FROM devices d JOIN users u ON u.id = d.user_id "
                         "WHERE u.address = '" + user + "' AND d.device_id = 'B64DEV'") == "Phone/14.1");
}
