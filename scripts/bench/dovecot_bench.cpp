// The Dovecot mail store next to the native one, through nginx, on this machine (issue 11):
//   initial sync     FolderSync (the Dovecot store mirrors the hierarchy and small mailboxes here,
//                    large ones in the background), then Sync of the Inbox in windows of 100 (and a
//                    Ping whenever the phone has all there is so far) until everything is on it
//   no-change Sync   median and p99 of a Sync with the current key and nothing new
//   delivery->Ping   a Ping parked on the Inbox, a message delivered (native: stored as easd-deliver
//                    stores it; Dovecot: through LMTP, announced by the push script; Dovecot
//                    without the script: found by the poll, imap_poll_seconds = 1), time until the
//                    Ping answers; median and p99
// The Inbox holds N messages (default 1,000; --messages 100000 for the large case), the same
// messages in both stores. The Dovecot one is filled as a migrated site's is: message files written
// into the user's Maildir before Dovecot sees them (APPENDing 100,000 messages one by one takes
// Dovecot most of an hour), so the first FolderSync's time includes Dovecot indexing them.
//
// usage: dovecot_bench [--messages N] [--requests N] [--pings N]
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "bench_args.h"
#include "content/draft.h"
#include "content/message.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/folders.h"
#include "store/mail.h"
#include "support/cluster.h"
#include "support/dovecot_server.h"
#include "support/eas_client.h"
#include "support/server.h"
#include "wbxml/wbxml.h"

using namespace easd;
using Clock = std::chrono::steady_clock;
namespace tag = wbxml::tag;

namespace {

wbxml::Node parse(const std::string& text) {
    std::string error;
    auto node = wbxml::from_xml(text, &error);
    if (!node) throw std::runtime_error("bad XML: " + error);
    return *node;
}

std::string message(int n) {
    return "From: Sender " + std::to_string(n % 300) + " <sender" + std::to_string(n % 300) +
           "@example.com>\r\nTo: bench@bench.test\r\nSubject: Benchmark message " + std::to_string(n) +
           "\r\nMessage-ID: <bench" + std::to_string(n) + "@example.com>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nHello, this is message " + std::to_string(n) +
           " of the benchmark, with a line of text\r\nand another one.\r\n";
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

void print_stats(const char* store, const char* what, std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    std::printf("%-22s %-34s median %8.2f ms   p99 %8.2f ms   (n=%zu)\n", store, what, ms[ms.size() / 2],
                ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], ms.size());
}

std::string text_of(const wbxml::Node& n, wbxml::Tag t) { return std::string(n.child_text(t)); }

struct SyncState {
    std::string inbox, key;
};

// FolderSync, then the Inbox in windows of 100 until all of it is on the phone; prints the times;
// returns the Inbox and its key.
SyncState initial_sync(const char* store, test::EasClient& c, int expected) {
    c.set_timeout(std::chrono::seconds(1800));  // the first FolderSync of a large mailbox mirrors it
    auto t0 = Clock::now();
    auto fs = parse("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    auto r = c.command("FolderSync", &fs);
    double folder_sync = ms_since(t0);
    SyncState s;
    for (const auto* add : r.doc->child(tag::FolderHierarchy::Changes)->children_of(tag::FolderHierarchy::Add))
        if (text_of(*add, tag::FolderHierarchy::Type) == "2") s.inbox = text_of(*add, tag::FolderHierarchy::ServerId);
    auto sync = [&](const std::string& key, const std::string& extra) {
        auto body = parse("<Sync xmlns='AirSync'><Collections><Collection><SyncKey>" + key + "</SyncKey><CollectionId>" +
                          s.inbox + "</CollectionId>" + extra + "</Collection></Collections></Sync>");
        return c.command("Sync", &body);
    };
    auto first = sync("0", "");
    s.key = text_of(*first.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection), tag::AirSync::SyncKey);
    int got = 0, windows = 0;
    std::vector<double> window_ms;
    double first_mail = -1;  // from the FolderSync's start
    auto t1 = Clock::now();
    // Until every message is on the phone: a large mailbox is mirrored in the background after
    // the first FolderSync, so when a window is the last for now, the phone parks a Ping as a phone
    // does and syncs again when it answers.
    while (got < expected && ms_since(t1) < 1800000) {
        auto w0 = Clock::now();
        auto resp = sync(s.key, "<WindowSize>100</WindowSize>");
        window_ms.push_back(ms_since(w0));
        const auto* col = resp.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection);
        s.key = text_of(*col, tag::AirSync::SyncKey);
        if (const auto* cmds = col->child(tag::AirSync::Commands)) got += static_cast<int>(cmds->children_of(tag::AirSync::Add).size());
        if (got > 0 && first_mail < 0) first_mail = ms_since(t0);
        ++windows;
        if (!col->has(tag::AirSync::MoreAvailable) && got < expected) {
            auto ping = parse("<Ping xmlns='Ping'><HeartbeatInterval>60</HeartbeatInterval><Folders><Folder><Id>" +
                              s.inbox + "</Id><Class>Email</Class></Folder></Folders></Ping>");
            c.command("Ping", &ping);
        }
    }
    double all = ms_since(t1);
    std::printf("%-22s FolderSync (first)                 %8.1f ms\n", store, folder_sync);
    std::printf("%-22s first mail on the phone            %8.1f ms after the FolderSync began\n", store, first_mail);
    std::printf("%-22s initial Sync, windows of 100       %8.1f ms for %d messages in %d windows (%d expected)\n",
                store, all, got, windows, expected);
    print_stats(store, "  one window of 100", window_ms);
    return s;
}

