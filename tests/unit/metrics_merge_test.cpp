// Several easd processes' metrics in one answer (metrics/merge.h): every sample labelled with its
// process's pid, each family's HELP and TYPE once with the samples of every process under them;
// and the snapshot directory the processes share (commands/metrics_snapshots.h).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <utime.h>

#include "commands/metrics_snapshots.h"
#include "metrics/exposition.h"
#include "metrics/merge.h"

using namespace easd;

namespace {

// One process's exposition as ServerMetrics writes it: every sample labelled with its pid.
std::string process_text(double requests, std::string_view pid = "42") {
    metrics::TextWriter w({{"pid", pid}});
    w.family("easd_build_info", "gauge", "The version.");
    w.sample("easd_build_info", {{"version", "1.0"}}, 1);
    w.family("easd_requests_total", "counter", "Requests.");
    w.sample("easd_requests_total", {{"command", "Sync"}, {"status", "200"}}, requests);
    w.family("easd_request_duration_seconds", "histogram", "Durations.");
    metrics::HistogramSnapshot h{{0.1, 1}, {1, 2, 3}, 2.5};
    w.histogram("easd_request_duration_seconds", {{"command", "Sync"}}, h);
    w.family("easd_db_pool_connections", "gauge", "Pool.");
    w.sample("easd_db_pool_connections", {}, 4);
    return w.take();
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("metrics merge: a pid label goes last, on samples with labels and without", "[metrics][merge]") {
    auto one = [](std::string_view name, const metrics::Labels& labels, std::string_view pid_name, std::string_view pid) {
        metrics::TextWriter w({{pid_name, pid}});
        w.sample(name, labels, 1);
        return w.take();
    };
    CHECK(one("x", {}, "pid", "7") == "x{pid=\"7\"} 1\n");
    CHECK(one("x", {{"a", "b"}}, "pid", "7") == "x{a=\"b\",pid=\"7\"} 1\n");
    // A value that holds a brace, a quote and a backslash stays inside its quotes.
    CHECK(one("x", {{"a", "} \" \\"}}, "pid", "7") == "x{a=\"} \\\" \\\\\",pid=\"7\"} 1\n");
    // The every-sample label's value is escaped too.
    CHECK(one("x", {}, "who", "a\"b") == "x{who=\"a\\\"b\"} 1\n");
    // Histogram lines: after le, in every line of the family.
    const std::string h = process_text(5, "42");
    CHECK(h.find("easd_request_duration_seconds_bucket{command=\"Sync\",le=\"+Inf\",pid=\"42\"} 3\n") != std::string::npos);
    CHECK(h.find("easd_request_duration_seconds_sum{command=\"Sync\",pid=\"42\"} 2.5\n") != std::string::npos);
    CHECK(h.find("easd_db_pool_connections{pid=\"42\"} 4\n") != std::string::npos);
    CHECK(h.find("easd_build_info{version=\"1.0\",pid=\"42\"} 1\n") != std::string::npos);
}

TEST_CASE("metrics merge: each family's HELP and TYPE once, then the samples of every process", "[metrics][merge]") {
    const std::string a = process_text(5, "100");
    const std::string b = process_text(7, "200");
    const std::string merged = metrics::merge_expositions({a, b});
    const std::string expected =
        "# HELP easd_build_info The version.\n"
        "# TYPE easd_build_info gauge\n"
        "easd_build_info{version=\"1.0\",pid=\"100\"} 1\n"
        "easd_build_info{version=\"1.0\",pid=\"200\"} 1\n"
        "# HELP easd_requests_total Requests.\n"
        "# TYPE easd_requests_total counter\n"
        "easd_requests_total{command=\"Sync\",status=\"200\",pid=\"100\"} 5\n"
        "easd_requests_total{command=\"Sync\",status=\"200\",pid=\"200\"} 7\n"
        "# HELP easd_request_duration_seconds Durations.\n"
        "# TYPE easd_request_duration_seconds histogram\n"
        "easd_request_duration_seconds_bucket{command=\"Sync\",le=\"0.1\",pid=\"100\"} 1\n"
        "easd_request_duration_seconds_bucket{command=\"Sync\",le=\"1\",pid=\"100\"} 2\n"
        "easd_request_duration_seconds_bucket{command=\"Sync\",le=\"+Inf\",pid=\"100\"} 3\n"
        "easd_request_duration_seconds_sum{command=\"Sync\",pid=\"100\"} 2.5\n"
        "easd_request_duration_seconds_count{command=\"Sync\",pid=\"100\"} 3\n"
        "easd_request_duration_seconds_bucket{command=\"Sync\",le=\"0.1\",pid=\"200\"} 1\n"
        "easd_request_duration_seconds_bucket{command=\"Sync\",le=\"1\",pid=\"200\"} 2\n"
        "easd_request_duration_seconds_bucket{command=\"Sync\",le=\"+Inf\",pid=\"200\"} 3\n"
        "easd_request_duration_seconds_sum{command=\"Sync\",pid=\"200\"} 2.5\n"
        "easd_request_duration_seconds_count{command=\"Sync\",pid=\"200\"} 3\n"
        "# HELP easd_db_pool_connections Pool.\n"
        "# TYPE easd_db_pool_connections gauge\n"
        "easd_db_pool_connections{pid=\"100\"} 4\n"
        "easd_db_pool_connections{pid=\"200\"} 4\n";
    CHECK(merged == expected);
    CHECK(metrics::merge_expositions({a}) == a);  // one process: as it was

    // A family only one process has (a newer easd during an upgrade) still comes once, in place;
    // a family without samples keeps its header; a sample without a header gets a family of its own.
    const std::string c =
        "# HELP easd_new New.\n# TYPE easd_new gauge\neasd_new{pid=\"300\"} 1\n"
        "# HELP easd_requests_total Other words.\n# TYPE easd_requests_total counter\n"
        "easd_requests_total{command=\"Ping\",status=\"200\",pid=\"300\"} 2\n"
        "# HELP easd_empty Nothing yet.\n# TYPE easd_empty counter\n"
        "stray{pid=\"300\"} 9\n";
    const std::string m = metrics::merge_expositions({a, c});
    CHECK(m.find("# HELP easd_requests_total Requests.\n") != std::string::npos);
    CHECK(m.find("Other words") == std::string::npos);
    CHECK(m.find("easd_requests_total{command=\"Sync\",status=\"200\",pid=\"100\"} 5\n"
                 "easd_requests_total{command=\"Ping\",status=\"200\",pid=\"300\"} 2\n") != std::string::npos);
    CHECK(m.find("# TYPE easd_new gauge\neasd_new{pid=\"300\"} 1\n") != std::string::npos);
    CHECK(m.find("# TYPE easd_empty counter\nstray{pid=\"300\"} 9\n") != std::string::npos);
}

TEST_CASE("metrics snapshots: a process reads the fresh files of live processes and removes the others",
          "[metrics][merge]") {
    char tmpl[] = "/tmp/easd-snapshots-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    const std::string dir = std::string(tmpl) + "/metrics";
    {
        commands::MetricsSnapshots own(dir);
        struct stat st {};
        REQUIRE(stat(dir.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0750);
        REQUIRE(own.write("own 1\n"));
        const std::string own_file = dir + "/" + std::to_string(getpid()) + ".prom";
        CHECK(read_file(own_file) == "own 1\n");
        CHECK(own.others().empty());  // never its own

        // pid 1 is alive (EPERM or not); a child that exited is dead.
        const pid_t dead = fork();
        if (dead == 0) _exit(0);
        waitpid(dead, nullptr, 0);
        std::ofstream(dir + "/1.prom") << "live 1\n";
        std::ofstream(dir + "/" + std::to_string(dead) + ".prom") << "dead 1\n";
        std::ofstream(dir + "/." + std::to_string(dead) + ".prom.tmp") << "half";
        std::ofstream(dir + "/notes.txt") << "not ours";
        utimbuf old{std::time(nullptr) - 60, std::time(nullptr) - 60};
        utime((dir + "/." + std::to_string(dead) + ".prom.tmp").c_str(), &old);

        auto others = own.others();
        REQUIRE(others.size() == 1);
        CHECK(others[0] == "live 1\n");
        CHECK_FALSE(exists(dir + "/" + std::to_string(dead) + ".prom"));
        CHECK_FALSE(exists(dir + "/." + std::to_string(dead) + ".prom.tmp"));
        CHECK(exists(dir + "/notes.txt"));

        // A live pid's file that nobody rewrote for longer than kFreshFor: stale, removed.
        utime((dir + "/1.prom").c_str(), &old);
        CHECK(own.others().empty());
        CHECK_FALSE(exists(dir + "/1.prom"));

        // A clean stop removes its own file.
        own.stop();
        CHECK_FALSE(exists(own_file));
    }
    std::remove((dir + "/notes.txt").c_str());
    rmdir(dir.c_str());
    rmdir(tmpl);
}
