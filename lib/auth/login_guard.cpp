#include "auth/login_guard.h"

#include <algorithm>
#include <vector>

#include "common/log.h"
#include "store/devices.h"
#include "store/login_failures.h"

namespace easd::auth {

// The keys one sign-in is checked and counted under, and the one a success clears.
struct LoginGuard::Keys {
    struct Counted {
        std::string key;
        const FailureSchedule* schedule;
    };
    std::vector<Counted> counted;
    std::string cleared_by_success;
    std::string account;  // for the log: the account's address, or the login as typed
    bool known_device = false;
};

LoginGuard::LoginGuard(store::Database& db, mailstore::MailBackend& mail, LoginLimits limits,
                       std::chrono::seconds cache_ttl)
    : db_(db), mail_(mail), limits_(limits), cache_(cache_ttl), slots_(limits.hash_slots) {}

LoginGuard::Keys LoginGuard::keys_for(soci::session& sql, const SignInAttempt& attempt) const {
    Keys keys;
    // A bare local part and the full address are one account, counted once.
    auto account = store::find_login(sql, attempt.login);
    keys.account = account ? account->user.address : attempt.login;
    if (account && !attempt.device_id.empty() &&
        store::is_known_device(sql, account->user.id, attempt.device_id, limits_.known_device_days)) {
        keys.known_device = true;
        std::string key = store::device_login_key(keys.account, attempt.device_id);
        keys.counted.push_back({key, &limits_.account});
        keys.cleared_by_success = key;
        return keys;
    }
    keys.counted.push_back({store::account_login_key(keys.account), &limits_.account});
    // Only a stranger's success clears the account's count. A known phone re-checking its
    // password every cache period must not wipe out the lockout a guesser earned.
    keys.cleared_by_success = keys.counted.back().key;
    if (!attempt.remote_addr.empty())
        keys.counted.push_back({store::address_login_key(attempt.remote_addr), &limits_.address});
    return keys;
}

void LoginGuard::count_failure(soci::session& sql, const Keys& keys, const SignInAttempt& attempt) {
    const char* from = attempt.remote_addr.empty() ? "an unknown address" : attempt.remote_addr.c_str();
    int account_failures = 0, next_check = 0;
    for (const auto& k : keys.counted) {
        int failures = store::count_login_failure(sql, k.key, limits_.window_seconds);
        int delay = delay_after_failures(failures, *k.schedule, limits_);
        bool locked = is_lockout(failures, *k.schedule);
        if (delay > 0) store::block_login(sql, k.key, delay, locked);
        if (locked && failures == k.schedule->lockout_after)
            EASD_LOG_WARN("sign-ins under %s locked for %d s after %d failures (the last from %s)", k.key.c_str(),
                          delay, failures, from);
        if (&k == &keys.counted.front()) account_failures = failures;
        next_check = std::max(next_check, delay);
    }
    std::string when = next_check > 0 ? "in " + std::to_string(next_check) + " s" : "at once";
    EASD_LOG_INFO("authentication failed for login \"%s\" from %s%s (failure %d; next check %s)",
                  attempt.login.c_str(), from, keys.known_device ? " on a known device" : "", account_failures,
                  when.c_str());
}

bool LoginGuard::begin_check(const std::string& login) {
    std::unique_lock<std::mutex> lock(checking_mutex_);
    if (!check_ended_.wait_for(lock, std::chrono::milliseconds(limits_.hash_wait_ms),
                               [&] { return checking_.count(login) == 0; }))
        return false;
    checking_.insert(login);
    return true;
}

void LoginGuard::end_check(const std::string& login) {
    {
        std::lock_guard<std::mutex> lock(checking_mutex_);
        checking_.erase(login);
    }
    check_ended_.notify_all();
}

SignIn LoginGuard::sign_in(const SignInAttempt& attempt) {
    SignIn result;
    auto remembered = [&] {
        auto cached = cache_.find(attempt.login, attempt.password);
        if (!cached) return false;
        result.outcome = SignIn::Outcome::Accepted;
        result.user = std::move(cached->user);
        result.credential_stamp = std::move(cached->credential_stamp);
        return true;
    };
    if (remembered()) return result;

    // No database connection is held while waiting for a slot: sign-ins queued behind a flood
    // must not take the connections that verified requests need.
    Keys keys;
    std::vector<std::string> checked;
    auto refused_unchecked = [&](soci::session& sql) {
        auto blocks = store::blocked_logins(sql, checked);
        if (blocks.empty()) return false;
        result.outcome = SignIn::Outcome::Throttled;
        for (const auto& b : blocks) result.retry_after_seconds = std::max(result.retry_after_seconds, b.retry_after_seconds);
        EASD_LOG_DEBUG("sign-in of \"%s\" from %s refused unchecked for %d s (%s)", attempt.login.c_str(),
                       attempt.remote_addr.c_str(), result.retry_after_seconds, blocks.front().key.c_str());
        return true;
    };
    {
        store::Database::Lease sql(db_);
        keys = keys_for(*sql, attempt);
        for (const auto& k : keys.counted) checked.push_back(k.key);
        if (refused_unchecked(*sql)) return result;
    }

    if (!begin_check(attempt.login)) {
        result.outcome = SignIn::Outcome::Busy;
        result.retry_after_seconds = 5;
        return result;
    }
    struct CheckEnds {
        LoginGuard& guard;
        const std::string& login;
        ~CheckEnds() { guard.end_check(login); }
    } check_ends{*this, attempt.login};
    // The check this one waited for may have verified the same password.
    if (remembered()) return result;

    auto slot = slots_.acquire(std::chrono::milliseconds(limits_.hash_wait_ms));
    if (!slot) {
        result.outcome = SignIn::Outcome::Busy;
        result.retry_after_seconds = 5;
        EASD_LOG_WARN("sign-in of \"%s\" turned away: %d password checks busy for %d ms", attempt.login.c_str(),
                      slots_.capacity(), limits_.hash_wait_ms);
        return result;
    }
    store::Database::Lease sql(db_);
    // Again, now that this check is next: the failures of the checks queued before it count, so
    // a guesser's parallel requests do not all slip through the same open moment.
    if (refused_unchecked(*sql)) return result;
    mailstore::AuthResult auth = mail_.authenticate(*sql, attempt.login, attempt.password, attempt.remote_addr);
    slot.reset();

    switch (auth.outcome) {
        case mailstore::AuthResult::Outcome::Unavailable:
            result.outcome = SignIn::Outcome::Unavailable;
            return result;
        case mailstore::AuthResult::Outcome::Accepted:
            if (auth.user) {
                store::clear_login_failures(*sql, keys.cleared_by_success);
                cache_.remember(attempt.login, attempt.password, *auth.user, auth.credential_stamp);
                result.outcome = SignIn::Outcome::Accepted;
                result.user = std::move(auth.user);
                result.credential_stamp = std::move(auth.credential_stamp);
                return result;
            }
            break;
        case mailstore::AuthResult::Outcome::Refused: break;
    }
    count_failure(*sql, keys, attempt);
    result.outcome = SignIn::Outcome::Refused;
    return result;
}

}  // namespace easd::auth
