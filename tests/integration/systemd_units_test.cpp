// The shipped systemd units (systemd/*.in, rendered by cmake/Packaging.cmake into the build tree's
// systemd/), checked by systemd's own parser: `systemd-analyze verify` works offline, without a
// running systemd. It prints a line for every directive it does not understand or cannot use (and
// still exits 0), so its output must be empty too. ExecStart= is pointed at this build's easd (or easctl),
// since verify checks that the program exists.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "support/cluster.h"
#include "support/process.h"

using namespace easd::test;

namespace {

std::string rendered_unit(const std::string& name) { return read_file(std::string(EASD_BINARY_DIR) + "/systemd/" + name); }

// The unit with ExecStart='s program (/usr/sbin/easd, /usr/bin/easctl) replaced by this build's.
std::string with_build_program(std::string unit) {
    const std::string key = "\nExecStart=";
    auto at = unit.find(key);
    REQUIRE(at != std::string::npos);
    at += key.size();
    auto end = unit.find(' ', at);
    const std::string program = unit.substr(at, end - at);
    INFO(program);
    const bool easd = program.size() >= 5 && program.compare(program.size() - 5, 5, "/easd") == 0;
    const bool easctl = program.size() >= 7 && program.compare(program.size() - 7, 7, "/easctl") == 0;
    REQUIRE((easd || easctl));
    unit.replace(at, end - at, easd ? EASD_BIN : EASCTL_BIN);
    return unit;
}

std::string source_unit(const std::string& name) { return read_file(std::string(EASD_SOURCE_DIR) + "/systemd/" + name); }

bool has_line(const std::string& unit, const std::string& line) {
    return unit.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("systemd units: easd.service and easd@.service are notify services, confined, restarted unless 78",
          "[systemd][units]") {
    for (const std::string name : {"easd.service", "easd@.service"}) {
        INFO(name);
        const std::string unit = rendered_unit(name);
        REQUIRE_FALSE(unit.empty());
        CHECK(unit.find('@' + std::string("SBINDIR@")) == std::string::npos);  // nothing left unrendered
        for (const char* line :
             {"Type=notify", "NotifyAccess=main", "User=easd", "Group=easd", "ExecReload=/bin/kill -HUP $MAINPID",
              "Restart=always", "RestartSec=1", "RestartPreventExitStatus=78", "WatchdogSec=60", "LimitNOFILE=65536",
              "RuntimeDirectory=easd", "RuntimeDirectoryMode=0755", "RuntimeDirectoryPreserve=yes", "LogsDirectory=easd",
              "StateDirectory=easd", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"})
            CHECK(has_line(unit, line));
    }
    CHECK(rendered_unit("easd.service").find(" --config /etc/easd/easd.conf\n") != std::string::npos);
    CHECK(rendered_unit("easd@.service").find(" --config /etc/easd/%i.conf\n") != std::string::npos);
    CHECK(has_line(rendered_unit("easd.socket"), "ListenStream=/run/easd/easd.sock"));
    CHECK(has_line(rendered_unit("easd@.socket"), "ListenStream=/run/easd/%i.sock"));
    for (const std::string name : {"easd.socket", "easd@.socket"})
        for (const char* line : {"SocketUser=easd", "SocketGroup=www-data", "SocketMode=0660"})
            CHECK(has_line(rendered_unit(name), line));
}

TEST_CASE("systemd units: every shipped unit passes systemd-analyze verify", "[systemd][units]") {
    char dir[] = "/tmp/easd-units-XXXXXX";
    REQUIRE(mkdtemp(dir));
    // Template units are verified as an instance (pool1): verify refuses a bare template.
    const std::vector<std::pair<std::string, std::string>> units = {
        {"easd.service", "easd.service"},
        {"easd.socket", "easd.socket"},
        {"easd@.service", "easd@pool1.service"},
        {"easd@.socket", "easd@pool1.socket"},
    };
    std::vector<std::string> argv = {"systemd-analyze", "verify", "--man=no"};
    for (const auto& [shipped, as] : units) {
        std::string unit = rendered_unit(shipped);
        REQUIRE_FALSE(unit.empty());
        if (shipped.find(".service") != std::string::npos) unit = with_build_program(unit);
        write_file(std::string(dir) + "/" + as, unit);
        argv.push_back(std::string(dir) + "/" + as);
    }
    // The housekeeping units are shipped as they are (not rendered).
    for (const std::string name : {"easd-maintenance.service", "easd-maintenance.timer"}) {
        std::string unit = source_unit(name);
        REQUIRE_FALSE(unit.empty());
        if (name.find(".service") != std::string::npos) unit = with_build_program(unit);
        write_file(std::string(dir) + "/" + name, unit);
        argv.push_back(std::string(dir) + "/" + name);
    }
    ProcessResult r = run_process(argv);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    CHECK(r.err.empty());

    // The check can fail: verify names a directive it cannot parse (and still exits 0).
    const std::string broken = std::string(dir) + "/easd-broken.service";
    std::string broken_unit = with_build_program(rendered_unit("easd.service"));
    const std::string strict = "\nProtectSystem=strict\n";
    REQUIRE(broken_unit.find(strict) != std::string::npos);
    broken_unit.replace(broken_unit.find(strict), strict.size(), "\nProtectSystem=stricter\n");
    write_file(broken, broken_unit);
    ProcessResult bad = run_process({"systemd-analyze", "verify", "--man=no", broken});
    INFO("exit " << bad.exit_code << " out: " << bad.out << " err: " << bad.err);
    CHECK(bad.err.find("protect system value") != std::string::npos);
    std::remove(broken.c_str());

    for (const auto& unit : units) std::remove((std::string(dir) + "/" + unit.second).c_str());
    for (const char* name : {"easd-maintenance.service", "easd-maintenance.timer"})
        std::remove((std::string(dir) + "/" + name).c_str());
    rmdir(dir);
}
