// The database pool's figures for /easd-metrics (store::Database::pool_stats): leases in use,
// the ones that had to wait and for how long, and a lease that gives up waiting.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "store/db.h"
#include "support/cluster.h"

using namespace easd;
using easd::test::shared_cluster;
using namespace std::chrono_literals;

TEST_CASE("pool metrics: in use, waits and the time waited; a bounded lease gives up with Unavailable",
          "[metrics][store]") {
    store::Database db(shared_cluster().conninfo(), 1);
    CHECK(db.pool_stats().size == 1);
    CHECK(db.pool_stats().in_use == 0);
    std::future<int> second;
    {
        store::Database::Lease first(db);  // free: no wait
        CHECK(db.pool_stats().in_use == 1);
        CHECK(db.pool_stats().waits == 0);

        // A lease with a bound gives up while the only connection is taken.
        auto t0 = std::chrono::steady_clock::now();
        CHECK_THROWS_AS(store::Database::Lease(db, 100ms), store::Unavailable);
        CHECK(std::chrono::steady_clock::now() - t0 >= 90ms);
        CHECK(db.pool_stats().waits == 1);
        CHECK(db.pool_stats().in_use == 1);

        // One without a bound waits until the connection comes back.
        second = std::async(std::launch::async, [&db] {
            store::Database::Lease l(db);
            int one = 0;
            *l << "SELECT 1", soci::into(one);
            return one;
        });
        std::this_thread::sleep_for(200ms);
        CHECK(second.wait_for(0ms) == std::future_status::timeout);
    }  // `first` goes back to the pool
    CHECK(second.get() == 1);
    CHECK(db.pool_stats().waits == 2);
    CHECK(db.pool_stats().in_use == 0);
    CHECK(db.pool_stats().waited >= 290ms);  // the 100 ms given up, and the second's 200 ms or more
}
