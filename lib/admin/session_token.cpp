#include "admin/session_token.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cctype>
#include <stdexcept>

namespace easd::admin {

namespace {

std::string hex(const unsigned char* bytes, std::size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

bool is_token(std::string_view v) {
    if (v.size() != 64) return false;
    for (char c : v)
        if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
    return true;
}

}  // namespace

std::string new_random_token() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a console session");
    return hex(bytes, sizeof bytes);
}

std::string token_hash(std::string_view token) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
    return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::optional<std::string> session_token_from(std::string_view header) {
    // "a=1; easd_console=...; b=2" (RFC 6265 5.4); the first cookie of the name counts.
    std::size_t pos = 0;
    while (pos < header.size()) {
        std::size_t end = header.find(';', pos);
        if (end == std::string_view::npos) end = header.size();
        std::string_view pair = header.substr(pos, end - pos);
        pos = end + 1;
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos || pair.substr(0, eq) != kCookieName) continue;
        std::string_view value = pair.substr(eq + 1);
        while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
        if (is_token(value)) return std::string(value);
        return std::nullopt;
    }
    return std::nullopt;
}

std::string session_cookie(std::string_view token) {
    std::string c = std::string(kCookieName) + "=" + std::string(token) +
                    "; Path=/easd-admin; Secure; HttpOnly; SameSite=Strict";
    if (token.empty()) c += "; Max-Age=0";
    return c;
}

bool same_secret(std::string_view a, std::string_view b) {
    return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace easd::admin
