// Memory of large messages (issue 12): easd's peak resident memory while N phones each send a
// large message at once (SendMail, 12.1 form: the MIME message is the body), or, with --fetchers,
// while N phones each fetch a large stored message at once (ItemOperations Fetch with MIME, or of
// its attachment with --attachment), and what it keeps afterwards. Starts PostgreSQL, easd and
// nginx as the end-to-end tests do; sent messages go to a recipient elsewhere through a stand-in
// sendmail that discards them. One scenario per run: the peak (VmHWM) is the process's.
//
// usage: memory_bench [--senders N] [--mb SIZE]
//        memory_bench --fetchers N [--mb SIZE] [--attachment]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench_args.h"
#include "support/cluster.h"
#include "support/eas_client.h"
#include "support/process.h"
#include "support/server.h"

using namespace easd;

namespace {

long status_kb(pid_t pid, const char* field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
    return -1;
}

// Lets n phones of `user` (devices of their own, protocol `version`) do `request` at once, each on
// a thread of its own; returns how many did what they should and sets `seconds` to how long all took.
int at_once(const test::EasServer& server, const std::string& user, const char* version, int n,
            const std::function<bool(test::EasClient&)>& request, double& seconds) {
    std::vector<char> done(static_cast<std::size_t>(n), 0);
    std::vector<std::thread> threads;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            test::EasClient phone(server.http_port(), user, "pw", "MEM" + std::to_string(i), "Bench", version);
            phone.set_timeout(std::chrono::seconds(600));
            done[static_cast<std::size_t>(i)] = request(phone);
        });
    for (auto& t : threads) t.join();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int ok = 0;
    for (char d : done) ok += d;
    return ok;
}

// easd's resident memory before (as measured then), at its peak and two seconds after the last answer.
void print_memory(pid_t easd, long before_kb) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    std::printf("easd RSS before %ld MB, peak %ld MB, after %ld MB\n", before_kb / 1024,
                status_kb(easd, "VmHWM:") / 1024, status_kb(easd, "VmRSS:") / 1024);
}

// A message of `mb` MB as a phone receives a large photo: text and one base64 attachment of bytes
// that do not compress (PostgreSQL stores them as they are, as it would a JPEG).
std::string photo_message(int mb) {
    std::string mime = "From: someone@elsewhere.example\r\nTo: fetcher@bench.test\r\nSubject: large\r\n"
                       "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                       "Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: image/jpeg; "
                       "name=big.jpg\r\nContent-Disposition: attachment; filename=big.jpg\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::uint32_t x = 12345;
    std::string line(76, 'A');
    while (mime.size() < static_cast<std::size_t>(mb) << 20) {
        for (auto& c : line) {
            x = x * 1664525u + 1013904223u;
            c = b64[x >> 26];
        }
        mime += line + "\r\n";
    }
    return mime + "--b--\r\n";
}

// The text of the first element `t` below `node` (depth first), or "".
std::string find_text(const wbxml::Node& node, wbxml::Tag t) {
    if (node.tag == t) return std::string(node.text());
    for (const auto& c : node.children) {
        std::string s = find_text(c, t);
        if (!s.empty()) return s;
    }
    return {};
}

