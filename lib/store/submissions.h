// Mail sent from phones: the ClientIds already sent, so that a repeated request sends nothing new.
#pragma once

#include <soci/soci.h>

#include <string>

namespace easd::store {

// Records that the account sends the message with `client_id`, in the caller's transaction (so a
// failed send records nothing). False when that ClientId was sent already. Forgets ClientIds older
// than 30 days.
bool claim_client_id(soci::session& sql, long long user_id, const std::string& client_id);

}  // namespace easd::store
