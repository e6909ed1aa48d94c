// Devices: one row per (user, DeviceId), registered on first contact.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

#include "store/access.h"

namespace easd::store {

struct Device {
    long long id = 0;
    long long user_id = 0;
    std::string device_id;
    std::string device_type;
    std::string user_agent;
    std::string protocol_version;
    bool protocol_log = false;
    std::string last_sync_request_md5;  // hex MD5 of the kept Sync request ("" when none)

    // Its standing (schema 006), read with the rest so that deciding whether the device may have
    // data costs no extra round trip.
    std::string wipe_status = "none";    // none, waiting, wiped
    bool wipe_account_only = false;
    std::optional<long long> policy_key;        // the final key it holds
    std::string policy_fingerprint;      // of the policy it acknowledged ("" none)
    std::string policy_status = "none";  // none, pending, applied, partial, declined, unsupported
    long long provisioned_at = 0;        // unix time of the last acknowledgement (0: never)
    bool sync_time_stale = true;         // last_sync is unset or more than a minute old
    // Never synced, never provisioned, nothing set by the administrator: a row that a recognition
    // (recognise_rotated_device) may replace without losing anything.
    bool holds_nothing = false;
    // Autoblocked (schema 018, store/throttling.h): seconds the block still holds (0: none) and
    // why (an X-MS-ASThrottle value).
    long long autoblock_seconds_left = 0;
    std::string autoblock_reason;

    // Read with the row too, so that admitting a request costs this one read: the facts its
    // access is decided on (store/access.h; unset when the row was written since), and the
    // generation of the policies (schema 019; store::PolicyLevelsCache).
    std::optional<AccessFacts> access_facts;
    long long policy_generation = 0;
};

// Finds or creates the device and refreshes its type, user agent, version and last-seen time.
// Writes only when something changed or last_seen is more than a minute old, so the hot path of a
// busy device is a single read.
Device register_device(soci::session& sql, long long user_id, const std::string& device_id,
                       const std::string& device_type, const std::string& user_agent,
                       const std::string& protocol_version);

// What a device tells about itself: MS-ASCMD Settings DeviceInformation/Set (12.1+) and Provision
// DeviceInformation (14.1+). A field the device did not send is nullopt and keeps what we knew, so
// a device that tells its model once and later sends a shorter Set loses nothing.
struct DeviceInformation {
    std::optional<std::string> model;            // Model
    std::optional<std::string> imei;             // IMEI
    std::optional<std::string> friendly_name;    // FriendlyName
    std::optional<std::string> os;               // OS
    std::optional<std::string> os_language;      // OSLanguage
    std::optional<std::string> phone_number;     // PhoneNumber
    std::optional<std::string> user_agent;       // UserAgent
    std::optional<std::string> mobile_operator;  // MobileOperator
};

// Records it on the device row (devices.id), writing only when something changed. The UserAgent
// element only fills a user agent no request header gave: the header comes with every request and
// register_device keeps it, so taking the element as well would flip the column (and the
// user_agent rules' verdict) back and forth. Callers decide the device's access again afterwards
// (store/access.h: decide_device_access), since model and OS rules may now match.
void record_device_information(soci::session& sql, long long device_row, const DeviceInformation& info);

// Recent Outlook for Windows sends a new DeviceId after every restart (its DeviceType and user agent
// stay). What proves that a new DeviceId is an earlier device of the same user:
//   - the X-MS-PolicyKey it sends is that device's final policy key (a random 32-bit number the
//     server gave that device alone), or
//   - the DeviceInformation it sends (Provision from 14.1, Settings) names the same computer
//     (FriendlyName, which must be sent) and agrees with the earlier device on every other field
//     both have (model, OS, IMEI, OS language);
// and in both cases the same DeviceType and user agent. Exactly one earlier device must qualify:
// two installations that look alike are never merged. A device with a wipe waiting (or done) is a
// candidate too, so that a new id does not escape the wipe.
struct RotationEvidence {
    std::optional<long long> policy_key;        // the key the request sent (not 0)
    const DeviceInformation* info = nullptr;    // what the request told about the device
};

// When `fresh` (this request's row, which must hold nothing) is recognised, the earlier device's row
// takes the new DeviceId (its old id goes to previous_device_ids, the evidence to recognised_by),
// the fresh row is deleted, and the earlier device is returned: its sync state, policy key and
// standing, access decision, wipe and protocol log flag carry on. nullopt: a new device after all.
std::optional<Device> recognise_rotated_device(soci::session& sql, const Device& fresh, const RotationEvidence& evidence);

// The DeviceId a device of the user `address` has now if `old_id` is one it had before it was
// recognised under a new id (and no device has old_id now); else nullopt.
std::optional<std::string> renamed_device_id(soci::session& sql, const std::string& address, const std::string& old_id);

// Whether the user has a device with this DeviceId that was seen within `days` days (a phone that
// signed in before: lib/auth counts its failed sign-ins apart from strangers').
bool is_known_device(soci::session& sql, long long user_id, const std::string& device_id, int days);

// Switches the protocol log for one device of a user (easctl log enable --device).
void set_device_protocol_log(soci::session& sql, long long user_id, const std::string& device_id, bool enabled);

}  // namespace easd::store
