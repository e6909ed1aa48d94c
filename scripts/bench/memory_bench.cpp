// Memory of large messages (issue 12): easd's peak resident memory while N phones each send a
// large message at once (SendMail, 12.1 form: the MIME message is the body), and what it keeps
// afterwards. Starts PostgreSQL, easd and nginx as the end-to-end tests do; the messages go to a
// recipient elsewhere through a stand-in sendmail that discards them.
//
// usage: memory_bench [--senders N] [--mb SIZE]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_args.h"
#include "support/cluster.h"
#include "support/eas_client.h"
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

}  // namespace

int main(int argc, char** argv) {
    const int senders = bench::arg_int(argc, argv, "--senders", 4);
    const int mb = bench::arg_int(argc, argv, "--mb", 60);
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
    std::vector<int> statuses(static_cast<std::size_t>(senders), 0);
    std::vector<std::thread> threads;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < senders; ++i)
        threads.emplace_back([&, i] {
            test::EasClient phone(server.http_port(), "sender@bench.test", "pw", "MEM" + std::to_string(i), "Bench",
                                  "12.1");
            phone.set_timeout(std::chrono::seconds(600));
            statuses[static_cast<std::size_t>(i)] =
                phone.command_bytes("SendMail", mime, {}, {{"Content-Type", "message/rfc822"}}).status;
        });
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    int ok = 0;
    for (int s : statuses) ok += s == 200;
    std::printf("%d SendMails of %.1f MB at once: %d sent in %.1f s\n", senders, mime.size() / 1048576.0, ok, seconds);
    std::printf("easd RSS before %ld MB, peak %ld MB, after %ld MB\n", before / 1024, status_kb(easd, "VmHWM:") / 1024,
                status_kb(easd, "VmRSS:") / 1024);
    test::remove_tree(dir);
    return ok == senders ? 0 : 1;
}
