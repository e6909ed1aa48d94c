#include "store/login_failures.h"

#include <arpa/inet.h>

#include <cstring>

#include "store/admin.h"
#include "store/pq.h"

namespace easd::store {

std::string account_login_key(const std::string& login) { return "account:" + login; }

std::string address_login_key(const std::string& remote_addr) {
    // One IPv6 client usually owns a whole /64 and could take a new address for every guess.
    in6_addr v6{};
    if (remote_addr.find(':') != std::string::npos && inet_pton(AF_INET6, remote_addr.c_str(), &v6) == 1) {
        bool v4_mapped = IN6_IS_ADDR_V4MAPPED(&v6);
        if (!v4_mapped) {
            std::memset(v6.s6_addr + 8, 0, 8);
            char text[INET6_ADDRSTRLEN];
            if (inet_ntop(AF_INET6, &v6, text, sizeof text)) return std::string("address:") + text + "/64";
        }
    }
    return "address:" + remote_addr;
}

std::string device_login_key(const std::string& address, const std::string& device_id) {
    return "device:" + address + "/" + device_id;
}

std::vector<LoginBlock> blocked_logins(soci::session& sql, const std::vector<std::string>& keys) {
    std::vector<LoginBlock> blocks;
    if (keys.empty()) return blocks;
    std::string list = text_array(keys);
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT key, failures, GREATEST(1, ceil(extract(epoch FROM blocked_until - now())))::integer, "
                        "locked::integer FROM login_failures WHERE key = ANY(:keys::text[]) AND blocked_until > now()",
         soci::use(list));
    for (const auto& r : rs) {
        LoginBlock b;
        b.key = r.get<std::string>(0);
        b.failures = r.get<int>(1);
        b.retry_after_seconds = r.get<int>(2);
        b.locked = r.get<int>(3) != 0;
        blocks.push_back(std::move(b));
    }
    return blocks;
}

int count_login_failure(soci::session& sql, const std::string& key, int window_seconds) {
    int failures = 0;
    sql << "INSERT INTO login_failures AS f (key, failures) VALUES (:k, 1) "
           "ON CONFLICT (key) DO UPDATE SET "
           "  failures = CASE WHEN f.last_failure < now() - make_interval(secs => :w) THEN 1 ELSE f.failures + 1 END, "
           "  first_failure = CASE WHEN f.last_failure < now() - make_interval(secs => :w) THEN now() "
           "                  ELSE f.first_failure END, "
           "  locked = f.locked AND f.last_failure >= now() - make_interval(secs => :w), "
           "  last_failure = now() "
           "RETURNING failures",
        soci::use(key, "k"), soci::use(window_seconds, "w"), soci::into(failures);
    // Keys nobody has failed under for a day are history, not a threat; pruned as we go.
    sql << "DELETE FROM login_failures WHERE last_failure < now() - interval '1 day' AND blocked_until < now()";
    return failures;
}

void block_login(soci::session& sql, const std::string& key, int seconds, bool locked) {
    int flag = locked ? 1 : 0;
    sql << "UPDATE login_failures SET blocked_until = now() + make_interval(secs => :s), "
           "locked = locked OR :l::integer <> 0 WHERE key = :k",
        soci::use(seconds, "s"), soci::use(flag, "l"), soci::use(key, "k");
}

bool clear_login_failures(soci::session& sql, const std::string& key) {
    soci::statement st = (sql.prepare << "DELETE FROM login_failures WHERE key = :k", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() > 0;
}

int clear_account_login_failures(soci::session& sql, const std::string& address) {
    std::string account = account_login_key(address);
    std::string devices = device_login_key(address, "");
    soci::statement st = (sql.prepare << "DELETE FROM login_failures WHERE key = :a OR left(key, length(:d)) = :d",
                          soci::use(account, "a"), soci::use(devices, "d"));
    st.execute(true);
    return static_cast<int>(st.get_affected_rows());
}

int clear_all_login_failures(soci::session& sql) {
    soci::statement st = (sql.prepare << "DELETE FROM login_failures");
    st.execute(true);
    return static_cast<int>(st.get_affected_rows());
}

std::vector<LoginFailureRow> list_login_failures(soci::session& sql) {
    std::vector<LoginFailureRow> rows;
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT key, failures, " + utc_text_sql("first_failure") + ", " +
                            utc_text_sql("last_failure") +
                            ", GREATEST(0, ceil(extract(epoch FROM blocked_until - now())))::integer, locked::integer "
                            "FROM login_failures WHERE last_failure > now() - interval '1 day' OR blocked_until > now() "
                            "ORDER BY last_failure DESC, key");
    for (const auto& r : rs) {
        LoginFailureRow row;
        row.key = r.get<std::string>(0);
        row.failures = r.get<int>(1);
        row.first_failure = r.get<std::string>(2);
        row.last_failure = r.get<std::string>(3);
        row.blocked_seconds = r.get<int>(4);
        row.locked = r.get<int>(5) != 0;
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace easd::store
