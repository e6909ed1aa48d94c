#include "easctl_folder.h"

#include "common/text.h"
#include "store/accounts.h"
#include "store/folder_store.h"

namespace easd::cli {

namespace {

// --type: a class name or an EAS type a user may create.
int parse_type(const std::string& text) {
    std::string t = to_lower_ascii(text);
    if (t == "mail" || t == "email") return store::kFolderUserMail;
    if (t == "calendar") return store::kFolderUserCalendar;
    if (t == "contacts") return store::kFolderUserContacts;
    if (t == "tasks") return store::kFolderUserTasks;
    if (t == "journal") return store::kFolderUserJournal;
    if (t == "notes") return store::kFolderUserNotes;
    if (auto n = parse_decimal(t); n && !store::item_class_for_type(static_cast<int>(*n)).empty())
        return static_cast<int>(*n);
    throw UsageError("unknown folder type " + text + " (mail, calendar, contacts, tasks, notes, journal)");
}

// Without --type a folder holds what its parent holds: a folder under Calendar is a calendar.
int type_for_class(const std::string& item_class) {
    if (item_class == "Calendar") return store::kFolderUserCalendar;
    if (item_class == "Contacts") return store::kFolderUserContacts;
    if (item_class == "Tasks") return store::kFolderUserTasks;
    if (item_class == "Notes") return store::kFolderUserNotes;
    if (item_class == "Journal") return store::kFolderUserJournal;
    return store::kFolderUserMail;
}

// The parent of PATH's last component (0: top level) and that component.
std::pair<long long, std::string> parent_and_leaf(store::FolderStore& folders, long long user_id,
                                                  const std::string& path, std::string* parent_class) {
    auto parts = store::split_folder_path(path);
    if (parts.empty()) throw UsageError("empty folder path");
    std::string leaf = parts.back();
    parts.pop_back();
    if (parts.empty()) return {0, leaf};
    std::string parent_path;
    for (const auto& p : parts) parent_path += (parent_path.empty() ? "" : "/") + p;
    auto parent = store::resolve_folder_path(folders, user_id, parent_path);
    if (!parent) throw store::InvalidRequest("no folder " + parent_path);
    if (parent_class) *parent_class = parent->item_class;
    return {parent->id, leaf};
}

JsonObject folder_json(const std::vector<store::Folder>& all, const store::Folder& f) {
    return JsonObject()
        .number("id", f.id)
        .number("parent_id", f.parent_id)
        .text("path", store::folder_path(all, f))
        .number("type", f.type)
        .text("class", f.item_class);
}

}  // namespace

int run_folder_change(const Args& a, soci::session& sql) {
    const std::string& sub = word(a, 1, "folder command");
    const std::string& address = word(a, 2, "address");
    auto user = store::find_user(sql, address);
    if (!user) throw store::InvalidRequest("unknown user " + address);
    soci::transaction tr(sql);
    auto folders = store::open_folder_store(sql);
    auto refuse = [](const store::FolderChange& c, const std::string& path) {
        if (!c.ok()) throw store::InvalidRequest(path + ": " + store::folder_error_text(c.error));
    };
    std::string message;
    store::FolderChange change;
    if (sub == "add") {
        const std::string& path = word(a, 3, "folder path");
        no_more_words(a, 4);
        std::string parent_class = "Email";
        auto [parent, leaf] = parent_and_leaf(*folders, user->id, path, &parent_class);
        int type = a.values.count("--type") ? parse_type(a.value("--type")) : type_for_class(parent_class);
        change = folders->create(user->id, parent, leaf, type);
        refuse(change, path);
        message = "added folder ";
    } else if (sub == "rename") {
        const std::string& path = word(a, 3, "folder path");
        const std::string& to = word(a, 4, "new folder path");
        no_more_words(a, 5);
        auto folder = store::resolve_folder_path(*folders, user->id, path);
        if (!folder) throw store::InvalidRequest("no folder " + path);
        auto [parent, leaf] = parent_and_leaf(*folders, user->id, to, nullptr);
        change = folders->update(user->id, folder->id, parent, leaf);
        refuse(change, path);
        message = "renamed folder " + store::folder_path(folders->list(user->id), *folder) + " to ";
    } else if (sub == "remove") {
        const std::string& path = word(a, 3, "folder path");
        no_more_words(a, 4);
        auto folder = store::resolve_folder_path(*folders, user->id, path);
        if (!folder) throw store::InvalidRequest("no folder " + path);
        auto all = folders->list(user->id);
        std::string full = store::folder_path(all, *folder);
        change = folders->remove(user->id, folder->id);
        refuse(change, path);
        tr.commit();
        done(a, "removed folder " + full + " of " + user->address + " with its items and subfolders",
             JsonObject().number("id", folder->id).text("path", full));
        return 0;
    } else {
        throw UsageError("unknown command: folder " + sub);
    }
    auto all = folders->list(user->id);
    tr.commit();
    std::string path = store::folder_path(all, change.folder);
    done(a, message + path + " of " + user->address, folder_json(all, change.folder));
    return 0;
}

}  // namespace easd::cli
