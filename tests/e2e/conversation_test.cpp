// Conversations end to end through nginx (MS-ASCON, MS-ASEMAIL Email2): ConversationId and
// ConversationIndex of delivered and sent mail, the versions that carry them, the reply or forward
// every device sees on the original, Search by ConversationId, ConversationMode in Sync and
// GetItemEstimate, and ItemOperations Move of a conversation.
#include "support/text.h"
#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

using easd::test::hex;

namespace {

// The ApplicationData of the Add or Change whose subject is `subject` (nullptr when none).
const easd::wbxml::Node* data_of(const std::vector<const easd::wbxml::Node*>& items, const std::string& subject) {
    for (const auto* a : items) {
        const auto* d = a->child(tag::AirSync::ApplicationData);
        if (d && text_of(*d, tag::Email::Subject) == subject) return d;
    }
    return nullptr;
}

// The ApplicationData of a Change of item `id`.
const easd::wbxml::Node* change_of(const std::vector<const easd::wbxml::Node*>& changes, const std::string& id) {
    for (const auto* c : changes)
        if (text_of(*c, tag::AirSync::ServerId) == id) return c->child(tag::AirSync::ApplicationData);
    return nullptr;
}

std::string conversation_id(const easd::wbxml::Node& data) {
    const auto* n = data.child(tag::Email2::ConversationId);
    return n ? n->content : std::string();
}

std::string conversation_index(const easd::wbxml::Node& data) {
    const auto* n = data.child(tag::Email2::ConversationIndex);
    return n ? n->content : std::string();
}

std::string message(const std::string& to, const std::string& subject, const std::string& headers,
                    const std::string& from = "Dora <dora@far.example>") {
    return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n" + headers +
           "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nHello\r\n";
}

// A Thread-Index with GUID 10..1f (22 bytes), and the same with one child block.
const std::string kRootIndex = "AdsKESIzEBESExQVFhcYGRobHB0eHw==";
const std::string kChildIndex = "AdsKESIzEBESExQVFhcYGRobHB0eHwAAEjRW";

struct Synced {
    EasClient c;
    Hierarchy h;
    EasResponse keep;
    std::string key;
    CollectionResult first;
};

// A device that synced the Inbox once (key 0, then everything).
Synced synced_inbox(const std::string& user, const std::string& device, const std::string& version = "14.1",
                    const std::string& extra = "") {
    Synced s{client(user, device, version), {}, {}, {}, {}};
    s.h = folder_sync(s.c);
    s.key = sync(s.c, s.h.ids["Inbox"], "0", s.keep).key;
    s.first = sync(s.c, s.h.ids["Inbox"], s.key, s.keep, extra);
    s.key = s.first.key;
    return s;
}

std::string item_id_of(const std::string& user, const std::string& subject) {
    return sql_one("SELECT e.item_id FROM emails e JOIN items i ON i.id = e.item_id JOIN users u ON u.id = i.user_id "
                   "WHERE u.address = '" + user + "' AND e.subject = '" + subject + "' ORDER BY e.item_id LIMIT 1");
}

std::string folder_of(const std::string& user, const std::string& subject) {
    return sql_one("SELECT string_agg(f.name, '|' ORDER BY e.item_id) FROM emails e JOIN items i ON i.id = e.item_id "
                   "JOIN folders f ON f.id = i.folder_id JOIN users u ON u.id = i.user_id WHERE u.address = '" + user +
                   "' AND e.subject = '" + subject + "'");
}

}  // namespace

