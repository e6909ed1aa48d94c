#include "support/cluster.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/process.h"

extern char** environ;

namespace easd::test {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

bool is_executable(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Resolved in the parent: nothing between fork and exec may allocate.
std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
    path += ":/usr/local/sbin:/usr/sbin:/sbin";  // nginx lives in /usr/sbin
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        if (dir.empty()) continue;
        std::string candidate = dir + "/" + name;
        if (is_executable(candidate)) return candidate;
    }
    throw std::runtime_error("cannot find program " + name + " in PATH");
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

bool running_as_root() { return ::geteuid() == 0; }

bool keep_test_dirs() {
    const char* v = std::getenv("EASD_KEEP_TEST_DIRS");
    return v && std::string(v) == "1";
}

std::string make_temp_dir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp " + tmpl + ": " + errno_text(errno));
    std::string dir(buf.data());
    // 0755: the postgres user (PostgreSQL's socket and data) and nginx's workers must get in.
    if (::chmod(dir.c_str(), 0755) != 0) throw std::runtime_error("chmod " + dir + ": " + errno_text(errno));
    return dir;
}

void remove_tree(const std::string& path) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, const std::string& content, unsigned mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw std::runtime_error("cannot write " + path + ": " + errno_text(errno));
    size_t done = 0;
    while (done < content.size()) {
        ssize_t w = ::write(fd, content.data() + done, content.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            int e = errno;
            ::close(fd);
            throw std::runtime_error("cannot write " + path + ": " + errno_text(e));
        }
        done += static_cast<size_t>(w);
    }
    ::fchmod(fd, mode);
    ::close(fd);
}

pid_t spawn_child(const std::vector<std::string>& argv, const SpawnOptions& options) {
    if (argv.empty()) throw std::invalid_argument("spawn_child: empty argv");

    // Everything the child needs is prepared here, in the parent.
    const std::string program = find_program(argv[0]);
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);

    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        std::string kv = *e;
        auto eq = kv.find('=');
        if (eq != std::string::npos && options.env.count(kv.substr(0, eq))) continue;
        env_strings.push_back(std::move(kv));
    }
    for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> cenv;
    for (auto& e : env_strings) cenv.push_back(e.data());
    cenv.push_back(nullptr);

    bool switch_user = !options.run_as.empty() && running_as_root();
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    if (switch_user) {
        passwd* pw = ::getpwnam(options.run_as.c_str());
        if (!pw) throw std::runtime_error("no such user: " + options.run_as);
        uid = pw->pw_uid;
        gid = pw->pw_gid;
        int n = 32;
        groups.resize(static_cast<size_t>(n));
        if (::getgrouplist(options.run_as.c_str(), gid, groups.data(), &n) < 0) {
            groups.resize(static_cast<size_t>(n));
            ::getgrouplist(options.run_as.c_str(), gid, groups.data(), &n);
        }
        groups.resize(static_cast<size_t>(n));
    }

    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) throw std::runtime_error("open /dev/null: " + errno_text(errno));
    int log_fd = null_fd;
    if (!options.log_path.empty()) {
        log_fd = ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            int e = errno;
            ::close(null_fd);
            throw std::runtime_error("open " + options.log_path + ": " + errno_text(e));
        }
    }
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + errno_text(errno));

    rlimit nofile {};
    ::getrlimit(RLIMIT_NOFILE, &nofile);
    const bool main_thread = ::gettid() == ::getpid();
    const pid_t parent = ::getpid();

    pid_t pid = ::fork();
    if (pid < 0) {
        int e = errno;
        ::close(err_pipe[0]);
        ::close(err_pipe[1]);
        if (log_fd != null_fd) ::close(log_fd);
        ::close(null_fd);
        throw std::runtime_error("fork: " + errno_text(e));
    }
    if (pid == 0) {
        // Child: async-signal-safe calls only.
        auto fail = [&](int step) {
            int report[2] = {step, errno};
            (void)!::write(err_pipe[1], report, sizeof report);
            ::_exit(127);
        };
        ::setsid();  // its own session: a ^C in the terminal reaches the test, not every server
        if (switch_user) {
            if (::setgroups(groups.size(), groups.data()) != 0) fail(1);
            if (::setgid(gid) != 0) fail(2);
            if (::setuid(uid) != 0) fail(3);
        }
        // After the credential change, which clears it.
        if (options.death_signal > 0 && main_thread) {
            if (::prctl(PR_SET_PDEATHSIG, options.death_signal) != 0) fail(4);
            if (::getppid() != parent) ::_exit(1);  // the parent died already
        }
        sigset_t all;
        sigemptyset(&all);
        ::sigprocmask(SIG_SETMASK, &all, nullptr);
        for (int s = 1; s < NSIG; ++s) {
            if (s == SIGKILL || s == SIGSTOP) continue;
            ::signal(s, SIG_DFL);  // the test binary ignores SIGPIPE; its children must not
        }
        if (options.raise_nofile && nofile.rlim_cur < nofile.rlim_max) {
            rlimit raised = nofile;
            raised.rlim_cur = nofile.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &raised);
        }
        if (::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) fail(5);
        if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) fail(6);
        // Nothing else crosses exec (the error pipe closes on success).
        if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
            long max = ::sysconf(_SC_OPEN_MAX);
            if (max < 0 || max > 65536) max = 65536;
            for (int fd = 3; fd < max; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
        ::execve(program.c_str(), cargv.data(), cenv.data());
        fail(7);
    }

    ::close(err_pipe[1]);
    if (log_fd != null_fd) ::close(log_fd);
    ::close(null_fd);
    int report[2] = {0, 0};
    ssize_t r;
    do {
        r = ::read(err_pipe[0], report, sizeof report);
    } while (r < 0 && errno == EINTR);
    ::close(err_pipe[0]);
    if (r > 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        static const char* steps[] = {"", "setgroups", "setgid", "setuid", "prctl", "dup2", "chdir", "exec"};
        int step = report[0] >= 1 && report[0] <= 7 ? report[0] : 7;
        throw std::runtime_error("cannot start " + program + ": " + steps[step] + ": " + errno_text(report[1]));
    }
    return pid;
}

