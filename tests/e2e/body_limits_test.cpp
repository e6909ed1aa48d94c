// Request bodies are admitted before they are read (issue 12, part 2): a stranger's body never
// reaches easd's memory, a small command refuses a large body (413), and a message that is sent
// is read and handed back to the system afterwards.
#include <fstream>
#include <thread>

#include "e2e_support.h"
#include "support/text.h"

using namespace e2e;

namespace {

// The peak resident memory of a process so far (kB).
long peak_rss_kb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

}  // namespace

TEST_CASE("bodies are admitted before they are read: strangers' and oversized ones never are",
          "[e2e][limits][memory]") {
    easd::test::EasServer own(cluster());
    easd::test::create_user(cluster(), "bodies@e2e.test", "secret-pw");
    EasClient phone(own.http_port(), "bodies@e2e.test", "secret-pw", "BODIES");
    REQUIRE(phone.options().status == 200);
    long before = peak_rss_kb(own.easd_pid());
    REQUIRE(before > 0);

    // Eight unauthenticated 32 MB POSTs at once (nginx takes them whole, then passes them on).
    const std::string big(32u << 20, 'x');
    std::vector<int> statuses(8, 0);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            EasClient stranger(own.http_port(), "stranger" + std::to_string(i) + "@e2e.test", "wrong", "STRANGER");
            statuses[i] = stranger.command_bytes("SendMail", big, {}, {{"Content-Type", "message/rfc822"}}).status;
        });
    for (auto& t : threads) t.join();
    CHECK(statuses == std::vector<int>(8, 401));
    long after = peak_rss_kb(own.easd_pid());
    INFO("easd peak RSS " << before / 1024 << " MB before, " << after / 1024 << " MB after 256 MB of refused bodies");
    CHECK(after - before < 64 * 1024);

    // A signed-in phone's 2 MB FolderSync is refused unread; its 2 MB message is not.
    auto fs = phone.command_bytes("FolderSync", std::string(2u << 20, '\x03'));
    CHECK(fs.status == 413);
    CHECK(easd::test::has(fs.body, "too large for FolderSync"));
    std::string message = "To: bodies@e2e.test\r\nSubject: a large one\r\n\r\n" + std::string(2u << 20, 'y') + "\r\n";
    phone.set_protocol_version("12.1");
    auto sent = phone.command_bytes("SendMail", message, {}, {{"Content-Type", "message/rfc822"}});
    CHECK(sent.status == 200);
}
