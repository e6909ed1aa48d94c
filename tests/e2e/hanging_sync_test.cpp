// Hanging Sync (MS-ASCMD 3.1.5.4, 12.1+): a Sync with Wait or HeartbeatInterval and nothing to send
// waits in the push hub like a Ping; it answers with the changes when they arrive, with the empty
// response when the interval ends, and shares the device's push sequence with Ping. Also: when
// the process may park no more, the oldest waiting request answers early.
#include <chrono>
#include <csignal>
#include <future>
#include <thread>

#include "e2e_support.h"
#include "parked_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;
using Clock = std::chrono::steady_clock;

namespace {

struct Timed {
    EasResponse r;
    double seconds = 0;
};

// A Sync of the Inbox at `key` with the given top-level wait element ("<Wait>1</Wait>", ...).
Timed hanging_sync(ParkedPhone& p, const std::string& key, const std::string& wait_element) {
    auto body = xml("<Sync xmlns='AirSync'><Collections><Collection><SyncKey>" + key + "</SyncKey><CollectionId>" +
                    p.h.ids["Inbox"] + "</CollectionId></Collection></Collections>" + wait_element + "</Sync>");
    auto start = Clock::now();
    Timed t;
    t.r = p.c.command("Sync", &body);
    t.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return t;
}

std::string top_status(const EasResponse& r) { return r.doc ? text_of(*r.doc, tag::AirSync::Status) : ""; }

}  // namespace

TEST_CASE("hanging Sync: invalid waits are refused with the limit", "[e2e][push][hanging]") {
    ParkedPhone p(server().http_port(), new_user("hangval"), "HV");
    // The test server allows heartbeats of 1..1800 s: Wait (minutes) 1..30.
    auto both = hanging_sync(p, p.key, "<Wait>1</Wait><HeartbeatInterval>60</HeartbeatInterval>");
    CHECK(top_status(both.r) == "4");
    auto long_wait = hanging_sync(p, p.key, "<Wait>45</Wait>");
    CHECK(top_status(long_wait.r) == "14");
    REQUIRE(long_wait.r.doc);
    CHECK(text_of(*long_wait.r.doc, tag::AirSync::Limit) == "30");
    auto no_wait = hanging_sync(p, p.key, "<Wait>0</Wait>");
    CHECK(top_status(no_wait.r) == "14");
    CHECK(text_of(*no_wait.r.doc, tag::AirSync::Limit) == "1");
    auto long_heartbeat = hanging_sync(p, p.key, "<HeartbeatInterval>4000</HeartbeatInterval>");
    CHECK(top_status(long_heartbeat.r) == "14");
    CHECK(text_of(*long_heartbeat.r.doc, tag::AirSync::Limit) == "1800");
    // Before 12.1 there is no hanging Sync: the element is ignored and the answer comes at once.
    p.c.set_protocol_version("12.0");
    auto old = hanging_sync(p, p.key, "<HeartbeatInterval>5</HeartbeatInterval>");
    CHECK(old.r.status == 200);
    CHECK(old.seconds < 3);
}

TEST_CASE("hanging Sync: the empty response when the interval ends without changes", "[e2e][push][hanging]") {
    ParkedPhone p(server().http_port(), new_user("hangidle"), "HI");
    auto t = hanging_sync(p, p.key, "<HeartbeatInterval>2</HeartbeatInterval>");
    CHECK(t.r.status == 200);
    CHECK(t.r.body.empty());
    CHECK(t.seconds >= 1.9);
    CHECK(t.seconds < 6);
    // The empty Sync request repeats the last one, wait included.
    auto start = Clock::now();
    auto again = p.c.command("Sync");
    CHECK(again.status == 200);
    CHECK(again.body.empty());
    CHECK(std::chrono::duration<double>(Clock::now() - start).count() >= 1.9);
}

