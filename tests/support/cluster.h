// A real PostgreSQL 15 cluster for tests, in a temporary directory, reachable only over a unix socket
// in that directory; plus the small child-process helpers that the server harness shares with it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace easd::test {

// ---------------------------------------------------------------------------------------------
// Long-running children (postgres, easd, nginx).
//
// Started with fork+exec (not posix_spawn) so that the child can drop to another user (postgres
// refuses to run as root) and gets a parent-death signal: when a test binary dies without running
// destructors (an ASan abort, a Catch2 fatal error, SIGKILL from ctest's timeout), its servers die
// with it instead of lingering, holding ports or ctest's pipes. (Linux delivers the parent-death
// signal when the *thread* that forked exits; it is only requested when the caller is the main
// thread, which is where Catch2 runs the tests.) The child runs in its own session (setsid), with
// default signal dispositions; stdin is /dev/null; stdout and stderr append to log_path; no other
// descriptor is inherited.
struct SpawnOptions {
    std::string log_path;               // stdout+stderr, appended; empty: /dev/null
    std::string run_as;                 // user name to switch to (only when we are root); empty: keep
    std::string cwd = "/";              // working directory of the child
    int death_signal = 15;              // SIGTERM; 0 for none
    bool raise_nofile = true;           // raise the soft RLIMIT_NOFILE to the hard limit
    std::map<std::string, std::string> env;  // added to (or replacing in) our environment
};
pid_t spawn_child(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// Sends sig to pid, waits up to timeout for it to exit, then SIGKILLs it (and waits). Returns the
// exit status as run_process reports it (exit code, or 128+signal), or -1 if pid was not our child.
int stop_child(pid_t pid, int sig, std::chrono::milliseconds timeout = std::chrono::seconds(15));

// Waits up to timeout for pid to exit on its own (then SIGKILLs it); returns its status as above.
int wait_child(pid_t pid, std::chrono::milliseconds timeout);

// Non-blocking: true while pid is a running (not yet reaped) child. If it has exited, reaps it and
// stores the status (as stop_child returns it) in *status.
bool child_running(pid_t pid, int* status = nullptr);

// Helpers for the harness.
bool running_as_root();
std::string make_temp_dir(const std::string& prefix);  // mkdtemp under /tmp, chmod 0755
void remove_tree(const std::string& path);
std::string read_file(const std::string& path);        // "" when missing
void write_file(const std::string& path, const std::string& content, unsigned mode = 0644);
// Keep temporary directories (for post-mortems) when EASD_KEEP_TEST_DIRS is set to 1.
bool keep_test_dirs();

// ---------------------------------------------------------------------------------------------
// PgCluster: initdb + postgres in a fresh /tmp/easd-pg-XXXXXX (0755), socket in that directory, no
// TCP (listen_addresses=''), trust authentication, durability off (fsync, synchronous_commit,
// full_page_writes) for speed (see Options::synchronous_commit). When root, initdb runs as `postgres` through runuser and the server is
// started as `postgres`. The constructor waits until the server accepts connections, creates the
// database `easd` and runs `easctl --database <conninfo> migrate` (both optional).
class PgCluster {
public:
    struct Options {
        bool create_database = true;  // CREATE DATABASE easd
        bool migrate = true;          // EASCTL_BIN --database <conninfo> migrate (needs create_database)
        int max_connections = 200;
        // off (the default, for speed): a commit returns before its WAL is written, so an immediate
        // stop (a crash, for PostgreSQL) may lose the last ~200 ms of commits. Turn it on in tests
        // that crash the database and then expect committed data back. (fsync stays off either way:
        // the OS keeps what was written when only the server dies.)
        bool synchronous_commit = false;
    };

    PgCluster();
    explicit PgCluster(const Options& options);
    ~PgCluster();  // stops the server (immediate shutdown) and removes the directory
    PgCluster(const PgCluster&) = delete;
    PgCluster& operator=(const PgCluster&) = delete;

    // "host=/tmp/easd-pg-XXXX port=5432 dbname=easd user=postgres" (dbname: another database).
    std::string conninfo(const std::string& dbname = "easd") const;
    const std::string& dir() const { return dir_; }
    const std::string& socket_dir() const { return dir_; }
    int port() const { return port_; }
    std::string log() const;  // the server's log so far

    // Stops the server: fast shutdown (SIGINT, disconnects clients, checkpoints), or immediate
    // (SIGQUIT: like a crash; recovery runs at the next start; see Options::synchronous_commit).
    // Idempotent.
    void stop(bool immediate = false);
    // (Re)starts the server and waits until it accepts connections. Idempotent.
    void start();
    bool running() const { return pid_ > 0; }

    // Runs SQL through psql -X -At -v ON_ERROR_STOP=1 and returns its output without the final
    // newline (so psql("select 1") == "1"; rows are separated by '\n', columns by '|'). Throws
    // std::runtime_error with psql's stderr when psql fails.
    std::string psql(const std::string& sql, const std::string& dbname = "easd") const;

    // Runs `easctl --database <conninfo> migrate`; throws on failure; returns its stdout.
    std::string migrate() const;

private:
    void wait_ready();

    Options options_;
    std::string dir_;
    std::string data_dir_;
    int port_ = 5432;
    pid_t pid_ = -1;
};

// The process-wide cluster, started on first use (so one test binary starts PostgreSQL once) and
// stopped when the process exits. Tests that stop or break the database make their own PgCluster.
PgCluster& shared_cluster();

// Path of PostgreSQL 15's program NAME (/usr/lib/postgresql/15/bin/NAME, else NAME from PATH).
std::string pg_program(const std::string& name);

}  // namespace easd::test
