// GET /easd-metrics through nginx: counts that move by exactly what phones did, the push hub's
// and the database's figures, Prometheus' own checker (promtool) on the answer, and who may read it.
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

using Samples = std::map<std::string, double>;  // `name{labels}` -> value

// `name{a="b",pid="7"}` -> `name{a="b"}`, `name{pid="7"}` -> `name` (pid is always the last label).
std::string without_pid(const std::string& series) {
    auto at = series.rfind("pid=\"");
    if (at == std::string::npos || series.back() != '}') return series;
    if (series[at - 1] == '{') return series.substr(0, at - 1);
    return series.substr(0, at - 1) + "}";
}

struct Scrape {
    std::string text;
    Samples samples;
    double operator[](const std::string& series) const {
        auto it = samples.find(series);
        return it == samples.end() ? 0 : it->second;
    }
};

Scrape scrape(int port = server().http_port()) {
    EasClient c(port, "nobody@e2e.test", "", "METRICS");
    auto r = c.raw("GET", "/easd-metrics");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    Scrape s;
    s.text = r.body;
    std::istringstream lines(r.body);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto space = line.rfind(' ');
        REQUIRE(space != std::string::npos);
        // Summed over the pid label (every sample of a process has one; its own, the shared
        // server's single worker, here), as Prometheus' sum without (pid) would.
        s.samples[without_pid(line.substr(0, space))] += std::stod(line.substr(space + 1));
    }
    return s;
}

std::string requests(const std::string& command, int status) {
    return "easd_requests_total{command=\"" + command + "\",status=\"" + std::to_string(status) + "\"}";
}
std::string duration_count(const std::string& command) {
    return "easd_request_duration_seconds_count{command=\"" + command + "\"}";
}
double requests_in_all(const Scrape& s) {
    double n = 0;
    for (const auto& [series, v] : s.samples)
        if (series.rfind("easd_requests_total{", 0) == 0) n += v;
    return n;
}

std::string ping_xml(int heartbeat, const std::string& folder) {
    return "<Ping xmlns='Ping'><HeartbeatInterval>" + std::to_string(heartbeat) + "</HeartbeatInterval><Folders><Folder><Id>" +
           folder + "</Id><Class>Email</Class></Folder></Folders></Ping>";
}
std::string ping_status(EasClient& c, const std::string& body_xml) {
    auto body = xml(body_xml);
    auto r = c.command("Ping", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    return text_of(*r.doc, tag::Ping::Status);
}

bool have_promtool() { return easd::test::run_process({"sh", "-c", "command -v promtool"}).exit_code == 0; }

}  // namespace

TEST_CASE("/easd-metrics: requests, parked requests and notifications move by exactly what phones did",
          "[e2e][metrics]") {
    const Scrape before = scrape();
    std::string user = new_user("metrics");
    auto c = client(user, "METRICS1");

    // One FolderSync, two Syncs, a Sync without credentials.
    Hierarchy h = folder_sync(c);
    EasResponse keep;
    std::string key = sync(c, h.ids["Inbox"], "0", keep).key;
    sync(c, h.ids["Inbox"], key, keep);
    EasClient stranger(server().http_port(), user, "", "METRICS1");
    CHECK(stranger.raw("POST", "/Microsoft-Server-ActiveSync?Cmd=Sync&User=x&DeviceId=METRICS1&DeviceType=T").status == 401);

    // A Ping that expires, and one a delivery wakes; while it waits, the hub counts it parked.
    CHECK(ping_status(c, ping_xml(1, h.ids["Inbox"])) == "1");
    auto woken = std::async(std::launch::async, [&] { return ping_status(c, ping_xml(60, h.ids["Inbox"])); });
    Scrape during = scrape();
    for (int i = 0; i < 50 && during["easd_parked_requests"] < 1; ++i) {  // parked within moments
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        during = scrape();
    }
    CHECK(during["easd_parked_requests"] == 1);
    const double scrapes_during = during[requests("easd-metrics", 200)] - before[requests("easd-metrics", 200)];
    deliver(user, simple_message("metrics wake-up"));
    CHECK(woken.get() == "2");

    // Counted once the answer went out: give the last one a moment.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const Scrape after = scrape();
    INFO(after.text);
    auto moved = [&](const std::string& series) { return after[series] - before[series]; };
    CHECK(moved(requests("FolderSync", 200)) == 1);
    CHECK(moved(requests("Sync", 200)) == 2);
    CHECK(moved(requests("Sync", 401)) == 1);
    CHECK(moved(requests("Ping", 200)) == 2);  // each counted once, when it parked
    CHECK(moved(requests("easd-metrics", 200)) == scrapes_during + 1);
    CHECK(moved(duration_count("FolderSync")) == 1);
    CHECK(moved(duration_count("Sync")) == 3);
    CHECK(moved(duration_count("Ping")) == 2);
    // Nothing else was asked of easd (every scrape but this last one is counted by now).
    CHECK(requests_in_all(after) - requests_in_all(before) == 1 + 2 + 1 + 2 + scrapes_during + 1);
    // The parked time is apart: the expired Ping waited its heartbeat, the woken one was woken.
    CHECK(moved("easd_parked_duration_seconds_count{reason=\"expired\"}") == 1);
    CHECK(moved("easd_parked_duration_seconds_bucket{reason=\"expired\",le=\"5\"}") == 1);
    CHECK(moved("easd_parked_duration_seconds_count{reason=\"changes\"}") == 1);
    CHECK(after["easd_parked_requests"] == 0);
    CHECK(moved("easd_notifications_received_total{channel=\"easd_change\"}") >= 1);
    // Parking is fast: neither Ping's work took a second (their waits are not in it).
    CHECK(moved("easd_request_duration_seconds_bucket{command=\"Ping\",le=\"1\"}") == 2);

    CHECK(after["easd_db_pool_connections"] >= 1);
    CHECK(after["easd_db_pool_connections_in_use"] >= 0);
    CHECK(after.samples.count("easd_db_pool_waits_total") == 1);
    CHECK(after.samples.count("easd_db_pool_wait_seconds_total") == 1);
    CHECK(after.text.find("easd_build_info{version=\"") != std::string::npos);
    CHECK(after["easd_process_start_time_seconds"] > 1.7e9);
    CHECK(after["easd_process_start_time_seconds"] <= static_cast<double>(std::time(nullptr)));

    if (have_promtool()) {
        auto check = easd::test::run_process({"promtool", "check", "metrics"}, after.text);
        INFO(check.out << check.err);
        CHECK(check.exit_code == 0);
    } else {
        WARN("promtool not installed (Debian's prometheus package; scripts/packages.txt): format not checked by it");
    }
}