TEST_CASE("conversation: a delivered reply chain shares a ConversationId, with and without Thread-Index",
          "[e2e][conversation]") {
    std::string user = new_user("conv");
    deliver(user, message(user, "Lunch on Friday", "Message-ID: <lunch-1@far.example>\r\n"));
    deliver(user, message(user, "Re: Lunch on Friday",
                          "Message-ID: <lunch-2@far.example>\r\nIn-Reply-To: <lunch-1@far.example>\r\n"
                          "References: <lunch-1@far.example>\r\n"));
    // A reply without thread headers, only its subject: still the same thread.
    deliver(user, message(user, "AW: Lunch on Friday", "Message-ID: <lunch-3@far.example>\r\n"));
    deliver(user, message(user, "Budget", "Message-ID: <budget@far.example>\r\n"));
    // Outlook: Thread-Index only, no References.
    deliver(user, message(user, "Plan", "Message-ID: <plan-1@corp.example>\r\nThread-Index: " + kRootIndex + "\r\n"));
    deliver(user, message(user, "RE: Plan", "Message-ID: <plan-2@corp.example>\r\nThread-Index: " + kChildIndex + "\r\n"));

    auto s = synced_inbox(user, "CONV");
    REQUIRE(s.first.adds.size() == 6);
    const auto* lunch = data_of(s.first.adds, "Lunch on Friday");
    const auto* reply = data_of(s.first.adds, "Re: Lunch on Friday");
    const auto* bare = data_of(s.first.adds, "AW: Lunch on Friday");
    const auto* budget = data_of(s.first.adds, "Budget");
    const auto* plan = data_of(s.first.adds, "Plan");
    const auto* plan_reply = data_of(s.first.adds, "RE: Plan");
    REQUIRE((lunch && reply && bare && budget && plan && plan_reply));

    CHECK(conversation_id(*lunch).size() == 16);
    CHECK(conversation_id(*reply) == conversation_id(*lunch));
    CHECK(conversation_id(*bare) == conversation_id(*lunch));
    CHECK(conversation_id(*budget) != conversation_id(*lunch));
    // The reply extends the original's index by one response level (5 bytes).
    CHECK(conversation_index(*lunch).size() == 5);
    REQUIRE(conversation_index(*reply).size() == 10);
    CHECK(conversation_index(*reply).substr(0, 5) == conversation_index(*lunch));

    // With a Thread-Index: its GUID, and its time bytes and child blocks as the index.
    CHECK(hex(conversation_id(*plan)) == "101112131415161718191a1b1c1d1e1f");
    CHECK(conversation_id(*plan_reply) == conversation_id(*plan));
    CHECK(hex(conversation_index(*plan)) == "db0a112233");
    CHECK(hex(conversation_index(*plan_reply)) == "db0a1122330000123456");
    // Sent as opaque bytes, as Exchange sends them.
    CHECK(plan->child(tag::Email2::ConversationId)->content_kind == easd::wbxml::Node::Content::Opaque);
}

TEST_CASE("conversation: Email2 properties from 14.0, IsDraft from 16.0, none before", "[e2e][conversation]") {
    std::string user = new_user("convver");
    // Sent on behalf of someone, to a list: the user is in neither To nor Cc.
    deliver(user, message("team@far.example", "Minutes", "Sender: Assistant <pa@far.example>\r\nMessage-ID: <m@far.example>\r\n",
                          "Boss <boss@far.example>"));
    deliver(user, message(user, "Direct", "Message-ID: <d@far.example>\r\n"));
    for (std::string version : {"2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1"}) {
        DYNAMIC_SECTION("version " << version) {
            auto s = synced_inbox(user, "V" + version.substr(0, 2) + version.substr(version.size() - 1), version);
            REQUIRE(s.first.adds.size() == 2);
            const auto* minutes = data_of(s.first.adds, "Minutes");
            const auto* direct = data_of(s.first.adds, "Direct");
            REQUIRE((minutes && direct));
            bool email2 = version[0] == '1' && version[1] >= '4';
            bool v16 = version[0] == '1' && version[1] == '6';
            CHECK(minutes->has(tag::Email2::ConversationId) == email2);
            CHECK(minutes->has(tag::Email2::ConversationIndex) == email2);
            CHECK(minutes->has(tag::Email2::ReceivedAsBcc) == email2);
            CHECK(minutes->has(tag::Email2::Sender) == email2);
            CHECK(minutes->has(tag::Email2::IsDraft) == v16);
            CHECK_FALSE(direct->has(tag::Email2::ReceivedAsBcc));
            CHECK_FALSE(direct->has(tag::Email2::Sender));
            CHECK_FALSE(direct->has(tag::Email2::LastVerbExecuted));
            if (email2) {
                CHECK(text_of(*minutes, tag::Email2::ReceivedAsBcc) == "1");
                CHECK(text_of(*minutes, tag::Email2::Sender) == "Assistant <pa@far.example>");
            }
            if (v16) CHECK(text_of(*minutes, tag::Email2::IsDraft) == "0");
        }
    }
}

