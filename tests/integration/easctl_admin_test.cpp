// The administrator's first hour (issue 13, part 7): help and --version without a database, the
// config and database found through EASD_CONFIG / EASD_DATABASE and scripts/easctl, names checked
// before they become rows, domain remove, the password minimum, and what a failed connection says.
// Real binaries, real PostgreSQL.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "common/version.h"
#include "support/cluster.h"
#include "support/process.h"

using easd::test::ProcessResult;
using easd::test::run_process;
using easd::test::shared_cluster;

namespace {

// A database nobody can reach: a socket directory that does not exist (fails at once), with a
// password that must never be printed.
const std::string kNowhere = "host=/nonexistent/easd-test port=5999 dbname=easd user=easd password=hunter2secret";

// Nothing from the environment of whoever runs the tests.
std::map<std::string, std::string> clean_env(std::map<std::string, std::string> env = {}) {
    env.emplace("EASD_CONFIG", "");
    env.emplace("EASD_DATABASE", "");
    return env;
}

ProcessResult easctl_raw(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                         const std::string& input = {}) {
    std::vector<std::string> argv = {EASCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, input, clean_env(env));
}

ProcessResult easctl(const std::vector<std::string>& args, const std::string& input = {}) {
    std::vector<std::string> argv = {"--database", shared_cluster().conninfo()};
    argv.insert(argv.end(), args.begin(), args.end());
    return easctl_raw(argv, {}, input);
}

// With a database that cannot be reached: whatever works here never touched it.
ProcessResult offline(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"--database", kNowhere};
    argv.insert(argv.end(), args.begin(), args.end());
    return easctl_raw(argv);
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string psql(const std::string& sql) { return shared_cluster().psql(sql); }

struct TempDir {
    std::string path = easd::test::make_temp_dir("easd-firsthour");
    ~TempDir() { easd::test::remove_tree(path); }
};

}  // namespace

TEST_CASE("easctl help: -h, --help, help [COMMAND], COMMAND --help, on stdout, without a database",
          "[cli][easctl][help]") {
    for (const auto& args : std::vector<std::vector<std::string>>{{"-h"}, {"--help"}, {"help"}}) {
        INFO(args[0]);
        auto r = offline(args);
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        CHECK(r.out.rfind("usage: easctl", 0) == 0);
        CHECK(has(r.out, "domain remove NAME [--force]"));
        // The environment is documented.
        CHECK(has(r.out, "EASD_CONFIG"));
        CHECK(has(r.out, "EASD_DATABASE"));
        CHECK(has(r.out, "password_min_length"));
    }
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"help", "user"}, {"user", "--help"}, {"user", "-h"}, {"--help", "user"}}) {
        INFO(args[0] << " " << args[1]);
        auto r = offline(args);
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        CHECK(r.out.rfind("usage: easctl", 0) == 0);
        CHECK(has(r.out, "  user add ADDRESS"));
        CHECK(has(r.out, "  user alias list ADDRESS"));
        CHECK_FALSE(has(r.out, "device list"));
    }
    auto r = offline({"help", "policy"});
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "TARGET: global"));  // the continuation lines of an entry come along

    r = offline({"help", "frobnicate"});
    CHECK(r.exit_code == 64);
    CHECK(one_line(r.err));
    CHECK(has(r.err, "unknown command: frobnicate"));
}

TEST_CASE("easctl COMMAND without its subcommand: that command's usage on stderr, 64, no database",
          "[cli][easctl][help]") {
    for (const std::string group : {"domain", "user", "device", "policy", "rule", "folder", "lockout", "server",
                                    "log", "export", "import"}) {
        INFO(group);
        auto r = offline({group});
        CHECK(r.exit_code == 64);
        CHECK(r.out.empty());
        CHECK(r.err.rfind("easctl: " + group + ": missing command\nusage: easctl", 0) == 0);
        CHECK(has(r.err, "\n  " + group + " "));
        CHECK_FALSE(has(r.err, "cannot connect"));
    }
    auto r = offline({"frobnicate"});
    CHECK(r.exit_code == 64);
    CHECK(one_line(r.err));
    CHECK_FALSE(has(r.err, "cannot connect"));
    r = offline({});
    CHECK(r.exit_code == 64);
    CHECK(r.err.rfind("usage: easctl", 0) == 0);
}

