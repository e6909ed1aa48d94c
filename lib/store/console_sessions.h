// Signed-in sessions of the web console (schema 022). The console (lib/admin) makes the token and
// hashes it; these rows hold only the hash, the account, the session's CSRF token and its times.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>

namespace easd::store {

struct ConsoleSession {
    long long user_id = 0;
    std::string csrf_token;
};

// A new session that ends `absolute_seconds` from now at the latest. Sessions past their end are
// deleted on the way (any host's: the table never grows with abandoned sessions).
void create_console_session(soci::session& sql, const std::string& token_hash, long long user_id,
                            const std::string& csrf_token, int absolute_seconds);

// The session of `token_hash` when it has neither ended nor been idle for `idle_seconds`; its
// last use becomes now. nullopt otherwise (an idle or ended session is deleted).
std::optional<ConsoleSession> use_console_session(soci::session& sql, const std::string& token_hash,
                                                  int idle_seconds);

// Signing out.
void end_console_session(soci::session& sql, const std::string& token_hash);

// Every console session of the account `address` (normalized here) ends, on every host: its
// password changed (set_password) or its ActiveSync was turned off (set_activesync_flag). Returns
// how many ended; nothing for an unknown address.
long long end_console_sessions_of(soci::session& sql, const std::string& address);

}  // namespace easd::store
