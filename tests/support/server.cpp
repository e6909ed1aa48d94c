#include "support/server.h"

#include "support/eas_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace easd::test {

namespace {

std::string tail(const std::string& text, size_t max = 4000) {
    return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

void make_dir(const std::string& path, mode_t mode = 0755) {
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
        throw std::runtime_error("mkdir " + path + ": " + std::strerror(errno));
    ::chmod(path.c_str(), mode);
}

// One GET of the ActiveSync URL through the front end; the HTTP status, or 0 when it does not
// answer at all. Over TLS when ca_file is given.
int probe_front_end(int port, const std::string& ca_file) {
    try {
        EasClient c(port, "", "", "");
        if (!ca_file.empty()) c.use_tls(ca_file);
        c.set_timeout(std::chrono::seconds(5));
        return c.raw("GET", "/Microsoft-Server-ActiveSync").status;
    } catch (const std::exception&) {
        return 0;
    }
}

// nginx.conf.in's worker_connections: what the workers' descriptor limit allows (spawn_child
// raises their soft limit to the hard one), at most 65536.
long long nginx_worker_connections() {
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_max == RLIM_INFINITY) return 65536;
    return std::clamp<long long>(static_cast<long long>(nofile.rlim_max), 1024, 65536);
}

std::string worker_user() {
    // nginx's workers and Apache's children must open easd's sockets (mode 0666 in a 0755
    // directory: any user will do).
    if (::getpwnam("www-data")) return "www-data";
    return "nobody";
}

}  // namespace

std::string render_template(const std::string& text, const std::map<std::string, std::string>& values) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    std::vector<std::string> missing;
    while (pos < text.size()) {
        size_t at = text.find('@', pos);
        if (at == std::string::npos) break;
        size_t end = text.find('@', at + 1);
        if (end == std::string::npos) break;
        std::string name = text.substr(at + 1, end - at - 1);
        bool placeholder = !name.empty() && std::isupper(static_cast<unsigned char>(name[0])) &&
                           std::all_of(name.begin(), name.end(), [](char c) {
                               return std::isupper(static_cast<unsigned char>(c)) ||
                                      std::isdigit(static_cast<unsigned char>(c)) || c == '_';
                           });
        if (!placeholder) {
            // Not ours (an e-mail address in a comment...): keep the '@', go on after it.
            out.append(text, pos, at + 1 - pos);
            pos = at + 1;
            continue;
        }
        out.append(text, pos, at - pos);
        auto it = values.find(name);
        if (it == values.end()) {
            missing.push_back(name);
        } else {
            out += it->second;
        }
        pos = end + 1;
    }
    out.append(text, pos, std::string::npos);
    if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) list += " @" + m + "@";
        throw std::runtime_error("render_template: no value for" + list);
    }
    return out;
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        int e = errno;
        ::close(fd);
        throw std::runtime_error(std::string("bind: ") + std::strerror(e));
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

ProcessResult run_easctl(const PgCluster& cluster, const std::vector<std::string>& args,
                         const std::string& input) {
    std::vector<std::string> argv{EASCTL_BIN, "--database", cluster.conninfo()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, input);
}

void create_user(const PgCluster& cluster, const std::string& address, const std::string& password) {
    auto at = address.find('@');
    if (at == std::string::npos) throw std::invalid_argument("create_user: not an address: " + address);
    const std::string domain = address.substr(at + 1);
    auto d = run_easctl(cluster, {"domain", "add", domain});
    if (d.exit_code != 0) {
        // Already there is fine; anything else is not.
        auto list = run_easctl(cluster, {"domain", "list"});
        if (list.exit_code != 0 || list.out.find(domain) == std::string::npos)
            throw std::runtime_error("easctl domain add " + domain + " failed:\n" + d.out + d.err);
    }
    auto u = run_easctl(cluster, {"user", "add", address, "--password-stdin"}, password + "\n");
    if (u.exit_code != 0)
        throw std::runtime_error("easctl user add " + address + " failed:\n" + u.out + u.err);
}

// ---------------------------------------------------------------------------------------------

EasServer::EasServer(PgCluster& cluster) : EasServer(cluster, Options{}) {}

