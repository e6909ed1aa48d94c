// Two-way sync: client Adds, Changes, Deletes and Fetches for contacts; email flags; MoveItems;
// GetItemEstimate; empty and partial Sync; and SmartSync under heavy response loss.
#include <map>
#include <random>
#include <set>

#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

std::string contact_xml(const std::string& file_as, const std::string& extra = "") {
    return "<ApplicationData xmlns='AirSync' xmlns:C='Contacts'><C:FileAs>" + file_as + "</C:FileAs><C:FirstName>" +
           file_as + "</C:FirstName>" + extra + "</ApplicationData>";
}

std::string file_as_of(const easd::wbxml::Node& application_data) {
    return std::string(application_data.child_text(tag::Contacts::FileAs));
}

// Sync with commands; the response stays alive in `keep`.
CollectionResult sync_cmds(EasClient& c, const std::string& col, const std::string& key, EasResponse& keep,
                           const std::string& commands, const std::string& extra = "") {
    return sync(c, col, key, keep, extra + (commands.empty() ? "" : "<Commands>" + commands + "</Commands>"));
}

const easd::wbxml::Node* responses_of(const EasResponse& r) {
    return r.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(tag::AirSync::Responses);
}

}  // namespace

TEST_CASE("a contact added on one device reaches another, and changes flow back", "[e2e][sync][contacts]") {
    std::string user = new_user("contacts");
    auto a = client(user, "PHONE-A");
    auto b = client(user, "PHONE-B");
    auto ha = folder_sync(a);
    auto hb = folder_sync(b);
    std::string col = ha.ids["Contacts"];
    EasResponse ka, kb;
    std::string key_a = sync(a, col, "0", ka).key;
    std::string key_b = sync(b, col, "0", kb).key;

    auto added = sync_cmds(a, col, key_a, ka,
                           "<Add><ClientId>c1</ClientId>" + contact_xml("Ada Lovelace", "<C:Email1Address>ada@example.com</C:Email1Address>") + "</Add>");
    REQUIRE(added.status == "1");
    CHECK(added.adds.empty());  // not echoed
    const auto* resp = responses_of(ka);
    REQUIRE(resp);
    const auto* add_resp = resp->child(tag::AirSync::Add);
    REQUIRE(add_resp);
    CHECK(text_of(*add_resp, tag::AirSync::ClientId) == "c1");
    CHECK(text_of(*add_resp, tag::AirSync::Status) == "1");
    std::string server_id = text_of(*add_resp, tag::AirSync::ServerId);
    key_a = added.key;

    auto got = sync(b, col, key_b, kb);
    REQUIRE(got.adds.size() == 1);
    CHECK(text_of(*got.adds[0], tag::AirSync::ServerId) == server_id);
    const auto* data = got.adds[0]->child(tag::AirSync::ApplicationData);
    CHECK(file_as_of(*data) == "Ada Lovelace");
    CHECK(text_of(*data, tag::Contacts::Email1Address) == "ada@example.com");
    key_b = got.key;

    auto changed = sync_cmds(b, col, key_b, kb,
                             "<Change><ServerId>" + server_id + "</ServerId>" + contact_xml("Ada King") + "</Change>");
    CHECK(changed.status == "1");
    key_b = changed.key;
    auto back = sync(a, col, key_a, ka);
    REQUIRE(back.changes.size() == 1);
    CHECK(file_as_of(*back.changes[0]->child(tag::AirSync::ApplicationData)) == "Ada King");
    key_a = back.key;

    SECTION("Fetch returns the item") {
        auto f = sync_cmds(a, col, key_a, ka, "<Fetch><ServerId>" + server_id + "</ServerId></Fetch>");
        const auto* fr = responses_of(ka)->child(tag::AirSync::Fetch);
        REQUIRE(fr);
        CHECK(text_of(*fr, tag::AirSync::Status) == "1");
        CHECK(file_as_of(*fr->child(tag::AirSync::ApplicationData)) == "Ada King");
    }
    SECTION("Delete on one device is a Delete on the other") {
        auto d = sync_cmds(a, col, key_a, ka, "<Delete><ServerId>" + server_id + "</ServerId></Delete>");
        CHECK(d.status == "1");
        CHECK(cluster().psql("SELECT count(*) FROM items WHERE id = " + server_id) == "0");
        auto gone = sync(b, col, key_b, kb);
        REQUIRE(gone.deletes.size() == 1);
        CHECK(text_of(*gone.deletes[0], tag::AirSync::ServerId) == server_id);
    }
}

