#include "store/folder_store.h"

#include <algorithm>
#include <map>

#include "common/text.h"
#include "store/pq.h"

namespace easd::store {

const char* folder_error_text(FolderError e) {
    switch (e) {
        case FolderError::None: return "ok";
        case FolderError::NameTaken: return "a folder of that name already exists there";
        case FolderError::ParentMissing: return "the parent folder does not exist";
        case FolderError::ParentSpecial: return "that parent folder cannot hold folders";
        case FolderError::NotFound: return "no such folder";
        case FolderError::Special: return "a default folder cannot be renamed, moved or deleted";
        case FolderError::Cycle: return "a folder cannot be moved under itself or its own subfolder";
        case FolderError::BadName: return "invalid folder name";
        case FolderError::BadType: return "a user may create folders of types 1 and 12 to 17 only";
        case FolderError::Unavailable: return "the mail server refused the change or cannot be reached";
    }
    return "error";
}

std::string item_class_for_type(int type) {
    switch (type) {
        case kFolderUserGeneric:  // a generic folder holds mail, as on Exchange
        case kFolderUserMail: return "Email";
        case kFolderUserCalendar: return "Calendar";
        case kFolderUserContacts: return "Contacts";
        case kFolderUserTasks: return "Tasks";
        case kFolderUserJournal: return "Journal";
        case kFolderUserNotes: return "Notes";
        default: return "";
    }
}

namespace {

// Non-empty, at most kMaxFolderName bytes, well-formed UTF-8 (PostgreSQL would refuse anything
// else with an error, not a status), no control characters.
bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxFolderName || trim(name).empty()) return false;
    for (unsigned char c : name)
        if (c < 0x20 || c == 0x7f) return false;
    if (!is_valid_utf8(name)) return false;
    return true;
}


const std::string kReturning = std::string(" RETURNING ") + kFolderResultColumns;

class PgFolderStore : public FolderStore {
public:
    explicit PgFolderStore(soci::session& sql) : sql_(sql) {}

    std::vector<Folder> list(long long user_id) override { return list_folders(sql_, user_id); }
    std::optional<Folder> find(long long user_id, long long folder_id) override {
        return find_folder(sql_, user_id, folder_id);
    }

    FolderChange create(long long user_id, long long parent_id, const std::string& name, int type) override {
        FolderChange out;
        std::string cls = item_class_for_type(type);
        if (cls.empty()) return fail(out, FolderError::BadType);
        if (!valid_name(name)) return fail(out, FolderError::BadName);
        lock(user_id);
        if (auto e = check_parent(user_id, parent_id); e != FolderError::None) return fail(out, e);
        if (name_taken(user_id, parent_id, name, 0)) return fail(out, FolderError::NameTaken);
        PqResult r = pq_query(sql_, (std::string("INSERT INTO folders (user_id, parent_id, name, type, item_class) "
                                                 "VALUES ($1, NULLIF($2, 0), $3, $4, $5)") + kReturning).c_str(),
                              {std::to_string(user_id), std::to_string(parent_id), name, std::to_string(type), cls});
        out.folder = folder_from(r, 0);
        out.change_seqs.push_back(out.folder.modseq);
        return out;
    }

    FolderChange update(long long user_id, long long folder_id, long long parent_id, const std::string& name) override {
        FolderChange out;
        lock(user_id);
        auto folder = find_folder(sql_, user_id, folder_id);
        if (!folder) return fail(out, FolderError::NotFound);
        out.folder = *folder;
        if (is_special_folder_type(folder->type)) return fail(out, FolderError::Special);
        if (!valid_name(name)) return fail(out, FolderError::BadName);
        if (auto e = check_parent(user_id, parent_id); e != FolderError::None) return fail(out, e);
        if (parent_id != 0 && parent_id != folder->parent_id) {
            // The new parent must not be the folder or lie below it.
            PqResult up = pq_query(sql_,
                "WITH RECURSIVE up AS (SELECT id, parent_id FROM folders WHERE id = $2 AND user_id = $1 "
                "UNION SELECT f.id, f.parent_id FROM folders f JOIN up ON f.id = up.parent_id WHERE f.user_id = $1) "
                "SELECT count(*) FROM up WHERE id = $3",
                {std::to_string(user_id), std::to_string(parent_id), std::to_string(folder_id)});
            if (up.int64(0, 0) != 0) return fail(out, FolderError::Cycle);
        }
        if (parent_id == folder->parent_id && name == folder->name) return out;  // nothing to change
        if (name_taken(user_id, parent_id, name, folder_id)) return fail(out, FolderError::NameTaken);
        PqResult r = pq_query(sql_, (std::string("UPDATE folders SET parent_id = NULLIF($3, 0), name = $4 "
                                                 "WHERE user_id = $1 AND id = $2") + kReturning).c_str(),
                              {std::to_string(user_id), std::to_string(folder_id), std::to_string(parent_id), name});
        out.folder = folder_from(r, 0);
        out.change_seqs.push_back(out.folder.modseq);
        return out;
    }

