// easctl export|import: a user's mail to a Maildir as Dovecot reads it and back, with real
// binaries (easctl, easd-deliver), a real database, and Dovecot's doveadm reading the export.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "content/maildir.h"
#include "support/cluster.h"
#include "support/process.h"
#include "support/server.h"

namespace fs = std::filesystem;
namespace maildir = easd::content::maildir;
using easd::test::run_process;
using easd::test::shared_cluster;

namespace {

// easctl against the shared cluster (tests/support/server.h).
easd::test::ProcessResult easctl(const std::vector<std::string>& args, const std::string& input = {}) {
    return easd::test::run_easctl(shared_cluster(), args, input);
}

easd::test::ProcessResult deliver(const std::string& user, const std::string& folder, const std::string& message) {
    return run_process({EASD_DELIVER_BIN, "--database", shared_cluster().conninfo(), "--recipient", user, "--folder",
                        folder},
                       message);
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

std::string psql(const std::string& sql) { return shared_cluster().psql(sql); }

std::string hex(const std::string& bytes) {
    std::string out = "\\x";
    for (unsigned char c : bytes) {
        out += "0123456789abcdef"[c >> 4];
        out += "0123456789abcdef"[c & 0xf];
    }
    return out;
}

std::string unhex(const std::string& h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
    return out;
}

std::string uid_of(const std::string& user) { return "(SELECT id FROM users WHERE address = '" + user + "')"; }

// The emails of a user whose subject is `subject` (one each in these tests): run `set` on it.
void update_email(const std::string& user, const std::string& subject, const std::string& set) {
    psql("UPDATE emails e SET " + set + " FROM items i WHERE i.id = e.item_id AND i.user_id = " + uid_of(user) +
         " AND e.subject = '" + subject + "'");
}

// Everything import must carry over, one line per message, in a stable order: folder path,
// subject, read, flag, categories, date received, last verb, the bytes, bodies, attachment rows.
std::string mailbox_signature(const std::string& user) {
    return psql(
        "WITH RECURSIVE p(id, path) AS (SELECT id, name FROM folders WHERE user_id = " + uid_of(user) +
        " AND parent_id IS NULL UNION ALL SELECT f.id, p.path || '/' || f.name FROM folders f JOIN p ON f.parent_id = "
        "p.id) SELECT p.path, e.subject, e.read, encode(e.flag, 'hex'), encode(e.categories, 'hex'), "
        "extract(epoch FROM e.date_received)::bigint, e.last_verb, md5(e.mime), md5(e.body_plain), md5(e.body_html), "
        "e.has_attachments, (SELECT string_agg(a.part_path || ':' || a.file_name || ':' || a.content_type || ':' || "
        "a.size || ':' || a.method, ',' ORDER BY a.position) FROM email_attachments a WHERE a.item_id = e.item_id) "
        "FROM emails e JOIN items i ON i.id = e.item_id JOIN p ON p.id = i.folder_id ORDER BY p.path, e.subject");
}

struct TempDir {
    std::string path = easd::test::make_temp_dir("easd-maildir");
    ~TempDir() {
        if (!easd::test::keep_test_dirs()) easd::test::remove_tree(path);
    }
};

// The message files of a Maildir folder directory: cur/ names.
std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir + "/cur")) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string file_with_subject(const std::string& dir, const std::string& subject) {
    for (const auto& name : files_in(dir))
        if (easd::test::read_file(dir + "/cur/" + name).find("Subject: " + subject + "\r\n") != std::string::npos)
            return name;
    return {};
}

std::string message(const std::string& subject, const std::string& extra_headers = {},
                    const std::string& body = "Hi\r\n") {
    return "From: Alice <alice@example.com>\r\nTo: Src <src@maildir.test>\r\nSubject: " + subject +
           "\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" + subject + "@example.com>\r\n" +
           extra_headers + "\r\n" + body;
}

const std::string kAttachment = message(
    "Attached", "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n",
    "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the report.\r\n"
    "--b1\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Disposition: attachment; "
    "filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\r\n"
    "--b1--\r\n");

// doveadm as a mail user (not root, which Dovecot refuses) on a copy of the Maildir; "" when it
// cannot run here.
std::string doveadm(const std::string& maildir_copy, const std::vector<std::string>& args) {
    const std::string conf = maildir_copy + ".conf";
    easd::test::write_file(conf, "ssl = no\nlog_path = /dev/stderr\n");
    std::string uid = geteuid() == 0 ? "65534" : std::to_string(geteuid());
    std::string gid = geteuid() == 0 ? "65534" : std::to_string(getegid());
    std::vector<std::string> argv = {"doveadm", "-c", conf, "-o", "mail_location=maildir:" + maildir_copy,
                                     "-o", "mail_uid=" + uid, "-o", "mail_gid=" + gid};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_process(argv, "", {{"USER", "mailuser"}, {"HOME", maildir_copy}});
    INFO("doveadm: " << r.err);
    CHECK(r.exit_code == 0);
    return r.out;
}

}  // namespace

