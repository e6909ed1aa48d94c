// A PostgreSQL connection string as messages may show it: never its password.
#pragma once

#include <string>

namespace easd::store {

// "host=/run/x port=5433 dbname=easd user=easd": the host, hostaddr, port, dbname, user and service
// the string names (key=value or postgresql:// form), nothing else (no password, no sslpassword,
// no other option). "a connection string that does not parse" when libpq cannot read it, and
// "libpq's defaults" when it names none of those.
std::string describe_conninfo(const std::string& conninfo);

}  // namespace easd::store
