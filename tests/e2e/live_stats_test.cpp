// easctl stats and easctl top: what easd publishes every second (schema 023) read back by easctl,
// against the shared easd behind nginx: rates and totals that move with what a phone did, a
// parked Ping counted as parked, and a request held up in the database named with its user and
// device among the slowest.
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "e2e_support.h"
#include "store/db.h"

using namespace e2e;

namespace {

// The number after `"key":` in the part of `json` that starts at `from`; -1 when absent or null.
double json_number_after(const std::string& json, const std::string& from, const std::string& key) {
    auto at = json.find(from);
    if (at == std::string::npos) return -1;
    auto k = json.find("\"" + key + "\":", at);
    if (k == std::string::npos) return -1;
    const std::string rest = json.substr(k + key.size() + 3);
    if (rest.rfind("null", 0) == 0) return -1;
    return std::stod(rest);
}

easd::test::ProcessResult easctl(const std::vector<std::string>& args) {
    return easd::test::run_easctl(cluster(), args);
}

}  // namespace

TEST_CASE("easctl stats: requests per second by command, parked Pings, the slowest requests with user and device",
          "[e2e][live]") {
    const std::string user = new_user("live");
    auto phone = client(user, "LIVESTATS1");
    Hierarchy h = folder_sync(phone);

    // A request held up in the database for about 1.5 s: the device's row locked under it.
    auto locker = easd::store::open_session(cluster().conninfo());
    *locker << "BEGIN";
    *locker << ("SELECT 1 FROM devices d JOIN users u ON u.id = d.user_id WHERE d.device_id = 'LIVESTATS1' FOR UPDATE");
    auto slow = std::async(std::launch::async, [&] { return folder_sync(phone); });
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    *locker << "ROLLBACK";
    slow.get();

    // A parked Ping, and 20 FolderSyncs while stats takes its two readings 2 s apart.
    auto pinger = client(user, "LIVESTATS2");
    Hierarchy ph = folder_sync(pinger);
    EasResponse keep;
    sync(pinger, ph.ids["Inbox"], sync(pinger, ph.ids["Inbox"], "0", keep).key, keep);  // nothing new to tell it
    auto ping_body = xml("<Ping xmlns='Ping'><HeartbeatInterval>60</HeartbeatInterval><Folders><Folder><Id>" +
                         h.ids["Inbox"] + "</Id><Class>Email</Class></Folder></Folders></Ping>");
    auto ping = std::async(std::launch::async, [&] { return pinger.command("Ping", &ping_body).status; });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto burst = std::async(std::launch::async, [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        for (int i = 0; i < 20; ++i) folder_sync(phone);
    });
    auto r = easctl({"stats", "--json", "--interval", "2"});
    burst.get();
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(json_number_after(r.out, "", "processes") >= 1);
    CHECK(json_number_after(r.out, "", "parked") >= 1);
    // The 20 FolderSyncs fell within the readings (a process publishes every second, so a
    // reading may be up to a second old: at least half of them counted).
    CHECK(json_number_after(r.out, "\"command\":\"FolderSync\"", "per_second") >= 20.0 / 2 / 3);
    CHECK(json_number_after(r.out, "\"command\":\"FolderSync\"", "total") >= 22);
    CHECK(json_number_after(r.out, "\"command\":\"FolderSync\"", "avg_ms") > 0);
    // The held-up FolderSync, with who asked.
    const std::string who = "\"command\":\"FolderSync\",\"status\":200,\"user\":\"" + user + "\",\"device\":\"LIVESTATS1\"";
    CHECK(r.out.find(who) != std::string::npos);
    auto seconds_at = r.out.rfind("{\"seconds\":", r.out.find(who));
    REQUIRE(seconds_at != std::string::npos);
    CHECK(json_number_after(r.out.substr(seconds_at), "", "seconds") >= 1.2);

    // Without --json: the table, and the same user named.
    auto text = easctl({"stats", "--interval", "0"});
    INFO(text.out);
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("Slowest requests of the last minute") != std::string::npos);
    CHECK(text.out.find(user) != std::string::npos);
    CHECK(text.out.find("LIVESTATS1") != std::string::npos);

    // Wake the Ping (a delivery), so it does not outlive the test.
    deliver(user, simple_message("live stats wake-up"));
    CHECK(ping.get() == 200);
}

TEST_CASE("easctl top: frames one after another when not on a terminal; bad options are usage errors",
          "[e2e][live]") {
    auto r = easctl({"top", "--interval", "0.5", "--iterations", "2"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    auto first = r.out.find("COMMAND");
    REQUIRE(first != std::string::npos);
    CHECK(r.out.find("COMMAND", first + 1) != std::string::npos);  // two frames
    CHECK(r.out.find("\033[") == std::string::npos);                // no terminal codes into a pipe
    CHECK(r.out.find("Processes") != std::string::npos);

    CHECK(easctl({"top", "--interval", "0"}).exit_code == 64);
    CHECK(easctl({"stats", "--interval", "soon"}).exit_code == 64);
    CHECK(easctl({"stats", "extra"}).exit_code == 64);
}
