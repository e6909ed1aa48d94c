// Sync keys and the per-device state behind them (FolderSync and Sync collections).
//
// A key is "<epoch>-<n>". The server keeps the state of its last key (current) and of the one
// before (previous): a device that presents the previous key did not get our last response, and
// is answered again from the previous state instead of being forced into a full resync.
#pragma once

#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace easd::store {

struct SyncKey {
    std::string epoch;
    int n = 0;
    std::string str() const { return epoch + "-" + std::to_string(n); }
    // nullopt for anything not of our form (including "0").
    static std::optional<SyncKey> parse(std::string_view text);
};

// A fresh random epoch, so keys from a discarded state never match a new one.
std::string new_epoch();

struct KeyedState {
    std::string epoch;
    int current_key = 0;
    long long current_mark = 0;
    std::optional<int> previous_key;
    long long previous_mark = 0;

    enum class Match { Current, Previous, None };
    Match match(const SyncKey& key) const;
};

// ---- FolderSync ----
std::optional<KeyedState> load_folder_sync_state(soci::session& sql, long long device_id);
void save_folder_sync_state(soci::session& sql, long long device_id, const KeyedState& state);
// A FolderSync with key 0 starts over: hierarchy state and every collection state of the device go.
void reset_device_sync_state(soci::session& sql, long long device_id);

// ---- Sync collections ----
struct CollectionState {
    long long id = 0;  // sync_collections.id
    long long device_id = 0;
    long long folder_id = 0;
    KeyedState keys;
    int filter_type = 0;                  // the FilterType the held set was reconciled for
    std::optional<long long> filter_cutoff;  // and the cutoff it was reconciled at; nullopt: pending
    // Loop detection (schema 018): the previous key presented this many times in a row, and while
    // the window is narrowed to one item to find the one the device cannot take, up to which
    // watermark (commands/sync_loops.h).
    int repeats = 0;
    std::optional<long long> narrow_until_mark;
    // The change number at which the state started (schema 021): the device holds nothing older.
    long long base_seq = 0;

    // True when a Sync from `mark` could miss a deletion because `easctl maintenance` pruned
    // tombstones up to `horizon` (the folder's prune horizon, 0 when none): the device must start
    // over (Sync status 3). A deletion concerns the device only when its tombstone is above both
    // the mark and the state's start.
    bool stale(long long mark, long long horizon) const { return horizon > std::max(mark, base_seq); }
};

// A client's FilterType (MS-ASCMD 2.2.3.73.2) as the server applies it to one class of folder.
struct SyncFilter {
    int type = 0;                     // as the client sent it; +100 in conversation mode (another held set)
    std::optional<long long> cutoff;  // oldest time in the window (email received, event end), seconds
    bool incomplete_only = false;     // tasks: FilterType 8
    // airsync:ConversationMode (MS-ASCMD 2.2.3.36): an email outside the window is in when another
    // email of its conversation in the same folder (this one) is inside it.
    bool conversation_mode = false;
    long long conversation_folder = 0;
    // An SQL condition on an item row aliased `i`, true when the item is in the window.
    std::string condition() const;
    // The value stored as filter_cutoff once reconciled (the cutoff, or 0 for filters without one).
    long long reconciled_mark() const { return cutoff.value_or(0); }
};
// `item_class` "Email", "Calendar", "Tasks", ...; `now` in seconds. Unknown or inapplicable
// FilterTypes mean "everything".
// `conversation_folder`: the collection's folder when the client asked for ConversationMode, else 0.
SyncFilter make_filter(const std::string& item_class, int filter_type, long long now,
                       long long conversation_folder = 0);
// True when the held set must be reconciled with the filter: a new FilterType, a reconciliation
// left unfinished, or a time window that moved by an hour or more since the last one.
bool needs_reconcile(const CollectionState& state, const SyncFilter& filter);

// With `lock`, the row is locked (FOR UPDATE) so that two requests of one device for one
// collection serialise; without, it is a plain read (the no-change path writes nothing).
std::optional<CollectionState> load_collection_state(soci::session& sql, long long device_id, long long folder_id,
                                                     bool lock);