TEST_CASE("a repeated Add after a lost response yields the same ServerId and no duplicate", "[e2e][smartsync]") {
    std::string user = new_user("dupadd");
    auto a = client(user);
    auto h = folder_sync(a);
    std::string col = h.ids["Contacts"];
    EasResponse k;
    std::string key = sync(a, col, "0", k).key;
    std::string cmd = "<Add><ClientId>x-1</ClientId>" + contact_xml("Grace Hopper") + "</Add>";
    auto first = sync_cmds(a, col, key, k, cmd);
    std::string id1 = text_of(*responses_of(k)->child(tag::AirSync::Add), tag::AirSync::ServerId);
    // The response is lost: the device sends the same request with the same key.
    auto second = sync_cmds(a, col, key, k, cmd);
    std::string id2 = text_of(*responses_of(k)->child(tag::AirSync::Add), tag::AirSync::ServerId);
    CHECK(id1 == id2);
    CHECK(second.key == first.key);
    CHECK(second.adds.empty());
    std::string uid = cluster().psql("SELECT id FROM users WHERE address = '" + user + "'");
    CHECK(cluster().psql("SELECT count(*) FROM items WHERE user_id = " + uid + " AND folder_id = " + col) == "1");
    auto next = sync(a, col, second.key, k);
    CHECK(next.adds.empty());
    CHECK(next.changes.empty());
}

TEST_CASE("another user's ServerId in client commands gets status 8 and touches nothing", "[e2e][security]") {
    std::string alice = new_user("c-alice");
    std::string bob = new_user("c-bob");
    auto a = client(alice);
    auto b = client(bob);
    auto ha = folder_sync(a);
    auto hb = folder_sync(b);
    EasResponse k;
    std::string kb_key = sync(b, hb.ids["Contacts"], "0", k).key;
    sync_cmds(b, hb.ids["Contacts"], kb_key, k, "<Add><ClientId>b1</ClientId>" + contact_xml("Bob's secret") + "</Add>");
    std::string bobs = text_of(*responses_of(k)->child(tag::AirSync::Add), tag::AirSync::ServerId);
    std::string before = cluster().psql("SELECT encode(data, 'hex') FROM pim_items WHERE item_id = " + bobs);

    std::string ka_key = sync(a, ha.ids["Contacts"], "0", k).key;
    sync_cmds(a, ha.ids["Contacts"], ka_key, k,
              "<Change><ServerId>" + bobs + "</ServerId>" + contact_xml("pwned") + "</Change><Delete><ServerId>" + bobs +
                  "</ServerId></Delete><Fetch><ServerId>" + bobs + "</ServerId></Fetch>");
    const auto* resp = responses_of(k);
    REQUIRE(resp);
    REQUIRE(resp->children.size() == 3);
    for (const auto& r : resp->children) CHECK(text_of(r, tag::AirSync::Status) == "8");
    CHECK(cluster().psql("SELECT encode(data, 'hex') FROM pim_items WHERE item_id = " + bobs) == before);
}

TEST_CASE("email flags and read state set on the phone", "[e2e][sync][email]") {
    std::string user = new_user("flags");
    deliver(user, simple_message("flag me"));
    auto a = client(user, "A");
    auto b = client(user, "B");
    auto ha = folder_sync(a);
    auto hb = folder_sync(b);
    EasResponse ka, kb;
    auto sa = sync(a, ha.ids["Inbox"], sync(a, ha.ids["Inbox"], "0", ka).key, ka);
    std::string id = text_of(*sa.adds[0], tag::AirSync::ServerId);
    std::string key_a = sa.key;
    std::string key_b = sync(b, hb.ids["Inbox"], sync(b, hb.ids["Inbox"], "0", kb).key, kb).key;
    auto flagged = sync_cmds(a, ha.ids["Inbox"], key_a, ka,
                             "<Change><ServerId>" + id + "</ServerId><ApplicationData><E:Flag><E:Status>2</E:Status>"
                             "<E:FlagType>Follow up</E:FlagType></E:Flag></ApplicationData></Change>");
    CHECK(flagged.status == "1");
    auto seen = sync(b, hb.ids["Inbox"], key_b, kb);
    REQUIRE(seen.changes.size() == 1);
    const auto* flag = seen.changes[0]->child(tag::AirSync::ApplicationData)->child(tag::Email::Flag);
    REQUIRE(flag);
    CHECK(text_of(*flag, tag::Email::Status) == "2");
    CHECK(text_of(*flag, tag::Email::FlagType) == "Follow up");
}

