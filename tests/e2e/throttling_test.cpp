// Throttling and sync loops through nginx (issue 12, part 5): a device over its request budget is
// told to wait (503, X-MS-ASThrottle, Retry-After); one that keeps sending anyway is autoblocked on
// every worker, shown by easctl and lifted by it; a phone that cannot take one message (it repeats
// its SyncKey) gets everything else and the message is held back, listed, and sent again once it
// changes; an item that fails to render is held back and the rest of the Sync goes through.
#include <chrono>
#include <set>
#include <thread>

#include "e2e_support.h"
#include "support/text.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;
using easd::test::has;

namespace {

// Small budgets: 5 at once, then one a second; autoblock after 4 refusals. Two workers, so the
// block must travel through the database.
easd::test::EasServer::Options budget_server() {
    easd::test::EasServer::Options o;
    o.workers = 2;
    o.config_lines = {"device_requests_per_minute = 60", "device_request_burst = 5", "user_requests_per_minute = 6000",
                      "user_request_burst = 1000",       "autoblock_refusals = 4",   "autoblock_window_seconds = 600",
                      "autoblock_seconds = 300"};
    return o;
}

EasResponse folder_sync_request(EasClient& c) {
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    return c.command("FolderSync", &body);
}

std::string subject_of(const easd::wbxml::Node& add) {
    const auto* data = add.child(tag::AirSync::ApplicationData);
    return data ? text_of(*data, tag::Email::Subject) : "";
}

}  // namespace

