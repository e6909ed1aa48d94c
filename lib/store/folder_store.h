// The folder store: the one seam through which folders are created, renamed, moved and deleted —
// by the phone (FolderCreate, FolderUpdate, FolderDelete in lib/commands/folder_management.cpp),
// by the administrator (`easctl folder add|rename|remove`) and for delivery (`easd-deliver
// --folder PATH`). Today the folders and their mail live in PostgreSQL (PgFolderStore); a second
// mail store (an IMAP server) is meant to go behind the same interface, so nothing above it may
// assume SQL.
//
// The caller owns the transaction: a command changes the folder and the device's sync state in
// one. Every method takes the user's lock first, so checks (name taken, parent exists) and the
// change are one step for that user.
#pragma once

#include <soci/soci.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/folders.h"

namespace easd::store {

enum class FolderError {
    None,
    NameTaken,      // the parent already holds a folder of that name (case ignored)
    ParentMissing,  // the parent is not one of the user's folders
    ParentSpecial,  // the parent cannot hold folders (the recipient information cache)
    NotFound,       // the folder is not one of the user's folders
    Special,        // a default folder: it cannot be renamed, moved or deleted
    Cycle,          // a move under the folder itself or one of its descendants
    BadName,        // empty, longer than kMaxFolderName bytes, not UTF-8, or with control characters
    BadType,        // not a type a user may create (1, 12..17)
    Unavailable,    // the mail server (Dovecot store) refused or could not be reached: nothing changed
};
const char* folder_error_text(FolderError e);

constexpr std::size_t kMaxFolderName = 256;

struct FolderChange {
    FolderError error = FolderError::None;
    Folder folder;  // after the change (create, update); the deleted folder (remove)
    // The hierarchy change numbers the change drew, so FolderSync can keep it from the device
    // that made it (schema/009); empty when nothing changed.
    std::vector<long long> change_seqs;
    bool ok() const { return error == FolderError::None; }
};

class FolderStore {
public:
    virtual ~FolderStore() = default;
    virtual std::vector<Folder> list(long long user_id) = 0;
    virtual std::optional<Folder> find(long long user_id, long long folder_id) = 0;
    // parent_id 0: top level. `type` is an EAS folder type a user may create (1, 12..17).
    virtual FolderChange create(long long user_id, long long parent_id, const std::string& name, int type) = 0;
    // Renames and/or moves (parent_id 0: top level).
    virtual FolderChange update(long long user_id, long long folder_id, long long parent_id,
                                const std::string& name) = 0;
    // Deletes the folder with its items and its subfolders, at any depth.
    virtual FolderChange remove(long long user_id, long long folder_id) = 0;
};

// The store for this installation (PostgreSQL), working on `sql`.
std::unique_ptr<FolderStore> open_folder_store(soci::session& sql);

// The EAS class a folder of a user-creatable type holds ("Email", "Calendar", ...); "" for other types.
std::string item_class_for_type(int type);

// Paths name folders for people: names from the top level down, separated by '/', case ignored
// ("Inbox/Projects/2026"). Empty components are ignored.
std::vector<std::string> split_folder_path(std::string_view path);
// The folder at `path`; nullopt when there is none.
std::optional<Folder> resolve_folder_path(FolderStore& store, long long user_id, std::string_view path);
// The same, and a bare name that is not at the top level is also found wherever it stands when
// exactly one folder has it: before paths, easd-deliver --folder took a name, and Postfix
// configurations written then still say so.
std::optional<Folder> resolve_folder_path_or_name(FolderStore& store, long long user_id, std::string_view path);
// The path of a folder ("Inbox/Projects").
std::string folder_path(const std::vector<Folder>& folders, const Folder& f);

}  // namespace easd::store