TEST_CASE("MoveItems moves within the user's folders and says so", "[e2e][moveitems]") {
    std::string user = new_user("move");
    deliver(user, simple_message("move me"));
    auto a = client(user, "MOVER");
    auto h = folder_sync(a);
    EasResponse k;
    auto s = sync(a, h.ids["Inbox"], sync(a, h.ids["Inbox"], "0", k).key, k);
    std::string id = text_of(*s.adds[0], tag::AirSync::ServerId);
    std::string inbox_key = s.key;
    std::string trash_key = sync(a, h.ids["Deleted Items"], "0", k).key;

    auto move = [&](const std::string& item, const std::string& src, const std::string& dst) {
        auto body = xml("<MoveItems xmlns='Move'><Move><SrcMsgId>" + item + "</SrcMsgId><SrcFldId>" + src +
                        "</SrcFldId><DstFldId>" + dst + "</DstFldId></Move></MoveItems>");
        auto r = a.command("MoveItems", &body);
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        return *r.doc->child(tag::Move::Response);
    };
    auto ok = move(id, h.ids["Inbox"], h.ids["Deleted Items"]);
    CHECK(text_of(ok, tag::Move::Status) == "3");
    CHECK(text_of(ok, tag::Move::DstMsgId) == id);
    CHECK(cluster().psql("SELECT folder_id FROM items WHERE id = " + id) == h.ids["Deleted Items"]);
    // The mover is not told about its own move.
    CHECK(sync(a, h.ids["Inbox"], inbox_key, k).deletes.empty());
    CHECK(sync(a, h.ids["Deleted Items"], trash_key, k).adds.empty());

    CHECK(text_of(move(id, h.ids["Inbox"], h.ids["Drafts"]), tag::Move::Status) == "1");           // not there any more
    CHECK(text_of(move(id, h.ids["Deleted Items"], "999999999"), tag::Move::Status) == "2");       // no such folder
    CHECK(text_of(move(id, h.ids["Deleted Items"], h.ids["Deleted Items"]), tag::Move::Status) == "4");
    CHECK(text_of(move(id, h.ids["Deleted Items"], h.ids["Contacts"]), tag::Move::Status) == "2");  // other class
    std::string other = new_user("move-other");
    auto o = client(other);
    auto ho = folder_sync(o);
    CHECK(text_of(move(id, h.ids["Deleted Items"], ho.ids["Inbox"]), tag::Move::Status) == "2");   // not hers
    CHECK(cluster().psql("SELECT folder_id FROM items WHERE id = " + id) == h.ids["Deleted Items"]);
}

TEST_CASE("GetItemEstimate counts what the next Sync brings", "[e2e][estimate]") {
    std::string user = new_user("estimate");
    for (int i = 0; i < 7; ++i) deliver(user, simple_message("m" + std::to_string(i)));
    auto a = client(user);
    auto h = folder_sync(a);
    EasResponse k;
    std::string key = sync(a, h.ids["Inbox"], "0", k).key;
    auto estimate = [&](const std::string& col, const std::string& sync_key) {
        auto body = xml("<GetItemEstimate xmlns='GetItemEstimate' xmlns:A='AirSync'><Collections><Collection>"
                        "<A:SyncKey>" + sync_key + "</A:SyncKey><CollectionId>" + col +
                        "</CollectionId></Collection></Collections></GetItemEstimate>");
        auto r = a.command("GetItemEstimate", &body);
        REQUIRE(r.doc);
        const auto* resp = r.doc->child(tag::GetItemEstimate::Response);
        REQUIRE(resp);
        return std::make_pair(text_of(*resp, tag::GetItemEstimate::Status),
                              text_of(*resp->child(tag::GetItemEstimate::Collection), tag::GetItemEstimate::Estimate));
    };
    CHECK(estimate(h.ids["Inbox"], key) == std::make_pair(std::string("1"), std::string("7")));
    auto s = sync(a, h.ids["Inbox"], key, k, "<WindowSize>5</WindowSize>");
    CHECK(estimate(h.ids["Inbox"], s.key) == std::make_pair(std::string("1"), std::string("2")));
    CHECK(estimate(h.ids["Inbox"], "0").first == "3");
    CHECK(estimate(h.ids["Inbox"], "nonsense-1").first == "4");
    CHECK(estimate("999999999", key).first == "2");
}

