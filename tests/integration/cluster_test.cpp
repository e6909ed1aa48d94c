// Self-test of the PostgreSQL test harness (tests/support/cluster.*): the cluster starts, psql works,
// the database can be stopped and started again without losing data, and `easctl migrate` can run
// again on a migrated database.
#include <catch2/catch.hpp>

#include "support/cluster.h"
#include "support/process.h"

using easd::test::PgCluster;
using easd::test::run_process;
using easd::test::shared_cluster;

TEST_CASE("cluster: the shared cluster runs and answers psql", "[cluster]") {
    PgCluster& c = shared_cluster();
    REQUIRE(c.running());
    CHECK(c.psql("select 1") == "1");
    CHECK(c.psql("select current_database()") == "easd");
    CHECK(c.psql("select 1 union all select 2 order by 1") == "1\n2");
    CHECK(c.psql("show fsync") == "off");
    CHECK(c.psql("show synchronous_commit") == "off");
    CHECK(c.psql("show listen_addresses").empty());
    CHECK(c.conninfo().find("host=" + c.dir()) != std::string::npos);
    CHECK_THROWS(c.psql("select no_such_column"));
    // The same instance on every call.
    CHECK(&shared_cluster() == &c);
}

TEST_CASE("cluster: easctl migrate is idempotent", "[cluster]") {
    PgCluster& c = shared_cluster();  // the constructor migrated once already
    const std::string count_tables =
        "select count(*) from information_schema.tables where table_schema not in ('pg_catalog', "
        "'information_schema')";
    const std::string before = c.psql(count_tables);
    CHECK(std::stoi(before) > 0);

    for (int i = 0; i < 2; ++i) {
        auto r = run_process({EASCTL_BIN, "--database", c.conninfo(), "migrate"});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
    }
    CHECK(c.psql(count_tables) == before);
}

TEST_CASE("cluster: stop and start keep the data", "[cluster]") {
    // A cluster of its own: this test takes the database down.
    PgCluster::Options options;
    options.migrate = false;
    options.synchronous_commit = true;  // the immediate stop below must not lose the last commit
    PgCluster c(options);
    CHECK(c.psql("show synchronous_commit") == "on");
    c.psql("create table t (x int); insert into t values (42)");

    c.stop();
    CHECK_FALSE(c.running());
    CHECK_THROWS(c.psql("select 1"));
    c.stop();  // idempotent

    c.start();
    CHECK(c.running());
    CHECK(c.psql("select x from t") == "42");

    // An immediate shutdown is a crash for PostgreSQL: recovery brings the committed data back.
    c.psql("insert into t values (43)");
    c.stop(/*immediate=*/true);
    c.start();
    CHECK(c.psql("select string_agg(x::text, ',' order by x) from t") == "42,43");
}

TEST_CASE("cluster: a private cluster is independent of the shared one", "[cluster]") {
    PgCluster::Options options;
    options.create_database = false;
    PgCluster c(options);
    CHECK(c.dir() != shared_cluster().dir());
    CHECK(c.psql("select count(*) from pg_database where datname = 'easd'", "postgres") == "0");
}
