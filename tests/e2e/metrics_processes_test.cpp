// GET /easd-metrics on a host with several easd processes behind one nginx upstream: whichever
// process nginx passes the scrape to answers for all of them (commands/metrics_snapshots.h), each
// sample labelled with its process's pid, so that sum(easd_requests_total) counts every request.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "e2e_support.h"

using namespace e2e;

namespace {

struct HostScrape {
    std::string text;
    std::set<std::string> pids;           // every pid="N" a sample carries
    std::map<std::string, double> requests_by_pid;  // easd_requests_total summed per pid
    int store_up_samples = 0;             // easd_store_figures_up lines (the database's figures: once)
    int unlabelled_process_samples = 0;   // process samples without a pid (there must be none)
    std::multiset<std::string> family_headers;  // "# TYPE name": each once
};

std::string pid_of(const std::string& series) {
    auto at = series.rfind("pid=\"");
    if (at == std::string::npos) return {};
    at += 5;
    return series.substr(at, series.find('"', at) - at);
}

HostScrape scrape_host(int port) {
    EasClient c(port, "nobody@e2e.test", "", "METRICSALL");
    auto r = c.raw("GET", "/easd-metrics");
    INFO(r.body);
    REQUIRE(r.status == 200);
    HostScrape s;
    s.text = r.body;
    std::istringstream lines(r.body);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("# TYPE ", 0) == 0) s.family_headers.insert(line.substr(7, line.find(' ', 7) - 7));
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        REQUIRE(space != std::string::npos);
        const std::string series = line.substr(0, space);
        const std::string pid = pid_of(series);
        const bool from_database = series.rfind("easd_store_figures_up", 0) == 0 || series.rfind("easd_devices", 0) == 0 ||
                                   series.rfind("easd_wipes_pending", 0) == 0 ||
                                   series.rfind("easd_deliveries_last_hour", 0) == 0;
        if (series == "easd_store_figures_up") ++s.store_up_samples;
        if (from_database) {
            CHECK(pid.empty());
            continue;
        }
        if (pid.empty()) ++s.unlabelled_process_samples;
        else s.pids.insert(pid);
        if (series.rfind("easd_requests_total{", 0) == 0) s.requests_by_pid[pid] += std::stod(line.substr(space + 1));
    }
    return s;
}

double requests_in_all(const HostScrape& s) {
    double n = 0;
    for (const auto& [pid, v] : s.requests_by_pid) n += v;
    return n;
}

void check_format(const HostScrape& s) {
    for (const auto& name : s.family_headers) {
        INFO(name);
        CHECK(s.family_headers.count(name) == 1);
    }
    if (easd::test::run_process({"sh", "-c", "command -v promtool"}).exit_code != 0) {
        WARN("promtool not installed (Debian's prometheus package; scripts/packages.txt): format not checked by it");
        return;
    }
    auto check = easd::test::run_process({"promtool", "check", "metrics"}, s.text);
    INFO(check.out << check.err << s.text);
    CHECK(check.exit_code == 0);
}

bool exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("/easd-metrics with two easd processes: every scrape counts both, a stopped one drops out",
          "[e2e][metrics][processes]") {
    easd::test::EasServer::Options o;
    o.workers = 2;
    easd::test::EasServer two(cluster(), o);
    const std::string pid0 = std::to_string(two.easd_pid(0)), pid1 = std::to_string(two.easd_pid(1));
    const std::string dir = two.dir() + "/run/metrics";  // beside the sockets (run/easd-N.sock)

    // N requests, several at once so that least_conn spreads them over both processes.
    const int threads = 4, each = 15, n = threads * each;
    std::vector<std::future<int>> senders;  // each: its answers with 200 (Catch2 checks stay on this thread)
    for (int t = 0; t < threads; ++t)
        senders.push_back(std::async(std::launch::async, [&two] {
            EasClient c(two.http_port(), "nobody@e2e.test", "", "METRICSN");
            int ok = 0;
            for (int i = 0; i < each; ++i) ok += c.raw("GET", "/easd-health").status == 200;
            return ok;
        }));
    for (auto& s : senders) CHECK(s.get() == each);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // every process wrote its snapshot since
    CHECK(exists(dir + "/" + pid0 + ".prom"));
    CHECK(exists(dir + "/" + pid1 + ".prom"));

    // Whichever process answers (least_conn takes turns between idle ones): both pids, all N.
    for (int i = 0; i < 6; ++i) {
        HostScrape s = scrape_host(two.http_port());
        INFO(s.text);
        CHECK(s.pids == std::set<std::string>{pid0, pid1});
        CHECK(requests_in_all(s) >= n);
        CHECK(s.requests_by_pid[pid0] > 0);
        CHECK(s.requests_by_pid[pid1] > 0);
        CHECK(s.store_up_samples == 1);
        CHECK(s.unlabelled_process_samples == 0);
        check_format(s);
    }
    struct stat st {};
    REQUIRE(stat(dir.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0750);

    // SIGTERM: a clean stop takes its file along; the other answers for itself alone.
    CHECK(two.stop_easd(SIGTERM, 1) == 0);
    CHECK_FALSE(exists(dir + "/" + pid1 + ".prom"));
    CHECK(scrape_host(two.http_port()).pids == std::set<std::string>{pid0});

    // SIGKILL: the file stays, but the pid is dead: the next scrape leaves it out and removes it.
    two.start_easd(1);
    const std::string pid1b = std::to_string(two.easd_pid(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    REQUIRE(exists(dir + "/" + pid1b + ".prom"));
    for (int i = 0; i < 4; ++i) CHECK(scrape_host(two.http_port()).pids == std::set<std::string>{pid0, pid1b});
    two.stop_easd(SIGKILL, 1);
    CHECK(exists(dir + "/" + pid1b + ".prom"));
    HostScrape after = scrape_host(two.http_port());
    CHECK(after.pids == std::set<std::string>{pid0});
    CHECK(after.text.find("pid=\"" + pid1b + "\"") == std::string::npos);
    CHECK_FALSE(exists(dir + "/" + pid1b + ".prom"));
    check_format(after);
    two.start_easd(1);
}