TEST_CASE("an empty Sync repeats the last request with the current keys; Partial adds to it", "[e2e][sync][empty]") {
    std::string user = new_user("empty");
    auto a = client(user);
    auto h = folder_sync(a);
    EasResponse k;
    std::string inbox_key = sync(a, h.ids["Inbox"], "0", k).key;
    // No request kept yet... (the key-0 Sync above is kept) then a real one:
    auto s = sync(a, h.ids["Inbox"], inbox_key, k);
    deliver(user, simple_message("after ping"));
    auto empty = a.command("Sync");
    auto r = collection_of(empty);
    CHECK(r.status == "1");
    REQUIRE(r.adds.size() == 1);
    CHECK(text_of(*r.adds[0]->child(tag::AirSync::ApplicationData), tag::Email::Subject) == "after ping");

    // A full request with two collections is kept; a Partial one naming only one of them is
    // answered for both.
    auto both = xml("<Sync xmlns='AirSync'><Collections><Collection><SyncKey>" + r.key + "</SyncKey><CollectionId>" +
                    h.ids["Inbox"] + "</CollectionId></Collection><Collection><SyncKey>0</SyncKey><CollectionId>" +
                    h.ids["Contacts"] + "</CollectionId></Collection></Collections></Sync>");
    auto br = a.command("Sync", &both);
    REQUIRE(br.doc);
    std::string contacts_key;
    for (const auto* c : br.doc->child(tag::AirSync::Collections)->children_of(tag::AirSync::Collection))
        if (text_of(*c, tag::AirSync::CollectionId) == h.ids["Contacts"]) contacts_key = text_of(*c, tag::AirSync::SyncKey);
    REQUIRE_FALSE(contacts_key.empty());
    auto partial = xml("<Sync xmlns='AirSync'><Collections><Collection><SyncKey>" + contacts_key +
                       "</SyncKey><CollectionId>" + h.ids["Contacts"] + "</CollectionId></Collection></Collections>"
                       "<Partial/></Sync>");
    auto pr = a.command("Sync", &partial);
    REQUIRE(pr.doc);
    auto cols = pr.doc->child(tag::AirSync::Collections)->children_of(tag::AirSync::Collection);
    std::set<std::string> ids;
    for (const auto* c : cols) ids.insert(text_of(*c, tag::AirSync::CollectionId));
    CHECK(ids == std::set<std::string>{h.ids["Inbox"], h.ids["Contacts"]});

    // A device that never sent a Sync gets status 13 for an empty one.
    auto fresh = client(user, "NEVER-SYNCED");
    folder_sync(fresh);
    auto e = fresh.command("Sync");
    REQUIRE(e.doc);
    CHECK(text_of(*e.doc, tag::AirSync::Status) == "13");
}

