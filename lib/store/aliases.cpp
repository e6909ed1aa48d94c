#include "store/aliases.h"

#include "store/pq.h"

namespace easd::store {

namespace {

User account_or_throw(soci::session& sql, const std::string& address) {
    auto user = find_user(sql, address);
    if (!user) throw InvalidRequest("unknown user " + normalize_address(address));
    return *user;
}

}  // namespace

void add_alias(soci::session& sql, const std::string& address, const std::string& alias_in) {
    std::string alias = normalize_new_account_address(alias_in);
    User user = account_or_throw(sql, address);
    std::string domain = alias.substr(alias.rfind('@') + 1);
    if (pq_query(sql, "SELECT 1 FROM domains WHERE name = $1", {domain}).rows() == 0)
        throw InvalidRequest("unknown domain " + domain + " (add it with `easctl domain add`)");
    if (find_user(sql, alias)) throw InvalidRequest(alias + " is an account, it cannot be an alias");
    // The triggers of schema 012 close the race with a concurrent `user add` of the same address.
    PqResult r = pq_query(sql,
                          "INSERT INTO aliases (address, user_id) VALUES ($1, $2) "
                          "ON CONFLICT (address) DO NOTHING RETURNING 1",
                          {alias, std::to_string(user.id)});
    if (r.rows() == 0) throw InvalidRequest(alias + " is already an alias");
}

void remove_alias(soci::session& sql, const std::string& address, const std::string& alias_in) {
    std::string alias = normalize_address(alias_in);
    User user = account_or_throw(sql, address);
    PqResult r = pq_query(sql, "DELETE FROM aliases WHERE address = $1 AND user_id = $2 RETURNING 1",
                          {alias, std::to_string(user.id)});
    if (r.rows() == 0) throw InvalidRequest(alias + " is not an alias of " + user.address);
}

std::vector<std::string> list_aliases(soci::session& sql, const std::string& address) {
    User user = account_or_throw(sql, address);
    PqResult r = pq_query(sql, "SELECT address FROM aliases WHERE user_id = $1 ORDER BY address",
                          {std::to_string(user.id)});
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.str(i, 0));
    return out;
}

std::optional<User> find_recipient(soci::session& sql, const std::string& address) {
    if (auto user = find_user(sql, address)) return user;
    PqResult r = pq_query(sql,
                          "SELECT u.address FROM aliases a JOIN users u ON u.id = a.user_id WHERE a.address = $1",
                          {normalize_address(address)});
    if (r.rows() == 0) return std::nullopt;
    return find_user(sql, r.str(0, 0));
}

bool is_alias_of(soci::session& sql, const std::string& address, long long user_id) {
    std::string a;
    try {
        a = normalize_address(address);
    } catch (const InvalidRequest&) {
        return false;
    }
    return pq_query(sql, "SELECT 1 FROM aliases WHERE address = $1 AND user_id = $2", {a, std::to_string(user_id)})
               .rows() == 1;
}

}  // namespace easd::store
