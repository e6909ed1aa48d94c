#include "store/conninfo.h"

#include <libpq-fe.h>

#include <cstring>
#include <memory>

namespace easd::store {

std::string describe_conninfo(const std::string& conninfo) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    // libpq's parse error may quote the string, password and all: never shown.
    if (error) PQfreemem(error);
    if (!options) return "a connection string that does not parse";
    std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> owned(options, PQconninfoFree);
    std::string out;
    for (const char* key : {"host", "hostaddr", "port", "dbname", "user", "service"}) {
        for (PQconninfoOption* o = options; o->keyword; ++o) {
            if (std::strcmp(o->keyword, key) != 0 || !o->val || !*o->val) continue;
            if (!out.empty()) out += ' ';
            out += std::string(key) + "=" + o->val;
        }
    }
    return out.empty() ? "libpq's defaults" : out;
}

}  // namespace easd::store