TEST_CASE("--version: easctl, easd and easd-deliver print the build's version; easd refuses an unknown option",
          "[cli][easctl][version]") {
    auto r = offline({"--version"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == std::string("easctl ") + easd::kVersion + "\n");
    CHECK(r.err.empty());

    r = run_process({EASD_BIN, "--version"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == std::string("easd ") + easd::kVersion + "\n");

    r = run_process({EASD_DELIVER_BIN, "--version"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == std::string("easd-deliver ") + easd::kVersion + "\n");

    r = run_process({EASD_BIN, "--bogus"});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("easd: unknown option '--bogus'\nusage: easd", 0) == 0);
    // Before: --bogus took the next word as its value and named neither.
    r = run_process({EASD_BIN, "--bogus", "--database", kNowhere});
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("easd: unknown option '--bogus'\n", 0) == 0);
    r = run_process({EASD_BIN, "--socket"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("easd: --socket needs a value\nusage: easd", 0) == 0);
    r = run_process({EASD_BIN, "stray"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("easd: unexpected argument 'stray'\n", 0) == 0);
    r = run_process({EASD_BIN, "-h"});
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "EASD_CONFIG"));
}

TEST_CASE("EASD_CONFIG and EASD_DATABASE: an option before the environment before a default path",
          "[cli][easctl][env]") {
    TempDir dir;
    const std::string good = dir.path + "/good.conf";
    const std::string bad = dir.path + "/bad.conf";
    const std::string empty = dir.path + "/empty.conf";
    easd::test::write_file(good, "database = " + shared_cluster().conninfo() + "\n");
    easd::test::write_file(bad, "database = " + kNowhere + "\n");
    easd::test::write_file(empty, "# no database here\n");
    const std::string good_db = shared_cluster().conninfo();

    struct Case {
        std::vector<std::string> args;
        std::map<std::string, std::string> env;
        int exit_code;
    };
    const std::vector<Case> cases = {
        {{}, {{"EASD_CONFIG", good}}, 0},
        {{}, {{"EASD_DATABASE", good_db}}, 0},
        {{}, {{"EASD_CONFIG", bad}}, 69},
        {{}, {{"EASD_DATABASE", kNowhere}}, 69},
        // A command-line option beats the environment.
        {{"--config", good}, {{"EASD_CONFIG", bad}}, 0},
        {{"--config", good}, {{"EASD_DATABASE", kNowhere}}, 0},
        {{"--config=" + bad}, {{"EASD_DATABASE", good_db}}, 69},
        {{"--database", good_db}, {{"EASD_DATABASE", kNowhere}}, 0},
        {{"--database", kNowhere}, {{"EASD_CONFIG", good}}, 69},
        {{"--database", good_db}, {{"EASD_CONFIG", bad}}, 0},
        // The environment's connection string beats the environment's (or the default) config file.
        {{}, {{"EASD_CONFIG", bad}, {"EASD_DATABASE", good_db}}, 0},
        {{}, {{"EASD_CONFIG", good}, {"EASD_DATABASE", kNowhere}}, 69},
        // A --config without `database` leaves it to EASD_DATABASE.
        {{"--config", empty}, {{"EASD_DATABASE", good_db}}, 0},
    };
    for (const auto& c : cases) {
        std::string what;
        for (const auto& a : c.args) what += a + " ";
        for (const auto& [k, v] : c.env) what += k + "=" + v + " ";
        INFO(what);
        std::vector<std::string> args = c.args;
        args.push_back("domain");
        args.push_back("list");
        auto r = easctl_raw(args, c.env);
        CHECK(r.exit_code == c.exit_code);
        if (c.exit_code != 0) {
            CHECK(one_line(r.err));
            CHECK(has(r.err, "host=/nonexistent/easd-test"));
        }
    }
    auto r = easctl_raw({"domain", "list"}, {{"EASD_CONFIG", dir.path + "/missing.conf"}});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "easctl: cannot read config " + dir.path + "/missing.conf (named by EASD_CONFIG)\n");
}

