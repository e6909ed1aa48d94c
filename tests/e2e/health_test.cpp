// /easd-health for load balancers, and easd refusing a database schema older than itself.
#include <unistd.h>

#include "e2e_support.h"

using namespace e2e;

namespace {

// A database of its own, migrated by easctl as an administrator would: the tests below lower its
// schema version, which the shared database must never see.
std::string migrated_database(const std::string& name) {
    cluster().psql("DROP DATABASE IF EXISTS " + name, "postgres");
    cluster().psql("CREATE DATABASE " + name, "postgres");
    auto r = easd::test::run_process({EASCTL_BIN, "--database", cluster().conninfo(name), "migrate"});
    REQUIRE(r.exit_code == 0);
    return cluster().conninfo(name);
}

std::string newest_migration(const std::string& name) {
    return cluster().psql("SELECT max(version) FROM schema_migrations", name);
}

}  // namespace

TEST_CASE("/easd-health: 200 without sign-in while the database serves; GET only", "[e2e][health]") {
    EasClient c(server().http_port(), "nobody@e2e.test", "", "HEALTH1");
    auto r = c.raw("GET", "/easd-health");
    CHECK(r.status == 200);
    CHECK(r.body == "ok\n");
    CHECK(r.header("cache-control") == "no-store");
    CHECK(c.raw("GET", "/easd-health?probe=1").status == 200);  // what some balancers append
    CHECK(c.raw("POST", "/easd-health", "x").status == 403);   // nginx: GET (and HEAD) only
    CHECK(c.raw("GET", "/easd-health/more").status == 404);     // exact path, nothing under it
}

TEST_CASE("/easd-health: 503 with the reason when the schema falls behind this easd", "[e2e][health]") {
    const std::string db = "easd_health_behind";
    easd::test::EasServer::Options options;
    options.args = {"--database", migrated_database(db)};
    easd::test::EasServer own(cluster(), options);
    EasClient c(own.http_port(), "nobody@e2e.test", "", "HEALTH2");
    REQUIRE(c.raw("GET", "/easd-health").status == 200);

    // As if this easd were newer than the database: its newest migration was never applied.
    std::string newest = newest_migration(db);
    cluster().psql("DELETE FROM schema_migrations WHERE version = " + newest, db);
    // The one before it (not newest - 1: branches number their migrations apart, leaving gaps).
    const std::string before = cluster().psql("SELECT max(version) FROM schema_migrations", db);
    auto r = c.raw("GET", "/easd-health");
    CHECK(r.status == 503);
    CHECK(r.body.find("schema is at version " + before) != std::string::npos);
    CHECK(r.body.find("easctl migrate") != std::string::npos);
    CHECK(r.header("retry-after") == "10");

    // Migrated again (the migration is idempotent by version only, so put the row back as
    // `easctl migrate` would have left it): healthy again, without a restart.
    cluster().psql("INSERT INTO schema_migrations (version) VALUES (" + newest + ")", db);
    CHECK(c.raw("GET", "/easd-health").status == 200);
}

TEST_CASE("easd refuses to start on a schema older than its own, with exit 78 and what to run", "[e2e][health]") {
    const std::string db = "easd_start_behind";
    std::string conninfo = migrated_database(db);
    cluster().psql("DELETE FROM schema_migrations WHERE version = " + newest_migration(db), db);
    std::string dir = easd::test::make_temp_dir("easd-schema");
    auto r = easd::test::run_process({EASD_BIN, "--database", conninfo, "--socket", dir + "/easd.sock"});
    CHECK(r.exit_code == 78);  // EX_CONFIG: scripts/supervise and systemd do not restart it
    CHECK(r.err.find("this easd needs") != std::string::npos);
    CHECK(r.err.find("easctl migrate") != std::string::npos);

    // A database never migrated: said so.
    cluster().psql("DROP DATABASE IF EXISTS easd_never_migrated", "postgres");
    cluster().psql("CREATE DATABASE easd_never_migrated", "postgres");
    r = easd::test::run_process({EASD_BIN, "--database", cluster().conninfo("easd_never_migrated"), "--socket",
                                 dir + "/easd.sock"});
    INFO(r.err);
    CHECK(r.exit_code == 78);
    CHECK(r.err.find("no easd schema") != std::string::npos);
    easd::test::remove_tree(dir);
}
