// The live figures table (schema 023, store/live_stats.h): what each easd process writes every
// second and what easctl stats reads back, on a real PostgreSQL.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "store/db.h"
#include "store/live_stats.h"
#include "support/cluster.h"

using namespace easd;
using easd::test::shared_cluster;

namespace {
store::WorkerFigures figures(const std::string& instance, int parked) {
    store::WorkerFigures f;
    f.instance = instance;
    f.host = "host-" + instance;
    f.pid = 42;
    f.started_epoch = 1700000000;
    f.threads = 16;
    f.working = 2;
    f.parked = parked;
    f.pool_size = 8;
    f.pool_in_use = 1;
    f.counts_json = R"([{"kind":"Sync","status":"200","n":5},{"kind":"Sync","status":"503","n":1}])";
    f.durations_json = R"([{"kind":"Sync","n":6,"seconds":0.25}])";
    f.slowest_json = R"([{"kind":"Sync","status":200,"login":"a@x.test","device":"D1","seconds":1.5,"at":"2026-12-05T10:00:00Z"}])";
    return f;
}
bool has_worker(const store::LiveView& v, const std::string& instance) {
    return std::any_of(v.workers.begin(), v.workers.end(), [&](const auto& w) { return w.instance == instance; });
}
}  // namespace

TEST_CASE("live figures: published rows are read back while fresh, rewritten in place, removed", "[live]") {
    auto sql = store::open_session(shared_cluster().conninfo());
    store::publish_worker(*sql, figures("live-a", 3));
    store::publish_worker(*sql, figures("live-a", 4));  // the next second: the same row
    store::publish_worker(*sql, figures("live-b", 1));
    store::LiveView v = store::read_live(*sql);
    REQUIRE(has_worker(v, "live-a"));
    REQUIRE(has_worker(v, "live-b"));
    auto a = std::find_if(v.workers.begin(), v.workers.end(), [](const auto& w) { return w.instance == "live-a"; });
    CHECK(a->parked == 4);
    CHECK(a->threads == 16);
    CHECK(a->started_epoch == 1700000000);
    long long sync_200 = 0;
    for (const auto& c : v.counts)
        if (c.instance == "live-a" && c.kind == "Sync" && c.status == "200") sync_200 += c.n;
    CHECK(sync_200 == 5);
    auto slow = std::find_if(v.slowest.begin(), v.slowest.end(), [](const auto& r) { return r.instance == "live-a"; });
    REQUIRE(slow != v.slowest.end());
    CHECK(slow->login == "a@x.test");
    CHECK(slow->device == "D1");
    CHECK(slow->seconds == Approx(1.5));

    // A process that stopped writing (killed) is not counted after 10 s, and goes after an hour.
    *sql << "UPDATE live_workers SET updated_at = now() - interval '30 seconds' WHERE instance = 'live-b'";
    CHECK_FALSE(has_worker(store::read_live(*sql), "live-b"));
    CHECK(store::remove_dead_workers(*sql) == 0);
    *sql << "UPDATE live_workers SET updated_at = now() - interval '2 hours' WHERE instance = 'live-b'";
    CHECK(store::remove_dead_workers(*sql) == 1);

    store::remove_worker(*sql, "live-a");
    CHECK_FALSE(has_worker(store::read_live(*sql), "live-a"));
}