TEST_CASE("scripts/easctl: the local config unless something else names one", "[cli][easctl][env]") {
    // A copy of the script in a tree of its own, with a var/easd.conf as scripts/run writes it.
    TempDir root;
    REQUIRE(mkdir((root.path + "/scripts").c_str(), 0755) == 0);
    REQUIRE(mkdir((root.path + "/var").c_str(), 0755) == 0);
    auto script = easd::test::read_file(std::string(EASD_SOURCE_DIR) + "/scripts/easctl");
    REQUIRE_FALSE(script.empty());
    easd::test::write_file(root.path + "/scripts/easctl", script, 0755);
    const std::map<std::string, std::string> env = {{"EASCTL", EASCTL_BIN}};
    const std::string wrapper = root.path + "/scripts/easctl";

    // PGHOST keeps anything that falls back to the default database away from a real server.
    auto nowhere_env = clean_env(env);
    nowhere_env["PGHOST"] = "/nonexistent/easd-test";
    easd::test::write_file(root.path + "/var/easd.conf", "database = " + shared_cluster().conninfo() + "\n");
    auto r = run_process({wrapper, "domain", "add", "wrapper.test"}, {}, nowhere_env);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "added domain wrapper.test\n");
    CHECK(psql("SELECT count(*) FROM domains WHERE name = 'wrapper.test'") == "1");

    // Named on the command line or in the environment: that wins.
    r = run_process({wrapper, "--database", kNowhere, "domain", "list"}, {}, nowhere_env);
    CHECK(r.exit_code == 69);
    CHECK(has(r.err, "from --database"));
    r = run_process({wrapper, "--database=" + kNowhere, "domain", "list"}, {}, nowhere_env);
    CHECK(r.exit_code == 69);
    auto with_env = nowhere_env;
    with_env["EASD_DATABASE"] = kNowhere;
    r = run_process({wrapper, "domain", "list"}, {}, with_env);
    CHECK(r.exit_code == 69);
    CHECK(has(r.err, "from EASD_DATABASE"));
    with_env = nowhere_env;
    with_env["EASD_CONFIG"] = root.path + "/var/none.conf";
    r = run_process({wrapper, "domain", "list"}, {}, with_env);
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "none.conf"));
}

TEST_CASE("a failed connection says once what was tried, from where, and never the password",
          "[cli][easctl][env]") {
    auto r = easctl_raw({"--database", kNowhere, "domain", "list"});
    CHECK(r.exit_code == 69);
    CHECK(one_line(r.err));
    CHECK(r.err.rfind("easctl: cannot connect to the database (host=/nonexistent/easd-test port=5999 dbname=easd "
                      "user=easd, from --database): ",
                      0) == 0);
    CHECK(has(r.err, "/nonexistent/easd-test/.s.PGSQL.5999"));  // libpq's reason
    CHECK_FALSE(has(r.err, "Cannot establish connection"));     // said once
    CHECK_FALSE(has(r.err, "hunter2secret"));

    r = easctl_raw({"--database", "postgresql://easd:hunter2secret@/easd?host=/nonexistent/easd-test", "domain", "list"});
    CHECK(r.exit_code == 69);
    CHECK(has(r.err, "(host=/nonexistent/easd-test dbname=easd user=easd, from --database)"));
    CHECK_FALSE(has(r.err, "hunter2secret"));

    r = easctl_raw({"--database", "host='unterminated password=hunter2secret", "domain", "list"});
    CHECK(r.exit_code == 69);
    CHECK(has(r.err, "(a connection string that does not parse, from --database)"));
    CHECK_FALSE(has(r.err, "hunter2secret"));

    // Nothing names a database: the default, and the hint. (Only where this machine has no
    // /etc/easd/easd.conf of its own; PGHOST keeps the default away from a real server.)
    if (access("/etc/easd/easd.conf", F_OK) != 0) {
        r = easctl_raw({"domain", "list"}, {{"PGHOST", "/nonexistent/easd-test"}});
        CHECK(r.exit_code == 69);
        CHECK(one_line(r.err));
        CHECK(r.err.rfind("easctl: cannot connect to the database (dbname=easd, from the default (no --config, "
                          "EASD_CONFIG or /etc/easd/easd.conf)): ",
                          0) == 0);
        CHECK(has(r.err, "; give --config FILE or set EASD_CONFIG\n"));
    }
}

