// Folders: the standard set every user gets, and hierarchy changes for FolderSync.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/sync_state.h"

namespace easd::store {

// EAS folder types (MS-ASCMD 2.2.3.186.3).
enum FolderType : int {
    kFolderUserGeneric = 1,
    kFolderInbox = 2,
    kFolderDrafts = 3,
    kFolderDeleted = 4,
    kFolderSent = 5,
    kFolderOutbox = 6,
    kFolderTasks = 7,
    kFolderCalendar = 8,
    kFolderContacts = 9,
    kFolderNotes = 10,
    kFolderJournal = 11,
    kFolderUserMail = 12,
    kFolderUserCalendar = 13,
    kFolderUserContacts = 14,
    kFolderUserTasks = 15,
    kFolderUserJournal = 16,
    kFolderUserNotes = 17,
    kFolderUnknown = 18,
    kFolderRecipientCache = 19,
};

struct Folder {
    long long id = 0;
    long long parent_id = 0;  // 0: top level
    std::string name;
    int type = 0;
    std::string item_class;   // "Email", "Contacts", "Calendar", "Tasks", "Notes"
    long long created_seq = 0;
    long long modseq = 0;
};

// Inbox, Drafts, Deleted Items, Sent Items, Outbox, Junk E-mail, Contacts, Calendar, Tasks, Notes.
void create_default_folders(soci::session& sql, long long user_id);

std::vector<Folder> list_folders(soci::session& sql, long long user_id);
// The user's folder with this id; nullopt when it does not exist or belongs to someone else.
std::optional<Folder> find_folder(soci::session& sql, long long user_id, long long folder_id);
// A folder from row `row` of a libpq result with kFolderResultColumns' columns in that order.
class PqResult;
Folder folder_from(const PqResult& r, int row);
constexpr const char* kFolderResultColumns = "id, COALESCE(parent_id, 0), name, type, item_class, created_seq, modseq";
// By display name (case-insensitive); the default names (Inbox, Drafts, Deleted Items, Sent Items,
// Outbox) find the default folder of that type whatever it is called. nullopt when absent.
std::optional<Folder> find_folder_by_name(soci::session& sql, long long user_id, const std::string& name);

// Special folders (the defaults, types 2..11, and the recipient cache, 19): a phone may not
// rename, move or delete them.
inline bool is_special_folder_type(int type) { return (type >= 2 && type <= 11) || type == 19; }

// Hierarchy changes after watermark `mark`, as FolderSync reports them. `own` are change numbers
// above the mark that the device made itself (FolderCreate/Update/Delete): they are not reported,
// and a folder created in one of them is known to the device.
struct FolderChanges {
    std::vector<Folder> added;
    std::vector<Folder> updated;
    std::vector<long long> deleted;
    long long new_mark = 0;  // the highest change number seen (>= mark)
};
FolderChanges folder_changes_since(soci::session& sql, long long user_id, long long mark,
                                   const std::set<long long>& own = {});

// A device's FolderSync state: the keys and watermarks (store/sync_state.h) and, for the current
// and the previous key, the device's own changes above the watermark (schema/009).
struct HierarchyState {
    KeyedState keys;
    std::set<long long> own, previous_own;
};
// Locks the row (FOR UPDATE); nullopt before the device's first FolderSync.
std::optional<HierarchyState> load_hierarchy_state(soci::session& sql, long long device_id);

// The device's FolderSync keys and whether any folder change or deletion of the user lies above
// its current watermark, in one read with no lock (one snapshot): the "anything new?" FolderSync
// that a phone sends again and again is answered from it alone. `changed` also counts the
// device's own changes (the full path sorts those out), and a watermark below the user's prune
// horizon (the full path answers status 9).
struct HierarchyPeek {
    std::optional<KeyedState> keys;  // nullopt before the device's first FolderSync
    bool changed = false;
};
HierarchyPeek peek_hierarchy(soci::session& sql, long long user_id, long long device_id);
void save_hierarchy_state(soci::session& sql, long long device_id, const HierarchyState& state);

// After the device made changes `own` on top of watermark `mark`: moves the mark over every
// change number that is the device's own and has no other change of the user below it, and
// keeps only the own numbers still above the mark. Usually the own set ends up empty.
void settle_own_changes(soci::session& sql, long long user_id, long long& mark, std::set<long long>& own);

// The highest change number of the user's folder tombstones that `easctl maintenance` pruned
// (schema 021), 0 when none. A hierarchy state whose watermark is below it could miss a folder
// deletion: FolderSync (and FolderCreate/Update/Delete) answer status 9 and the device starts over.
long long hierarchy_prune_horizon(soci::session& sql, long long user_id);

// The current end of the change sequence for a user's hierarchy (0 when empty).
long long current_folder_mark(soci::session& sql, long long user_id);

}  // namespace easd::store
