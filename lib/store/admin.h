// Administration queries behind `easctl device ...` and `easctl folder ...`: what devices a user
// has, what sync state each holds, discarding that state, and the user's folders.
//
// Every query is filtered by the user (looked up by address), so nothing crosses users. Unknown
// users, domains and devices throw InvalidRequest (store/accounts.h) with the one-line answer.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace easd::store {

struct DeviceInfo {
    std::string user;  // the owner's address
    std::string device_id;
    std::string device_type;
    std::string user_agent;
    std::string protocol_version;
    bool protocol_log = false;
    std::string first_seen;  // ISO 8601, UTC ("2026-11-24T10:00:00Z")
    std::string last_seen;   // refreshed by the server at most once a minute
};

// All devices (address and domain empty), one user's, or one domain's; ordered by user, DeviceId.
// An unknown user or domain throws InvalidRequest.
std::vector<DeviceInfo> list_devices(soci::session& sql, const std::string& address, const std::string& domain);

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