TEST_CASE("easctl checks domain names and addresses before they become rows", "[cli][easctl][names]") {
    for (const std::string name : {"-x", "--", ".com", "example..com", "a_b.test", "localhost", "192.0.2.7",
                                   "exa mple.test", "a-.test", "names.test."}) {
        INFO(name);
        auto r = easctl({"domain", "add", name});
        CHECK(r.exit_code == 1);
        CHECK(one_line(r.err));
        CHECK(r.err.rfind("easctl: not a domain name: " + name + " (", 0) == 0);
    }
    CHECK(psql("SELECT count(*) FROM domains WHERE name IN ('-x', '--', '.com', 'example..com', 'a_b.test', "
               "'localhost', '192.0.2.7', 'exa mple.test', 'a-.test', 'names.test.')") == "0");

    auto r = easctl({"domain", "add", "Names.TEST"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "added domain names.test\n");
    // An internationalized name is stored in its A-labels; its Unicode form finds it.
    r = easctl({"domain", "add", "b\xc3\xbc" "cher-names.test"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "added domain xn--bcher-names-thb.test (b\xc3\xbc" "cher-names.test)\n");
    CHECK(psql("SELECT count(*) FROM domains WHERE name = 'xn--bcher-names-thb.test'") == "1");
    r = easctl({"domain", "add", "xn--bcher-names-thb.test"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "easctl: domain exists: xn--bcher-names-thb.test\n");
    r = easctl({"user", "add", "anna@B\xc3\x9c" "CHER-names.test", "--password-stdin"}, "anna-password\n");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "added user anna@xn--bcher-names-thb.test\n");
    r = easctl({"user", "list", "--domain", "b\xc3\xbc" "cher-names.test"});
    CHECK(r.exit_code == 0);
    CHECK(has(r.out, "anna@xn--bcher-names-thb.test"));

    for (const std::string& address : std::vector<std::string>{"-z@names.test", ".z@names.test", "z.@names.test", "a..b@names.test",
                                      "a b@names.test", "@names.test", "z@names..test", "z@-names.test",
                                      std::string("a\x01" "b@names.test")}) {
        INFO(address);
        r = easctl({"user", "add", address, "--password-stdin"}, "long enough\n");
        CHECK(r.exit_code == 1);
        CHECK(one_line(r.err));
        CHECK(r.err.rfind("easctl: not an address for an account: ", 0) == 0);
        r = easctl({"user", "alias", "add", "anna@xn--bcher-names-thb.test", address});
        CHECK(r.exit_code == 1);
        CHECK(r.err.rfind("easctl: not an address for an account: ", 0) == 0);
    }
    CHECK(psql("SELECT count(*) FROM users WHERE address LIKE '%names.test'") == "0");
    CHECK(psql("SELECT count(*) FROM aliases WHERE address LIKE '%names.test'") == "0");

    r = easctl({"user", "add", "First.Last+tag@names.test", "--password-stdin"}, "long enough\n");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "added user first.last+tag@names.test\n");
    r = easctl({"user", "alias", "add", "first.last+tag@names.test", "fl@b\xc3\xbc" "cher-names.test"});
    CHECK(r.exit_code == 0);
    CHECK(psql("SELECT count(*) FROM aliases WHERE address = 'fl@xn--bcher-names-thb.test'") == "1");
}

TEST_CASE("easctl domain remove: refused while it has accounts or aliases, --force takes them along",
          "[cli][easctl][domain]") {
    REQUIRE(easctl({"domain", "add", "gone.test"}).exit_code == 0);
    auto r = easctl({"domain", "remove", "gone.test"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "removed domain gone.test\n");
    CHECK(psql("SELECT count(*) FROM domains WHERE name = 'gone.test'") == "0");

    r = easctl({"domain", "remove", "gone.test"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "easctl: unknown domain gone.test\n");

    REQUIRE(easctl({"domain", "add", "full.test"}).exit_code == 0);
    REQUIRE(easctl({"domain", "add", "other-full.test"}).exit_code == 0);
    REQUIRE(easctl({"user", "add", "a@full.test", "--password-stdin"}, "password-a\n").exit_code == 0);
    REQUIRE(easctl({"user", "add", "b@full.test", "--password-stdin"}, "password-b\n").exit_code == 0);
    REQUIRE(easctl({"user", "add", "c@other-full.test", "--password-stdin"}, "password-c\n").exit_code == 0);
    // An alias in full.test of an account elsewhere, and one elsewhere of an account in full.test.
    REQUIRE(easctl({"user", "alias", "add", "c@other-full.test", "cee@full.test"}).exit_code == 0);
    REQUIRE(easctl({"user", "alias", "add", "a@full.test", "ay@other-full.test"}).exit_code == 0);
    REQUIRE(easctl({"policy", "set", "domain", "full.test", "enforce=on"}).exit_code == 0);

    r = easctl({"domain", "remove", "full.test"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "easctl: domain full.test still has 2 accounts and 1 alias (--force removes the domain with them)\n");
    CHECK(psql("SELECT count(*) FROM users WHERE address LIKE '%@full.test'") == "2");

    r = easctl({"--json", "domain", "remove", "FULL.test", "--force"});
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "{\"ok\":true,\"message\":\"removed domain full.test with its 2 accounts and 1 alias\",\"name\":\"full.test\","
          "\"users\":2,\"aliases\":1}\n");
    CHECK(psql("SELECT count(*) FROM domains WHERE name = 'full.test'") == "0");
    CHECK(psql("SELECT count(*) FROM users WHERE address LIKE '%@full.test'") == "0");
    CHECK(psql("SELECT count(*) FROM folders f WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = f.user_id)") == "0");
    CHECK(psql("SELECT string_agg(address, ',' ORDER BY address) FROM aliases WHERE address LIKE '%full.test'") == "");
    CHECK(psql("SELECT count(*) FROM users WHERE address = 'c@other-full.test'") == "1");

    r = easctl({"domain", "remove"});
    CHECK(r.exit_code == 64);
    r = easctl({"domain", "remove", "other-full.test", "extra"});
    CHECK(r.exit_code == 64);
}

TEST_CASE("easctl user list --domain of a domain not served here says so", "[cli][easctl][domain]") {
    auto r = easctl({"user", "list", "--domain", "nosuch.test"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err == "easctl: unknown domain nosuch.test\n");
    r = easctl({"--json", "user", "list", "--domain", "nosuch.test"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
}

TEST_CASE("passwords have at least password_min_length characters (8 by default)", "[cli][easctl][password]") {
    REQUIRE(easctl({"domain", "add", "pw.test"}).exit_code == 0);
    auto r = easctl({"user", "add", "short@pw.test", "--password-stdin"}, "s3cre\n");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "easctl: the password has 5 characters, at least 8 are needed (password_min_length)\n");
    CHECK(psql("SELECT count(*) FROM users WHERE address = 'short@pw.test'") == "0");
    // Characters, not bytes: "päss wö" is 7 characters in 9 bytes.
    r = easctl({"user", "add", "short@pw.test", "--password-stdin"}, "p\xc3\xa4ss w\xc3\xb6\n");
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "has 7 characters"));
    r = easctl({"user", "add", "short@pw.test", "--password-stdin"}, "p\xc3\xa4ss w\xc3\xb6rd\n");
    CHECK(r.exit_code == 0);

    const std::string hash = psql("SELECT password_hash FROM users WHERE address = 'short@pw.test'");
    r = easctl({"user", "passwd", "short@pw.test", "--password-stdin"}, "1234567\n");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "easctl: the password has 7 characters, at least 8 are needed (password_min_length)\n");
    CHECK(psql("SELECT password_hash FROM users WHERE address = 'short@pw.test'") == hash);
    r = easctl({"user", "passwd", "short@pw.test", "--password-stdin"}, "12345678\n");
    CHECK(r.exit_code == 0);

    // Configured.
    TempDir dir;
    const std::string conf = dir.path + "/easd.conf";
    easd::test::write_file(conf, "database = " + shared_cluster().conninfo() + "\npassword_min_length = 12\n");
    r = easctl_raw({"--config", conf, "user", "add", "long@pw.test", "--password-stdin"}, {}, "eleven char\n");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "easctl: the password has 11 characters, at least 12 are needed (password_min_length)\n");
    r = easctl_raw({"--config", conf, "user", "add", "long@pw.test", "--password-stdin"}, {}, "twelve chars\n");
    CHECK(r.exit_code == 0);
    easd::test::write_file(conf, "database = " + shared_cluster().conninfo() + "\npassword_min_length = many\n");
    r = easctl_raw({"--config", conf, "user", "passwd", "long@pw.test", "--password-stdin"}, {}, "twelve chars\n");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "easctl: password_min_length in the config is a number from 1 to 1024, not many\n");
}
