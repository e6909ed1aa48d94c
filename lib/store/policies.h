// Security policies in PostgreSQL (schema 006, table `policies`): the four levels of one device in
// one read, and what `easctl policy` reads and writes at each level. The values themselves are
// lib/policy's (canonical text, resolution, documents).
//
// Every lookup goes through the owner (domain name, user address, the user's DeviceId): nothing
// crosses users. Unknown domains, users and devices throw InvalidRequest (store/accounts.h).
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>

#include "policy/policy.h"

namespace easd::store {

// The levels that apply to a device: global, its user's domain, its user, the device itself
// (nullopt where that level has no row). One round trip: this runs on the request path.
policy::PolicyLevels load_policy_levels(soci::session& sql, long long device_row);

// One level, as the administrator names it.
struct PolicyTarget {
    enum class Level { Global, Domain, User, Device };
    Level level = Level::Global;
    std::string domain;     // Level::Domain
    std::string address;    // Level::User and Level::Device
    std::string device_id;  // Level::Device
};
std::string describe(const PolicyTarget& target);  // "global", "domain example.com", "user a@b", "device X of a@b"

// The row of that level (nullopt: it inherits everything).
std::optional<policy::LevelPolicy> load_level(soci::session& sql, const PolicyTarget& target);
// The levels that apply at the target (for `policy show`): the target's own and those above it;
// lower levels are nullopt. For a device this equals load_policy_levels.
policy::PolicyLevels load_levels_at(soci::session& sql, const PolicyTarget& target);
// Creates or replaces the level's row.
void save_level(soci::session& sql, const PolicyTarget& target, const policy::LevelPolicy& level);
// Deletes the level's row, so it inherits everything again. False when there was none.
bool delete_level(soci::session& sql, const PolicyTarget& target);

}  // namespace easd::store
