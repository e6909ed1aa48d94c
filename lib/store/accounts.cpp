#include "store/accounts.h"

#include <crypt.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>

#include "common/names.h"
#include "common/text.h"
#include "store/console_sessions.h"
#include "store/folders.h"
#include "store/pq.h"

namespace easd::store {

namespace {
// Compares without an early exit, so timing does not tell how much of a hash matched.
bool constant_time_equal(const char* a, const char* b, std::size_t n) {
    unsigned char diff = 0;
    for (std::size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}
}  // namespace

std::string hash_password(const std::string& password) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn("$y$", 0, nullptr, 0, salt, sizeof salt))
        throw std::runtime_error("crypt_gensalt failed");
    crypt_data data;
    std::memset(&data, 0, sizeof data);
    const char* hash = crypt_r(password.c_str(), salt, &data);
    if (!hash || hash[0] == '*') throw std::runtime_error("crypt failed");
    std::string result = hash;
    explicit_bzero(&data, sizeof data);
    return result;
}

namespace {
std::atomic<unsigned long long> g_password_checks{0};
}

unsigned long long password_checks() { return g_password_checks.load(std::memory_order_relaxed); }

const std::string& dummy_password_hash() {
    static const std::string hash = [] {
        unsigned char secret[24];
        if (RAND_bytes(secret, sizeof secret) != 1) throw std::runtime_error("no randomness for the dummy password");
        std::string password;
        for (unsigned char c : secret) password += static_cast<char>('a' + c % 26);
        return hash_password(password);
    }();
    return hash;
}

bool verify_password(const std::string& password, const std::string& hash) {
    g_password_checks.fetch_add(1, std::memory_order_relaxed);
    if (hash.empty() || hash[0] != '$') return false;
    crypt_data data;
    std::memset(&data, 0, sizeof data);
    const char* computed = crypt_r(password.c_str(), hash.c_str(), &data);
    bool ok = computed && computed[0] != '*' && std::strlen(computed) == hash.size() &&
              constant_time_equal(computed, hash.c_str(), hash.size());
    explicit_bzero(&data, sizeof data);
    return ok;
}

namespace {
// A domain name to look up: as stored (A-labels) when it is an internationalized name written in
// Unicode, else in lower case as given (a lookup of a name that is none finds nothing).
std::string lookup_domain(const std::string& name) {
    auto ascii = normalize_domain_name(name, nullptr);
    return ascii ? *ascii : to_lower_ascii(name);
}

long long domain_id(soci::session& sql, const std::string& name) {
    long long id = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT id FROM domains WHERE name = :d", soci::use(name), soci::into(id, ind);
    return ind == soci::i_ok ? id : 0;
}
}  // namespace

std::string normalize_address(const std::string& address) {
    std::string a = to_lower_ascii(address);
    auto at = a.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= a.size() || a.find('@', at + 1) != std::string::npos ||
        a.find_first_of(" \t\r\n<>\",;:\\") != std::string::npos)
        throw InvalidRequest("not an address of the form user@domain: " + address);
    // A domain written in Unicode is stored in A-labels.
    for (std::size_t i = at + 1; i < a.size(); ++i)
        if (static_cast<unsigned char>(a[i]) >= 0x80) return a.substr(0, at + 1) + lookup_domain(a.substr(at + 1));
    return a;
}

long long add_domain(soci::session& sql, const std::string& name_in) {
    std::string why;
    auto normalized = normalize_domain_name(name_in, &why);
    if (!normalized) throw InvalidRequest("not a domain name: " + name_in + " (" + why + ")");
    const std::string& name = *normalized;
    long long id = 0;
    soci::indicator ind = soci::i_null;
    sql << "INSERT INTO domains (name) VALUES (:n) ON CONFLICT (name) DO NOTHING RETURNING id",
        soci::use(name), soci::into(id, ind);
    if (ind != soci::i_ok) throw InvalidRequest("domain exists: " + name);
    return id;
}

std::vector<Domain> list_domains(soci::session& sql) {
    std::vector<Domain> out;
    soci::rowset<soci::row> rs = (sql.prepare <<
        "SELECT d.id, d.name, count(u.id) FROM domains d LEFT JOIN users u ON u.domain_id = d.id "
        "GROUP BY d.id, d.name ORDER BY d.name");
    for (const auto& r : rs) out.push_back({r.get<long long>(0), r.get<std::string>(1), r.get<long long>(2)});
    return out;
}

bool serves_domain(soci::session& sql, const std::string& domain) {
    std::string name = to_lower_ascii(domain);
    int found = 0;
    sql << "SELECT count(*)::int FROM domains WHERE name = :n", soci::use(name), soci::into(found);
    return found > 0;
}