TEST_CASE("conversation: SmartReply and SmartForward mark the original on every device", "[e2e][conversation]") {
    std::string alice = new_user("convalice");
    std::string bob = new_user("convbob");
    deliver(alice, message(alice + ", carol@far.example", "Offsite", "Message-ID: <offsite@far.example>\r\n"));
    auto phone = synced_inbox(alice, "PHONE");
    auto tablet = synced_inbox(alice, "TABLET");
    REQUIRE(phone.first.adds.size() == 1);
    std::string original = text_of(*phone.first.adds[0], tag::AirSync::ServerId);
    std::string cid = conversation_id(*phone.first.adds[0]->child(tag::AirSync::ApplicationData));

    auto smart = [&](const char* command, easd::wbxml::Tag root, const std::string& client_id, const std::string& mime) {
        easd::wbxml::Node body(root);
        body.add(tag::ComposeMail::ClientId, client_id);
        auto& source = body.add(tag::ComposeMail::Source);
        source.add(tag::ComposeMail::FolderId, phone.h.ids["Inbox"]);
        source.add(tag::ComposeMail::ItemId, original);
        body.add(tag::ComposeMail::SaveInSentItems);
        body.add_opaque(tag::ComposeMail::Mime, mime);
        auto r = phone.c.command(command, &body);
        REQUIRE(r.status == 200);
        CHECK(r.body.empty());  // sent
    };
    // A reply to the sender only, without thread headers (the server adds them).
    smart("SmartReply", tag::ComposeMail::SmartReply, "reply-1", "To: dora@far.example\r\nSubject: Re: Offsite\r\n\r\nYes\r\n");

    for (Synced* device : {&tablet, &phone}) {
        INFO(device->c.device_id());
        auto r = sync(device->c, device->h.ids["Inbox"], device->key, device->keep);
        device->key = r.key;
        const auto* changed = change_of(r.changes, original);
        REQUIRE(changed);
        CHECK(text_of(*changed, tag::Email2::LastVerbExecuted) == "1");
        CHECK(text_of(*changed, tag::Email2::LastVerbExecutionTime).size() == 24);
    }
    // The copy in Sent Items belongs to the same conversation.
    CHECK(sql_one("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id JOIN users u ON u.id = i.user_id "
                  "WHERE u.address = '" + alice + "' AND e.conversation_id = decode('" + hex(cid) + "', 'hex')") == "2");

    // To all: 2. Forward: 3.
    smart("SmartReply", tag::ComposeMail::SmartReply, "reply-2",
          "To: dora@far.example\r\nCc: carol@far.example\r\nSubject: Re: Offsite\r\nIn-Reply-To: <offsite@far.example>\r\n\r\nAll\r\n");
    auto r = sync(tablet.c, tablet.h.ids["Inbox"], tablet.key, tablet.keep);
    tablet.key = r.key;
    REQUIRE(change_of(r.changes, original));
    CHECK(text_of(*change_of(r.changes, original), tag::Email2::LastVerbExecuted) == "2");

    smart("SmartForward", tag::ComposeMail::SmartForward, "fwd-1", "To: " + bob + "\r\nSubject: Fw: Offsite\r\n\r\nFYI\r\n");
    r = sync(tablet.c, tablet.h.ids["Inbox"], tablet.key, tablet.keep);
    REQUIRE(change_of(r.changes, original));
    CHECK(text_of(*change_of(r.changes, original), tag::Email2::LastVerbExecuted) == "3");
    // Bob got the forward (a local recipient); it names the original, so it is in that thread.
    auto bobs = synced_inbox(bob, "BOB");
    REQUIRE(bobs.first.adds.size() == 1);
    CHECK(conversation_id(*bobs.first.adds[0]->child(tag::AirSync::ApplicationData)) == cid);
}