TEST_CASE("a device over its budget waits; one that will not wait is autoblocked everywhere until lifted",
          "[e2e][throttling]") {
    easd::test::EasServer s(cluster(), budget_server());
    std::string user = new_user("flood");
    EasClient flooder(s.http_port(), user, "secret-pw", "FLOODER");
    EasClient honest(s.http_port(), user, "secret-pw", "HONEST");

    // Each worker grants its own budget of 5: the first refusal comes after 5 to 10 requests.
    int served = 0;
    EasResponse first_refusal;
    for (int i = 0; i < 30; ++i) {
        auto r = folder_sync_request(flooder);
        if (r.status == 200) {
            ++served;
            continue;
        }
        first_refusal = r;
        break;
    }
    CHECK(served >= 5);
    CHECK(served <= 10);
    REQUIRE(first_refusal.status == 503);
    CHECK(first_refusal.header("x-ms-asthrottle") == "OutOfBudgets");
    CHECK(std::stoi(first_refusal.header("retry-after")) >= 1);
    CHECK(folder_sync_request(honest).status == 200);  // the user's other device has its own

    // It does not wait: after 4 more refusals on a worker, that worker blocks it in the database.
    EasResponse blocked;
    for (int i = 0; i < 30 && blocked.header("x-ms-asthrottle") != "CommandFrequency"; ++i)
        blocked = folder_sync_request(flooder);
    REQUIRE(blocked.status == 503);
    REQUIRE(blocked.header("x-ms-asthrottle") == "CommandFrequency");
    CHECK(std::stoi(blocked.header("retry-after")) > 250);
    CHECK(device_column(user, "FLOODER", "autoblocked_until > now() + interval '4 minutes'") == "t");

    // Both workers refuse it now, also once their budgets have refilled (the other learns it
    // from the device row); the honest phone goes on.
    std::this_thread::sleep_for(std::chrono::seconds(3));
    for (int i = 0; i < 6; ++i) {
        auto r = folder_sync_request(flooder);
        CHECK(r.status == 503);
        CHECK(r.header("x-ms-asthrottle") == "CommandFrequency");
    }
    CHECK(folder_sync_request(honest).status == 200);

    auto shown = easd::test::run_easctl(cluster(), {"device", "show", user, "FLOODER"});
    REQUIRE(shown.exit_code == 0);
    CHECK(has(shown.out, "Autoblock:"));
    CHECK(has(shown.out, "(CommandFrequency; easctl device unblock lifts it)"));
    auto json = easd::test::run_easctl(cluster(), {"--json", "device", "show", user, "FLOODER"});
    CHECK(has(json.out, "\"autoblock\":{\"until\":"));
    CHECK(has(json.out, "\"reason\":\"CommandFrequency\""));
    auto other = easd::test::run_easctl(cluster(), {"--json", "device", "show", user, "HONEST"});
    CHECK(has(other.out, "\"autoblock\":null"));

    auto lifted = easd::test::run_easctl(cluster(), {"device", "unblock", user, "FLOODER"});
    CHECK(lifted.exit_code == 0);
    CHECK(has(lifted.out, "autoblock lifted"));
    // Every worker asks the database again within 5 s; a request a second stays within budget.
    bool served_again = false;
    for (int i = 0; i < 12 && !served_again; ++i) {
        served_again = folder_sync_request(flooder).status == 200;
        if (!served_again) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    CHECK(served_again);
    CHECK(has(s.easd_log(0) + s.easd_log(1), "autoblocked for 300 s (CommandFrequency)"));
    auto again = easd::test::run_easctl(cluster(), {"device", "unblock", user, "FLOODER"});
    CHECK(has(again.out, "was not autoblocked"));
}

TEST_CASE("a phone that cannot take one message gets all the others; that one is held back until it changes",
          "[e2e][sync-loops]") {
    std::string user = new_user("looper");
    for (int i = 1; i <= 30; ++i)
        deliver(user, simple_message(i == 5 ? "poison" : "fine " + std::to_string(i)));
    auto phone = client(user, "LOOPPHONE");
    auto inbox = folder_sync(phone).ids.at("Inbox");
    EasResponse keep;
    std::string key = sync(phone, inbox, "0", keep).key;

    // The phone's parser chokes on "poison": it never takes a response carrying it, and asks again
    // with the same key, as real phones do.
    std::multiset<std::string> received;
    int requests = 0;
    bool poison_seen = false;
    for (; requests < 60; ++requests) {
        auto c = sync(phone, inbox, key, keep, "<WindowSize>10</WindowSize>");
        REQUIRE(c.status == "1");
        bool refused = false;
        for (const auto* add : c.adds)
            if (subject_of(*add) == "poison") refused = poison_seen = true;
        if (refused) continue;
        for (const auto* add : c.adds) received.insert(subject_of(*add));
        key = c.key;
        if (!c.more_available && received.size() >= 29) break;
    }
    CHECK(poison_seen);
    CHECK(received.size() == 29);  // every other message, each once
    CHECK(received.count("poison") == 0);
    CHECK(std::set<std::string>(received.begin(), received.end()).size() == 29);
    CHECK(requests < 30);  // 3 repeats, then one item at a time up to the refused window's end

    auto shown = easd::test::run_easctl(cluster(), {"device", "show", user, "LOOPPHONE"});
    REQUIRE(shown.exit_code == 0);
    CHECK(has(shown.out, "Held back items:   1"));
    CHECK(has(shown.out, "poison"));
    CHECK(has(shown.out, "loop"));
    auto logs = server().easd_log(0);
    CHECK(has(logs, "repeated sync key"));

    // A quiet Sync sends nothing more; the administrator (the phone's app was fixed) sends it again.
    auto quiet = sync(phone, inbox, key, keep);
    CHECK(quiet.adds.empty());
    key = quiet.key;
    auto retry = easd::test::run_easctl(cluster(), {"device", "retry", user, "LOOPPHONE"});
    CHECK(retry.exit_code == 0);
    CHECK(has(retry.out, "1 held back item(s) will be sent again"));
    auto retried = sync(phone, inbox, key, keep);
    REQUIRE(retried.adds.size() == 1);
    CHECK(subject_of(*retried.adds[0]) == "poison");
    auto after = easd::test::run_easctl(cluster(), {"device", "show", user, "LOOPPHONE"});
    CHECK(has(after.out, "Held back items:   none"));
}

TEST_CASE("an item that fails to render is held back; the rest of the Sync goes through; retry sends it",
          "[e2e][sync-loops]") {
    std::string user = new_user("broken");
    auto writer = client(user, "WRITER");
    auto contacts = folder_sync(writer).ids.at("Contacts");
    EasResponse keep;
    std::string key = sync(writer, contacts, "0", keep).key;
    std::string adds;
    for (const char* name : {"Ada", "Bob", "Cyd"})
        adds += std::string("<Add><ClientId>") + name + "</ClientId><ApplicationData><C:FileAs>" + name +
                "</C:FileAs><C:FirstName>" + name + "</C:FirstName></ApplicationData></Add>";
    auto body = xml("<Sync xmlns='AirSync' xmlns:C='Contacts'><Collections><Collection><SyncKey>" + key +
                    "</SyncKey><CollectionId>" + contacts + "</CollectionId><Commands>" + adds +
                    "</Commands></Collection></Collections></Sync>");
    REQUIRE(writer.command("Sync", &body).status == 200);

    // Bob's stored data is damaged (as a disk or a bad migration would leave it).
    std::string bob = sql_one("SELECT p.item_id FROM pim_items p JOIN items i ON i.id = p.item_id JOIN users u ON "
                              "u.id = i.user_id WHERE u.address = '" + user + "' AND p.subject = 'Bob'");
    REQUIRE_FALSE(bob.empty());
    std::string good_data = sql_one("SELECT encode(data, 'hex') FROM pim_items WHERE item_id = " + bob);
    sql_one("UPDATE pim_items SET data = '\\xdeadbeef'::bytea WHERE item_id = " + bob);

    auto reader = client(user, "READER");
    folder_sync(reader);
    std::string rkey = sync(reader, contacts, "0", keep).key;
    auto got = sync(reader, contacts, rkey, keep);
    CHECK(got.status == "1");
    std::set<std::string> names;
    for (const auto* add : got.adds) names.insert(text_of(*add->child(tag::AirSync::ApplicationData), tag::Contacts::FileAs));
    CHECK(names == std::set<std::string>{"Ada", "Cyd"});
    rkey = got.key;
    auto shown = easd::test::run_easctl(cluster(), {"--json", "device", "show", user, "READER"});
    CHECK(has(shown.out, "\"item_id\":" + bob));
    CHECK(has(shown.out, "\"reason\":\"render\""));
    CHECK(has(shown.out, "not WBXML"));
    // The writer, which holds Bob already, is not affected by the reader's quarantine.
    auto writer_show = easd::test::run_easctl(cluster(), {"--json", "device", "show", user, "WRITER"});
    CHECK(has(writer_show.out, "\"held_back_items\":[]"));

    // Repaired: a change of the item, so it is tried again without anyone asking.
    sql_one("UPDATE pim_items SET data = decode('" + good_data + "', 'hex') WHERE item_id = " + bob);
    auto again = sync(reader, contacts, rkey, keep);
    REQUIRE(again.adds.size() == 1);
    CHECK(text_of(*again.adds[0]->child(tag::AirSync::ApplicationData), tag::Contacts::FileAs) == "Bob");
}
