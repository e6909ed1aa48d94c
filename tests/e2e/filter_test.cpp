// FilterType applied without a full resync: items leaving the window are SoftDeleted, items
// entering it are Added, and the key sequence simply continues.
#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {
std::string options(int filter) {
    return "<Options><FilterType>" + std::to_string(filter) + "</FilterType></Options>";
}
std::vector<std::string> subjects(const std::vector<const easd::wbxml::Node*>& adds) {
    std::vector<std::string> out;
    for (const auto* a : adds) out.push_back(text_of(*a->child(tag::AirSync::ApplicationData), tag::Email::Subject));
    std::sort(out.begin(), out.end());
    return out;
}
// Delivers "old" (received 10 days ago) and "new" to the user; returns the user's id.
std::string deliver_old_and_new(const std::string& user) {
    deliver(user, simple_message("old"));
    deliver(user, simple_message("new"));
    std::string uid = cluster().psql("SELECT id FROM users WHERE address = '" + user + "'");
    cluster().psql("UPDATE emails SET date_received = now() - interval '10 days' WHERE subject = 'old' AND item_id IN "
                   "(SELECT id FROM items WHERE user_id = " + uid + ")");
    return uid;
}
}  // namespace

TEST_CASE("email filter: a changed window sends SoftDelete and Add, never a resync", "[e2e][filter]") {
    std::string user = new_user("filter");
    std::string uid = deliver_old_and_new(user);
    auto c = client(user);
    auto h = folder_sync(c);
    std::string inbox = h.ids["Inbox"];
    EasResponse k;
    std::string key = sync(c, inbox, "0", k, options(1)).key;

    auto day = sync(c, inbox, key, k, options(1));  // one day
    CHECK(subjects(day.adds) == std::vector<std::string>{"new"});
    key = day.key;

    auto all = sync(c, inbox, key, k, options(0));  // widened to everything: the old one is added
    CHECK(subjects(all.adds) == std::vector<std::string>{"old"});
    CHECK(all.status == "1");
    key = all.key;

    auto narrow = sync(c, inbox, key, k, options(3));  // one week: the old one leaves
    std::string old_id = cluster().psql("SELECT e.item_id FROM emails e JOIN items i ON i.id = e.item_id WHERE i.user_id = " +
                                        uid + " AND e.subject = 'old'");
    CHECK(narrow.adds.empty());
    const auto* cmds = k.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(tag::AirSync::Commands);
    REQUIRE(cmds);
    auto soft = cmds->children_of(tag::AirSync::SoftDelete);
    REQUIRE(soft.size() == 1);
    CHECK(text_of(*soft[0], tag::AirSync::ServerId) == old_id);
    CHECK(narrow.deletes.empty());
    CHECK(cluster().psql("SELECT count(*) FROM items WHERE id = " + old_id) == "1");  // only the phone forgets it
    key = narrow.key;

    // Time passes: the new message is now 8 days old and the window has moved on by hours.
    cluster().psql("UPDATE emails SET date_received = now() - interval '8 days' WHERE subject = 'new' AND item_id IN "
                   "(SELECT id FROM items WHERE user_id = " + uid + ")");
    auto idle = sync(c, inbox, key, k, options(3));  // the change itself: now outside the window
    auto idle_cmds = k.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(tag::AirSync::Commands);
    REQUIRE(idle_cmds);
    CHECK(idle_cmds->children_of(tag::AirSync::SoftDelete).size() == 1);
    key = idle.key;

    deliver(user, simple_message("fresh"));
    cluster().psql("UPDATE emails SET date_received = now() - interval '6 days 23 hours' WHERE subject = 'fresh' AND "
                   "item_id IN (SELECT id FROM items WHERE user_id = " + uid + ")");
    auto f = sync(c, inbox, key, k, options(3));
    CHECK(subjects(f.adds) == std::vector<std::string>{"fresh"});
    key = f.key;
    // Two hours later (simulated by moving the reconciled cutoff back), "fresh" has left the week.
    cluster().psql("UPDATE sync_collections SET filter_cutoff = filter_cutoff - 7200 WHERE folder_id = " + inbox);
    cluster().psql("UPDATE emails SET date_received = date_received - interval '2 hours' WHERE subject = 'fresh' AND "
                   "item_id IN (SELECT id FROM items WHERE user_id = " + uid + ")");
    auto moved = sync(c, inbox, key, k, options(3));
    (void)moved;
    auto mc = k.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)->child(tag::AirSync::Commands);
    REQUIRE(mc);
    CHECK(mc->children_of(tag::AirSync::SoftDelete).size() == 1);
}

TEST_CASE("tasks filter: incomplete tasks only", "[e2e][filter]") {
    std::string user = new_user("tasks");
    auto a = client(user, "A");
    auto b = client(user, "B");
    auto ha = folder_sync(a);
    auto hb = folder_sync(b);
    EasResponse k;
    std::string col = ha.ids["Tasks"];
    std::string key = sync(a, col, "0", k).key;
    sync(a, col, key, k,
         "<Commands><Add><ClientId>t1</ClientId><ApplicationData xmlns:T='Tasks'><T:Subject>open</T:Subject>"
         "<T:Complete>0</T:Complete></ApplicationData></Add><Add><ClientId>t2</ClientId><ApplicationData xmlns:T='Tasks'>"
         "<T:Subject>done</T:Subject><T:Complete>1</T:Complete><T:DateCompleted>2026-11-01T10:00:00.000Z</T:DateCompleted>"
         "</ApplicationData></Add></Commands>");
    std::string kb = sync(b, hb.ids["Tasks"], "0", k, options(8)).key;
    auto r = sync(b, hb.ids["Tasks"], kb, k, options(8));
    REQUIRE(r.adds.size() == 1);
    CHECK(text_of(*r.adds[0]->child(tag::AirSync::ApplicationData), tag::Tasks::Subject) == "open");
}

TEST_CASE("GetItemEstimate counts under the filter", "[e2e][filter][estimate]") {
    std::string user = new_user("estfilter");
    std::string uid = deliver_old_and_new(user);
    auto c = client(user);
    auto h = folder_sync(c);
    EasResponse k;
    std::string key = sync(c, h.ids["Inbox"], "0", k, options(1)).key;
    auto estimate = [&](int filter) {
        auto body = xml("<GetItemEstimate xmlns='GetItemEstimate' xmlns:A='AirSync'><Collections><Collection>"
                        "<A:SyncKey>" + key + "</A:SyncKey><CollectionId>" + h.ids["Inbox"] +
                        "</CollectionId><A:Options><A:FilterType>" + std::to_string(filter) +
                        "</A:FilterType></A:Options></Collection></Collections></GetItemEstimate>");
        auto r = c.command("GetItemEstimate", &body);
        REQUIRE(r.doc);
        return text_of(*r.doc->child(tag::GetItemEstimate::Response)->child(tag::GetItemEstimate::Collection),
                       tag::GetItemEstimate::Estimate);
    };
    CHECK(estimate(1) == "1");
    CHECK(estimate(0) == "2");
    auto r = sync(c, h.ids["Inbox"], key, k, options(1));
    CHECK(r.adds.size() == 1);
    key = r.key;
    CHECK(estimate(1) == "0");
    CHECK(estimate(0) == "1");  // widening would add the old one
}
