#include "store/folders.h"

#include <algorithm>

#include "common/text.h"
#include "store/pq.h"

namespace easd::store {

void create_default_folders(soci::session& sql, long long user_id) {
    struct Default {
        const char* name;
        int type;
        const char* item_class;
    };
    static const Default defaults[] = {
        {"Inbox", kFolderInbox, "Email"},         {"Drafts", kFolderDrafts, "Email"},
        {"Deleted Items", kFolderDeleted, "Email"}, {"Sent Items", kFolderSent, "Email"},
        {"Outbox", kFolderOutbox, "Email"},       {"Junk E-mail", kFolderUserMail, "Email"},
        {"Contacts", kFolderContacts, "Contacts"}, {"Calendar", kFolderCalendar, "Calendar"},
        {"Tasks", kFolderTasks, "Tasks"},         {"Notes", kFolderNotes, "Notes"},
    };
    for (const auto& d : defaults) {
        std::string name = d.name, cls = d.item_class;
        int type = d.type;
        sql << "INSERT INTO folders (user_id, name, type, item_class) VALUES (:u, :n, :t, :c)",
            soci::use(user_id), soci::use(name), soci::use(type), soci::use(cls);
    }
}

namespace {
constexpr const char* kFolderColumns =
    "SELECT id, COALESCE(parent_id, 0), name, type::int, item_class, created_seq, modseq FROM folders ";

Folder folder_from_row(const soci::row& r) {
    Folder f;
    f.id = r.get<long long>(0);
    f.parent_id = r.get<long long>(1);
    f.name = r.get<std::string>(2);
    f.type = r.get<int>(3);
    f.item_class = r.get<std::string>(4);
    f.created_seq = r.get<long long>(5);
    f.modseq = r.get<long long>(6);
    return f;
}
}  // namespace

std::vector<Folder> list_folders(soci::session& sql, long long user_id) {
    std::vector<Folder> out;
    soci::rowset<soci::row> rs = (sql.prepare << std::string(kFolderColumns) + "WHERE user_id = :u ORDER BY id",
                                  soci::use(user_id));
    for (const auto& r : rs) out.push_back(folder_from_row(r));
    return out;
}

std::optional<Folder> find_folder(soci::session& sql, long long user_id, long long folder_id) {
    // On every Sync: one round trip.
    PqResult r = pq_query(sql,
        "SELECT id, COALESCE(parent_id, 0), name, type, item_class, created_seq, modseq FROM folders "
        "WHERE user_id = $1 AND id = $2", {std::to_string(user_id), std::to_string(folder_id)});
    if (r.rows() != 1) return std::nullopt;
    Folder f;
    f.id = r.int64(0, 0);
    f.parent_id = r.int64(0, 1);
    f.name = r.str(0, 2);
    f.type = r.int32(0, 3);
    f.item_class = r.str(0, 4);
    f.created_seq = r.int64(0, 5);
    f.modseq = r.int64(0, 6);
    return f;
}

std::optional<Folder> find_folder_by_name(soci::session& sql, long long user_id, const std::string& name) {
    std::string lower = to_lower_ascii(name);
    if (lower == "inbox") {
        soci::rowset<soci::row> rs = (sql.prepare << std::string(kFolderColumns) + "WHERE user_id = :u AND type = 2",
                                      soci::use(user_id));
        for (const auto& r : rs) return folder_from_row(r);
        return std::nullopt;
    }
    soci::rowset<soci::row> rs = (sql.prepare << std::string(kFolderColumns) +
                                  "WHERE user_id = :u AND lower(name) = :n ORDER BY id LIMIT 1",
                                  soci::use(user_id), soci::use(lower));
    for (const auto& r : rs) return folder_from_row(r);
    return std::nullopt;
}

FolderChanges folder_changes_since(soci::session& sql, long long user_id, long long mark) {
    FolderChanges changes;
    changes.new_mark = mark;
    soci::rowset<soci::row> rs = (sql.prepare << std::string(kFolderColumns) +
                                  "WHERE user_id = :u AND modseq > :m ORDER BY modseq",
                                  soci::use(user_id), soci::use(mark));
    for (const auto& r : rs) {
        Folder f = folder_from_row(r);
        changes.new_mark = std::max(changes.new_mark, f.modseq);
        // A folder created after the watermark is new to the device; one created before it, changed.
        (f.created_seq > mark ? changes.added : changes.updated).push_back(std::move(f));
    }
    // Deleted folders the device knew of (created at or before the watermark).
    soci::rowset<soci::row> ts = (sql.prepare <<
        "SELECT folder_id, created_seq, modseq FROM folder_tombstones WHERE user_id = :u AND modseq > :m "
        "ORDER BY modseq", soci::use(user_id), soci::use(mark));
    for (const auto& r : ts) {
        changes.new_mark = std::max(changes.new_mark, r.get<long long>(2));
        if (r.get<long long>(1) <= mark) changes.deleted.push_back(r.get<long long>(0));
    }
    // Parents before children, so a device never sees a folder whose parent it does not have.
    std::stable_sort(changes.added.begin(), changes.added.end(),
                     [](const Folder& a, const Folder& b) { return a.created_seq < b.created_seq; });
    return changes;
}

long long current_folder_mark(soci::session& sql, long long user_id) {
    long long mark = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT GREATEST((SELECT max(modseq) FROM folders WHERE user_id = :u), "
           "(SELECT max(modseq) FROM folder_tombstones WHERE user_id = :u2))",
        soci::use(user_id), soci::use(user_id), soci::into(mark, ind);
    return ind == soci::i_ok ? mark : 0;
}

}  // namespace easd::store
