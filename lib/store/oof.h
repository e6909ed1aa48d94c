// Out of Office of an account (schema 007): what Settings Oof Get/Set read and write, and what
// easd-deliver asks before it sends an automatic reply.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace easd::store {

// MS-ASCMD OofState.
enum class OofState { off = 0, on = 1, scheduled = 2 };

// Who a reply is for: senders of the same organisation (an account of a domain served here),
// senders in the owner's contacts, everyone else.
enum class OofAudience { internal, external_known, external_unknown };
const char* audience_name(OofAudience a);  // "internal", "external_known", "external_unknown"

struct OofMessage {
    OofAudience audience = OofAudience::internal;
    bool enabled = false;
    bool html = false;    // the message is HTML (BodyType HTML), else plain text
    std::string text;     // UTF-8
};

struct OofSettings {
    OofState state = OofState::off;
    long long start_time = 0;  // unix seconds; meaningful when scheduled
    long long end_time = 0;
    std::vector<OofMessage> messages;  // at most one per audience
};

// The account's settings; off with no messages when it never set any.
OofSettings load_oof(soci::session& sql, long long user_id);

// The largest reply message (bytes), as Settings Oof Set takes it.
constexpr std::size_t kMaxOofMessageBytes = 64 * 1024;

// What is wrong with settings about to be saved ("" nothing): a schedule never given a window or
// whose start is not before its end, a message over kMaxOofMessageBytes. What the web console and
// `easctl user oof` check before save_oof, as Settings Oof Set does.
std::string oof_problem(const OofSettings& settings);

// Replaces the account's settings in one transaction and starts a new absence (the record of who
// was answered is cleared). A message whose audience is not in `settings.messages` keeps what it
// had; `settings` must be valid (scheduled: start < end).
void save_oof(soci::session& sql, long long user_id, const OofSettings& settings);

// For a message arriving now from `sender` (lower-case address) for the account, the reply to
// send: nullopt when Out of Office is off or outside its window, when the audience's reply is
// disabled or empty, or when `sender` was answered in this absence in the last 7 days. A returned
// reply is recorded as sent (so two deliveries at once send one reply).
std::optional<OofMessage> claim_oof_reply(soci::session& sql, long long user_id, OofAudience audience,
                                          const std::string& sender);

// Forgets that `sender` was answered (the reply that was claimed could not be sent).
void release_oof_reply(soci::session& sql, long long user_id, const std::string& sender);

// The canonical data (WBXML ApplicationData) of every contact of the account, for telling known
// senders from unknown ones.
std::vector<std::string> contact_data(soci::session& sql, long long user_id);

// Settings DevicePassword: keeps the recovery password the device sent ("" clears it).
void set_recovery_password(soci::session& sql, long long device_row, const std::string& password);

}  // namespace easd::store