void no_change_sync(const char* store, test::EasClient& c, const SyncState& s, int n) {
    auto body = parse("<Sync xmlns='AirSync'><Collections><Collection><SyncKey>" + s.key + "</SyncKey><CollectionId>" +
                      s.inbox + "</CollectionId></Collection></Collections></Sync>");
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
        auto t0 = Clock::now();
        c.command("Sync", &body);
        ms.push_back(ms_since(t0));
    }
    print_stats(store, "no-change Sync", ms);
}

// Ping on the Inbox, `deliver` once it is parked; the delivery-to-answer times.
void ping_latency(const char* store, const char* what, test::EasClient& c, SyncState& s, int n,
                  const std::function<void(int)>& deliver) {
    auto ping = parse("<Ping xmlns='Ping'><HeartbeatInterval>300</HeartbeatInterval><Folders><Folder><Id>" + s.inbox +
                      "</Id><Class>Email</Class></Folder></Folders></Ping>");
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
        auto answer = std::async(std::launch::async, [&] { return c.command("Ping", &ping); });
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        auto t0 = Clock::now();
        deliver(i);
        auto r = answer.get();
        ms.push_back(ms_since(t0));
        // Take the new message, so the next Ping waits again.
        auto body = parse("<Sync xmlns='AirSync'><Collections><Collection><SyncKey>" + s.key + "</SyncKey><CollectionId>" +
                          s.inbox + "</CollectionId></Collection></Collections></Sync>");
        auto sr = c.command("Sync", &body);
        s.key = text_of(*sr.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection), tag::AirSync::SyncKey);
    }
    print_stats(store, what, ms);
}

