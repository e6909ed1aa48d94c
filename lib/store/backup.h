// Backup and restore of easd's database (`easctl backup FILE`, `easctl restore FILE`): pg_dump's
// custom format (compressed, restorable table by table) written by pg_dump and read by
// pg_restore, run as child processes on the connection easd's config names.
//
// The password never appears on a command line (where `ps` shows it to every user): the children
// get the connection string without it (-d), and the password, when the connection string has
// one, in a temporary password file (mode 0600, removed afterwards) named by PGPASSFILE in their
// environment. A password that comes from elsewhere (~/.pgpass, PGPASSWORD, PGPASSFILE) is the
// children's as it is easctl's: they inherit the environment.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace easd::store {

// A connection string split for a child process: everything but the password, as key=value
// pairs libpq reads back the same (values quoted), and the password apart. Throws InvalidRequest
// when libpq cannot parse `conninfo`.
struct SplitConninfo {
    std::string without_password;
    std::optional<std::string> password;
};
SplitConninfo split_password(const std::string& conninfo);

// The line of a password file (PostgreSQL's .pgpass format) that gives `password` for every
// host, port, database and user: "*:*:*:*:" and the password with ':' and '\' escaped.
std::string passfile_line(const std::string& password);

// The program `name` (pg_dump, pg_restore) from `bindir`, or from PATH when bindir is empty
// (Debian's /usr/bin/pg_dump is pg_wrapper, which runs the newest installed client: a client
// newer than the server is what pg_dump needs).
struct BackupTools {
    std::string bindir;
};

struct BackupResult {
    std::string file;
    long long bytes = 0;
    int schema_version = 0;  // of the database backed up
};

// pg_dump --format=custom of the database into `file`, written as `file`.partial and renamed
// when pg_dump succeeded, so a failed or interrupted backup never leaves a file that looks whole.
// Refuses (InvalidRequest) to overwrite an existing file. Throws std::runtime_error when pg_dump
// fails (its messages went to our stderr).
BackupResult backup_database(soci::session& sql, const std::string& conninfo, const std::string& file,
                             const BackupTools& tools = {});

struct RestoreResult {
    int schema_version = 0;           // of the restored database (easctl migrate brings it up to date)
    int required_schema_version = 0;  // what this build needs
};

// pg_restore of a backup into the (empty) database `conninfo` names, in one transaction (all or
// nothing), without the original's owners and grants (the connecting role owns what it creates).
// Refuses (InvalidRequest) a database that already has tables: restore into a new database
// (createdb -O easd easd). Throws std::runtime_error when pg_restore fails.
RestoreResult restore_database(soci::session& sql, const std::string& conninfo, const std::string& file,
                               const BackupTools& tools = {});

}  // namespace easd::store