bool child_running(pid_t pid, int* status) {
    if (pid <= 0) return false;
    int st = 0;
    pid_t r;
    do {
        r = ::waitpid(pid, &st, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return true;
    if (status) *status = r == pid ? decode_status(st) : -1;
    return false;
}

int stop_child(pid_t pid, int sig, std::chrono::milliseconds timeout) {
    if (pid <= 0) return -1;
    int status = -1;
    if (!child_running(pid, &status)) return status;
    ::kill(pid, sig);
    return wait_child(pid, timeout);
}

int wait_child(pid_t pid, std::chrono::milliseconds timeout) {
    if (pid <= 0) return -1;
    int status = -1;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!child_running(pid, &status)) return status;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGKILL);
    int st = 0;
    pid_t r;
    do {
        r = ::waitpid(pid, &st, 0);
    } while (r < 0 && errno == EINTR);
    return r == pid ? decode_status(st) : -1;
}

// ---------------------------------------------------------------------------------------------

std::string pg_program(const std::string& name) {
    std::string p = "/usr/lib/postgresql/15/bin/" + name;
    if (is_executable(p)) return p;
    return name;
}

PgCluster::PgCluster() : PgCluster(Options{}) {}

PgCluster::PgCluster(const Options& options) : options_(options) {
    dir_ = make_temp_dir("easd-pg");
    data_dir_ = dir_ + "/data";
    try {
        const bool root = running_as_root();
        if (root) {
            // PostgreSQL refuses to run as root: the cluster belongs to `postgres`, which also
            // creates its socket in dir_.
            passwd* pw = ::getpwnam("postgres");
            if (!pw) throw std::runtime_error("running as root, but there is no 'postgres' user");
            if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
                throw std::runtime_error("chown " + dir_ + ": " + errno_text(errno));
        }
        SpawnOptions so;
        so.log_path = dir_ + "/initdb.log";
        so.run_as = root ? "postgres" : "";
        pid_t pid = spawn_child({pg_program("initdb"), "-D", data_dir_, "-U", "postgres", "-A", "trust",
                                 "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"},
                                so);
        int rc = wait_child(pid, std::chrono::minutes(2));
        if (rc != 0)
            throw std::runtime_error("initdb failed (" + std::to_string(rc) + "):\n" + read_file(so.log_path));
        start();
        if (options_.create_database) {
            psql("CREATE DATABASE easd", "postgres");
            if (options_.migrate) migrate();
        }
    } catch (...) {
        stop(true);
        if (!keep_test_dirs()) remove_tree(dir_);
        throw;
    }
}