std::string normalize_new_account_address(const std::string& address) {
    std::string why;
    auto normalized = normalize_new_address(address, &why);
    if (!normalized) throw InvalidRequest("not an address for an account: " + address + " (" + why + ")");
    return *normalized;
}

DomainContents remove_domain(soci::session& sql, const std::string& name_in, bool force) {
    const std::string name = lookup_domain(name_in);
    soci::transaction tr(sql);
    long long id = 0;
    soci::indicator ind = soci::i_null;
    // FOR UPDATE: a user added meanwhile waits, then finds no domain.
    sql << "SELECT id FROM domains WHERE name = :d FOR UPDATE", soci::use(name), soci::into(id, ind);
    if (ind != soci::i_ok) throw InvalidRequest("unknown domain " + name);
    DomainContents found;
    sql << "SELECT count(*) FROM users WHERE domain_id = :i", soci::use(id), soci::into(found.users);
    sql << "SELECT count(*) FROM aliases WHERE split_part(address, '@', 2) = :d", soci::use(name),
        soci::into(found.aliases);
    if (!force && (found.users > 0 || found.aliases > 0)) {
        auto count = [](long long n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
        std::string has = found.users > 0 ? count(found.users, "account") : "";
        if (found.aliases > 0) has += (has.empty() ? "" : " and ") + count(found.aliases, "alias");
        throw InvalidRequest("domain " + name + " still has " + has + " (--force removes the domain with them)");
    }
    // An account goes with everything that is its own (ON DELETE CASCADE); aliases of accounts
    // elsewhere that are addresses of this domain go too.
    sql << "DELETE FROM aliases WHERE split_part(address, '@', 2) = :d", soci::use(name);
    sql << "DELETE FROM users WHERE domain_id = :i", soci::use(id);
    sql << "DELETE FROM domains WHERE id = :i", soci::use(id);
    tr.commit();
    return found;
}

User add_user(soci::session& sql, const std::string& address_in, const std::string& password,
              const std::string& display_name) {
    std::string address = normalize_new_account_address(address_in);
    if (password.empty()) throw InvalidRequest("the password must not be empty");
    std::string domain = address.substr(address.rfind('@') + 1);
    std::string hash = hash_password(password);

    soci::transaction tr(sql);
    long long did = domain_id(sql, domain);
    if (did == 0) throw InvalidRequest("unknown domain " + domain + " (add it with `easctl domain add`)");
    long long id = 0;
    soci::indicator ind = soci::i_null;
    sql << "INSERT INTO users (domain_id, address, display_name, password_hash) "
           "VALUES (:d, :a, :n, :h) ON CONFLICT (address) DO NOTHING RETURNING id",
        soci::use(did), soci::use(address), soci::use(display_name), soci::use(hash),
        soci::into(id, ind);
    if (ind != soci::i_ok) throw InvalidRequest("user exists: " + address);
    create_default_folders(sql, id);
    tr.commit();
    User u;
    u.id = id;
    u.address = address;
    u.domain = domain;
    u.display_name = display_name;
    return u;
}

User ensure_external_user(soci::session& sql, const std::string& address_in) {
    std::string address = normalize_address(address_in);
    if (auto existing = find_user(sql, address)) return *existing;
    std::string domain = address.substr(address.find('@') + 1);
    soci::transaction tr(sql);
    sql << "INSERT INTO domains (name) VALUES (:d) ON CONFLICT (name) DO NOTHING", soci::use(domain);
    long long id = 0;
    soci::indicator ind = soci::i_null;
    sql << "INSERT INTO users (domain_id, address, password_hash) "
           "SELECT id, :a, '!' FROM domains WHERE name = :d ON CONFLICT (address) DO NOTHING RETURNING id",
        soci::use(address), soci::use(domain), soci::into(id, ind);
    if (ind == soci::i_ok) create_default_folders(sql, id);
    tr.commit();
    auto user = find_user(sql, address);
    if (!user) throw std::runtime_error("account " + address + " vanished while it was created");
    return *user;
}

namespace {
void update_user(soci::session& sql, const std::string& address_in, const std::string& set_clause,
                 const std::string& value) {
    std::string address = normalize_address(address_in);
    soci::statement st = (sql.prepare << "UPDATE users SET " + set_clause + " WHERE address = :a",
                          soci::use(value), soci::use(address));
    st.execute(true);
    if (st.get_affected_rows() == 0) throw InvalidRequest("unknown user " + address);
}
}  // namespace

void set_password(soci::session& sql, const std::string& address, const std::string& password) {
    if (password.empty()) throw InvalidRequest("the password must not be empty");
    update_user(sql, address, "password_hash = :v", hash_password(password));
    // Whoever signed in to the web console with the old password is signed out everywhere.
    end_console_sessions_of(sql, address);
}

void set_activesync_flag(soci::session& sql, const std::string& address, ActiveSyncFlag flag) {
    // NULLIF turns "" into NULL: the flag is not set and the access mode decides.
    const char* value = flag == ActiveSyncFlag::on ? "true" : flag == ActiveSyncFlag::off ? "false" : "";
    // The flag says whether phones may sync, nothing about the web console: an administrator
    // need not use ActiveSync, and a user without it may still wipe a lost phone. So console
    // sessions are left alone here (a password change ends them).
    update_user(sql, address, "activesync = NULLIF(:v, '')::boolean", value);
}

void set_activesync(soci::session& sql, const std::string& address, bool enabled) {
    set_activesync_flag(sql, address, enabled ? ActiveSyncFlag::on : ActiveSyncFlag::off);
}

void set_user_protocol_log(soci::session& sql, const std::string& address, bool enabled) {
    update_user(sql, address, "protocol_log = :v::boolean", enabled ? "true" : "false");
}

namespace {
constexpr const char* kUserColumns =
    "SELECT u.id, u.address, d.name, u.display_name, COALESCE(u.activesync::int, -1), u.protocol_log::int, u.password_hash "
    "FROM users u JOIN domains d ON d.id = u.domain_id ";

User user_from_row(const soci::row& r) {
    User u;
    u.id = r.get<long long>(0);
    u.address = r.get<std::string>(1);
    u.domain = r.get<std::string>(2);
    u.display_name = r.get<std::string>(3);
    int flag = r.get<int>(4);  // -1: NULL
    u.activesync = flag < 0 ? ActiveSyncFlag::unset : flag ? ActiveSyncFlag::on : ActiveSyncFlag::off;
    u.protocol_log = r.get<int>(5) != 0;
    return u;
}
}  // namespace

std::vector<User> list_users(soci::session& sql, const std::string& domain) {
    std::vector<User> out;
    std::string d = domain.empty() ? std::string() : lookup_domain(domain);
    if (!d.empty() && domain_id(sql, d) == 0) throw InvalidRequest("unknown domain " + d);
    soci::rowset<soci::row> rs = (sql.prepare << std::string(kUserColumns) +
                                  "WHERE (:d = '' OR d.name = :d2) ORDER BY u.address",
                                  soci::use(d), soci::use(d));
    for (const auto& r : rs) out.push_back(user_from_row(r));
    return out;
}

std::optional<User> find_user(soci::session& sql, const std::string& address) {
    std::string a = normalize_address(address);
    soci::rowset<soci::row> rs = (sql.prepare << std::string(kUserColumns) + "WHERE u.address = :a", soci::use(a));
    for (const auto& r : rs) return user_from_row(r);
    return std::nullopt;
}

std::optional<User> find_user_by_id(soci::session& sql, long long user_id) {
    soci::rowset<soci::row> rs = (sql.prepare << std::string(kUserColumns) + "WHERE u.id = :i", soci::use(user_id));
    for (const auto& r : rs) return user_from_row(r);
    return std::nullopt;
}

std::optional<Login> find_login(soci::session& sql, const std::string& login) {
    if (login.empty()) return std::nullopt;
    // Every request reads its account: prepared, one round trip.
    static const PreparedQuery by_address{"easd_login_by_address",
                                          std::string(kUserColumns) + "WHERE u.address = $1 LIMIT 2"};
    // A bare local part is accepted only when exactly one domain has it.
    static const PreparedQuery by_local_part{"easd_login_by_local_part",
                                             std::string(kUserColumns) + "WHERE split_part(u.address, '@', 1) = $1 LIMIT 2"};
    PqResult r = pq_prepared(sql, login.find('@') != std::string::npos ? by_address : by_local_part, {login});
    if (r.rows() != 1) return std::nullopt;
    User u;
    u.id = r.int64(0, 0);
    u.address = r.str(0, 1);
    u.domain = r.str(0, 2);
    u.display_name = r.str(0, 3);
    int flag = r.int32(0, 4);  // -1: NULL
    u.activesync = flag < 0 ? ActiveSyncFlag::unset : flag ? ActiveSyncFlag::on : ActiveSyncFlag::off;
    u.protocol_log = r.int32(0, 5) != 0;
    return Login{std::move(u), r.str(0, 6)};
}

}  // namespace easd::store
