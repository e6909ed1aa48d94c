// Signing in a request: the verified-login cache, then the failed-sign-in limits shared through
// PostgreSQL, then a bounded number of password checks at once, then the mail store's check.
//
// Guessing is answered as MS-ASHTTP answers throttling (503 with Retry-After): after a few
// failures under a key, sign-ins under it are refused *without* checking the password for 1, 2,
// 4 ... up to 60 s, then locked for 15 minutes (login_limits.h). Keys are the account and the
// client's address; a device of the account that synced recently is counted under its own key
// instead, so a stranger's guessing locks the account for strangers but not for its owner's phones.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "auth/auth_cache.h"
#include "auth/hash_slots.h"
#include "auth/login_limits.h"
#include "mailstore/mail_backend.h"
#include "store/accounts.h"
#include "store/db.h"

namespace easd::auth {

struct SignInAttempt {
    std::string login;        // normalised (protocol::normalize_login)
    std::string password;
    std::string remote_addr;  // the client's address as the web server saw it ("" unknown)
    std::string device_id;    // the query's DeviceId ("" for autodiscover or an unparsable query)
};

struct SignIn {
    enum class Outcome {
        Accepted,
        Refused,      // wrong login or password: 401
        Throttled,    // too many failures under one of its keys: refused unchecked, 503 + Retry-After
        Busy,         // no password check slot came free in time: 503 + Retry-After
        Unavailable,  // the mail store cannot check passwords now: 503 + Retry-After
    };
    Outcome outcome = Outcome::Refused;
    std::optional<store::User> user;  // when Accepted
    std::string credential_stamp;     // when Accepted: what the password was checked against (AuthResult)
    int retry_after_seconds = 0;      // when Throttled or Busy
};

class LoginGuard {
public:
    // `mail` checks the passwords and outlives the guard.
    LoginGuard(store::Database& db, mailstore::MailBackend& mail, LoginLimits limits, std::chrono::seconds cache_ttl);

    // Never logs the password.
    SignIn sign_in(const SignInAttempt& attempt);
    // A sign-in found stale after it was accepted (the stored password changed): not remembered.
    void forget(const std::string& login) { cache_.forget(login); }

private:
    struct Keys;
    Keys keys_for(soci::session& sql, const SignInAttempt& attempt) const;
    void count_failure(soci::session& sql, const Keys& keys, const SignInAttempt& attempt);

    // One password check per login at a time: when a phone's ten folders' requests, or every
    // phone after a restart, arrive at once, the first checks and the rest find it in the cache.
    // False when the other check did not end within hash_wait_ms.
    bool begin_check(const std::string& login);
    void end_check(const std::string& login);

    store::Database& db_;
    mailstore::MailBackend& mail_;
    LoginLimits limits_;
    AuthCache cache_;
    HashSlots slots_;
    std::mutex checking_mutex_;
    std::condition_variable check_ended_;
    std::unordered_set<std::string> checking_;  // logins whose password is being checked
};

}  // namespace easd::auth
