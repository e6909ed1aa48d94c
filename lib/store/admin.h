// Administration queries behind `easctl device ...` and `easctl folder ...`: what devices a user
// has, what each told about itself, its access, provisioning and wipe standing, what sync state it
// holds, discarding that state or the whole device, the administrator's access decision for a
// device, and the user's folders.
//
// Every query is filtered by the user (looked up by address), so nothing crosses users. Unknown
// users, domains and devices throw InvalidRequest (store/accounts.h) with the one-line answer.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

#include "store/access.h"

namespace easd::store {

// SQL that formats a timestamptz column as ISO 8601 in UTC ("2026-11-24T10:00:00Z"). Timestamps
// leave the database already formatted, so the output does not depend on the session's time zone.
std::string utc_text_sql(const std::string& column);

// Timestamps are ISO 8601, UTC ("2026-11-24T10:00:00Z"); "" where the column is NULL.
struct DeviceInfo {
    std::string user;  // the owner's address
    std::string device_id;
    std::string device_type;
    std::string user_agent;
    std::string protocol_version;
    bool protocol_log = false;
    std::string first_seen;
    std::string last_seen;   // refreshed by the server at most once a minute
    std::string first_sync;  // first data command served ("" never)
    std::string last_sync;

    // What the device told about itself (Settings / Provision DeviceInformation); "" when not told.
    std::string model;
    std::string imei;
    std::string friendly_name;
    std::string os;
    std::string os_language;
    std::string phone_number;
    std::string mobile_operator;

    AccessState access_state = AccessState::allowed;  // the last decision recorded
    std::string access_reason;
    std::string access_override;  // the administrator's decision: "allow", "block", "" none

    std::string policy_status;  // none, pending, applied, partial, declined, unsupported
    std::optional<long long> policy_key;
    std::string provisioned_at;

    std::string wipe_status;  // none, waiting, wiped
    bool wipe_account_only = false;
    std::string wipe_requested_at;
    std::string wipe_requested_by;
    std::string wipe_sent_at;
    std::string wiped_at;

    std::string recovery_password_at;  // when the device last sent a recovery password ("" never)

