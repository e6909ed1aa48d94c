// easctl folder add|rename|remove and easd-deliver --folder PATH: real binaries, real database.
#include <catch2/catch.hpp>

#include "support/cluster.h"
#include "support/process.h"
#include "support/server.h"

using easd::test::run_process;
using easd::test::shared_cluster;

namespace {

easd::test::ProcessResult easctl(const std::vector<std::string>& args, const std::string& input = {}) {
    return easd::test::run_easctl(shared_cluster(), args, input);
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

std::string folder_sql(const std::string& user, const std::string& what, const std::string& where) {
    return shared_cluster().psql("SELECT " + what + " FROM folders f JOIN users u ON u.id = f.user_id WHERE u.address = '" +
                                 user + "' AND " + where);
}

const char* kMessage =
    "From: Alice <alice@example.com>\r\nTo: Fay <fay@folders.test>\r\nSubject: Sorted\r\n"
    "Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nHello\r\n";

}  // namespace

TEST_CASE("easctl folder add, rename, remove by path; easd-deliver --folder PATH", "[cli][folders]") {
    easctl({"domain", "add", "folders.test"});
    static int run = 0;  // each SECTION runs the test case again: a fresh user each time
    const std::string user = "fay" + std::to_string(++run) + "@folders.test";
    REQUIRE(easctl({"user", "add", user, "--password-stdin"}, "password\n").exit_code == 0);

    auto r = easctl({"folder", "add", user, "Inbox/Projects"});
    REQUIRE(r.exit_code == 0);
    CHECK(one_line(r.out));
    CHECK(folder_sql(user, "f.type || ':' || f.item_class || ':' || (f.parent_id = (SELECT id FROM folders WHERE "
                           "user_id = u.id AND type = 2))", "f.name = 'Projects'") == "12:Email:true");
    r = easctl({"folder", "add", user, "inbox/projects/2026", "--json"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("\"ok\":true") != std::string::npos);
    CHECK(r.out.find("\"path\":\"Inbox/Projects/2026\"") != std::string::npos);
    // Under Calendar a folder is a calendar unless --type says otherwise.
    REQUIRE(easctl({"folder", "add", user, "Calendar/Work"}).exit_code == 0);
    CHECK(folder_sql(user, "f.type || ':' || f.item_class", "f.name = 'Work'") == "13:Calendar");
    REQUIRE(easctl({"folder", "add", user, "Shared contacts", "--type", "contacts"}).exit_code == 0);
    CHECK(folder_sql(user, "f.type || ':' || f.item_class", "f.name = 'Shared contacts'") == "14:Contacts");

    // Delivery into a path, case ignored.
    r = run_process({EASD_DELIVER_BIN, "--database", shared_cluster().conninfo(), "--recipient", user, "--folder",
                     "INBOX/projects/2026"},
                    kMessage);
    REQUIRE(r.exit_code == 0);
    CHECK(shared_cluster().psql("SELECT count(*) FROM items i JOIN folders f ON f.id = i.folder_id WHERE f.name = '2026'"
                                " AND i.user_id = (SELECT id FROM users WHERE address = '" + user + "')") == "1");
    // A missing folder or one of another class: 75, Postfix keeps the message and retries.
    for (const char* missing : {"Inbox/Nope", "Calendar/Work"}) {
        r = run_process({EASD_DELIVER_BIN, "--database", shared_cluster().conninfo(), "--recipient", user, "--folder",
                         missing},
                        kMessage);
        CHECK(r.exit_code == 75);
        CHECK(one_line(r.err));
    }

    SECTION("errors: one line, exit 1, nothing changed") {
        std::string before = folder_sql(user, "count(*)", "true");
        for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
                 {"folder", "add", user, "Inbox/Projects"},        // exists
                 {"folder", "add", user, "Nowhere/X"},             // no parent
                 {"folder", "add", "nobody@folders.test", "X"},    // no user
                 {"folder", "rename", user, "Inbox", "Post"},      // a default folder
                 {"folder", "rename", user, "Inbox/Projects", "Inbox/Projects/2026/Projects"},  // under itself
                 {"folder", "rename", user, "Inbox/Nope", "Inbox/X"},
                 {"folder", "remove", user, "Contacts"},
                 {"folder", "remove", user, "Inbox/Nope"}}) {
            INFO(args[1] << " " << args.back());
            r = easctl(args);
            CHECK(r.exit_code == 1);
            CHECK(one_line(r.err));
        }
        r = easctl({"folder", "add", user, "X", "--type", "inbox"});
        CHECK(r.exit_code == 64);
        r = easctl({"folder", "add", user});
        CHECK(r.exit_code == 64);
        CHECK(folder_sql(user, "count(*)", "true") == before);
    }
    SECTION("rename moves and renames; remove takes items and subfolders") {
        r = easctl({"folder", "rename", user, "Inbox/Projects", "Archive", "--json"});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("\"path\":\"Archive\"") != std::string::npos);
        CHECK(folder_sql(user, "coalesce(f.parent_id, 0)", "f.name = 'Archive'") == "0");
        CHECK(folder_sql(user, "count(*)", "f.name = 'Projects'") == "0");
        r = easctl({"folder", "remove", user, "archive"});
        REQUIRE(r.exit_code == 0);
        CHECK(one_line(r.out));
        CHECK(folder_sql(user, "count(*)", "f.name IN ('Archive', '2026')") == "0");
        CHECK(shared_cluster().psql("SELECT count(*) FROM items WHERE user_id = (SELECT id FROM users WHERE address = '" +
                                    user + "')") == "0");
    }
}
