// A misspelt config key (common/config_keys.h) through the real programs: easd warns at start and
// at SIGHUP and keeps serving, easctl says it on stderr once and does its work, easd-deliver logs
// it and delivers. A warning, never a refusal: a config written for a newer easd must still start
// an older one.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "e2e_support.h"

using namespace e2e;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

int count_of(const std::string& text, const std::string& part) {
    int n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
    return n;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

}  // namespace

TEST_CASE("config: easd warns about a misspelt key at start and at SIGHUP, with the key it meant, and serves",
          "[e2e][config][reload]") {
    easd::test::EasServer::Options o;
    o.config_lines = {"heartbeat_maxx = 900"};
    easd::test::EasServer own(cluster(), o);
    const std::string warning = "warning: config " + own.config_path() +
                                ": unknown key 'heartbeat_maxx' (ignored); did you mean 'heartbeat_max'?";
    CHECK(count_of(own.easd_log(), warning) == 1);
    // Ignored, so the default heartbeat bound stays; and easd serves.
    EasClient c(own.http_port(), new_user("cfgkey"), "secret-pw", "CFGKEY1");
    CHECK(c.options().status == 200);
    CHECK(folder_sync_status(c) == "1");

    // A reload says it again, and a new unknown key too, which is not one that "takes effect
    // when easd restarts": it never takes effect.
    const std::string conf = easd::test::read_file(own.config_path());
    easd::test::write_file(own.config_path(), conf + "max_parkd = 10\nfrobnicate = yes\n");
    const auto before = own.easd_log().size();
    REQUIRE(kill(own.easd_pid(), SIGHUP) == 0);
    REQUIRE(wait_until([&] { return contains(own.easd_log().substr(before), "reloaded:"); }, std::chrono::seconds(10)));
    const std::string said = own.easd_log().substr(before);
    CHECK(contains(said, warning));
    CHECK(contains(said, "unknown key 'max_parkd' (ignored); did you mean 'max_parked'?"));
    CHECK(contains(said, "unknown key 'frobnicate' (ignored)\n"));  // nothing close: no guess
    CHECK_FALSE(contains(said, "max_parkd changed"));
    CHECK_FALSE(contains(said, "frobnicate changed"));
    CHECK(own.easd_running());
    CHECK(c.options().status == 200);
}

TEST_CASE("config: easctl and easd-deliver say a misspelt key once and do their work", "[e2e][config][cli]") {
    const std::string dir = easd::test::make_temp_dir("easd-config-keys");
    const std::string path = dir + "/easd.conf";
    easd::test::write_file(path, "database = " + cluster().conninfo() + "\npassword_min_lenght = 12\n");
    const std::string warning =
        "config " + path + ": unknown key 'password_min_lenght' (ignored); did you mean 'password_min_length'?";

    // easctl user add reads the config twice (the database, then password_min_length): one line,
    // as easctl's other messages are. The misspelt minimum is ignored: 8, not 12.
    new_user("cfgkeydomain");  // e2e.test exists
    const std::string user = "cfgkeycli" + std::to_string(getpid()) + "@e2e.test";
    auto added = easd::test::run_process({EASCTL_BIN, "--config", path, "user", "add", user, "--password-stdin"},
                                         "nine-char\n");
    INFO(added.err);
    CHECK(added.exit_code == 0);
    CHECK(added.err == "easctl: " + warning + "\n");

    // easd-deliver logs it among its other lines on stderr (Postfix's log), and delivers.
    auto delivered = easd::test::run_process({EASD_DELIVER_BIN, "--config", path, "--recipient", user},
                                             simple_message("typo in the config"));
    INFO(delivered.err);
    CHECK(delivered.exit_code == 0);
    CHECK(count_of(delivered.err, "easd-deliver[") == 1);
    CHECK(count_of(delivered.err, "warning: " + warning + "\n") == 1);
    CHECK(contains(inbox_subjects(user), "typo in the config"));
    easd::test::remove_tree(dir);
}