EasServer::EasServer(PgCluster& cluster, Options options) : cluster_(cluster), options_(std::move(options)) {
    if (options_.workers < 1) throw std::invalid_argument("EasServer: workers must be >= 1");
    if (options_.front_end == FrontEnd::apache && options_.workers != 1)
        throw std::invalid_argument("EasServer: Apache passes to one easd (apache/easd.conf.in)");
    dir_ = make_temp_dir("easd-srv");
    try {
        // nginx's prefix layout (nginx.conf.in): log/, run/, tmp/. easd's sockets go in run/ (0755).
        for (const char* sub : {"log", "run", "tmp", "tls", "protocol"}) make_dir(dir_ + "/" + sub);
        write_tls_certificate();
        workers_.resize(static_cast<size_t>(options_.workers));
        for (int i = 0; i < options_.workers; ++i) {
            auto& w = workers_[static_cast<size_t>(i)];
            w.socket = dir_ + "/run/easd-" + std::to_string(i) + ".sock";
            w.config = dir_ + "/easd-" + std::to_string(i) + ".conf";
            w.log = dir_ + "/log/easd-" + std::to_string(i) + ".log";
            write_easd_config(i);
        }
        for (int i = 0; i < options_.workers; ++i) start_easd(i);
        if (options_.front_end == FrontEnd::apache) start_apache();
        else start_nginx();
        wait_ready();
    } catch (...) {
        std::string diag = diagnostics();
        stop_all();
        if (!keep_test_dirs()) remove_tree(dir_);
        try {
            throw;
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string(e.what()) + "\n" + diag);
        }
    }
}

EasServer::~EasServer() {
    stop_all();
    if (!keep_test_dirs()) remove_tree(dir_);
}

void EasServer::stop_all() noexcept {
    try {
        // SIGTERM: nginx's master and Apache's parent stop their workers and children.
        if (front_pid_ > 0) stop_child(front_pid_, SIGTERM, std::chrono::seconds(10));
        front_pid_ = -1;
        for (auto& w : workers_) {
            if (w.pid > 0) stop_child(w.pid, SIGTERM, std::chrono::seconds(15));
            w.pid = -1;
        }
    } catch (...) {
    }
}

std::string EasServer::http_url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
std::string EasServer::https_url() const { return "https://127.0.0.1:" + std::to_string(https_port_); }

std::string EasServer::socket_path(int worker) const { return workers_.at(static_cast<size_t>(worker)).socket; }
std::string EasServer::config_path(int worker) const { return workers_.at(static_cast<size_t>(worker)).config; }
std::string EasServer::easd_log_path(int worker) const { return workers_.at(static_cast<size_t>(worker)).log; }
std::string EasServer::easd_log(int worker) const { return read_file(easd_log_path(worker)); }
pid_t EasServer::easd_pid(int worker) const { return workers_.at(static_cast<size_t>(worker)).pid; }
std::string EasServer::nginx_error_log() const { return read_file(dir_ + "/log/nginx-error.log"); }
std::string EasServer::nginx_access_log() const { return read_file(dir_ + "/log/nginx-access.log"); }
std::string EasServer::apache_error_log() const {
    return read_file(dir_ + "/log/apache-error.log") + read_file(dir_ + "/log/easd-error.log");
}
std::string EasServer::apache_access_log() const { return read_file(dir_ + "/log/easd-access.log"); }

bool EasServer::easd_running(int worker) {
    auto& w = workers_.at(static_cast<size_t>(worker));
    if (w.pid <= 0) return false;
    if (child_running(w.pid)) return true;
    w.pid = -1;
    return false;
}

void EasServer::write_tls_certificate() {
    // EC P-256: generated in milliseconds, unlike RSA.
    auto r = run_process({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-nodes", "-days", "30", "-subj", "/CN=127.0.0.1", "-addext",
                          "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", dir_ + "/tls/key.pem", "-out",
                          dir_ + "/tls/cert.pem"});
    if (r.exit_code != 0) throw std::runtime_error("openssl req failed:\n" + r.err);
}

void EasServer::write_easd_config(int worker) {
    const auto& w = workers_.at(static_cast<size_t>(worker));
    std::string conf = "# written by tests/support/server.cpp\n";
    conf += "database = " + cluster_.conninfo() + "\n";
    conf += "socket = " + w.socket + "\n";
    // 0666 in a 0755 directory: nginx's workers (www-data when root, else us) can connect.
    conf += "socket_mode = 0666\n";
    conf += "protocol_log_dir = " + protocol_log_dir() + "\n";
    // Every test client comes from 127.0.0.1 and a test binary's servers share one database, so
    // the per-address sign-in limit would add up the wrong passwords of unrelated tests. The tests
    // of that limit set their own (later lines win).
    conf += "address_free_failures = 100000\naddress_lockout_failures = 1000000\n";
    // Tests and benchmarks send hundreds of requests a second from one test device; the request
    // budgets would tell them to wait. The tests of the budgets set their own.
    conf += "device_requests_per_minute = 0\nuser_requests_per_minute = 0\n";
    for (const auto& line : options_.config_lines) conf += line + "\n";
    write_file(w.config, conf, 0644);
}

