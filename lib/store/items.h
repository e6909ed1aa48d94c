// Items of every class as Sync's client commands need them: ownership checks, contacts/calendar/
// tasks/notes data, email flags, the ClientId map of SmartSync, and per-collection client state.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace easd::store {

struct ItemRef {
    long long id = 0;
    long long folder_id = 0;
    long long modseq = 0;
};
// The user's item with this id; nullopt when it does not exist or belongs to someone else.
std::optional<ItemRef> find_item(soci::session& sql, long long user_id, long long item_id);

// Contacts, calendar items, tasks, notes: `data` is the canonical ApplicationData as WBXML.
struct PimRow {
    long long item_id = 0;
    std::string data;
    std::string subject;
    std::optional<long long> start_time, end_time, due;  // seconds since the epoch
    bool recurring = false;
    bool complete = false;
};
long long insert_pim_item(soci::session& sql, long long user_id, long long folder_id, const PimRow& row);
void update_pim_item(soci::session& sql, const PimRow& row);
// Rows for these ids of this user (others skipped), in the order of `ids`.
std::vector<PimRow> load_pim_items(soci::session& sql, long long user_id, const std::vector<long long>& ids);

// Email properties the phone changes. Absent optionals are left as they are; an empty string
// clears the flag or categories.
struct EmailEdit {
    std::optional<bool> read;
    std::optional<std::string> flag;        // WBXML of <Flag>
    std::optional<std::string> categories;  // WBXML of <Categories>
};
void update_email(soci::session& sql, long long item_id, const EmailEdit& edit);
// Moves an item to another folder / deletes it; the triggers leave the tombstone and the change.
void move_item(soci::session& sql, long long item_id, long long folder_id);
void delete_item(soci::session& sql, long long item_id);
// Deletes every item of one of the user's folders (EmptyFolderContents).
void delete_folder_contents(soci::session& sql, long long user_id, long long folder_id);
// The user-created subfolders directly under a folder (the default folders are never among them).
std::vector<long long> user_subfolders(soci::session& sql, long long user_id, long long folder_id);

// SmartSync: the item a ClientId was turned into in this collection.
std::optional<long long> find_client_add(soci::session& sql, long long collection_id, const std::string& client_id);
void record_client_add(soci::session& sql, long long collection_id, const std::string& client_id, long long item_id,
                       int key);
// The device holds this item from `key` on (an Add it made, or a move into the collection).
void mark_held(soci::session& sql, long long collection_id, long long item_id, int key);
// The device no longer holds it, as of `key` (forgotten when the device acknowledges `key`).
void mark_removed(soci::session& sql, long long collection_id, long long item_id, int key);

// The <Supported> element a client sent for a collection (WBXML), or empty.
void save_supported(soci::session& sql, long long collection_id, const std::string& wbxml);
std::string load_supported(soci::session& sql, long long collection_id);

// The device's last complete Sync request (WBXML, without client commands), for empty and
// partial Sync requests.
void save_last_sync_request(soci::session& sql, long long device_id, const std::string& wbxml);
std::string load_last_sync_request(soci::session& sql, long long device_id);

}  // namespace easd::store

namespace easd::store {
// True when this user's item was deleted from (or moved out of) this folder: a repeated Delete.
bool was_removed_from(soci::session& sql, long long user_id, long long folder_id, long long item_id);
}  // namespace easd::store