TEST_CASE("conversation: Search by ConversationId", "[e2e][conversation][search]") {
    std::string user = new_user("convsearch");
    deliver(user, message(user, "Trip", "Message-ID: <trip-1@far.example>\r\n"));
    deliver(user, message(user, "Re: Trip", "Message-ID: <trip-2@far.example>\r\nIn-Reply-To: <trip-1@far.example>\r\n"));
    deliver(user, message(user, "Other", "Message-ID: <other@far.example>\r\n"));
    std::string other_user = new_user("convsearch-other");
    deliver(other_user, message(other_user, "Trip", "Message-ID: <trip-1@far.example>\r\n"));  // same id, another user
    auto s = synced_inbox(user, "SEARCH");
    std::string cid = conversation_id(*data_of(s.first.adds, "Trip"));
    REQUIRE(cid.size() == 16);

    auto search = [&](bool opaque, const std::string& value) {
        easd::wbxml::Node body(tag::Search::Search);
        auto& store = body.add(tag::Search::Store);
        store.add(tag::Search::Name, "Mailbox");
        auto& a = store.add(tag::Search::Query).add(tag::Search::And);
        a.add(tag::AirSync::Class, "Email");
        if (opaque) a.add_opaque(tag::Search::ConversationId, value);
        else a.add(tag::Search::ConversationId, value);
        auto& options = store.add(tag::Search::Options);
        options.add(tag::Search::RebuildResults);
        options.add(tag::Search::Range, "0-9");
        auto r = s.c.command("Search", &body);
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        const auto* st = r.doc->child(tag::Search::Response)->child(tag::Search::Store);
        REQUIRE(st);
        std::vector<std::string> subjects;
        for (const auto* result : st->children_of(tag::Search::Result))
            if (const auto* p = result->child(tag::Search::Properties)) subjects.push_back(text_of(*p, tag::Email::Subject));
        std::sort(subjects.begin(), subjects.end());
        return std::make_pair(text_of(*st, tag::Search::Status), subjects);
    };
    auto found = search(true, cid);
    CHECK(found.first == "1");
    CHECK(found.second == std::vector<std::string>{"Re: Trip", "Trip"});
    CHECK(search(false, hex(cid)).second == std::vector<std::string>{"Re: Trip", "Trip"});  // written as hex
    CHECK(search(false, "no such id").first == "2");
}