// What a Sync request needs to know first, in one statement: the user's folder (absent when the
// id is not one of this user's folders), the device's state for it (absent before key 0), and
// whether a Sync from the current key would have anything to do (the folder changed after the
// current watermark, or deletions are waiting to be forgotten).
struct CollectionPeek {
    bool folder_found = false;
    std::string item_class;
    std::optional<CollectionState> state;
    bool pending = false;  // also true when the state is stale at its current key
    long long horizon = 0;  // the folder's prune horizon (schema 021), 0 when none
};
CollectionPeek peek_collection(soci::session& sql, long long user_id, long long device_id, long long folder_id);
// Key 0: discards any previous state of that collection and starts a new one at key 1, mark 0.
// Takes the user's write lock to read its start (base_seq), so call it last in its transaction.
CollectionState create_collection_state(soci::session& sql, long long device_id, long long folder_id);

// The folder's prune horizon: the highest change number of its item tombstones that
// `easctl maintenance` removed (schema 021), 0 when none. A Sync reads it after its change scan,
// so a prune that commits while the Sync runs is either seen here or did not affect the scan.
long long folder_prune_horizon(soci::session& sql, long long folder_id);
void save_collection_keys(soci::session& sql, const CollectionState& state);

// The device acknowledged its current key: forget items deleted in that response.
void commit_current_key(soci::session& sql, const CollectionState& state);
// The device repeated its previous key: undo what the lost response (the current key) recorded.
void rollback_current_key(soci::session& sql, const CollectionState& state);
// An item recorded as added in response `key` was not sent after all (held back): the device does
// not hold it.
void forget_unsent_add(soci::session& sql, const CollectionState& state, long long item_id, int key);

// ---- The device's own changes (docs/ARCHITECTURE.md, "Client changes") ----
// Takes the user's write lock for the rest of the transaction (the same lock the stamping triggers
// take), so that what a command reads of an item and what it then writes are one step: no other
// writer's change can fall between and be taken for the device's own.
void lock_user_writes(soci::session& sql, long long user_id);
// Records that the device's own command just changed `item_id` in the collection's folder: the
// number it now carries there (its modseq, or its newest tombstone's when it left the folder).
// Nothing is recorded when the number is still `before` (the command changed nothing).
void record_own_change(soci::session& sql, const CollectionState& state, long long item_id, long long before);
// An SQL condition, true when the change `modseq` of `item` (SQL expressions) is the device's own in
// the collection `collection`: what Ping, the no-change Sync and the change scan leave out.
std::string own_change_condition(std::string_view collection, std::string_view item, std::string_view modseq);
// True when `modseq` is the number the device's own last command left on the item.
bool is_own_change(soci::session& sql, long long collection_id, long long item_id, long long modseq);

struct ItemChange {
    enum class Kind { Add, Change, Delete, SoftDelete };
    Kind kind;
    long long item_id;
};

struct CollectedChanges {
    std::vector<ItemChange> changes;
    bool more_available = false;
    long long new_mark = 0;
};

// Changes of the folder after `mark`, in change order, at most `window` of them, judged against
// the items the device holds. Records the Adds (added_key = key_for_changes) and Deletes
// (removed_key = key_for_changes) in the held set. Call inside a transaction.
// Only items within `filter` are sent; held items that leave it become SoftDeletes. Stops early,
// with more_available, at `deadline`.
CollectedChanges collect_changes(soci::session& sql, const CollectionState& state, long long mark,
                                 int window, int key_for_changes, const SyncFilter& filter = {},
                                 std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

// Brings the held set in line with the filter for items up to `mark` (those after it are the
// change scan's): held items outside it become SoftDeletes, items inside it the device lacks
// become Adds (newest first, at most `window`). Returns false, with more_available set, when the
// window cut it short; the caller then leaves filter_cutoff pending.
bool reconcile_filter(soci::session& sql, const CollectionState& state, const SyncFilter& filter, long long mark,
                      int window, int key_for_changes, CollectedChanges& out);
void save_filter_state(soci::session& sql, const CollectionState& state, const SyncFilter& filter, bool complete);

}  // namespace easd::store

namespace easd::store {
// How many changes a Sync from `mark` under `filter` would send (GetItemEstimate): items changed
// after the mark inside the filter (or held: they leave it), deletions of held items, and what a
// pending reconciliation with the filter would add or soft-delete.
long long count_pending_changes(soci::session& sql, const CollectionState& state, long long mark,
                                const SyncFilter& filter);
}  // namespace easd::store