PgCluster::~PgCluster() {
    stop(true);
    if (!keep_test_dirs()) remove_tree(dir_);
}

std::string PgCluster::conninfo(const std::string& dbname) const {
    return "host=" + dir_ + " port=" + std::to_string(port_) + " dbname=" + dbname + " user=postgres";
}

std::string PgCluster::log() const { return read_file(dir_ + "/postgres.log"); }

void PgCluster::start() {
    if (pid_ > 0 && child_running(pid_)) return;
    pid_ = -1;
    SpawnOptions so;
    so.log_path = dir_ + "/postgres.log";
    so.run_as = running_as_root() ? "postgres" : "";
    so.death_signal = SIGQUIT;  // immediate shutdown: postmaster takes its backends with it
    // No TCP at all (listen_addresses=''): the port only names the socket file in our private
    // directory, so every cluster can use 5432 without colliding with any other.
    pid_ = spawn_child({pg_program("postgres"), "-D", data_dir_, "-k", dir_, "-p", std::to_string(port_),
                        "-c", "listen_addresses=", "-c", "fsync=off",
                        "-c", std::string("synchronous_commit=") + (options_.synchronous_commit ? "on" : "off"),
                        "-c", "full_page_writes=off", "-c", "unix_socket_permissions=0777",
                        "-c", "max_connections=" + std::to_string(options_.max_connections),
                        "-c", "shared_buffers=64MB", "-c", "log_min_messages=warning",
                        "-c", "log_line_prefix=%m [%p] "},
                       so);
    wait_ready();
}

void PgCluster::wait_ready() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (true) {
        int status = 0;
        if (!child_running(pid_, &status)) {
            pid_ = -1;
            throw std::runtime_error("postgres exited (" + std::to_string(status) + ") while starting:\n" + log());
        }
        auto r = run_process({pg_program("pg_isready"), "-q", "-h", dir_, "-p", std::to_string(port_), "-U",
                              "postgres", "-d", "postgres"});
        if (r.exit_code == 0) return;
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("postgres did not become ready within 60 s:\n" + log());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void PgCluster::stop(bool immediate) {
    if (pid_ <= 0) return;
    // SIGINT = fast shutdown, SIGQUIT = immediate shutdown.
    stop_child(pid_, immediate ? SIGQUIT : SIGINT, std::chrono::seconds(30));
    pid_ = -1;
}

std::string PgCluster::psql(const std::string& sql, const std::string& dbname) const {
    auto r = run_process({pg_program("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", dir_, "-p",
                          std::to_string(port_), "-U", "postgres", "-d", dbname, "-c", sql});
    if (r.exit_code != 0)
        throw std::runtime_error("psql failed (" + std::to_string(r.exit_code) + "): " + sql + "\n" + r.err);
    if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
}

std::string PgCluster::migrate() const {
    auto r = run_process({EASCTL_BIN, "--database", conninfo(), "migrate"});
    if (r.exit_code != 0)
        throw std::runtime_error("easctl migrate failed (" + std::to_string(r.exit_code) + "):\n" + r.out + r.err);
    return r.out;
}

PgCluster& shared_cluster() {
    static PgCluster cluster;
    return cluster;
}

}  // namespace easd::test