TEST_CASE("hanging Sync: a delivery is answered with the new message within a second", "[e2e][push][hanging]") {
    std::string user = new_user("hangwake");
    ParkedPhone p(server().http_port(), user, "HW");
    auto fut = std::async(std::launch::async, [&] { return hanging_sync(p, p.key, "<HeartbeatInterval>30</HeartbeatInterval>"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // parked by now
    auto t0 = Clock::now();
    deliver(user, simple_message("while you waited"));
    auto t = fut.get();
    CHECK(std::chrono::duration<double>(Clock::now() - t0).count() < 1.0);
    auto col = collection_of(t.r);
    CHECK(col.status == "1");
    CHECK(col.key != p.key);
    REQUIRE(col.adds.size() == 1);
    // Nothing lost, nothing twice: the next Sync at the new key has nothing more.
    EasResponse k;
    auto next = sync(p.c, p.h.ids["Inbox"], col.key, k);
    CHECK(next.adds.empty());
    CHECK(next.key == col.key);
}

TEST_CASE("hanging Sync and Ping of one device supersede each other", "[e2e][push][hanging]") {
    std::string user = new_user("hangsuper");
    ParkedPhone p(server().http_port(), user, "HS");
    EasClient pinger(server().http_port(), user, "secret-pw", "HS");
    auto waiting = std::async(std::launch::async, [&] { return hanging_sync(p, p.key, "<HeartbeatInterval>30</HeartbeatInterval>"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto ping_body = xml("<Ping xmlns='Ping'><HeartbeatInterval>30</HeartbeatInterval><Folders><Folder><Id>" +
                         p.h.ids["Inbox"] + "</Id><Class>Email</Class></Folder></Folders></Ping>");
    auto t0 = Clock::now();
    auto ping = std::async(std::launch::async, [&] { return pinger.command("Ping", &ping_body); });
    auto old = waiting.get();
    CHECK(std::chrono::duration<double>(Clock::now() - t0).count() < 1.0);
    CHECK(old.r.status == 200);
    CHECK(old.r.body.empty());
    // Now the other way round: a hanging Sync answers the waiting Ping with status 1.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto newer = std::async(std::launch::async, [&] { return hanging_sync(p, p.key, "<HeartbeatInterval>2</HeartbeatInterval>"); });
    auto pinged = ping.get();
    REQUIRE(pinged.doc);
    CHECK(text_of(*pinged.doc, tag::Ping::Status) == "1");
    CHECK(newer.get().r.body.empty());
}

TEST_CASE("a full process answers its oldest waiting request early; SIGTERM answers a hanging Sync",
          "[e2e][push][hanging][crowded]") {
    easd::test::EasServer::Options o;
    o.config_lines = {"heartbeat_min = 1", "max_parked = 2"};
    easd::test::EasServer own(cluster(), o);
    std::string user = new_user("crowd");
    std::vector<std::unique_ptr<ParkedPhone>> phones;
    for (const char* device : {"C1", "C2", "C3"})
        phones.push_back(std::make_unique<ParkedPhone>(own.http_port(), user, device));
    auto first = std::async(std::launch::async, [&] { return hanging_sync(*phones[0], phones[0]->key, "<HeartbeatInterval>60</HeartbeatInterval>"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    auto second = std::async(std::launch::async, [&] { return hanging_sync(*phones[1], phones[1]->key, "<HeartbeatInterval>60</HeartbeatInterval>"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    auto t0 = Clock::now();
    auto third = std::async(std::launch::async, [&] { return hanging_sync(*phones[2], phones[2]->key, "<HeartbeatInterval>60</HeartbeatInterval>"); });
    auto oldest = first.get();  // made room for the third
    CHECK(std::chrono::duration<double>(Clock::now() - t0).count() < 2.0);
    CHECK(oldest.r.status == 200);
    CHECK(oldest.r.body.empty());
    CHECK(own.easd_log().find("answering the oldest early") != std::string::npos);
    CHECK(second.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);  // still waiting

    t0 = Clock::now();
    CHECK(own.stop_easd(SIGTERM) == 0);
    for (auto* f : {&second, &third}) {
        auto t = f->get();
        CHECK(t.r.status == 200);
        CHECK(t.r.body.empty());
    }
    CHECK(std::chrono::duration<double>(Clock::now() - t0).count() < 5.0);
    own.start_easd();
}