TEST_CASE("/easd-metrics: the database's figures, read at most every 5 s", "[e2e][metrics]") {
    std::string user = new_user("metricsdb");
    auto c = client(user, "METRICSDB");
    folder_sync(c);
    deliver(user, simple_message("counted"));
    auto wipe = easd::test::run_easctl(cluster(), {"device", "wipe", user, "METRICSDB"});
    INFO(wipe.err);
    REQUIRE(wipe.exit_code == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(5500));  // past the cache of an earlier scrape
    Scrape s = scrape();
    CHECK(s["easd_store_figures_up"] == 1);
    CHECK(s["easd_devices{protocol_version=\"14.1\"}"] ==
          std::stod(sql_one("SELECT count(*) FROM devices WHERE protocol_version = '14.1'")));
    CHECK(s["easd_wipes_pending"] == std::stod(sql_one("SELECT count(*) FROM devices WHERE wipe_status = 'waiting'")));
    CHECK(s["easd_wipes_pending"] >= 1);
    CHECK(s["easd_deliveries_last_hour"] ==
          std::stod(sql_one("SELECT count(*) FROM deliveries WHERE delivered_at > now() - interval '1 hour'")));
    CHECK(s["easd_deliveries_last_hour"] >= 1);
}

TEST_CASE("/easd-metrics: GET only, this machine only (nginx and metrics_allow)", "[e2e][metrics]") {
    EasClient c(server().http_port(), "nobody@e2e.test", "", "METRICS2");
    auto post = c.raw("POST", "/easd-metrics", "x");
    CHECK(post.status == 405);
    CHECK(post.header("allow") == "GET, HEAD");
    CHECK(c.raw("GET", "/easd-metrics?probe=1").status == 200);
    CHECK(c.raw("GET", "/easd-metrics/more").status == 404);  // exact path

    // Another address than nginx's allow list: refused by nginx before easd hears of it.
    EasClient elsewhere(server().http_port(), "nobody@e2e.test", "", "METRICS3");
    elsewhere.set_source("127.0.0.2");
    CHECK(elsewhere.raw("GET", "/easd-metrics").status == 403);
    CHECK(elsewhere.raw("GET", "/easd-health").status == 200);  // the same client, elsewhere served

    // An easd whose metrics_allow leaves this machine out refuses it too, whatever nginx lets by.
    easd::test::EasServer::Options options;
    options.config_lines = {"metrics_allow = 192.0.2.0/24, 2001:db8::/32"};
    easd::test::EasServer own(cluster(), options);
    EasClient local(own.http_port(), "nobody@e2e.test", "", "METRICS4");
    auto refused = local.raw("GET", "/easd-metrics");
    CHECK(refused.status == 403);
    CHECK(refused.body.find("metrics_allow") != std::string::npos);
    CHECK(refused.body.find("easd_") == std::string::npos);
    CHECK(local.raw("POST", "/easd-metrics", "x").status == 403);  // a stranger is not told the methods
}

TEST_CASE("easd refuses a metrics_allow that is no list of addresses, with exit 78 and the entry", "[e2e][metrics]") {
    std::string dir = easd::test::make_temp_dir("easd-metrics-conf");
    easd::test::write_file(dir + "/easd.conf", "metrics_allow = 127.0.0.1, prometheus.example\n");
    auto r = easd::test::run_process({EASD_BIN, "--config", dir + "/easd.conf", "--database", cluster().conninfo(),
                                      "--socket", dir + "/easd.sock"});
    CHECK(r.exit_code == 78);
    CHECK(r.err.find("invalid metrics_allow: 'prometheus.example' is no IPv4 or IPv6 address") != std::string::npos);
    easd::test::remove_tree(dir);
}
