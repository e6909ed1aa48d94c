// The console's session cookie: a random 256-bit token (hex in the cookie), of which only the
// SHA-256 is stored (store/console_sessions.h), and the per-session CSRF token.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace easd::admin {

constexpr std::string_view kCookieName = "easd_console";

// 32 random bytes from OpenSSL's CSPRNG, as 64 hex digits. Throws when there is no randomness.
std::string new_random_token();
// The stored form of a cookie token: the raw SHA-256 of its text (32 bytes).
std::string token_hash(std::string_view token);
// The console cookie's value in a Cookie header, when it has the token's shape (64 hex digits).
std::optional<std::string> session_token_from(std::string_view cookie_header);
// Set-Cookie for the token: Secure, HttpOnly, SameSite=Strict, Path=/easd-admin, no Max-Age (it
// ends with the browser; the server ends it sooner). An empty token clears the cookie.
std::string session_cookie(std::string_view token);
// Equal in time independent of where they differ (CSRF tokens).
bool same_secret(std::string_view a, std::string_view b);

}  // namespace easd::admin
