// The worker process as an administrator runs it: HTTPS through nginx, a socket inherited on fd 0
// (spawn-fcgi), graceful stop on SIGTERM.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <csignal>
#include <thread>

#include "e2e_support.h"
#include "store/db.h"

using namespace e2e;

TEST_CASE("HTTPS through nginx with the generated certificate", "[e2e][tls]") {
    std::string user = new_user("tls");
    auto r = easd::test::run_process({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                                      server().cert_path(), "-X", "OPTIONS", "-u", user + ":secret-pw",
                                      "https://127.0.0.1:" + std::to_string(server().https_port()) +
                                          "/Microsoft-Server-ActiveSync"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "200");
}

TEST_CASE("HTTPS: HSTS on every answer, and only forward-secret AEAD ciphers under TLS 1.2", "[e2e][tls]") {
    const std::string url = "https://127.0.0.1:" + std::to_string(server().https_port()) + "/Microsoft-Server-ActiveSync";
    // On a 401 too ("always"): the header must not depend on the request succeeding.
    auto r = easd::test::run_process({"curl", "-s", "-D", "-", "-o", "/dev/null", "--cacert", server().cert_path(), "-X",
                                      "OPTIONS", "-u", "nobody@e2e.test:wrong", url});
    REQUIRE(r.exit_code == 0);
    std::string headers = r.out;
    std::transform(headers.begin(), headers.end(), headers.begin(), [](unsigned char c) { return std::tolower(c); });
    CHECK(headers.find(" 401") != std::string::npos);
    CHECK(headers.find("strict-transport-security: max-age=31536000") != std::string::npos);

    auto handshake = [&](const std::string& cipher) {
        return easd::test::run_process({"openssl", "s_client", "-connect",
                                        "127.0.0.1:" + std::to_string(server().https_port()), "-tls1_2", "-cipher",
                                        cipher, "-CAfile", server().cert_path()},
                                       "Q\n")
            .exit_code;
    };
    CHECK(handshake("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256") == 0);
    CHECK(handshake("ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA") != 0);  // CBC: refused
    CHECK(handshake("AES128-GCM-SHA256") != 0);                            // not forward secret: refused
}

TEST_CASE("easd serves a socket inherited on fd 0 (spawn-fcgi) and stops cleanly on SIGTERM", "[e2e][worker]") {
    easd::test::EasServer own(cluster());
    std::string user = new_user("spawn");
    EasClient c(own.http_port(), user, "secret-pw", "SPAWN1");
    REQUIRE(c.options().status == 200);

    // SIGTERM: exit status 0 and the socket file is gone.
    CHECK(own.stop_easd(SIGTERM) == 0);
    CHECK(access(own.socket_path().c_str(), F_OK) != 0);
    CHECK(c.options().status == 502);

    // spawn-fcgi creates the socket and hands it to easd on fd 0; nginx's upstream is the same path.
    auto r = easd::test::run_process({"spawn-fcgi", "-s", own.socket_path(), "-M", "0666", "-P",
                                      own.dir() + "/spawned.pid", "--", EASD_BIN, "--database",
                                      cluster().conninfo()});
    REQUIRE(r.exit_code == 0);
    int status = 0;
    for (int i = 0; i < 100 && (status = c.options().status) != 200; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(status == 200);
    auto h = folder_sync(c);
    CHECK(h.ids.count("Inbox") == 1);

    // spawn-fcgi's child is not ours: it is gone when it no longer exists or is a zombie that
    // whoever adopted it has not reaped yet.
    pid_t pid = std::stoi(easd::test::read_file(own.dir() + "/spawned.pid"));
    auto exited = [pid] {
        std::string stat = easd::test::read_file("/proc/" + std::to_string(pid) + "/stat");
        auto paren = stat.rfind(')');
        return stat.empty() || (paren != std::string::npos && stat.compare(paren + 2, 1, "Z") == 0);
    };
    REQUIRE(kill(pid, SIGTERM) == 0);
    for (int i = 0; i < 100 && !exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(exited());
    own.start_easd();  // leave the server as the destructor expects it
}

TEST_CASE("descriptors for parked requests: easd asks for what max_parked needs, nginx takes what it may open",
          "[e2e][worker][push]") {
    easd::test::EasServer::Options o;
    o.config_lines = {"max_parked = 10000000"};  // beyond the kernel's usual ceiling (nr_open, 1048576)
    easd::test::EasServer own(cluster(), o);
    // Either the limit was raised (a privileged easd where the kernel allows that many) or easd
    // says what it can park and how to give it more.
    std::string limits = easd::test::read_file("/proc/" + std::to_string(own.easd_pid()) + "/limits");
    auto line = limits.find("Max open files");
    REQUIRE(line != std::string::npos);
    const long long soft = std::atoll(limits.c_str() + limits.find_first_of("0123456789", line));
    if (soft < 10000000) {
        CHECK(own.easd_log().find("max_parked is 10000000, but the descriptor limit (" + std::to_string(soft) + ")") !=
              std::string::npos);
        CHECK(own.easd_log().find("LimitNOFILE=") != std::string::npos);
    }
    // nginx's workers count on as many connections as their descriptor limit allows (at most
    // 65536), and no more: no warning at start.
    rlimit nofile{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &nofile) == 0);
    const long long expected =
        nofile.rlim_max == RLIM_INFINITY ? 65536 : std::min<long long>(65536, static_cast<long long>(nofile.rlim_max));
    CHECK(easd::test::read_file(own.dir() + "/nginx.conf").find("worker_connections " + std::to_string(expected) + ";") !=
          std::string::npos);
    CHECK(own.nginx_error_log().find("exceed open file resource limit") == std::string::npos);
    EasClient c(own.http_port(), new_user("descriptors"), "secret-pw", "FD1");
    CHECK(c.options().status == 200);
}

TEST_CASE("database down: 503 with Retry-After, and service resumes when it is back", "[e2e][worker][database]") {
    easd::test::PgCluster::Options pg_options;
    pg_options.synchronous_commit = true;
    easd::test::PgCluster own_cluster(pg_options);
    easd::test::EasServer own(own_cluster);
    easd::test::create_user(own_cluster, "dbdown@e2e.test", "secret-pw");
    EasClient c(own.http_port(), "dbdown@e2e.test", "secret-pw", "DBDOWN");
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    REQUIRE(c.command("FolderSync", &body).status == 200);

    own_cluster.stop();
    auto down = c.command("FolderSync", &body);
    CHECK(down.status == 503);
    CHECK(down.header("retry-after") == "30");
    CHECK(own.easd_running());

    own_cluster.start();
    int status = 0;
    for (int i = 0; i < 50 && status != 200; ++i) {
        status = c.command("FolderSync", &body).status;
        if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    CHECK(status == 200);
}

TEST_CASE("after a PostgreSQL restart no request fails on a dead pooled connection", "[e2e][worker][database]") {
    easd::test::PgCluster::Options pg_options;
    pg_options.synchronous_commit = true;
    easd::test::PgCluster own_cluster(pg_options);
    easd::test::EasServer::Options options;
    options.config_lines = {"db_pool = 8", "threads = 16", "auth_cache_seconds = 3600"};
    easd::test::EasServer own(own_cluster, options);
    easd::test::create_user(own_cluster, "restart@e2e.test", "secret-pw");
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    // 16 at once, so every pooled connection has been used.
    auto burst = [&] {
        std::vector<int> statuses(16, 0);
        std::vector<std::thread> threads;
        for (int i = 0; i < 16; ++i)
            threads.emplace_back([&, i] {
                EasClient c(own.http_port(), "restart@e2e.test", "secret-pw", "RESTART" + std::to_string(i));
                statuses[i] = c.command("FolderSync", &body).status;
            });
        for (auto& t : threads) t.join();
        return statuses;
    };
    CHECK(burst() == std::vector<int>(16, 200));
    own_cluster.stop();
    own_cluster.start();  // waits until it accepts connections
    for (int round = 0; round < 2; ++round) {
        INFO("round " << round);
        CHECK(burst() == std::vector<int>(16, 200));
    }
}

// A saturated process shows in its log, not only as slow phones: a connection that waited a
// second or more between accept and a free request thread is reported (with how many threads).
// Here one thread, held by a FolderSync stuck on a table lock, while a second phone's request waits.
TEST_CASE("a request that waits a second for a busy request thread is logged", "[e2e][worker]") {
    easd::test::EasServer::Options options;
    options.config_lines = {"threads = 1"};
    easd::test::EasServer own(cluster(), options);
    const std::string user = new_user("qwait", "qwait-password");
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    EasClient first(own.http_port(), user, "qwait-password", "QWAIT1");
    EasClient second(own.http_port(), user, "qwait-password", "QWAIT2");
    REQUIRE(first.command("FolderSync", &body).status == 200);
    REQUIRE(second.command("FolderSync", &body).status == 200);
    CHECK(own.easd_log().find("for a request thread") == std::string::npos);  // nothing waited yet

    auto locker = easd::store::open_session(cluster().conninfo());
    *locker << "BEGIN";
    *locker << "LOCK TABLE devices IN ACCESS EXCLUSIVE MODE";
    int first_status = 0, second_status = 0;
    std::thread a([&] { first_status = first.command("FolderSync", &body).status; });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a holds the one thread
    std::thread b([&] { second_status = second.command("FolderSync", &body).status; });
    std::this_thread::sleep_for(std::chrono::milliseconds(1700));
    *locker << "ROLLBACK";
    a.join();
    b.join();
    CHECK(first_status == 200);
    CHECK(second_status == 200);
    const std::string log = own.easd_log();
    CHECK(log.find("requests waited 1 s or more for a request thread (longest ") != std::string::npos);
    CHECK(log.find("all 1 threads were busy") != std::string::npos);
}