// A device that loses half of its responses and repeats its request, as devices do, while both
// sides add, change, delete and move: at the end its view equals the store.
TEST_CASE("SmartSync: random losses never duplicate or lose anything", "[e2e][smartsync][property]") {
    std::string user = new_user("chaos");
    auto phone = client(user, "CHAOS");
    auto h = folder_sync(phone);
    std::string col = h.ids["Contacts"];
    std::string uid = cluster().psql("SELECT id FROM users WHERE address = '" + user + "'");
    std::string other = cluster().psql("INSERT INTO folders (user_id, name, type, item_class) VALUES (" + uid +
                                       ", 'Other contacts', 14, 'Contacts') RETURNING id");
    std::mt19937 rng(12345);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };

    std::map<std::string, std::string> view;  // ServerId -> FileAs, as the phone sees it
    EasResponse keep;
    std::string key = sync(phone, col, "0", keep).key;
    int client_seq = 0, server_seq = 0;
    std::string pending;  // commands of the request being (re)sent
    std::map<std::string, std::string> pending_adds;  // ClientId -> FileAs
    std::map<std::string, std::string> pending_changes;  // ServerId -> FileAs

    auto server_contact = [&](const std::string& name) {
        // A server-side item as another device would have stored it (canonical WBXML).
        auto data = easd::wbxml::encode(xml(contact_xml(name)));
        std::string hex;
        for (unsigned char c : data) {
            static const char* d = "0123456789abcdef";
            hex += d[c >> 4];
            hex += d[c & 15];
        }
        return hex;
    };
    auto server_items = [&](const std::string& folder) {
        std::string rows = cluster().psql("SELECT id FROM items WHERE folder_id = " + folder + " ORDER BY id");
        std::vector<std::string> out;
        std::string line;
        for (char c : rows + "\n") {
            if (c == '\n') { if (!line.empty()) out.push_back(line); line.clear(); }
            else line += c;
        }
        return out;
    };

    int losses = 0, moves = 0;
    for (int step = 0; step < 300; ++step) {
        if (pending.empty()) {
            // Queue client operations.
            int n = pick(3);
            for (int i = 0; i < n; ++i) {
                int op = pick(4);
                if (op == 3 && !view.empty()) {
                    // The phone moves one to the other folder (MoveItems, outside Sync); that
                    // response may be lost too, and the phone then asks again.
                    auto it = std::next(view.begin(), pick(static_cast<int>(view.size())));
                    if (pending.find(">" + it->first + "<") != std::string::npos) continue;
                    auto move = xml("<MoveItems xmlns='Move'><Move><SrcMsgId>" + it->first + "</SrcMsgId><SrcFldId>" +
                                    col + "</SrcFldId><DstFldId>" + other + "</DstFldId></Move></MoveItems>");
                    std::string status;
                    for (int attempt = 0; attempt < 2; ++attempt) {
                        auto mr = phone.command("MoveItems", &move);
                        REQUIRE(mr.doc);
                        status = text_of(*mr.doc->child(tag::Move::Response), tag::Move::Status);
                        if (pick(2)) break;  // else: lost, sent again
                    }
                    // 3 moved; 1 when it was already moved (a repeat) or the server deleted or moved
                    // it meanwhile: either way it is no longer in this folder.
                    CHECK((status == "3" || status == "1"));
                    ++moves;
                    view.erase(it);
                } else if (op == 0 || view.empty()) {
                    std::string cid = "c" + std::to_string(++client_seq);
                    std::string name = "client " + std::to_string(client_seq);
                    pending_adds[cid] = name;
                    pending += "<Add><ClientId>" + cid + "</ClientId>" + contact_xml(name) + "</Add>";
                } else {
                    auto it = std::next(view.begin(), pick(static_cast<int>(view.size())));
                    if (pending_changes.count(it->first) || pending.find(">" + it->first + "<") != std::string::npos) continue;
                    if (op == 1) {
                        std::string name = "edited " + std::to_string(++client_seq);
                        pending_changes[it->first] = name;
                        pending += "<Change><ServerId>" + it->first + "</ServerId>" + contact_xml(name) + "</Change>";
                    } else {
                        pending += "<Delete><ServerId>" + it->first + "</ServerId></Delete>";
                    }
                }
            }
            // And server-side ones.
            int s = pick(4);
            for (int i = 0; i < s; ++i) {
                auto items = server_items(col);
                int op = pick(4);
                if (op == 0 || items.empty()) {
                    std::string name = "server " + std::to_string(++server_seq);
                    std::string id = cluster().psql("INSERT INTO items (user_id, folder_id) VALUES (" + uid + ", " + col +
                                                    ") RETURNING id");
                    cluster().psql("INSERT INTO pim_items (item_id, data, subject) VALUES (" + id + ", '\\x" +
                                   server_contact(name) + "', '" + name + "')");
                } else if (op == 1) {
                    std::string id = items[pick(static_cast<int>(items.size()))];
                    std::string name = "server edit " + std::to_string(++server_seq);
                    cluster().psql("UPDATE pim_items SET data = '\\x" + server_contact(name) + "', subject = '" + name +
                                   "' WHERE item_id = " + id);
                } else if (op == 2) {
                    cluster().psql("DELETE FROM items WHERE id = " + items[pick(static_cast<int>(items.size()))]);
                } else {
                    // Move one out to the other folder, or one back in.
                    auto others = server_items(other);
                    if (!others.empty() && pick(2))
                        cluster().psql("UPDATE items SET folder_id = " + col + " WHERE id = " + others[pick(static_cast<int>(others.size()))]);
                    else
                        cluster().psql("UPDATE items SET folder_id = " + other + " WHERE id = " + items[pick(static_cast<int>(items.size()))]);
                }
            }
        }
        auto r = sync_cmds(phone, col, key, keep, pending, "<WindowSize>4</WindowSize>");
        REQUIRE(r.status == "1");
        if (pick(2) == 0) {
            ++losses;
            continue;  // lost: the same request goes again
        }
        key = r.key;
        if (const auto* resp = responses_of(keep)) {
            for (const auto& a : resp->children) {
                std::string status = text_of(a, tag::AirSync::Status);
                if (a.tag == tag::AirSync::Add) {
                    REQUIRE(status == "1");
                    std::string sid = text_of(a, tag::AirSync::ServerId);
                    CHECK(view.count(sid) == 0);  // never a ServerId the phone already has
                    view[sid] = pending_adds[text_of(a, tag::AirSync::ClientId)];
                } else if (status == "8") {
                    view.erase(text_of(a, tag::AirSync::ServerId));  // gone on the server meanwhile
                }
            }
        }
        // Client ops without a response entry succeeded.
        for (const auto& [sid, name] : pending_changes)
            if (view.count(sid)) view[sid] = name;
        for (std::size_t pos = 0; (pos = pending.find("<Delete><ServerId>", pos)) != std::string::npos;) {
            pos += 18;
            view.erase(pending.substr(pos, pending.find('<', pos) - pos));
        }
        for (const auto* a : r.adds) {
            std::string sid = text_of(*a, tag::AirSync::ServerId);
            CHECK(view.count(sid) == 0);  // an Add of something the phone already holds is a duplicate
            view[sid] = file_as_of(*a->child(tag::AirSync::ApplicationData));
        }
        for (const auto* c : r.changes) view[text_of(*c, tag::AirSync::ServerId)] = file_as_of(*c->child(tag::AirSync::ApplicationData));
        for (const auto* d : r.deletes) view.erase(text_of(*d, tag::AirSync::ServerId));
        pending.clear();
        pending_adds.clear();
        pending_changes.clear();
    }
    // Drain without losses.
    for (int i = 0; i < 100; ++i) {
        auto r = sync(phone, col, key, keep, "<WindowSize>50</WindowSize>");
        for (const auto* a : r.adds) {
            CHECK(view.count(text_of(*a, tag::AirSync::ServerId)) == 0);
            view[text_of(*a, tag::AirSync::ServerId)] = file_as_of(*a->child(tag::AirSync::ApplicationData));
        }
        for (const auto* c : r.changes) view[text_of(*c, tag::AirSync::ServerId)] = file_as_of(*c->child(tag::AirSync::ApplicationData));
        for (const auto* d : r.deletes) view.erase(text_of(*d, tag::AirSync::ServerId));
        key = r.key;
        if (!r.more_available && r.adds.empty() && r.changes.empty() && r.deletes.empty()) break;
    }
    std::map<std::string, std::string> store;
    std::string rows = cluster().psql("SELECT i.id || '|' || p.subject FROM items i JOIN pim_items p ON p.item_id = i.id "
                                      "WHERE i.folder_id = " + col + " ORDER BY i.id");
    std::string line;
    for (char c : rows + "\n") {
        if (c == '\n') {
            if (!line.empty()) store[line.substr(0, line.find('|'))] = line.substr(line.find('|') + 1);
            line.clear();
        } else {
            line += c;
        }
    }
    CHECK(losses > 50);
    CHECK(moves > 10);
    CHECK(store.size() + server_items(other).size() > 5);  // the run did real work on both folders
    CHECK(view == store);
}
