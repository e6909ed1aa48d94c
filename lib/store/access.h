// Who may use ActiveSync and which devices may sync (schema 006):
//   - accounts: the server's access mode and each account's three-valued ActiveSync flag;
//   - devices: the administrator's per-device decision, then the device access rules (allow,
//     block, quarantine, as Exchange's), then the default access;
//   - the server-wide settings behind both (`easctl server set`).
//
// Unknown rules and invalid settings throw InvalidRequest (store/accounts.h) with the one-line
// answer.
#pragma once

#include <soci/soci.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/accounts.h"
#include "store/pq.h"

namespace easd::store {

class Database;

// 'all': every account whose flag is not off; 'flagged': only accounts whose flag is on.
enum class AccessMode { all, flagged };
// What a rule does to the devices it matches; also the default access for devices no rule matches.
enum class AccessAction { allow, block, quarantine };
// The outcome for one device.
enum class AccessState { allowed, blocked, quarantined };
// The device property a rule looks at.
enum class RuleField { model, os, device_type, user_agent };

// The words of the schema and of easctl ("flagged", "quarantine", "quarantined", "user_agent").
const char* to_string(AccessMode mode);
const char* to_string(AccessAction action);
const char* to_string(AccessState state);
const char* to_string(RuleField field);
std::optional<AccessMode> parse_access_mode(const std::string& word);
std::optional<AccessAction> parse_access_action(const std::string& word);
std::optional<AccessState> parse_access_state(const std::string& word);
std::optional<RuleField> parse_rule_field(const std::string& word);

// ---------------------------------------------------------------------------------------------
// Server-wide settings: the rows of server_settings, shared by every worker and tool.

struct ServerWideSettings {
    AccessMode access_mode = AccessMode::all;
    AccessAction default_access = AccessAction::allow;
    std::string admin_address;  // "" when none: in Cc of wipe confirmations and refusal notices
};

// A value that is missing or not one of the allowed words (written by hand in SQL) reads as the
// schema's default, so a typo cannot lock every device out or stop every request.
ServerWideSettings read_server_settings(soci::session& sql);

// "access_mode", "default_access", "admin_address".
const std::vector<std::string>& server_setting_names();

// Validates and stores one setting: access_mode all|flagged, default_access allow|block|quarantine,
// admin_address an address (user@domain) or "" for none. Returns the value as stored (words and
// addresses in lower case). Throws InvalidRequest for an unknown name or an invalid value.
std::string set_server_setting(soci::session& sql, const std::string& name, const std::string& value);

// ---------------------------------------------------------------------------------------------
// Accounts.

// Off refuses in every mode, on allows in every mode, not set follows the mode.
bool may_use_activesync(const User& user, AccessMode mode);

// The access mode for the request path, which asks on every request: read from the database at
// most once per max_age (a session is leased from db only then), so `easctl server set
// access_mode` reaches a worker within max_age, as disabling an account does through the
// authentication cache. Thread-safe.
class AccessModeCache {
public:
    AccessMode get(Database& db, std::chrono::seconds max_age);

private:
    std::mutex mutex_;
    std::optional<AccessMode> mode_;
    std::chrono::steady_clock::time_point read_at_;
};

// ---------------------------------------------------------------------------------------------
// Device access rules. A rule matches one property of the device, ignoring case, where '*'
// matches any run of characters (and every other character only itself). A property the device
// has not told yet ("") matches no rule: it is unknown, not empty, and the decision is taken again
// once the device tells it.

struct AccessRule {
    long long id = 0;
    AccessAction action = AccessAction::allow;
    RuleField field = RuleField::model;
    std::string pattern;
    std::string created_at;  // ISO 8601, UTC
};

// Throws InvalidRequest for an empty pattern, or when the field already has a rule with this
// pattern (ignoring case: the two would always match the same devices).
AccessRule add_access_rule(soci::session& sql, AccessAction action, RuleField field, const std::string& pattern);

// In the order decide_device_access weighs them: by field (model, os, device_type, user_agent),
// then block, quarantine, allow, then by id.
std::vector<AccessRule> list_access_rules(soci::session& sql);

// Returns the removed rule. Throws InvalidRequest for an unknown id.
AccessRule remove_access_rule(soci::session& sql, long long id);

// ---------------------------------------------------------------------------------------------
// The access decision for one device.

// What one read tells about a device: the administrator's decision, what was recorded last, the
// rule that weighs most among those that match, and the default access.
struct AccessFacts {
    std::string override_word;  // "", "allow", "block"
    AccessState recorded_state = AccessState::allowed;
    std::string recorded_reason;
    std::optional<AccessRule> rule;
    AccessAction default_access = AccessAction::allow;
};
// The select list (8 columns) and the join that read AccessFacts for the devices row aliased `d`,
// so that the device read every request makes (register_device) brings them too; and the facts
// from a result whose columns start at `first_column` of its first row.
std::string access_facts_select();
std::string access_facts_join();
AccessFacts access_facts_from_row(const PqResult& result, int first_column);

struct AccessDecision {
    AccessState state = AccessState::allowed;
    // One line for the administrator and the notices: "blocked by rule 3: model matches 'Galaxy*'",
    // "allowed by the administrator", "quarantined: no rule matches and the default access is
    // quarantine".
    std::string reason;
    // The state differs from the one recorded on the device before this call. Only one caller
    // sees a given change, even when several workers decide for the same device at once, so a
    // notice sent when `changed` goes out once.
    bool changed = false;
};

// Decides whether the device (devices.id) may sync, in this order:
//   1. the administrator's decision for the device (`easctl device allow|block`);
//   2. the rules that match it: the most specific field wins (model, os, device_type,
//      user_agent), and among rules on the same field the most restrictive (block, quarantine,
//      allow);
//   3. the default access.
// A quarantined device waits for the administrator: it stays quarantined until it is allowed by
// the administrator or by a rule (or blocked), even when the default access has become allow.
// Nothing else is frozen: properties that arrive later (Settings or Provision DeviceInformation)
// and rule changes count at the next decision.
//
// Records the state and reason on the device row. Costs one round trip when nothing changed (the
// usual case on the request path; none when `known` is given), a second one to record a change.
// Throws InvalidRequest when the row does not exist (the device was removed meanwhile).
// `known`: the facts read with the device row in this very request (register_device), used for
// the first decision; nullptr reads them.
AccessDecision decide_device_access(soci::session& sql, long long device_row, const AccessFacts* known = nullptr);

}  // namespace easd::store