TEST_CASE("easctl export writes a Maildir Dovecot reads; import brings it back", "[cli][maildir]") {
    easctl({"domain", "add", "maildir.test"});
    static int run = 0;  // each SECTION runs the test case again: fresh users each time
    const std::string n = std::to_string(++run);
    const std::string src = "src" + n + "@maildir.test", dst = "dst" + n + "@maildir.test";
    REQUIRE(easctl({"user", "add", src, "--password-stdin"}, "password\n").exit_code == 0);
    REQUIRE(easctl({"user", "add", dst, "--password-stdin"}, "password\n").exit_code == 0);
    for (const char* path : {"Inbox/Projects", "Inbox/Projects/2026", "Entwürfe", "v1.2", "Sent Items/2025"}) {
        auto added = easctl({"folder", "add", src, path});
        INFO(path << ": " << added.err);
        REQUIRE(added.exit_code == 0);
    }

    REQUIRE(deliver(src, "Inbox", message("Plain")).exit_code == 0);
    REQUIRE(deliver(src, "Inbox", kAttachment).exit_code == 0);
    REQUIRE(deliver(src, "Inbox/Projects/2026", message("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=")).exit_code == 0);
    REQUIRE(deliver(src, "Inbox/Projects/2026", message("Flagged")).exit_code == 0);
    REQUIRE(deliver(src, "Entwürfe", message("Sorted")).exit_code == 0);
    REQUIRE(deliver(src, "Drafts", message("Draft")).exit_code == 0);
    REQUIRE(deliver(src, "Sent Items/2025", message("Forwarded")).exit_code == 0);
    // What a phone would have set: read, the follow-up flag, categories, a reply; and a fixed
    // arrival time to find again as the file's mtime.
    update_email(src, "Flagged",
                 "read = true, flag = '" + hex(maildir::flagged_wbxml()) + "'::bytea, categories = '" +
                     hex(maildir::categories_wbxml({"Business", "Red Category"})) +
                     "'::bytea, last_verb = 1, date_received = to_timestamp(1700000000)");
    update_email(src, "Plain",
                 "read = true, categories = '" + hex(maildir::categories_wbxml({"Red Category"})) + "'::bytea");
    update_email(src, "Forwarded", "last_verb = 3");
    update_email(src, "Grüße", "date_received = to_timestamp(1600000000)");
    // Not mail: stays in easd, and the export says so.
    psql("INSERT INTO items (user_id, folder_id) SELECT user_id, id FROM folders WHERE user_id = " + uid_of(src) +
         " AND type = 9");

    TempDir tmp;
    const std::string dir = tmp.path + "/" + src;
    auto r = easctl({"export", src, dir});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("exported 7 messages in 11 folders of " + src) == 0);
    CHECK(r.out.find("\nnote: kept in easd's store, not exported (only mail goes to Dovecot): 1 contact\n") !=
          std::string::npos);

    // The tree: INBOX at the top, special-use names, nesting with dots, modified UTF-7, an escaped dot.
    for (const char* folder : {"", "/.Drafts", "/.Sent", "/.Trash", "/.Junk", "/.Outbox", "/.INBOX.Projects",
                               "/.INBOX.Projects.2026", "/.Entw&APw-rfe", "/.v1\\2e2", "/.Sent.2025"})
        for (const char* sub : {"cur", "new", "tmp"}) {
            INFO(folder << "/" << sub);
            CHECK(fs::is_directory(dir + folder + "/" + sub));
        }
    CHECK_FALSE(fs::exists(dir + "/.Inbox"));
    CHECK_FALSE(fs::exists(dir + "/.Sent Items"));
    CHECK_FALSE(fs::exists(dir + "/.Contacts"));
    CHECK(fs::exists(dir + "/.Drafts/maildirfolder"));
    CHECK_FALSE(fs::exists(dir + "/maildirfolder"));
    CHECK(files_in(dir).size() == 2);
    CHECK(files_in(dir + "/.INBOX.Projects.2026").size() == 2);
    CHECK(fs::is_empty(dir + "/tmp"));
    std::string subscriptions = easd::test::read_file(dir + "/subscriptions");
    CHECK(subscriptions.rfind("V\t2\n\n", 0) == 0);
    for (const char* line : {"\nINBOX\n", "\nINBOX\tProjects\t2026\n", "\nEntw&APw-rfe\n", "\nSent\n", "\nTrash\n"}) {
        INFO(line);
        CHECK(subscriptions.find(line) != std::string::npos);
    }

    // Flags, keywords, mtime and bytes.
    const std::string projects = dir + "/.INBOX.Projects.2026";
    std::string flagged = file_with_subject(projects, "Flagged");
    REQUIRE(!flagged.empty());
    CHECK(flagged.substr(flagged.find(":2,")) == ":2,FRSab");
    CHECK(easd::test::read_file(projects + "/dovecot-keywords") == "0 Business\n1 Red&ACA-Category\n");
    struct stat st {};
    REQUIRE(stat((projects + "/cur/" + flagged).c_str(), &st) == 0);
    CHECK(st.st_mtime == 1700000000);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(flagged.rfind("1700000000.", 0) == 0);
    CHECK(flagged.find(",S=" + std::to_string(st.st_size) + ":2,") != std::string::npos);
    std::string plain = file_with_subject(dir, "Plain");
    CHECK(plain.substr(plain.find(":2,")) == ":2,Sa");
    CHECK(easd::test::read_file(dir + "/dovecot-keywords") == "0 Red&ACA-Category\n");
    std::string attached = file_with_subject(dir, "Attached");
    CHECK(attached.substr(attached.find(":2,")) == ":2,");
    std::string draft = file_with_subject(dir + "/.Drafts", "Draft");
    CHECK(draft.substr(draft.find(":2,")) == ":2,D");
    std::string forwarded = file_with_subject(dir + "/.Sent.2025", "Forwarded");
    CHECK(forwarded.substr(forwarded.find(":2,")) == ":2,a");
    CHECK(easd::test::read_file(dir + "/.Sent.2025/dovecot-keywords") == "0 $Forwarded\n");
    for (const char* subject : {"Plain", "Attached"}) {
        INFO(subject);
        std::string stored = unhex(psql("SELECT encode(e.mime, 'hex') FROM emails e JOIN items i ON i.id = e.item_id "
                                        "WHERE i.user_id = " + uid_of(src) + " AND e.subject = '" + subject + "'"));
        CHECK(easd::test::read_file(dir + "/cur/" + file_with_subject(dir, subject)) == stored);
    }

    SECTION("Dovecot reads the export") {
        if (run_process({"sh", "-c", "command -v doveadm"}).exit_code != 0) {
            WARN("doveadm not installed: skipped");
            return;
        }
        // doveadm writes its index files into the Maildir: give it a copy, owned by its mail user.
        const std::string copy = tmp.path + "/dovecot";
        REQUIRE(run_process({"cp", "-a", dir, copy}).exit_code == 0);
        if (geteuid() == 0) REQUIRE(run_process({"chown", "-R", "65534:65534", copy}).exit_code == 0);
        std::string list = doveadm(copy, {"mailbox", "list"});
        for (const char* name : {"INBOX\n", "INBOX.Projects.2026\n", "Sent\n", "Trash\n", "Drafts\n", "Junk\n",
                                 "Entwürfe\n", "Sent.2025\n"}) {
            INFO(list);
            CHECK(list.find(name) != std::string::npos);
        }
        std::string fetched = doveadm(copy, {"fetch", "flags date.received size.physical", "mailbox",
                                             "INBOX.Projects.2026", "header", "Subject", "Flagged"});
        CHECK(fetched.find("\\Answered \\Flagged \\Seen") != std::string::npos);
        CHECK(fetched.find("Business Red&ACA-Category") != std::string::npos);
        CHECK(fetched.find("size.physical: " + std::to_string(st.st_size)) != std::string::npos);
        CHECK(doveadm(copy, {"mailbox", "list", "-s"}).find("Entwürfe\n") != std::string::npos);  // subscribed
    }

    SECTION("import into another user: the same folders, messages and state; twice adds nothing") {
        r = easctl({"import", dst, dir});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(one_line(r.out));
        CHECK(r.out.find("imported 7 messages into 11 folders of " + dst) == 0);
        // Created: Inbox/Projects, Inbox/Projects/2026, Entwürfe, v1.2, Sent Items/2025; the
        // special-use names found easd's defaults.
        CHECK(r.out.find("(5 folders created, 0 messages already there)") != std::string::npos);
        CHECK(mailbox_signature(dst) == mailbox_signature(src));
        CHECK(psql("SELECT count(*) FROM folders WHERE user_id = " + uid_of(dst) + " AND name IN ('Trash', 'Sent', "
                   "'INBOX', 'Junk')") == "0");
        // Parsed as delivered mail is: the attachment's bytes come out of the stored message.
        CHECK(psql("SELECT a.file_name || '|' || a.content_type FROM email_attachments a JOIN items i ON i.id = "
                   "a.item_id WHERE i.user_id = " + uid_of(dst)) == "report.pdf|application/pdf");
        CHECK(psql("SELECT body_plain FROM emails e JOIN items i ON i.id = e.item_id WHERE i.user_id = " + uid_of(dst) +
                   " AND e.subject = 'Attached'")
              .rfind("See the report.", 0) == 0);

        std::string count = "SELECT count(*) FROM items WHERE user_id = " + uid_of(dst);
        CHECK(psql(count) == "7");
        r = easctl({"import", dst, dir});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("imported 0 messages into 11 folders of " + dst + " from " + dir +
                         " (0 folders created, 7 messages already there)") == 0);
        CHECK(psql(count) == "7");
        // And back into the user it came from: all there already.
        r = easctl({"--json", "import", src, dir});
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("\"messages\":0,") != std::string::npos);
        CHECK(r.out.find("\"already_there\":7,") != std::string::npos);
    }

    SECTION("a Maildir as Dovecot leaves it: new/, keywords of its own, a file that is no message") {
        const std::string other = tmp.path + "/dovecot-made";
        for (const char* d : {"", "/cur", "/new", "/tmp", "/.Archive/cur", "/.Archive/new", "/.Archive/tmp"})
            fs::create_directories(other + d);
        easd::test::write_file(other + "/new/1700000001.M1P1.mx", message("Unseen"));
        easd::test::write_file(other + "/cur/1700000002.M2P1.mx,S=1:2,Sbc", message("Kept"));
        easd::test::write_file(other + "/cur/1700000003.M3P1.mx:2,S", "");
        easd::test::write_file(other + "/dovecot-keywords", "0 $label1\n1 Team&ACA-A\n2 $Forwarded\n");
        easd::test::write_file(other + "/.Archive/cur/1700000004.M4P1.mx:2,T", message("Old"));
        r = easctl({"import", dst, other});
        CHECK(r.exit_code == 1);  // one file was no message; the rest is imported
        CHECK(r.err.find("1700000003.M3P1.mx:2,S: not a message") != std::string::npos);
        CHECK(r.err.find("1 message file could not be imported") != std::string::npos);
        CHECK(r.out.find("imported 3 messages into 2 folders") == 0);
        std::string state = psql("SELECT e.subject || ':' || e.read || ':' || e.last_verb || ':' || "
                                 "coalesce(encode(e.categories, 'hex'), '') FROM emails e JOIN items i ON i.id = "
                                 "e.item_id WHERE i.user_id = " + uid_of(dst) + " ORDER BY e.subject");
        CHECK(state == "Kept:true:3:" + hex(maildir::categories_wbxml({"Team A"})).substr(2) + "\n"
                       "Old:false:0:\nUnseen:false:0:");
    }

    SECTION("errors: one line, nothing written") {
        r = easctl({"export", src, dir});  // holds a Maildir now
        CHECK(r.exit_code == 1);
        CHECK(one_line(r.err));
        CHECK(r.err.find("already holds a Maildir") != std::string::npos);
        r = easctl({"export", "nobody@maildir.test", tmp.path + "/x"});
        CHECK(r.exit_code == 1);
        CHECK(r.err == "easctl: unknown user nobody@maildir.test\n");
        CHECK_FALSE(fs::exists(tmp.path + "/x"));
        r = easctl({"export", src});
        CHECK(r.exit_code == 64);

        std::string items = "SELECT count(*) FROM items WHERE user_id = " + uid_of(dst);
        std::string folders = "SELECT count(*) FROM folders WHERE user_id = " + uid_of(dst);
        std::string before = psql(items) + "/" + psql(folders);
        const std::string empty = tmp.path + "/empty";
        fs::create_directories(empty);
        for (const std::string& where : {empty, tmp.path + "/missing", dir + "/subscriptions"}) {
            INFO(where);
            r = easctl({"import", dst, where});
            CHECK(r.exit_code == 1);
            CHECK(one_line(r.err));
        }
        CHECK(easctl({"import", dst, empty}).err.find("is not a Maildir") != std::string::npos);
        // A Maildir folder with mail where easd has its calendar: refused before anything is stored.
        fs::create_directories(dir + "/.Calendar/cur");
        easd::test::write_file(dir + "/.Calendar/cur/1.x:2,", message("Meeting"));
        r = easctl({"import", dst, dir});
        CHECK(r.exit_code == 1);
        CHECK(one_line(r.err));
        CHECK(r.err.find("Calendar holds Calendar, not mail") != std::string::npos);
        CHECK(psql(items) + "/" + psql(folders) == before);
    }
}
