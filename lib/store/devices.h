// Devices: one row per (user, DeviceId), registered on first contact.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

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

// Switches the protocol log for one device of a user (easctl log enable --device).
void set_device_protocol_log(soci::session& sql, long long user_id, const std::string& device_id, bool enabled);

}  // namespace easd::store
