// Domains, users and their passwords.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace easd::store {

struct Domain {
    long long id = 0;
    std::string name;
    long long users = 0;
};

// The ActiveSync flag of an account (schema 006: users.activesync NULL / true / false). Whether
// an account whose flag is not set may sync depends on the server's access mode (store/access.h).
enum class ActiveSyncFlag { unset, on, off };

struct User {
    long long id = 0;
    std::string address;
    std::string domain;
    std::string display_name;
    ActiveSyncFlag activesync = ActiveSyncFlag::unset;
    bool protocol_log = false;
};

// Thrown for a request the administrator must fix (unknown domain, duplicate user, bad address):
// the message is the one-line answer.
struct InvalidRequest : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// crypt(3) with yescrypt and a random salt. The plain password never reaches the database.
std::string hash_password(const std::string& password);
bool verify_password(const std::string& password, const std::string& hash);
// A hash of a random password made once per process with the same cost as real ones: checking
// against it takes as long as a real check and never succeeds.
const std::string& dummy_password_hash();
// Password checks (verify_password calls) made by this process so far.
unsigned long long password_checks();

// Addresses are normalised to lower case (a domain in Unicode to its A-labels); they must be
// local@domain. Lenient on purpose: it finds what exists. New addresses are checked with:
std::string normalize_address(const std::string& address);
// An address for a new account or alias: common/names.h's normalize_new_address, or
// InvalidRequest saying what is wrong with it.
std::string normalize_new_account_address(const std::string& address);

// The name is checked and stored as common/names.h's normalize_domain_name gives it (lower case,
// A-labels); InvalidRequest for a name that is none, or one served already.
long long add_domain(soci::session& sql, const std::string& name);
std::vector<Domain> list_domains(soci::session& sql);

// What remove_domain found in the domain (and, forced, deleted with it).
struct DomainContents {
    long long users = 0;
    long long aliases = 0;  // aliases in the domain (of accounts in any domain)
};
// Removes the domain (and its domain policy), in one transaction. InvalidRequest when it is not
// served here, or, unless `force`, when it still has accounts or aliases (the message says how
// many); forced, its accounts go with all their mail, folders and devices, and its aliases.
DomainContents remove_domain(soci::session& sql, const std::string& name, bool force);
// True when mail for `domain` (any case) is served here.
bool serves_domain(soci::session& sql, const std::string& domain);

// Creates the user with the standard folders, in one transaction. The address is checked as
// common/names.h's normalize_new_address does (InvalidRequest). The domain must exist.
User add_user(soci::session& sql, const std::string& address, const std::string& password,
              const std::string& display_name = {});
// An account whose password another system checks (the Dovecot mail store): created at its first
// login with the standard folders and a password hash no password matches ('!'). The domain is
// added when it is not served yet. Returns the account (also when it existed already).
User ensure_external_user(soci::session& sql, const std::string& address);

void set_password(soci::session& sql, const std::string& address, const std::string& password);
void set_activesync_flag(soci::session& sql, const std::string& address, ActiveSyncFlag flag);
// The flag explicitly on or off (`easctl user enable|disable`).
void set_activesync(soci::session& sql, const std::string& address, bool enabled);
void set_user_protocol_log(soci::session& sql, const std::string& address, bool enabled);
// Every account, or those of `domain` (InvalidRequest when it is not served here).
std::vector<User> list_users(soci::session& sql, const std::string& domain = {});
std::optional<User> find_user(soci::session& sql, const std::string& address);
std::optional<User> find_user_by_id(soci::session& sql, long long user_id);

// Looks up a login name as a device sends it ("user@domain", or a bare local part when only one
// domain has it) and checks the password. nullopt when unknown or wrong.
struct Login {
    User user;
    std::string password_hash;
};
std::optional<Login> find_login(soci::session& sql, const std::string& login);

}  // namespace easd::store
