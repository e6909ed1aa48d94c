// scripts/supervise, which keeps easd running under scripts/run: a killed command is started again
// within a second, a stop passes on and ends both, a command that cannot start is given up on.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/cluster.h"
#include "support/process.h"

using namespace easd::test;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSupervise = std::string(EASD_SOURCE_DIR) + "/scripts/supervise";

pid_t pid_in(const std::string& file) {
    std::string text = read_file(file);
    return text.empty() ? 0 : static_cast<pid_t>(std::stol(text));
}

// Waits up to `limit` for the pid file to name a live process other than `not`.
pid_t wait_for_pid(const std::string& file, pid_t not_this, std::chrono::milliseconds limit) {
    auto end = Clock::now() + limit;
    while (Clock::now() < end) {
        pid_t p = pid_in(file);
        if (p > 0 && p != not_this && kill(p, 0) == 0) return p;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
}

}  // namespace

TEST_CASE("supervise: a killed command is back within a second; a stop ends both", "[supervise]") {
    std::string dir = make_temp_dir("easd-supervise");
    std::string pidfile = dir + "/child.pid";
    SpawnOptions options;
    options.log_path = dir + "/log";
    pid_t supervisor = spawn_child({kSupervise, pidfile, "--", "sleep", "300"}, options);
    pid_t first = wait_for_pid(pidfile, 0, std::chrono::seconds(5));
    REQUIRE(first > 0);

    auto killed_at = Clock::now();
    REQUIRE(kill(first, SIGKILL) == 0);
    pid_t second = wait_for_pid(pidfile, first, std::chrono::seconds(5));
    auto back_after = Clock::now() - killed_at;
    REQUIRE(second > 0);
    CHECK(back_after < std::chrono::seconds(1));
    CHECK(read_file(dir + "/log").find("was killed by signal 9; starting it again") != std::string::npos);

    CHECK(stop_child(supervisor, SIGTERM, std::chrono::seconds(5)) == 0);
    CHECK(kill(second, 0) != 0);  // the command went with it
    CHECK(read_file(pidfile).empty());
    remove_tree(dir);
}

TEST_CASE("supervise: a command that keeps failing at start is given up on", "[supervise]") {
    std::string dir = make_temp_dir("easd-supervise");
    std::string pidfile = dir + "/child.pid";
    SpawnOptions options;
    options.log_path = dir + "/log";
    pid_t supervisor = spawn_child({kSupervise, pidfile, "--", "sh", "-c", "exit 1"}, options);
    CHECK(wait_child(supervisor, std::chrono::seconds(20)) == 1);
    CHECK(read_file(dir + "/log").find("failed 5 times in a row") != std::string::npos);
    remove_tree(dir);
}

TEST_CASE("supervise: a command that refuses its configuration (exit 78) is not started again", "[supervise]") {
    // What easd does on a database schema older than itself: a restart cannot fix it.
    std::string dir = make_temp_dir("easd-supervise");
    std::string pidfile = dir + "/child.pid";
    SpawnOptions options;
    options.log_path = dir + "/log";
    pid_t supervisor = spawn_child({kSupervise, pidfile, "--", "sh", "-c", "echo started >>" + dir + "/starts; exit 78"},
                                   options);
    CHECK(wait_child(supervisor, std::chrono::seconds(5)) == 78);
    CHECK(read_file(dir + "/starts") == "started\n");  // once
    CHECK(read_file(dir + "/log").find("refused its configuration (status 78); not starting it again") != std::string::npos);
    remove_tree(dir);
}
