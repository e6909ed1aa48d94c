#include "store/backup.h"

#include <libpq-fe.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "store/accounts.h"
#include "store/db.h"

extern char** environ;

namespace easd::store {

namespace {

std::string quoted(const std::string& value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

// A password file that exists as long as this object: created 0600 by mkstemp, removed after.
class TemporaryPassfile {
public:
    explicit TemporaryPassfile(const std::string& password) {
        const char* tmp = std::getenv("TMPDIR");
        path_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/easctl-pgpass-XXXXXX";
        int fd = mkstemp(path_.data());
        if (fd < 0) throw std::runtime_error("cannot create a password file in " + path_ + ": " + std::strerror(errno));
        std::string line = passfile_line(password) + "\n";
        bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
        ::close(fd);
        if (!ok) {
            std::remove(path_.c_str());
            throw std::runtime_error("cannot write the password file " + path_);
        }
    }
    ~TemporaryPassfile() { std::remove(path_.c_str()); }
    TemporaryPassfile(const TemporaryPassfile&) = delete;
    TemporaryPassfile& operator=(const TemporaryPassfile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Runs pg_dump or pg_restore with `args` after the program name, on the database `conninfo`
// names (passed as --dbname without its password), and waits for it. Its output and messages go
// where ours go. Throws std::runtime_error when it cannot be started or does not exit 0.
void run_pg_tool(const BackupTools& tools, const std::string& program, const std::string& conninfo,
                 std::vector<std::string> args) {
    SplitConninfo split = split_password(conninfo);
    std::unique_ptr<TemporaryPassfile> passfile;
    if (split.password) passfile = std::make_unique<TemporaryPassfile>(*split.password);

    // Our environment, with PGPASSFILE pointing at that file. PGPASSWORD would beat the file
    // (libpq: the password option, then PGPASSWORD, then the file), so it goes when we have one.
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string var = *e;
        if (passfile && (var.rfind("PGPASSFILE=", 0) == 0 || var.rfind("PGPASSWORD=", 0) == 0)) continue;
        env.push_back(std::move(var));
    }
    if (passfile) env.push_back("PGPASSFILE=" + passfile->path());

    std::string path = tools.bindir.empty() ? program : tools.bindir + "/" + program;
    args.insert(args.begin(), "--dbname=" + split.without_password);
    args.insert(args.begin(), path);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = 0;
    int rc = tools.bindir.empty() ? posix_spawnp(&pid, path.c_str(), nullptr, nullptr, argv.data(), envp.data())
                                  : posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv.data(), envp.data());
    if (rc != 0) throw std::runtime_error("cannot run " + path + ": " + std::strerror(rc));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) throw std::runtime_error(program + " was killed by signal " + std::to_string(WTERMSIG(status)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(program + " failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")");
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

SplitConninfo split_password(const std::string& conninfo) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (!options) {
        std::string why = error ? error : "out of memory";
        if (error) PQfreemem(error);
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        throw InvalidRequest("the database connection string does not parse: " + why);
    }
    SplitConninfo out;
    for (PQconninfoOption* o = options; o->keyword; ++o) {
        if (!o->val) continue;
        if (std::strcmp(o->keyword, "password") == 0) {
            out.password = o->val;
            continue;
        }
        if (!out.without_password.empty()) out.without_password += ' ';
        out.without_password += std::string(o->keyword) + "=" + quoted(o->val);
    }
    PQconninfoFree(options);
    return out;
}

std::string passfile_line(const std::string& password) {
    std::string out = "*:*:*:*:";
    for (char c : password) {
        if (c == ':' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

BackupResult backup_database(soci::session& sql, const std::string& conninfo, const std::string& file,
                             const BackupTools& tools) {
    if (file.empty()) throw InvalidRequest("no backup file named");
    if (exists(file)) throw InvalidRequest(file + " exists: easctl backup never overwrites a file");
    BackupResult result;
    result.file = file;
    result.schema_version = schema_version(sql);
    const std::string partial = file + ".partial";
    std::remove(partial.c_str());
    try {
        run_pg_tool(tools, "pg_dump", conninfo, {"--format=custom", "--file=" + partial});
    } catch (...) {
        std::remove(partial.c_str());
        throw;
    }
    if (std::rename(partial.c_str(), file.c_str()) != 0) {
        std::string why = std::strerror(errno);
        std::remove(partial.c_str());
        throw std::runtime_error("cannot rename " + partial + " to " + file + ": " + why);
    }
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) result.bytes = static_cast<long long>(st.st_size);
    return result;
}

RestoreResult restore_database(soci::session& sql, const std::string& conninfo, const std::string& file,
                               const BackupTools& tools) {
    if (file.empty()) throw InvalidRequest("no backup file named");
    if (::access(file.c_str(), R_OK) != 0) throw InvalidRequest("cannot read " + file + ": " + std::strerror(errno));
    // Into an empty database only: pg_restore on top of a live one would fail half-way or mix two
    // installations' rows.
    long long tables = 0;
    sql << "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
           "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
           "AND n.nspname NOT LIKE 'pg_toast%'",
        soci::into(tables);
    if (tables > 0)
        throw InvalidRequest("the database already has " + std::to_string(tables) +
                             " table(s): restore into a new, empty database (createdb -O <role> <name>), then "
                             "point easd's config at it");
    run_pg_tool(tools, "pg_restore", conninfo,
                {"--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges", file});
    RestoreResult result;
    result.schema_version = schema_version(sql);
    result.required_schema_version = required_schema_version();
    return result;
}

}  // namespace easd::store
