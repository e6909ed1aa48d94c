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
};

// Finds or creates the device and refreshes its type, user agent, version and last-seen time.
// Writes only when something changed or last_seen is more than a minute old, so the hot path of a
// busy device is a single read.
Device register_device(soci::session& sql, long long user_id, const std::string& device_id,
                       const std::string& device_type, const std::string& user_agent,
                       const std::string& protocol_version);

// Switches the protocol log for one device of a user (easctl log enable --device).
void set_device_protocol_log(soci::session& sql, long long user_id, const std::string& device_id, bool enabled);

}  // namespace easd::store
