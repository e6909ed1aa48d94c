// Security policies in PostgreSQL (schema 006, table `policies`): the four levels of one device in
// one read, and what `easctl policy` reads and writes at each level. The values themselves are
// lib/policy's (canonical text, resolution, documents).
//
// Every lookup goes through the owner (domain name, user address, the user's DeviceId): nothing
// crosses users. Unknown domains, users and devices throw InvalidRequest (store/accounts.h).
#pragma once

#include <soci/soci.h>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "policy/policy.h"

namespace easd::store {

// The levels that apply to a device: global, its user's domain, its user, the device itself
// (nullopt where that level has no row). One round trip: this runs on the request path.
//
// Never throws for what a row says: a stored line this release does not understand (an unknown
// name, a bad value, written by hand or by a newer release) is left out, so that level inherits
// that setting (policy::resolve's rule), and a warning is logged once per process and row text.
// A device row that does not exist (removed meanwhile) has no levels at all: the default policy.
policy::PolicyLevels load_policy_levels(soci::session& sql, long long device_row);

// A worker's copy of each device's levels (load_policy_levels), kept while the policy generation
// (schema 019; register_device reads it with the device row) stays where it was: the request path
// reads no policy row while the policies do not change. Shared by the worker's threads.
class PolicyLevelsCache {
public:
    explicit PolicyLevelsCache(std::size_t max_devices = 100000) : max_devices_(max_devices) {}
    policy::PolicyLevels get(soci::session& sql, long long device_row, long long generation);

private:
    struct Entry {
        long long generation;
        policy::PolicyLevels levels;
    };
    const std::size_t max_devices_;
    std::mutex mutex_;
    std::unordered_map<long long, Entry> by_device_;
};

// One level, as the administrator names it.
struct PolicyTarget {
    enum class Level { Global, Domain, User, Device };
    Level level = Level::Global;
    std::string domain;     // Level::Domain
    std::string address;    // Level::User and Level::Device
    std::string device_id;  // Level::Device
};
std::string describe(const PolicyTarget& target);  // "global", "domain example.com", "user a@b", "device X of a@b"
// The source of a value set at this level (Source::Global for Level::Global ...), and the level's
// place in PolicyLevels (policy::kGlobal ...): what `easctl policy show` and the console's policy
// page call "set here".
policy::Source source_of(PolicyTarget::Level level);
std::size_t level_index(PolicyTarget::Level level);

// The row of that level (nullopt: it inherits everything).
std::optional<policy::LevelPolicy> load_level(soci::session& sql, const PolicyTarget& target);
// The levels that apply at the target (for `policy show`): the target's own and those above it;
// lower levels are nullopt. For a device this equals load_policy_levels.
policy::PolicyLevels load_levels_at(soci::session& sql, const PolicyTarget& target);
// Creates or replaces the level's row. A level that says nothing of its own (enforce inherited, no
// settings) means the same as no row, so its row is deleted instead, as the schema keeps it.
void save_level(soci::session& sql, const PolicyTarget& target, const policy::LevelPolicy& level);
// Deletes the level's row, so it inherits everything again. False when there was none.
bool delete_level(soci::session& sql, const PolicyTarget& target);

// Reads the level, lets `change` edit it and saves it (as save_level), in one transaction that is
// serialised with every other update_level, so two administrators' edits never overwrite each
// other. When `change` throws, nothing is saved and the exception propagates. Returns the level as
// saved.
policy::LevelPolicy update_level(soci::session& sql, const PolicyTarget& target,
                                 const std::function<void(policy::LevelPolicy&)>& change);

// What a device acknowledged (devices.policy_status, devices.policy_fingerprint), for comparing
// with the fingerprint of its effective policy. Throws InvalidRequest for an unknown user or
// device, and std::invalid_argument for a target that is not a device.
struct PolicyAcknowledgement {
    std::string policy_status;               // none, pending, applied, partial, declined, unsupported
    std::optional<std::string> fingerprint;  // nullopt: it never acknowledged a policy
};
PolicyAcknowledgement load_acknowledgement(soci::session& sql, const PolicyTarget& target);

// Whether the device acknowledged exactly the policy whose fingerprint (policy/fingerprint.h) is
// `fingerprint`, and what its acknowledgement means for its next request (commands/admission.cpp's
// rules) in one line, as `easctl policy show` and the console's policy page say it.
bool fingerprint_matches(const PolicyAcknowledgement& ack, const std::string& fingerprint);
std::string acknowledgement_text(const PolicyAcknowledgement& ack, const policy::EffectivePolicy& effective,
                                 const std::string& fingerprint);

}  // namespace easd::store