    // A device that changes its DeviceId (store/devices.h: recognise_rotated_device).
    std::string previous_device_ids;  // the ids it had, oldest first, separated by spaces ("" none)
    std::string recognised_at;        // when it was last recognised under a new id ("" never)
    std::string recognised_by;        // the evidence
};

// The wipe status as listings show it: "Unsupported" for a device that never supported policies
// (policy_status unsupported: it cannot be told to wipe) with no wipe waiting or done, else the
// wipe_status word.
std::string wipe_status_text(const DeviceInfo& device);

// Which devices `device list` shows: all (address and domain empty), one user's, or one domain's.
// Wiped devices are left out unless include_wiped.
struct DeviceFilter {
    std::string address;
    std::string domain;
    bool include_wiped = false;
    // Only devices whose last request (last_seen) is older than this many days; 0: any.
    int not_seen_days = 0;
};

// Ordered by user, DeviceId. An unknown user or domain throws InvalidRequest.
std::vector<DeviceInfo> list_devices(soci::session& sql, const DeviceFilter& filter);

// One page of the device list (the web console): the filter above, narrowed further, sorted, and
// a slice of it with the number of devices the filter matches. The sort key is a whitelisted
// column name (device_sort_keys); ties go by user, then DeviceId, so pages never overlap.
struct DevicePageQuery {
    DeviceFilter filter;             // an unknown user or domain throws InvalidRequest, as above
    std::string user_contains;       // part of the owner's address ("" any)
    std::string state;               // an access state (allowed, blocked, quarantined...), or "wipe"
                                     // for a wipe waiting; "" any
    bool scoped = false;             // only the devices of accounts in `domains` (a domain admin)
    std::vector<std::string> domains;
    std::string sort = "user";
    bool descending = false;
    long long offset = 0;
    long long limit = -1;            // -1: all
};
struct DevicePage {
    std::vector<DeviceInfo> devices;
    long long total = 0;  // devices the filter matches, over all pages
};
DevicePage list_devices_page(soci::session& sql, const DevicePageQuery& query);
// The sort keys list_devices_page takes, in the order of `easctl device list`'s columns.
const std::vector<std::string>& device_sort_keys();

// The devices.id of the user's device; InvalidRequest for an unknown user or DeviceId.
long long find_device_row(soci::session& sql, const std::string& address, const std::string& device_id);

// The recovery password the device sent (Settings DevicePassword); InvalidRequest when it sent none.
std::string device_recovery_password(soci::session& sql, const std::string& address, const std::string& device_id);

// A sync key as the device knows it ("<epoch>-<n>"), with the one before it (SmartSync).
struct KeyInfo {
    std::string current;
    std::optional<std::string> previous;
};

struct CollectionInfo {
    long long folder_id = 0;
    std::string folder_name;
    std::string item_class;
    KeyInfo key;
    long long items_held = 0;  // sync_items rows not sent as deleted (removed_key IS NULL)
};

struct DeviceDetails {
    DeviceInfo device;
    std::optional<KeyInfo> folder_sync;  // absent: the next FolderSync must use key 0
    std::vector<CollectionInfo> collections;  // ordered by folder id
};

// Throws InvalidRequest for an unknown user or a DeviceId that user does not have.
DeviceDetails show_device(soci::session& sql, const std::string& address, const std::string& device_id);

// What resync_device discarded.
struct ResyncResult {
    bool folder_sync_state = false;  // a FolderSync state existed
    long long collections = 0;        // sync_collections rows
    long long items_held = 0;         // sync_items rows the device was recorded as holding
};

// Discards the device's sync state, never user data: its folder_sync_states row and its
// sync_collections rows (their sync_items go with them), in one transaction. The devices row,
// folders and items stay. The device's keys become invalid: FolderSync answers status 9 and Sync
// status 3, which lead the device to start over with key 0 (a full sync).
ResyncResult resync_device(soci::session& sql, const std::string& address, const std::string& device_id);

// What remove_device deleted along with the device row.
struct RemoveResult {
    bool removed = true;          // false: it was seen within not_seen_days after all (nothing changed)
    long long collections = 0;    // sync_collections rows (with the record of items held)
    bool folder_sync_state = false;
    bool device_policy = false;   // a policy of the device's own (policies.device_id)
};

// Deletes the device row in one transaction; its sync state and its own policy go with it (ON
// DELETE CASCADE). The user's data stays. If the device connects again it is a new device: access
// decided afresh, provisioned again, a full sync. Throws InvalidRequest for an unknown user or
// device.
// With not_seen_days > 0, only if its last request is older than that, checked in the deleting
// statement itself (a device that comes back meanwhile stays; removed is false).
RemoveResult remove_device(soci::session& sql, const std::string& address, const std::string& device_id,
                           int not_seen_days = 0);

// Stale devices (z-push-admin's "lastsync"): every device that filter selects (its not_seen_days
// must be > 0; wiped devices are included whatever include_wiped says), each removed by
// remove_device in a transaction of its own, so one device never waits for another. With dry_run
// nothing is removed and each result says what would go. Ordered like list_devices.
struct StaleDeviceRemoval {
    DeviceInfo device;
    RemoveResult result;
};
std::vector<StaleDeviceRemoval> remove_stale_devices(soci::session& sql, DeviceFilter filter, bool dry_run);

// The administrator's decision for one device (devices.access_override), which beats the rules.
enum class AccessOverride { none, allow, block };

// Records the decision (none drops it: the rules decide again) and decides the device's access at
// once (decide_device_access), so listings show the new state and a quarantined device waiting
// for approval becomes allowed. Returns that decision. Throws InvalidRequest for an unknown user or
// device.
AccessDecision set_device_access_override(soci::session& sql, const std::string& address,
                                          const std::string& device_id, AccessOverride decision);

struct FolderInfo {
    long long id = 0;
    long long parent_id = 0;  // 0: top level (as FolderSync says)
    std::string name;
    int type = 0;             // EAS folder type (MS-ASCMD 2.2.3.186.3)
    std::string item_class;
    long long items = 0;
};

// The user's folders, ordered by id. Throws InvalidRequest for an unknown user.
std::vector<FolderInfo> list_user_folders(soci::session& sql, const std::string& address);

// "Inbox", "user-created mail", ... for an EAS folder type; "unknown" outside 1..19.
const char* folder_type_name(int type);

}  // namespace easd::store
