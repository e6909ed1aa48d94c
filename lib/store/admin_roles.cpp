#include "store/admin_roles.h"

#include <algorithm>

#include "common/text.h"
#include "store/accounts.h"
#include "store/pq.h"

namespace easd::store {

bool AdminRole::covers(const std::string& domain) const {
    return all_domains || std::find(domains.begin(), domains.end(), domain) != domains.end();
}

AdminRole admin_role_of(soci::session& sql, long long user_id) {
    AdminRole role;
    PqResult r = pq_query(sql,
        "SELECT COALESCE(dm.name, '') FROM admin_roles a LEFT JOIN domains dm ON dm.id = a.domain_id "
        "WHERE a.user_id = $1 ORDER BY dm.name NULLS FIRST",
        {std::to_string(user_id)});
    for (int i = 0; i < r.rows(); ++i) {
        if (r.text(i, 0).empty()) role.all_domains = true;
        else role.domains.push_back(r.str(i, 0));
    }
    if (role.all_domains) role.domains.clear();
    return role;
}

std::map<long long, AdminRole> admin_roles_by_user(soci::session& sql) {
    std::map<long long, AdminRole> out;
    PqResult r = pq_query(sql,
        "SELECT a.user_id, COALESCE(dm.name, '') FROM admin_roles a LEFT JOIN domains dm ON dm.id = a.domain_id "
        "ORDER BY a.user_id, dm.name NULLS FIRST");
    for (int i = 0; i < r.rows(); ++i) {
        AdminRole& role = out[r.int64(i, 0)];
        if (r.text(i, 1).empty()) role.all_domains = true;
        else if (!role.all_domains) role.domains.push_back(r.str(i, 1));
    }
    return out;
}

std::string role_text(const AdminRole& role) {
    if (role.all_domains) return "admin";
    if (role.domains.empty()) return "none";
    std::string s = "domain-admin";
    for (const auto& d : role.domains) s += " " + d;
    return s;
}

AdminRole set_admin_role(soci::session& sql, const std::string& address, RoleChange change, const std::string& domain) {
    soci::transaction tr(sql);
    auto user = find_user(sql, address);
    if (!user) throw InvalidRequest("unknown user " + normalize_address(address));
    const std::string uid = std::to_string(user->id);
    switch (change) {
        case RoleChange::none:
            pq_query(sql, "DELETE FROM admin_roles WHERE user_id = $1", {uid});
            break;
        case RoleChange::admin:
            pq_query(sql, "DELETE FROM admin_roles WHERE user_id = $1", {uid});
            pq_query(sql, "INSERT INTO admin_roles (user_id, domain_id) VALUES ($1, NULL)", {uid});
            break;
        case RoleChange::domain_admin: {
            std::string name = to_lower_ascii(domain);
            PqResult d = pq_query(sql, "SELECT id FROM domains WHERE name = $1", {name});
            if (d.rows() == 0) throw InvalidRequest("unknown domain " + name);
            pq_query(sql, "DELETE FROM admin_roles WHERE user_id = $1 AND domain_id IS NULL", {uid});
            pq_query(sql,
                     "INSERT INTO admin_roles (user_id, domain_id) VALUES ($1, $2) "
                     "ON CONFLICT (user_id, domain_id) WHERE domain_id IS NOT NULL DO NOTHING",
                     {uid, d.str(0, 0)});
            break;
        }
    }
    AdminRole role = admin_role_of(sql, user->id);
    tr.commit();
    return role;
}

}  // namespace easd::store