TEST_CASE("conversation: ConversationMode in Sync and GetItemEstimate brings the whole thread", "[e2e][conversation][filter]") {
    std::string user = new_user("convmode");
    deliver(user, message(user, "Old thread", "Message-ID: <old-1@far.example>\r\n"));
    deliver(user, message(user, "Old alone", "Message-ID: <alone@far.example>\r\n"));
    deliver(user, message(user, "Re: Old thread", "Message-ID: <old-2@far.example>\r\nIn-Reply-To: <old-1@far.example>\r\n"));
    std::string uid = sql_one("SELECT id FROM users WHERE address = '" + user + "'");
    sql_one("UPDATE emails SET date_received = now() - interval '20 days' WHERE subject IN ('Old thread', 'Old alone') "
            "AND item_id IN (SELECT id FROM items WHERE user_id = " + uid + ")");
    const std::string week = "<Options><FilterType>3</FilterType></Options>";

    auto estimate = [&](EasClient& c, const std::string& inbox, const std::string& key, bool mode) {
        auto body = xml("<GetItemEstimate xmlns='GetItemEstimate' xmlns:A='AirSync'><Collections><Collection>"
                        "<A:SyncKey>" + key + "</A:SyncKey><CollectionId>" + inbox + "</CollectionId>" +
                        (mode ? "<A:ConversationMode>1</A:ConversationMode>" : "") +
                        "<A:Options><A:FilterType>3</A:FilterType></A:Options></Collection></Collections></GetItemEstimate>");
        auto r = c.command("GetItemEstimate", &body);
        REQUIRE(r.doc);
        return text_of(*r.doc->child(tag::GetItemEstimate::Response)->child(tag::GetItemEstimate::Collection),
                       tag::GetItemEstimate::Estimate);
    };
    auto subjects = [](const std::vector<const easd::wbxml::Node*>& adds) {
        std::vector<std::string> out;
        for (const auto* a : adds) out.push_back(text_of(*a->child(tag::AirSync::ApplicationData), tag::Email::Subject));
        std::sort(out.begin(), out.end());
        return out;
    };

    auto plain = client(user, "PLAIN");
    auto hp = folder_sync(plain);
    EasResponse kp;
    std::string pkey = sync(plain, hp.ids["Inbox"], "0", kp, week).key;
    CHECK(estimate(plain, hp.ids["Inbox"], pkey, false) == "1");
    CHECK(estimate(plain, hp.ids["Inbox"], pkey, true) == "2");
    auto first_plain = sync(plain, hp.ids["Inbox"], pkey, kp, week);
    CHECK(subjects(first_plain.adds) == std::vector<std::string>{"Re: Old thread"});
    pkey = first_plain.key;

    auto threaded = client(user, "THREADS");
    auto ht = folder_sync(threaded);
    EasResponse kt;
    std::string tkey = sync(threaded, ht.ids["Inbox"], "0", kt, "<ConversationMode>1</ConversationMode>" + week).key;
    auto r = sync(threaded, ht.ids["Inbox"], tkey, kt, "<ConversationMode>1</ConversationMode>" + week);
    CHECK(subjects(r.adds) == std::vector<std::string>{"Old thread", "Re: Old thread"});
    tkey = r.key;
    CHECK(estimate(threaded, ht.ids["Inbox"], tkey, true) == "0");
    // A reply today to the old message that was alone brings it along, at once.
    deliver(user, message(user, "Re: Old alone", "Message-ID: <alone-2@far.example>\r\nIn-Reply-To: <alone@far.example>\r\n"));
    CHECK(estimate(threaded, ht.ids["Inbox"], tkey, true) == "2");
    r = sync(threaded, ht.ids["Inbox"], tkey, kt, "<ConversationMode>1</ConversationMode>" + week);
    CHECK(subjects(r.adds) == std::vector<std::string>{"Old alone", "Re: Old alone"});
    tkey = r.key;
    // Without the mode only the new one.
    CHECK(subjects(sync(plain, hp.ids["Inbox"], pkey, kp, week).adds) == std::vector<std::string>{"Re: Old alone"});
    // Leaving conversation mode: the old messages of the threads leave the device.
    sync(threaded, ht.ids["Inbox"], tkey, kt, week);
    const auto* cmds = kt.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(tag::AirSync::Commands);
    REQUIRE(cmds);
    std::vector<std::string> soft;
    for (const auto* d : cmds->children_of(tag::AirSync::SoftDelete)) soft.push_back(text_of(*d, tag::AirSync::ServerId));
    std::sort(soft.begin(), soft.end());
    std::vector<std::string> old_ids{item_id_of(user, "Old thread"), item_id_of(user, "Old alone")};
    std::sort(old_ids.begin(), old_ids.end());
    CHECK(soft == old_ids);
}

