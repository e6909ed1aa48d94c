// Failed sign-ins, counted in PostgreSQL so every worker and every host sees the same counts
// (schema 016). The rules (how many failures, how long a delay) are the caller's: lib/auth.
#pragma once

#include <soci/soci.h>

#include <string>
#include <vector>

namespace easd::store {

// The key of what is being guessed at: "account:ADDRESS", "address:IP" (IPv6: its /64),
// "device:ADDRESS/DEVICEID" (a known device of the account).
std::string account_login_key(const std::string& login);
std::string address_login_key(const std::string& remote_addr);
std::string device_login_key(const std::string& address, const std::string& device_id);

struct LoginBlock {
    std::string key;
    int failures = 0;
    int retry_after_seconds = 0;  // at least 1
    bool locked = false;          // a lockout, not only a delay
};

// Those of `keys` under which sign-ins are refused now (empty: none is).
std::vector<LoginBlock> blocked_logins(soci::session& sql, const std::vector<std::string>& keys);

// Counts a failure under `key` and returns the count, which starts again at 1 when the last
// failure is older than `window_seconds`.
int count_login_failure(soci::session& sql, const std::string& key, int window_seconds);
// Refuses sign-ins under `key` for `seconds` from now (0: none refused).
void block_login(soci::session& sql, const std::string& key, int seconds, bool locked);
// Forgets the failures under `key` (a success). Returns whether there were any.
bool clear_login_failures(soci::session& sql, const std::string& key);
// Forgets the account's failures and those of each of its devices; returns how many keys.
int clear_account_login_failures(soci::session& sql, const std::string& address);
// Forgets every key (easctl lockout clear --all); returns how many.
int clear_all_login_failures(soci::session& sql);

struct LoginFailureRow {
    std::string key;
    int failures = 0;
    std::string first_failure, last_failure;  // ISO 8601, UTC
    int blocked_seconds = 0;                  // how long sign-ins stay refused (0: not now)
    bool locked = false;
};
// Keys with a failure in the last day or a block still running, newest failure first.
std::vector<LoginFailureRow> list_login_failures(soci::session& sql);

}  // namespace easd::store