// Writes the messages into the user's Maildir INBOX (cur/, seen by nobody yet), each file's mtime
// (Dovecot's INTERNALDATE) five minutes before the previous; owned by `mail` when we are root, as
// Dovecot's mail processes are.
void fill_maildir(const std::string& maildir, int messages) {
    const bool root = geteuid() == 0;
    passwd* pw = root ? getpwnam("mail") : nullptr;
    group* gr = root ? getgrnam("mail") : nullptr;
    auto own = [&](const std::string& path) {
        if (pw && gr && ::chown(path.c_str(), pw->pw_uid, gr->gr_gid) != 0) throw std::runtime_error("chown " + path);
    };
    std::string domain_dir = maildir.substr(0, maildir.rfind('/'));
    for (const std::string& d : {domain_dir, maildir, maildir + "/cur", maildir + "/new", maildir + "/tmp"}) {
        ::mkdir(d.c_str(), 0700);
        own(d);
    }
    const long now = static_cast<long>(std::time(nullptr));
    for (int i = 0; i < messages; ++i) {
        const std::string path = maildir + "/cur/" + std::to_string(now - i) + ".M" + std::to_string(i) + "P1.bench:2,";
        test::write_file(path, message(i), 0600);
        own(path);
        timeval times[2] = {{now - 300L * (messages - i), 0}, {now - 300L * (messages - i), 0}};
        ::utimes(path.c_str(), times);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it is measured, also into a file
    const int messages = bench::arg_int(argc, argv, "--messages", 1000);
    const int requests = bench::arg_int(argc, argv, "--requests", 200);
    const int pings = bench::arg_int(argc, argv, "--pings", 20);
    content::init_mime();
    test::PgCluster cluster;

    // --- native ---
    {
        test::EasServer server(cluster, [] {
            test::EasServer::Options o;
            o.config_lines = {"threads = 16", "db_pool = 8"};
            return o;
        }());
        const std::string user = "native@bench.test";
        test::create_user(cluster, user, "bench-password");
        auto sql = store::open_session(cluster.conninfo());
        auto account = store::find_user(*sql, user);
        auto inbox = store::find_folder_by_name(*sql, account->id, "Inbox");
        auto store_one = [&](int n) {
            std::string mime = message(n);
            auto parsed = content::parse_message(mime);
            store::insert_email(*sql, account->id, inbox->id, content::email_from_parsed(mime, *parsed));
        };
        auto t0 = Clock::now();
        for (int i = 0; i < messages; ++i) store_one(i);
        std::printf("native: %d messages stored in %.1f s\n", messages, ms_since(t0) / 1000);
        test::EasClient c(server.http_port(), user, "bench-password", "BENCHN", "TestDevice", "14.1");
        SyncState s = initial_sync("native", c, messages);
        no_change_sync("native", c, s, requests);
        ping_latency("native", "delivery -> Ping answer", c, s, pings, [&](int i) { store_one(messages + i); });
    }

    // --- Dovecot, with the push script, and without it (the poll) ---
    for (bool push : {true, false}) {
        test::DovecotServer::Options dopt;
        dopt.push = push;
        dopt.push_token = "bench-push-token";
        test::DovecotServer dovecot(dopt);
        test::EasServer server(cluster, [&] {
            test::EasServer::Options o;
            o.config_lines = {"threads = 16", "db_pool = 8", "mail_store = dovecot",
                              "imap_port = " + std::to_string(dovecot.imap_port()),
                              "imap_master_user = " + dovecot.master_user(),
                              "imap_master_password = " + dovecot.master_password()};
            if (push) o.config_lines.push_back("push_token = bench-push-token");
            else o.config_lines.push_back("imap_poll_seconds = 1");
            return o;
        }());
        if (push) dovecot.set_push_url(server.http_url() + "/easd-notify");
        const std::string user = push ? "dove@bench.test" : "poll@bench.test";
        dovecot.add_user(user, "bench-password");
        auto t0 = Clock::now();
        fill_maildir(dovecot.maildir(user), messages);
        std::printf("%s: %d messages written into the Maildir in %.1f s\n", push ? "dovecot" : "dovecot (poll)",
                    messages, ms_since(t0) / 1000);
        const char* name = push ? "dovecot (push script)" : "dovecot (poll, 1 s)";
        test::EasClient c(server.http_port(), user, "bench-password", push ? "BENCHD" : "BENCHP", "TestDevice", "14.1");
        SyncState s = initial_sync(name, c, messages);
        if (push) no_change_sync(name, c, s, requests);
        ping_latency(name, "delivery (LMTP) -> Ping answer", c, s, push ? pings : std::min(pings, 10),
                     [&](int i) { dovecot.deliver(user, message(messages + i)); });
    }
    return 0;
}