TEST_CASE("conversation: ItemOperations Move of a conversation, with MoveAlways", "[e2e][conversation][itemoperations]") {
    std::string user = new_user("convmove");
    deliver(user, message(user, "Newsletter", "Message-ID: <news-1@far.example>\r\n"));
    deliver(user, message(user, "Re: Newsletter", "Message-ID: <news-2@far.example>\r\nReferences: <news-1@far.example>\r\n"));
    deliver(user, message(user, "Keep me", "Message-ID: <keep@far.example>\r\n"));
    auto s = synced_inbox(user, "MOVER");
    std::string cid = conversation_id(*data_of(s.first.adds, "Newsletter"));
    REQUIRE(cid.size() == 16);
    // The user's own reply, in Sent Items, stays where it is.
    sql_one("WITH f AS (SELECT f.id FROM folders f JOIN users u ON u.id = f.user_id WHERE u.address = '" + user +
            "' AND f.type = 5) UPDATE items SET folder_id = (SELECT id FROM f) WHERE id = " + item_id_of(user, "Re: Newsletter"));
    deliver(user, message(user, "Re: Newsletter", "Message-ID: <news-3@far.example>\r\nReferences: <news-1@far.example>\r\n"));
    s.key = sync(s.c, s.h.ids["Inbox"], s.key, s.keep).key;

    auto move = [&](const std::string& conversation, const std::string& dst, bool always, const std::string& version = "14.1") {
        easd::wbxml::Node body(tag::ItemOperations::ItemOperations);
        auto& m = body.add(tag::ItemOperations::Move);
        m.add_opaque(tag::ItemOperations::ConversationId, conversation);
        m.add(tag::ItemOperations::DstFldId, dst);
        if (always) m.add(tag::ItemOperations::Options).add(tag::ItemOperations::MoveAlways);
        auto c = client(user, "MOVER", version);
        auto r = c.command("ItemOperations", &body);
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        CHECK(text_of(*r.doc, tag::ItemOperations::Status) == "1");
        const auto* out = r.doc->child(tag::ItemOperations::Response)->child(tag::ItemOperations::Move);
        REQUIRE(out);
        CHECK(out->child(tag::ItemOperations::ConversationId)->content == conversation);
        return text_of(*out, tag::ItemOperations::Status);
    };
    std::string junk = s.h.ids["Junk E-mail"];
    REQUIRE_FALSE(junk.empty());
    CHECK(move(std::string(16, '\x7f'), junk, false) == "6");  // no such conversation
    CHECK(move(cid, "999999999", false) == "6");                // no such folder
    CHECK(move(cid, s.h.ids["Contacts"], false) == "156");      // not a mail folder
    CHECK(move(cid, junk, false, "12.1") == "2");               // Move is 14.0+
    {
        auto c = client(user, "MOVER");
        auto body = xml("<ItemOperations xmlns='ItemOperations'><Move><DstFldId>" + junk + "</DstFldId></Move></ItemOperations>");
        auto r = c.command("ItemOperations", &body);
        REQUIRE(r.doc);
        const auto* out = r.doc->child(tag::ItemOperations::Response)->child(tag::ItemOperations::Move);
        REQUIRE(out);
        CHECK(text_of(*out, tag::ItemOperations::Status) == "2");  // no ConversationId
        CHECK(out->has(tag::ItemOperations::ConversationId));
    }
    CHECK(folder_of(user, "Newsletter") == "Inbox");

    CHECK(move(cid, junk, true) == "1");
    CHECK(folder_of(user, "Newsletter") == "Junk E-mail");
    CHECK(folder_of(user, "Re: Newsletter") == "Sent Items|Junk E-mail");
    CHECK(folder_of(user, "Keep me") == "Inbox");
    // The device learns it by Sync: the two leave the Inbox.
    auto after = sync(s.c, s.h.ids["Inbox"], s.key, s.keep);
    CHECK(after.deletes.size() == 2);
    // MoveAlways: later mail of the conversation goes straight to Junk E-mail.
    deliver(user, message(user, "RE: Newsletter (2)", "Message-ID: <news-4@far.example>\r\nIn-Reply-To: <news-3@far.example>\r\n"));
    CHECK(folder_of(user, "RE: Newsletter (2)") == "Junk E-mail");
    deliver(user, message(user, "Fresh", "Message-ID: <fresh@far.example>\r\n"));
    CHECK(folder_of(user, "Fresh") == "Inbox");
}

