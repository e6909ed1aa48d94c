// easctl and easd-deliver as an administrator and Postfix use them: real binaries, real database.
#include <algorithm>
#include <map>

#include <catch2/catch.hpp>

#include "content/message_limits.h"
#include "support/cluster.h"
#include "support/process.h"
#include "support/server.h"

using easd::test::run_process;
using easd::test::shared_cluster;

namespace {

easd::test::ProcessResult easctl(const std::vector<std::string>& args, const std::string& input = {}) {
    return easd::test::run_easctl(shared_cluster(), args, input);
}

easd::test::ProcessResult deliver(const std::string& recipient, const std::string& message,
                                  const std::string& conninfo = shared_cluster().conninfo()) {
    return run_process({EASD_DELIVER_BIN, "--database", conninfo, "--recipient", recipient}, message);
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

const char* kMessage =
    "From: Alice <alice@example.com>\r\n"
    "To: Carol <carol@cli.test>\r\n"
    "Subject: Hello\r\n"
    "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
    "\r\n"
    "Hello Carol\r\n";

}  // namespace

TEST_CASE("easctl manages domains and users, with one-line errors", "[cli]") {
    auto r = easctl({"domain", "add", "cli.test"});
    REQUIRE(r.exit_code == 0);
    r = easctl({"domain", "add", "cli.test"});
    CHECK(r.exit_code != 0);
    CHECK(one_line(r.err));

    r = easctl({"user", "add", "carol@cli.test", "--password-stdin"}, "s3cret-password\n");
    REQUIRE(r.exit_code == 0);
    std::string hash = shared_cluster().psql("SELECT password_hash FROM users WHERE address = 'carol@cli.test'");
    CHECK(hash.rfind("$y$", 0) == 0);

    // A new account has no ActiveSync flag of its own: it follows the access mode.
    r = easctl({"--json", "user", "list", "--domain", "cli.test"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "[{\"address\":\"carol@cli.test\",\"name\":\"\",\"activesync\":null,\"protocol_log\":false,\"role\":\"none\"}]\n");
    r = easctl({"user", "list", "--domain", "cli.test"});
    CHECK(r.out ==
          "ADDRESS         NAME  ACTIVESYNC  PROTOCOL LOG  ROLE\n"
          "carol@cli.test        default     off           none\n");

    // The web console's roles: every domain, some domains, none.
    r = easctl({"user", "role", "carol@cli.test", "domain-admin", "cli.test"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "role of carol@cli.test: domain-admin cli.test\n");
    CHECK(easctl({"user", "role", "carol@cli.test", "domain-admin", "nosuch.test"}).exit_code == 1);
    CHECK(easctl({"user", "role", "nobody@cli.test", "admin"}).exit_code == 1);
    CHECK(easctl({"user", "role", "carol@cli.test", "root"}).exit_code != 0);
    CHECK(easctl({"--json", "user", "role", "carol@cli.test", "admin"}).out.find("\"role\":\"admin\"") != std::string::npos);
    CHECK(easctl({"user", "list", "--domain", "cli.test"}).out.find("off           admin\n") != std::string::npos);
    CHECK(easctl({"user", "role", "carol@cli.test", "none"}).out == "role of carol@cli.test: none\n");
    CHECK(shared_cluster().psql("SELECT count(*) FROM admin_roles") == "0");

    auto flag = [] { return shared_cluster().psql("SELECT coalesce(activesync::text, 'null') FROM users WHERE address = 'carol@cli.test'"); };
    r = easctl({"user", "disable", "carol@cli.test"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "ActiveSync off for carol@cli.test\n");
    CHECK(flag() == "false");
    r = easctl({"user", "enable", "carol@cli.test"});
    CHECK(r.out == "ActiveSync on for carol@cli.test\n");
    CHECK(flag() == "true");
    r = easctl({"--json", "user", "list", "--domain", "cli.test"});
    CHECK(r.out == "[{\"address\":\"carol@cli.test\",\"name\":\"\",\"activesync\":true,\"protocol_log\":false,\"role\":\"none\"}]\n");

    r = easctl({"user", "activesync", "carol@cli.test", "off"});
    REQUIRE(r.exit_code == 0);
    CHECK(flag() == "false");
    r = easctl({"user", "list", "--domain", "cli.test"});
    CHECK(r.out.find("carol@cli.test        off         off           none\n") != std::string::npos);
    CHECK(easctl({"--json", "user", "list", "--domain", "cli.test"}).out.find("\"activesync\":false") != std::string::npos);
    r = easctl({"user", "activesync", "CAROL@cli.test", "on"});
    CHECK(flag() == "true");
    r = easctl({"user", "activesync", "carol@cli.test", "default"});
    REQUIRE(r.exit_code == 0);
    CHECK(flag() == "null");
    CHECK(r.out.find("follows the access mode (") != std::string::npos);
    r = easctl({"--json", "user", "activesync", "carol@cli.test", "default"});
    CHECK(r.out.rfind("{\"ok\":true,\"message\":\"ActiveSync flag of carol@cli.test not set", 0) == 0);
    for (const auto& args : std::vector<std::vector<std::string>>{{"user", "activesync", "carol@cli.test", "maybe"},
                                                                 {"user", "activesync", "carol@cli.test"},
                                                                 {"user", "activesync", "carol@cli.test", "on", "x"},
                                                                 {"user", "enable"}}) {
        r = easctl(args);
        CHECK(r.exit_code == 64);
        CHECK(one_line(r.err));
    }
    r = easctl({"user", "activesync", "nobody@cli.test", "on"});
    CHECK(r.exit_code == 1);
    CHECK(one_line(r.err));
    CHECK(flag() == "null");

    r = easctl({"user", "add", "not-an-address", "--password-stdin"}, "x\n");
    CHECK(r.exit_code != 0);
    CHECK(one_line(r.err));
    r = easctl({"user", "passwd", "nobody@cli.test", "--password-stdin"}, "x\n");
    CHECK(r.exit_code != 0);
    CHECK(one_line(r.err));
    r = easctl({"frobnicate"});
    CHECK(r.exit_code == 64);
    CHECK(one_line(r.err));
    r = easctl({"user", "list", "--bogus"});
    CHECK(r.exit_code == 64);

    r = easctl({"log", "enable", "carol@cli.test"});
    CHECK(r.exit_code == 0);
    CHECK(shared_cluster().psql("SELECT protocol_log FROM users WHERE address = 'carol@cli.test'") == "t");
    r = easctl({"log", "enable", "carol@cli.test", "--device", "NOSUCHDEVICE"});
    CHECK(r.exit_code != 0);
}

TEST_CASE("easd-deliver stores a message whole and answers Postfix in sysexits", "[cli][deliver]") {
    easctl({"domain", "add", "cli.test"});
    easctl({"user", "add", "dave@cli.test", "--password-stdin"}, "password\n");
    std::string count_sql =
        "SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id JOIN users u ON u.id = i.user_id "
        "WHERE u.address = 'dave@cli.test'";
    std::string before = shared_cluster().psql(count_sql);
    // Each SECTION runs the test case again: other bytes each time, or easd-deliver would take the
    // message for a retry of the one before and store it once (schema/020).
    static int run = 0;
    const std::string message = "X-Test-Run: " + std::to_string(++run) + "\r\n" + kMessage;

    auto r = deliver("dave@cli.test", message);
    REQUIRE(r.exit_code == 0);
    CHECK(std::stoi(shared_cluster().psql(count_sql)) == std::stoi(before) + 1);
    // The original bytes are kept, and the columns Sync needs are parsed.
    CHECK(shared_cluster().psql("SELECT convert_from(e.mime, 'UTF8') = '" + message +
                                "' FROM emails e JOIN items i ON i.id = e.item_id JOIN users u ON u.id = i.user_id "
                                "WHERE u.address = 'dave@cli.test' ORDER BY e.item_id DESC LIMIT 1") == "t");
    CHECK(shared_cluster().psql("SELECT subject || '|' || from_addr || '|' || body_plain FROM emails e "
                                "JOIN items i ON i.id = e.item_id JOIN users u ON u.id = i.user_id "
                                "WHERE u.address = 'dave@cli.test' ORDER BY e.item_id DESC LIMIT 1")
              .find("Hello|Alice <alice@example.com>|Hello Carol") == 0);

    SECTION("unknown user: 67, nothing stored") {
        r = deliver("nobody@cli.test", kMessage);
        CHECK(r.exit_code == 67);
        CHECK(one_line(r.err));
    }
    SECTION("unreadable input: 65") {
        r = deliver("dave@cli.test", "");
        CHECK(r.exit_code == 65);
    }
    SECTION("database unreachable: 75, so Postfix retries") {
        easd::test::PgCluster down;
        down.stop();
        r = deliver("dave@cli.test", message, down.conninfo());
        CHECK(r.exit_code == 75);
        CHECK(one_line(r.err));
    }
    SECTION("another folder with --folder") {
        // Not the bytes just delivered to the Inbox: those would be the same delivery again.
        r = run_process({EASD_DELIVER_BIN, "--database", shared_cluster().conninfo(), "--recipient", "dave@cli.test",
                         "--folder", "Junk E-mail"},
                        "X-Spam-Flag: YES\r\n" + message);
        CHECK(r.exit_code == 0);
        CHECK(shared_cluster().psql("SELECT count(*) FROM items i JOIN folders f ON f.id = i.folder_id "
                                    "JOIN users u ON u.id = i.user_id WHERE u.address = 'dave@cli.test' "
                                    "AND f.name = 'Junk E-mail'") != "0");
    }
}

// Postfix retries 75 for days and bounces 78: a master.cf that names no config (or one that cannot
// be read) is a mistake to fix, not a database to wait for. Before: the default "dbname=easd" on the
// local socket, and 75 whatever the reason.
TEST_CASE("easd-deliver without a config it can use: 78 (EX_CONFIG) with one line", "[cli][deliver][config]") {
    const std::string message = "Subject: lost\r\n\r\nbody\r\n";
    const std::map<std::string, std::string> no_env = {{"EASD_CONFIG", ""}, {"EASD_DATABASE", ""}};
    auto r = run_process({EASD_DELIVER_BIN, "--recipient", "dave@cli.test"}, message, no_env);
    CHECK(r.exit_code == 78);
    CHECK(r.err.rfind("easd-deliver: no database named: give --config FILE", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

    r = run_process({EASD_DELIVER_BIN, "--config", "/nonexistent/easd.conf", "--recipient", "dave@cli.test"}, message,
                    no_env);
    CHECK(r.exit_code == 78);
    CHECK(r.err == "easd-deliver: cannot read config /nonexistent/easd.conf\n");
}

TEST_CASE("easd-deliver refuses a message over a limit whole: 65 with one line, nothing stored",
          "[cli][deliver][limits]") {
    easctl({"domain", "add", "cli.test"});
    easctl({"user", "add", "erin@cli.test", "--password-stdin"}, "password\n");
    const std::string count_sql =
        "SELECT (SELECT count(*) FROM items i JOIN users u ON u.id = i.user_id WHERE u.address = 'erin@cli.test') "
        "|| '/' || (SELECT count(*) FROM email_attachments a JOIN items i ON i.id = a.item_id "
        "JOIN users u ON u.id = i.user_id WHERE u.address = 'erin@cli.test')";
    const std::string before = shared_cluster().psql(count_sql);
    // A text body and n attachments of one byte each.
    auto message = [](std::size_t n) {
        std::string m = "From: a@example.com\r\nTo: erin@cli.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nbody\r\n";
        for (std::size_t i = 0; i < n; ++i)
            m += "--zz\r\nContent-Type: application/octet-stream; name=a" + std::to_string(i) + ".bin\r\n\r\nx\r\n";
        return m + "--zz--\r\n";
    };

    SECTION("one attachment more than kMaxAttachments") {
        // Stored before, with all 50,001 attachment rows.
        auto r = deliver("erin@cli.test", message(easd::content::kMaxAttachments + 1));
        CHECK(r.exit_code == 65);  // EX_DATAERR: Postfix bounces it, it will never be stored
        CHECK(one_line(r.err));
        CHECK(r.err == "easd-deliver: too many attachments: more than 50000 in one message\n");
    }
    SECTION("more MIME boundary lines than kMaxBoundaryLines: refused before GMime parses it") {
        // 100,000 empty parts: the scan refuses the message (the reason names the boundary lines)
        // before GMime builds them and the attachment count would.
        std::string m = "From: a@example.com\r\nTo: erin@cli.test\r\nSubject: lines\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: multipart/alternative; boundary=zz\r\n\r\n";
        for (std::size_t i = 0; i < easd::content::kMaxBoundaryLines; ++i) m += "--zz\r\n\r\n";
        m += "--zz--\r\n";
        auto r = deliver("erin@cli.test", m);
        CHECK(r.exit_code == 65);
        CHECK(r.err == "easd-deliver: too many MIME parts: more than 100000 boundary lines\n");
    }
    CHECK(shared_cluster().psql(count_sql) == before);
}
