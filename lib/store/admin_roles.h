// Who administers what (schema 022): an account is an administrator of every domain ("admin"),
// of some domains ("domain-admin"), or of none. `easctl user role` sets it; the web console
// (lib/admin) reads it on every request, so a change counts at once, on every host.
#pragma once

#include <soci/soci.h>

#include <map>
#include <string>
#include <vector>

namespace easd::store {

struct AdminRole {
    bool all_domains = false;          // "admin"
    std::vector<std::string> domains;  // "domain-admin": the domains' names, sorted (empty with all_domains)

    bool is_admin() const { return all_domains || !domains.empty(); }
    // Whether the role covers accounts of `domain` (lower case, as users.domain holds it).
    bool covers(const std::string& domain) const;
};

// The account's role (nothing for an unknown id).
AdminRole admin_role_of(soci::session& sql, long long user_id);

// Every account's role that has one, by users.id, in one query (easctl user list).
std::map<long long, AdminRole> admin_roles_by_user(soci::session& sql);

// "admin", "domain-admin a.test b.test" or "none": as easctl and the console show it.
std::string role_text(const AdminRole& role);

enum class RoleChange { admin, domain_admin, none };

// admin: every domain (replaces any domain rows); domain_admin: adds `domain` (which must be served
// here) to the account's domains, and an all-domains role becomes that one domain; none: no role.
// In one transaction. InvalidRequest for an unknown user or domain. Returns the role after it.
AdminRole set_admin_role(soci::session& sql, const std::string& address, RoleChange change,
                         const std::string& domain = {});

}  // namespace easd::store