TEST_CASE("conversation: a Change that sets ConversationId is refused with status 6", "[e2e][conversation]") {
    std::string user = new_user("convchange");
    deliver(user, message(user, "Mine", "Message-ID: <mine@far.example>\r\n"));
    auto s = synced_inbox(user, "CHANGER");
    REQUIRE(s.first.adds.size() == 1);
    std::string id = text_of(*s.first.adds[0], tag::AirSync::ServerId);
    auto r = sync(s.c, s.h.ids["Inbox"], s.key, s.keep,
                  "<Commands><Change><ServerId>" + id + "</ServerId><ApplicationData xmlns:E2='Email2'><E:Read>1</E:Read>"
                  "<E2:ConversationId>mine</E2:ConversationId></ApplicationData></Change></Commands>");
    CHECK(r.status == "1");
    const auto* responses = s.keep.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(tag::AirSync::Responses);
    REQUIRE(responses);
    const auto* change = responses->child(tag::AirSync::Change);
    REQUIRE(change);
    CHECK(text_of(*change, tag::AirSync::ServerId) == id);
    CHECK(text_of(*change, tag::AirSync::Status) == "6");
    CHECK(sql_one("SELECT read FROM emails WHERE item_id = " + id) == "f");  // nothing of it applied
}

TEST_CASE("conversation: a local Bcc recipient gets ReceivedAsBcc, the others and the Sent Items copy do not",
          "[e2e][conversation][sendmail]") {
    std::string alice = new_user("convbcc-a");
    std::string bob = new_user("convbcc-b");
    std::string carol = new_user("convbcc-c");
    auto c = client(alice, "BCC");
    easd::wbxml::Node body(tag::ComposeMail::SendMail);
    body.add(tag::ComposeMail::ClientId, "bcc-1");
    body.add(tag::ComposeMail::SaveInSentItems);
    body.add_opaque(tag::ComposeMail::Mime, "To: " + carol + "\r\nBcc: " + bob + "\r\nSubject: Surprise\r\n\r\nShh\r\n");
    auto r = c.command("SendMail", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.body.empty());
    auto bobs = synced_inbox(bob, "BCC-B");
    auto carols = synced_inbox(carol, "BCC-C");
    REQUIRE(bobs.first.adds.size() == 1);
    REQUIRE(carols.first.adds.size() == 1);
    const auto* b = bobs.first.adds[0]->child(tag::AirSync::ApplicationData);
    const auto* k = carols.first.adds[0]->child(tag::AirSync::ApplicationData);
    CHECK(text_of(*b, tag::Email2::ReceivedAsBcc) == "1");
    CHECK_FALSE(k->has(tag::Email2::ReceivedAsBcc));
    // One message, one conversation, in every mailbox (keyed by its Message-ID).
    CHECK(conversation_id(*b) == conversation_id(*k));
    CHECK(sql_one("SELECT received_as_bcc::text || ':' || encode(conversation_id, 'hex') FROM emails e JOIN items i "
                  "ON i.id = e.item_id JOIN folders f ON f.id = i.folder_id JOIN users u ON u.id = i.user_id "
                  "WHERE u.address = '" + alice + "' AND f.type = 5") == "false:" + hex(conversation_id(*b)));
}

TEST_CASE("conversation: IsDraft is 1 in Drafts (16.x)", "[e2e][conversation]") {
    std::string user = new_user("convdraft");
    auto r = easd::test::run_process({EASD_DELIVER_BIN, "--database", cluster().conninfo(), "--recipient", user,
                                      "--folder", "Drafts"},
                                     message("bob@far.example", "Unfinished", "Message-ID: <draft@e2e.test>\r\n",
                                             user));
    REQUIRE(r.exit_code == 0);
    auto c = client(user, "DRAFTS", "16.1");
    auto h = folder_sync(c);
    EasResponse keep;
    std::string key = sync(c, h.ids["Drafts"], "0", keep).key;
    auto got = sync(c, h.ids["Drafts"], key, keep);
    REQUIRE(got.adds.size() == 1);
    const auto* data = got.adds[0]->child(tag::AirSync::ApplicationData);
    CHECK(text_of(*data, tag::Email2::IsDraft) == "1");
    CHECK_FALSE(data->has(tag::Email2::ReceivedAsBcc));  // the user wrote it
    CHECK(conversation_id(*data).size() == 16);
}