    FolderChange remove(long long user_id, long long folder_id) override {
        FolderChange out;
        lock(user_id);
        auto folder = find_folder(sql_, user_id, folder_id);
        if (!folder) return fail(out, FolderError::NotFound);
        out.folder = *folder;
        // The folder and its subfolders at any depth, with their depth.
        PqResult tree = pq_query(sql_,
            "WITH RECURSIVE t AS (SELECT id, type, 0 AS depth FROM folders WHERE user_id = $1 AND id = $2 "
            "UNION ALL SELECT f.id, f.type, t.depth + 1 FROM folders f JOIN t ON f.parent_id = t.id "
            "WHERE f.user_id = $1) SELECT id, type, depth FROM t ORDER BY depth DESC, id",
            {std::to_string(user_id), std::to_string(folder_id)});
        std::map<int, std::vector<long long>, std::greater<int>> by_depth;
        std::vector<long long> all;
        for (int row = 0; row < tree.rows(); ++row) {
            if (is_special_folder_type(tree.int32(row, 1))) return fail(out, FolderError::Special);
            by_depth[tree.int32(row, 2)].push_back(tree.int64(row, 0));
            all.push_back(tree.int64(row, 0));
        }
        // Deepest first, so other devices are told of children before their parent. Items go
        // with their folders (ON DELETE CASCADE), leaving tombstones like any delete.
        for (const auto& [depth, ids] : by_depth)
            pq_query(sql_, "DELETE FROM folders WHERE user_id = $1 AND id = ANY($2::bigint[])",
                     {std::to_string(user_id), id_array(ids)});
        PqResult seqs = pq_query(sql_,
            "SELECT modseq FROM folder_tombstones WHERE user_id = $1 AND folder_id = ANY($2::bigint[])",
            {std::to_string(user_id), id_array(all)});
        for (int row = 0; row < seqs.rows(); ++row) out.change_seqs.push_back(seqs.int64(row, 0));
        return out;
    }

private:
    static FolderChange& fail(FolderChange& out, FolderError e) {
        out.error = e;
        return out;
    }
    // The same per-user lock the change triggers take (schema/001), taken before the checks.
    void lock(long long user_id) { pq_query(sql_, "SELECT easd_lock_user($1)", {std::to_string(user_id)}); }

    FolderError check_parent(long long user_id, long long parent_id) {
        if (parent_id == 0) return FolderError::None;
        auto parent = find_folder(sql_, user_id, parent_id);
        if (!parent) return FolderError::ParentMissing;
        if (parent->type == kFolderRecipientCache) return FolderError::ParentSpecial;
        return FolderError::None;
    }

    bool name_taken(long long user_id, long long parent_id, const std::string& name, long long except_id) {
        PqResult r = pq_query(sql_,
            "SELECT count(*) FROM folders WHERE user_id = $1 AND COALESCE(parent_id, 0) = $2 "
            "AND lower(name) = lower($3) AND id <> $4",
            {std::to_string(user_id), std::to_string(parent_id), name, std::to_string(except_id)});
        return r.int64(0, 0) != 0;
    }

    soci::session& sql_;
};

}  // namespace

std::unique_ptr<FolderStore> open_folder_store(soci::session& sql) { return std::make_unique<PgFolderStore>(sql); }

std::vector<std::string> split_folder_path(std::string_view path) {
    std::vector<std::string> parts;
    while (!path.empty()) {
        auto slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        if (!part.empty()) parts.emplace_back(part);
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    }
    return parts;
}

namespace {
// Case ignored as PostgreSQL's lower() would for ASCII; other letters must match exactly.
bool same_name(const std::string& a, const std::string& b) { return iequals(a, b); }
}  // namespace

std::optional<Folder> resolve_folder_path(FolderStore& store, long long user_id, std::string_view path) {
    auto parts = split_folder_path(path);
    if (parts.empty()) return std::nullopt;
    auto folders = store.list(user_id);
    long long parent = 0;
    std::optional<Folder> found;
    for (const auto& part : parts) {
        found.reset();
        for (const auto& f : folders)
            if (f.parent_id == parent && same_name(f.name, part)) {
                found = f;
                break;
            }
        if (!found) return std::nullopt;
        parent = found->id;
    }
    return found;
}

std::optional<Folder> resolve_folder_path_or_name(FolderStore& store, long long user_id, std::string_view path) {
    if (auto exact = resolve_folder_path(store, user_id, path)) return exact;
    auto parts = split_folder_path(path);
    if (parts.size() != 1) return std::nullopt;
    std::optional<Folder> found;
    for (const auto& f : store.list(user_id)) {
        if (!same_name(f.name, parts.front())) continue;
        if (found) return std::nullopt;  // two of that name: only a path says which
        found = f;
    }
    return found;
}

std::string folder_path(const std::vector<Folder>& folders, const Folder& f) {
    std::string path = f.name;
    long long parent = f.parent_id;
    for (std::size_t guard = 0; parent != 0 && guard < folders.size(); ++guard) {
        auto it = std::find_if(folders.begin(), folders.end(), [&](const Folder& x) { return x.id == parent; });
        if (it == folders.end()) break;
        path = it->name + "/" + path;
        parent = it->parent_id;
    }
    return path;
}

}  // namespace easd::store
