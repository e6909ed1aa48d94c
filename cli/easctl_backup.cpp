#include "easctl_backup.h"

#include <string>

#include "store/backup.h"

namespace easd::cli {

namespace {
store::BackupTools tools(const Args& a) { return {a.value("--pg-bindir")}; }
}  // namespace

int run_backup_command(const Args& a, soci::session& sql) {
    const std::string& file = word(a, 1, "backup file");
    no_more_words(a, 2);
    auto r = store::backup_database(sql, conninfo_for(a), file, tools(a));
    done(a,
         "backed up the database (schema " + std::to_string(r.schema_version) + ") to " + r.file + " (" +
             std::to_string(r.bytes) + " bytes, pg_dump custom format; easctl restore reads it)",
         JsonObject().text("file", r.file).number("bytes", r.bytes).number("schema_version", r.schema_version));
    return 0;
}

int run_restore_command(const Args& a, soci::session& sql) {
    const std::string& file = word(a, 1, "backup file");
    no_more_words(a, 2);
    auto r = store::restore_database(sql, conninfo_for(a), file, tools(a));
    std::string next = r.schema_version < r.required_schema_version
                           ? "; the backup has schema " + std::to_string(r.schema_version) + ", this easd needs " +
                                 std::to_string(r.required_schema_version) + ": run easctl migrate before starting easd"
                           : "; easd can start on it";
    done(a, "restored " + file + next,
         JsonObject()
             .text("file", file)
             .number("schema_version", r.schema_version)
             .number("required_schema_version", r.required_schema_version));
    return 0;
}

}  // namespace easd::cli
