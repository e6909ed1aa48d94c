// Verified logins, kept briefly so a busy device does not pay for a password hash on every request.
// Passwords are not kept: only an HMAC of them under a key that lives in this process alone.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/accounts.h"

namespace easd::auth {

class AuthCache {
public:
    explicit AuthCache(std::chrono::seconds ttl = std::chrono::seconds(900), std::size_t max_entries = 50000);

    struct Verified {
        store::User user;
        std::string credential_stamp;  // what the password was checked against (AuthResult's)
    };
    // The user when this login and password were verified within the TTL.
    std::optional<Verified> find(const std::string& login, const std::string& password);
    void remember(const std::string& login, const std::string& password, const store::User& user,
                  const std::string& credential_stamp);
    // The login's entry gone (its password changed since it was verified).
    void forget(const std::string& login);

private:
    std::string verifier(const std::string& password) const;

    struct Entry {
        std::string verifier;
        store::User user;
        std::string credential_stamp;
        std::chrono::steady_clock::time_point expires;
    };
    std::chrono::seconds ttl_;
    std::size_t max_entries_;
    unsigned char key_[32];
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace easd::auth
