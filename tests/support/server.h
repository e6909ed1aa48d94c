// easd behind a real front end, for end-to-end tests: nginx (one or more easd workers, each on its
// own unix socket, in one nginx upstream) or Apache httpd (one easd worker, the shipped
// apache/easd.conf.in), plain HTTP and HTTPS on free loopback ports, everything in a temporary
// directory that the destructor removes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "support/cluster.h"
#include "support/process.h"

namespace easd::test {

class EasServer {
public:
    // The web server the phones talk to. nginx: nginx/nginx.conf.in around nginx/easd-local.conf.in
    // (plain HTTP and TLS serve the same locations). apache: apache/httpd-local.conf.in around the
    // production virtual hosts apache/easd.conf.in, unchanged: easd over TLS on https_port(), and
    // http_port() only redirects to HTTPS.
    enum class FrontEnd { nginx, apache };

    struct Options {
        FrontEnd front_end = FrontEnd::nginx;
        // easd processes behind the one upstream (least_conn; see nginx/easd-local.conf.in). Apache:
        // exactly one (easd.conf.in passes to one socket).
        int workers = 1;
        // Extra `key = value` lines for every worker's config file (threads, heartbeat limits...).
        std::vector<std::string> config_lines;
        // Extra command-line arguments and environment for every worker.
        std::vector<std::string> args;
        std::map<std::string, std::string> env;
        // nginx's limits on clients (nginx/easd-local.conf.in), in seconds and requests. The timeouts
        // default to production's (nginx/easd.conf.in); the per-address limit does not, because every
        // test and benchmark client comes from 127.0.0.1 (push_bench parks thousands of Pings).
        int client_header_timeout = 20;
        int client_body_timeout = 30;
        int connections_per_address = 65535;  // nginx's largest: in effect no limit
        // nginx's worker_processes; 0: `auto` (one per core, as scripts/run and production run it).
        // More let nginx hold more parked Pings where the hard descriptor limit per process is low.
        int nginx_workers = 0;
        // How long to wait for easd and nginx to come up (sanitizer builds start slowly).
        std::chrono::seconds start_timeout{60};
    };

    explicit EasServer(PgCluster& cluster);
    EasServer(PgCluster& cluster, Options options);
    ~EasServer();  // stops the front end, then every easd (SIGTERM, SIGKILL after 15 s); removes the directory
    EasServer(const EasServer&) = delete;
    EasServer& operator=(const EasServer&) = delete;

    int http_port() const { return http_port_; }
    int https_port() const { return https_port_; }
    // Apache only: the plain-HTTP loopback host that serves /easd-notify (easd.conf.in's
    // NOTIFY_LISTEN, 127.0.0.1:8008 in production); 0 with nginx.
    int notify_port() const { return notify_port_; }
    std::string http_url() const;   // http://127.0.0.1:<port>
    std::string https_url() const;  // https://127.0.0.1:<port> (self-signed: cert_path())
    FrontEnd front_end() const { return options_.front_end; }
    const std::string& dir() const { return dir_; }
    std::string cert_path() const { return dir_ + "/tls/cert.pem"; }
    int workers() const { return static_cast<int>(workers_.size()); }

    // Worker i's files and process.
    std::string socket_path(int worker = 0) const;
    std::string config_path(int worker = 0) const;
    std::string easd_log_path(int worker = 0) const;
    std::string easd_log(int worker = 0) const;  // its stderr so far
    std::string protocol_log_dir() const { return dir_ + "/protocol"; }
    pid_t easd_pid(int worker = 0) const;
    pid_t front_end_pid() const { return front_pid_; }
    bool easd_running(int worker = 0);

    std::string nginx_error_log() const;
    std::string nginx_access_log() const;
    // Apache's main error log and the virtual hosts' (easd.conf.in's ErrorLog), and their access log.
    std::string apache_error_log() const;
    std::string apache_access_log() const;

    // Sends sig to worker i and waits up to timeout for it to exit (then SIGKILL). Returns its exit
    // status (exit code, or 128+signal). nginx answers 502 (Apache 503) for that worker until it is
    // started again (with several workers, nginx passes new requests to the others).
    int stop_easd(int sig = SIGTERM, int worker = 0,
                  std::chrono::milliseconds timeout = std::chrono::seconds(15));
    // Starts worker i again (after stop_easd) and waits until its socket is ready.
    void start_easd(int worker = 0);
    // stop_easd(SIGTERM) + start_easd; returns the exit status of the stopped process.
    int restart_easd(int worker = 0);

    // Waits until a request to /Microsoft-Server-ActiveSync gets an answer from easd (any status but
    // the front end's own "no easd": nginx's 502/504, Apache's 502/503/504; Apache over TLS, since
    // its plain HTTP only redirects). Throws with the logs on timeout.
    void wait_ready();

private:
    struct Worker {
        pid_t pid = -1;
        std::string socket, config, log;
    };
    void write_tls_certificate();
    void write_easd_config(int worker);
    void start_nginx();
    void start_apache();
    // Starts the front end on two fresh loopback ports: write_config renders its configuration for
    // http_port_ and https_port_, argv runs it in the foreground, logs are the files where it says
    // why it failed. Tries new ports when another process took one first.
    void start_front_end(const std::string& name, const std::function<void()>& write_config,
                         const std::vector<std::string>& argv, const std::vector<std::string>& logs);
    void stop_all() noexcept;
    std::string diagnostics() const;

    PgCluster& cluster_;
    Options options_;
    std::string dir_;
    std::vector<Worker> workers_;
    pid_t front_pid_ = -1;
    int http_port_ = 0;
    int https_port_ = 0;
    int notify_port_ = 0;
};

// Replaces each @NAME@ in text with values[NAME] (literally); throws std::runtime_error naming any
// placeholder left without a value. The C++ twin of scripts/render-config.
std::string render_template(const std::string& text, const std::map<std::string, std::string>& values);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
int free_port();

// Runs EASCTL_BIN --database <cluster.conninfo()> args... with the given stdin.
ProcessResult run_easctl(const PgCluster& cluster, const std::vector<std::string>& args,
                         const std::string& input = {});

// Creates address's domain (if it does not exist yet) and the user with that password, through
// easctl (`domain add`, `user add --password-stdin`). Throws with easctl's output on failure.
void create_user(const PgCluster& cluster, const std::string& address, const std::string& password);

}  // namespace easd::test
