#include "auth/auth_cache.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace easd::auth {

AuthCache::AuthCache(std::chrono::seconds ttl, std::size_t max_entries) : ttl_(ttl), max_entries_(max_entries) {
    if (RAND_bytes(key_, sizeof key_) != 1) throw std::runtime_error("no randomness for the auth cache key");
}

std::string AuthCache::verifier(const std::string& password) const {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key_, sizeof key_, reinterpret_cast<const unsigned char*>(password.data()), password.size(),
         mac, &len);
    return std::string(reinterpret_cast<char*>(mac), len);
}

std::optional<AuthCache::Verified> AuthCache::find(const std::string& login, const std::string& password) {
    std::string v = verifier(password);
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(login);
    if (it == entries_.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() > it->second.expires) {
        entries_.erase(it);
        return std::nullopt;
    }
    if (it->second.verifier.size() != v.size() || CRYPTO_memcmp(it->second.verifier.data(), v.data(), v.size()) != 0)
        return std::nullopt;
    return Verified{it->second.user, it->second.credential_stamp};
}

void AuthCache::remember(const std::string& login, const std::string& password, const store::User& user,
                         const std::string& credential_stamp) {
    std::string v = verifier(password);
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() >= max_entries_) entries_.clear();  // crude but bounded; entries are cheap to rebuild
    entries_[login] = Entry{std::move(v), user, credential_stamp, std::chrono::steady_clock::now() + ttl_};
}

void AuthCache::forget(const std::string& login) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.erase(login);
}

}  // namespace easd::auth