void EasServer::start_easd(int worker) {
    auto& w = workers_.at(static_cast<size_t>(worker));
    if (w.pid > 0 && child_running(w.pid)) throw std::logic_error("start_easd: worker already running");
    ::unlink(w.socket.c_str());  // so that the wait below sees this process's socket
    std::vector<std::string> argv{EASD_BIN, "--config", w.config};
    argv.insert(argv.end(), options_.args.begin(), options_.args.end());
    SpawnOptions so;
    so.log_path = w.log;
    so.env = options_.env;
    so.death_signal = SIGKILL;  // the test died: no graceful stop needed
    w.pid = spawn_child(argv, so);

    // Ready when the socket exists with its final mode (easd chmods after bind).
    auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
    while (true) {
        int status = 0;
        if (!child_running(w.pid, &status)) {
            w.pid = -1;
            throw std::runtime_error("easd worker " + std::to_string(worker) + " exited (" + std::to_string(status) +
                                     ") while starting:\n" + tail(read_file(w.log)));
        }
        struct stat st {};
        if (::stat(w.socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0666) return;
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("easd worker " + std::to_string(worker) + " did not create " + w.socket +
                                     " (mode 0666) in time:\n" + tail(read_file(w.log)));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

int EasServer::stop_easd(int sig, int worker, std::chrono::milliseconds timeout) {
    auto& w = workers_.at(static_cast<size_t>(worker));
    int status = stop_child(w.pid, sig, timeout);
    w.pid = -1;
    return status;
}

int EasServer::restart_easd(int worker) {
    int status = stop_easd(SIGTERM, worker);
    start_easd(worker);
    return status;
}

void EasServer::start_nginx() {
    const std::string src = std::string(EASD_SOURCE_DIR) + "/nginx/";
    std::string servers;
    for (const auto& w : workers_) {
        // max_fails=0: a worker that a test stopped is never marked down, so it serves again as
        // soon as it is restarted; meanwhile nginx passes requests it refuses to the next worker.
        servers += "server unix:" + w.socket + " max_fails=0;\n    ";
    }
    write_file(dir_ + "/easd-locations.conf",
               render_template(read_file(src + "easd-locations.conf.in"),
                               {{"FASTCGI_PARAMS", "/etc/nginx/fastcgi_params"}}));
    write_file(dir_ + "/nginx.conf",
               render_template(read_file(src + "nginx.conf.in"),
                               {{"USER_DIRECTIVE", running_as_root() ? "user " + worker_user() + ";" : ""},
                                {"NGINX_WORKERS", options_.nginx_workers > 0 ? std::to_string(options_.nginx_workers) : "auto"},
                                {"WORKER_CONNECTIONS", std::to_string(nginx_worker_connections())},
                                {"EASD_LOCAL_CONF", dir_ + "/easd-local.conf"}}));
    const std::string local_template = read_file(src + "easd-local.conf.in");
    if (local_template.empty()) throw std::runtime_error("cannot read " + src + "easd-local.conf.in");
    start_front_end(
        "nginx",
        [&] {
            write_file(dir_ + "/easd-local.conf",
                       render_template(local_template,
                                       {{"HTTP_LISTEN", "127.0.0.1:" + std::to_string(http_port_)},
                                        {"HTTPS_LISTEN", "127.0.0.1:" + std::to_string(https_port_)},
                                        {"TLS_CERT", dir_ + "/tls/cert.pem"},
                                        {"TLS_KEY", dir_ + "/tls/key.pem"},
                                        {"EASD_SERVERS", servers},
                                        {"EASD_LOCATIONS", dir_ + "/easd-locations.conf"},
                                        {"CLIENT_HEADER_TIMEOUT", std::to_string(options_.client_header_timeout) + "s"},
                                        {"CLIENT_BODY_TIMEOUT", std::to_string(options_.client_body_timeout) + "s"},
                                        {"CONNS_PER_ADDRESS", std::to_string(options_.connections_per_address)}}));
        },
        {"nginx", "-c", dir_ + "/nginx.conf", "-p", dir_ + "/", "-g", "daemon off;"},
        {dir_ + "/log/nginx-error.log", dir_ + "/log/nginx-stderr.log"});
}

void EasServer::start_apache() {
    const std::string src = std::string(EASD_SOURCE_DIR) + "/apache/";
    const std::string site_template = read_file(src + "easd.conf.in");
    const std::string main_template = read_file(src + "httpd-local.conf.in");
    if (site_template.empty() || main_template.empty())
        throw std::runtime_error("cannot read " + src + "easd.conf.in or httpd-local.conf.in");
    std::string user;
    if (running_as_root()) user = "User " + worker_user() + "\nGroup " + worker_user();
    start_front_end(
        "apache2",
        [&] {
            do {
                notify_port_ = free_port();
            } while (notify_port_ == http_port_ || notify_port_ == https_port_);
            const std::string http = "127.0.0.1:" + std::to_string(http_port_);
            const std::string https = "127.0.0.1:" + std::to_string(https_port_);
            const std::string notify = "127.0.0.1:" + std::to_string(notify_port_);
            // The production virtual hosts as an administrator renders them (README), but for
            // our ports, socket and certificate.
            write_file(dir_ + "/easd-site.conf",
                       render_template(site_template, {{"HTTP_LISTEN", http},
                                                       {"HTTPS_LISTEN", https},
                                                       {"NOTIFY_LISTEN", notify},
                                                       {"SERVER_NAME", "localhost"},
                                                       {"SERVER_ALIASES", "autodiscover.localhost"},
                                                       {"EASD_SOCKET", workers_.at(0).socket},
                                                       {"TLS_CERT", dir_ + "/tls/cert.pem"},
                                                       {"TLS_KEY", dir_ + "/tls/key.pem"}}));
            write_file(dir_ + "/apache2.conf",
                       render_template(main_template, {{"SERVER_ROOT", dir_},
                                                       {"MODULES", "/usr/lib/apache2/modules"},
                                                       {"USER_DIRECTIVE", user},
                                                       {"LISTEN", "Listen " + http + "\nListen " + https + "\nListen " + notify},
                                                       {"EASD_SITE", dir_ + "/easd-site.conf"}}));
        },
        {"apache2", "-f", dir_ + "/apache2.conf", "-DFOREGROUND"},
        {dir_ + "/log/apache-error.log", dir_ + "/log/easd-error.log", dir_ + "/log/apache-stderr.log"});
}

void EasServer::start_front_end(const std::string& name, const std::function<void()>& write_config,
                                const std::vector<std::string>& argv, const std::vector<std::string>& logs) {
    // The ports were free a moment ago; another process may take one first. Try again then.
    for (int attempt = 1;; ++attempt) {
        http_port_ = free_port();
        do {
            https_port_ = free_port();
        } while (https_port_ == http_port_);
        write_config();
        SpawnOptions so;
        so.log_path = logs.back();  // its stdout and stderr
        so.death_signal = SIGTERM;  // nginx's master and Apache's parent stop their workers
        front_pid_ = spawn_child(argv, so);

        // Up when it accepts a TCP connection on the HTTP port.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        bool listening = false;
        int status = 0;
        bool exited = false;
        while (std::chrono::steady_clock::now() < deadline) {
            if (!child_running(front_pid_, &status)) {
                exited = true;
                break;
            }
            int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in addr {};
            addr.sin_family = AF_INET;
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            addr.sin_port = htons(static_cast<uint16_t>(http_port_));
            listening = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
            ::close(fd);
            if (listening) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (listening) return;
        if (!exited) {
            stop_child(front_pid_, SIGTERM, std::chrono::seconds(5));
            front_pid_ = -1;
            throw std::runtime_error(name + " did not listen on port " + std::to_string(http_port_) + " in time");
        }
        front_pid_ = -1;
        std::string log;
        for (const auto& path : logs) log += read_file(path);
        if (attempt < 5 && log.find("Address already in use") != std::string::npos) continue;
        throw std::runtime_error(name + " exited (" + std::to_string(status) + ") while starting:\n" + tail(log));
    }
}

void EasServer::wait_ready() {
    const bool apache = options_.front_end == FrontEnd::apache;
    auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
    int last = 0;
    while (true) {
        last = apache ? probe_front_end(https_port_, cert_path()) : probe_front_end(http_port_, "");
        // Apache says 503 when it cannot reach easd (nginx 502).
        if (last != 0 && last != 502 && last != 504 && !(apache && last == 503)) return;
        if (front_pid_ <= 0 || !child_running(front_pid_))
            throw std::runtime_error(std::string(apache ? "apache2" : "nginx") + " is not running");
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("no answer from easd through the front end (last HTTP status " +
                                     std::to_string(last) + ")");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

std::string EasServer::diagnostics() const {
    std::string out = "--- test server in " + dir_ + "\n";
    for (size_t i = 0; i < workers_.size(); ++i)
        out += "--- easd worker " + std::to_string(i) + " log:\n" + tail(read_file(workers_[i].log)) + "\n";
    if (options_.front_end == FrontEnd::apache)
        out += "--- apache error logs:\n" + tail(apache_error_log() + read_file(dir_ + "/log/apache-stderr.log")) + "\n";
    else
        out += "--- nginx error log:\n" + tail(nginx_error_log() + read_file(dir_ + "/log/nginx-stderr.log")) + "\n";
    return out;
}

}  // namespace easd::test