// N phones fetch one large delivered message at once: the whole item with its MIME (what iOS asks
// for with every message), or its attachment.
int fetch_scenario(int fetchers, int mb, bool attachment) {
    namespace tag = wbxml::tag;
    test::PgCluster cluster;
    test::EasServer::Options options;
    options.config_lines = {"threads = 16", "db_pool = 8"};
    test::EasServer server(cluster, options);
    test::create_user(cluster, "fetcher@bench.test", "pw");
    const std::string mime = photo_message(mb);
    auto delivered = test::run_process(
        {EASD_DELIVER_BIN, "--database", cluster.conninfo(), "--recipient", "fetcher@bench.test"}, mime);
    if (delivered.exit_code != 0) {
        std::fprintf(stderr, "easd-deliver failed: %s\n", delivered.err.c_str());
        return 1;
    }

    // The item's ServerId and attachment reference, as a phone learns them (no body asked for).
    test::EasClient setup(server.http_port(), "fetcher@bench.test", "pw", "SETUP", "Bench", "14.1");
    wbxml::Node fs(tag::FolderHierarchy::FolderSync);
    fs.add(tag::FolderHierarchy::SyncKey, "0");
    auto hierarchy = setup.command("FolderSync", &fs);
    std::string inbox;
    for (const auto& add : hierarchy.doc->child(tag::FolderHierarchy::Changes)->children_of(tag::FolderHierarchy::Add))
        if (add->child_text(tag::FolderHierarchy::Type) == "2")
            inbox = std::string(add->child_text(tag::FolderHierarchy::ServerId));
    auto sync = [&](const std::string& key) {
        wbxml::Node s(tag::AirSync::Sync);
        auto& c = s.add(tag::AirSync::Collections).add(tag::AirSync::Collection);
        c.add(tag::AirSync::SyncKey, key);
        c.add(tag::AirSync::CollectionId, inbox);
        if (key != "0") {
            auto& pref = c.add(tag::AirSync::Options).add(tag::AirSyncBase::BodyPreference);
            pref.add(tag::AirSyncBase::Type, "1");
            pref.add(tag::AirSyncBase::TruncationSize, "100");
        }
        return setup.command("Sync", &s);
    };
    auto first = sync("0");
    auto listed = sync(find_text(*first.doc, tag::AirSync::SyncKey));
    const std::string item = find_text(*listed.doc, tag::AirSync::ServerId);
    const std::string reference = find_text(*listed.doc, tag::AirSyncBase::FileReference);
    if (item.empty() || reference.empty()) {
        std::fprintf(stderr, "the message was not listed\n");
        return 1;
    }

    pid_t easd = server.easd_pid();
    long before = status_kb(easd, "VmRSS:");
    double seconds = 0;
    int ok = at_once(
        server, "fetcher@bench.test", "14.1", fetchers,
        [&](test::EasClient& phone) {
            wbxml::Node io(tag::ItemOperations::ItemOperations);
            auto& fetch = io.add(tag::ItemOperations::Fetch);
            fetch.add(tag::ItemOperations::Store, "Mailbox");
            if (attachment) {
                fetch.add(tag::AirSyncBase::FileReference, reference);
            } else {
                fetch.add(tag::AirSync::CollectionId, inbox);
                fetch.add(tag::AirSync::ServerId, item);
                fetch.add(tag::ItemOperations::Options).add(tag::AirSyncBase::BodyPreference).add(tag::AirSyncBase::Type, "4");
            }
            auto r = phone.command("ItemOperations", &io);
            return r.status == 200 && r.body.size() > mime.size() / 2;  // the message, not a failure status
        },
        seconds);
    std::printf("%d ItemOperations Fetches (%s) of a %.1f MB message at once: %d answered in %.1f s\n", fetchers,
                attachment ? "its attachment" : "MIME", mime.size() / 1048576.0, ok, seconds);
    print_memory(easd, before);
    return ok == fetchers ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const int mb = bench::arg_int(argc, argv, "--mb", 60);
    const int fetchers = bench::arg_int(argc, argv, "--fetchers", 0);
    if (fetchers > 0) return fetch_scenario(fetchers, mb, bench::arg_flag(argc, argv, "--attachment"));
    const int senders = bench::arg_int(argc, argv, "--senders", 4);
    test::PgCluster cluster;
    std::string dir = test::make_temp_dir("easd-membench");
    test::write_file(dir + "/sendmail", "#!/bin/sh\ncat >/dev/null\n", 0755);
    test::EasServer::Options options;
    options.config_lines = {"threads = 16", "db_pool = 8", "sendmail = " + dir + "/sendmail",
                            "max_body_memory_mb = 1024"};
    test::EasServer server(cluster, options);
    test::create_user(cluster, "sender@bench.test", "pw");

    // A message of `mb` MB: text and one base64 attachment, as a phone sends a large photo.
    std::string mime = "To: someone@elsewhere.example\r\nSubject: large\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
                       "see attached\r\n--b\r\nContent-Type: image/jpeg; name=big.jpg\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n";
    const std::string line(76, 'Q');
    while (mime.size() < static_cast<std::size_t>(mb) << 20) mime += line + "\r\n";
    mime += "--b--\r\n";

    pid_t easd = server.easd_pid();
    long before = status_kb(easd, "VmRSS:");
    double seconds = 0;
    int ok = at_once(
        server, "sender@bench.test", "12.1", senders,
        [&](test::EasClient& phone) {
            return phone.command_bytes("SendMail", mime, {}, {{"Content-Type", "message/rfc822"}}).status == 200;
        },
        seconds);
    std::printf("%d SendMails of %.1f MB at once: %d sent in %.1f s\n", senders, mime.size() / 1048576.0, ok, seconds);
    print_memory(easd, before);
    test::remove_tree(dir);
    return ok == senders ? 0 : 1;
}
