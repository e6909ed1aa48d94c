#include "store/folders.h"

#include <algorithm>
#include <iterator>

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

Folder folder_from(const PqResult& r, int row) {
    Folder f;
    f.id = r.int64(row, 0);
    f.parent_id = r.int64(row, 1);
    f.name = r.str(row, 2);
    f.type = r.int32(row, 3);
    f.item_class = r.str(row, 4);
    f.created_seq = r.int64(row, 5);
    f.modseq = r.int64(row, 6);
    return f;
}

std::optional<Folder> find_folder(soci::session& sql, long long user_id, long long folder_id) {
    // On every Sync: one round trip.
    PqResult r = pq_query(sql, (std::string("SELECT ") + kFolderResultColumns + " FROM folders WHERE user_id = $1 AND id = $2").c_str(),
                          {std::to_string(user_id), std::to_string(folder_id)});
    if (r.rows() != 1) return std::nullopt;
    return folder_from(r, 0);
}

std::optional<Folder> find_folder_by_name(soci::session& sql, long long user_id, const std::string& name) {
    std::string lower = to_lower_ascii(name);
    // The default folders by their type: in the Dovecot store they carry the IMAP server's
    // (possibly localized) names, "Sent" or "Gesendet" for Sent Items.
    int type = lower == "inbox"           ? kFolderInbox
               : lower == "drafts"        ? kFolderDrafts
               : lower == "deleted items" ? kFolderDeleted
               : lower == "sent items"    ? kFolderSent
               : lower == "outbox"        ? kFolderOutbox
                                          : 0;
    if (type != 0) {
        soci::rowset<soci::row> rs = (sql.prepare << std::string(kFolderColumns) + "WHERE user_id = :u AND type = :t",
                                      soci::use(user_id), soci::use(type));
        for (const auto& r : rs) return folder_from_row(r);
        return std::nullopt;
    }
    soci::rowset<soci::row> rs = (sql.prepare << std::string(kFolderColumns) +
                                  "WHERE user_id = :u AND lower(name) = :n ORDER BY id LIMIT 1",
                                  soci::use(user_id), soci::use(lower));
    for (const auto& r : rs) return folder_from_row(r);
    return std::nullopt;
}

FolderChanges folder_changes_since(soci::session& sql, long long user_id, long long mark,
                                   const std::set<long long>& own) {
    FolderChanges changes;
    changes.new_mark = mark;
    // Known to the device: created at or before its watermark, or by the device itself.
    auto known = [&](long long created_seq) { return created_seq <= mark || own.count(created_seq) != 0; };
    soci::rowset<soci::row> rs = (sql.prepare << std::string(kFolderColumns) +
                                  "WHERE user_id = :u AND modseq > :m ORDER BY modseq",
                                  soci::use(user_id), soci::use(mark));
    for (const auto& r : rs) {
        Folder f = folder_from_row(r);
        changes.new_mark = std::max(changes.new_mark, f.modseq);
        if (own.count(f.modseq)) continue;  // the device's own change: it has it already
        // A folder created after the watermark is new to the device; one created before it, changed.
        (known(f.created_seq) ? changes.updated : changes.added).push_back(std::move(f));
    }
    // Deleted folders the device knew of.
    soci::rowset<soci::row> ts = (sql.prepare <<
        "SELECT folder_id, created_seq, modseq FROM folder_tombstones WHERE user_id = :u AND modseq > :m "
        "ORDER BY modseq", soci::use(user_id), soci::use(mark));
    for (const auto& r : ts) {
        long long seq = r.get<long long>(2);
        changes.new_mark = std::max(changes.new_mark, seq);
        if (!own.count(seq) && known(r.get<long long>(1))) changes.deleted.push_back(r.get<long long>(0));
    }
    // Parents before children, so a device never sees a folder whose parent it does not have.
    std::stable_sort(changes.added.begin(), changes.added.end(),
                     [](const Folder& a, const Folder& b) { return a.created_seq < b.created_seq; });
    return changes;
}

namespace {
std::set<long long> parse_id_set(std::string_view text) {
    std::set<long long> out;
    if (!text.empty() && text.front() == '{') text.remove_prefix(1);
    if (!text.empty() && text.back() == '}') text.remove_suffix(1);
    while (!text.empty()) {
        auto comma = text.find(',');
        if (auto id = parse_decimal(text.substr(0, comma))) out.insert(*id);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    }
    return out;
}
std::string id_set_literal(const std::set<long long>& ids) { return id_array({ids.begin(), ids.end()}); }
}  // namespace

std::optional<HierarchyState> load_hierarchy_state(soci::session& sql, long long device_id) {
    PqResult r = pq_query(sql,
        "SELECT epoch, current_key, current_mark, previous_key, previous_mark, own_changes, previous_own_changes "
        "FROM folder_sync_states WHERE device_id = $1 FOR UPDATE", {std::to_string(device_id)});
    if (r.rows() != 1) return std::nullopt;
    HierarchyState s;
    s.keys.epoch = r.str(0, 0);
    s.keys.current_key = r.int32(0, 1);
    s.keys.current_mark = r.int64(0, 2);
    if (!r.is_null(0, 3)) {
        s.keys.previous_key = r.int32(0, 3);
        s.keys.previous_mark = r.is_null(0, 4) ? 0 : r.int64(0, 4);
    }
    s.own = parse_id_set(r.text(0, 5));
    s.previous_own = parse_id_set(r.text(0, 6));
    return s;
}

HierarchyPeek peek_hierarchy(soci::session& sql, long long user_id, long long device_id) {
    static const PreparedQuery query{
        "easd_peek_hierarchy",
        "SELECT s.epoch, s.current_key, s.current_mark, s.previous_key, s.previous_mark, "
        "  EXISTS (SELECT 1 FROM folders f WHERE f.user_id = $1 AND f.modseq > s.current_mark) "
        "  OR EXISTS (SELECT 1 FROM folder_tombstones t WHERE t.user_id = $1 AND t.modseq > s.current_mark) "
        "  OR EXISTS (SELECT 1 FROM hierarchy_prune_horizons h WHERE h.user_id = $1 AND h.horizon > s.current_mark) "
        "FROM folder_sync_states s WHERE s.device_id = $2"};
    PqResult r = pq_prepared(sql, query, {std::to_string(user_id), std::to_string(device_id)});
    HierarchyPeek peek;
    if (r.rows() != 1) return peek;
    KeyedState keys;
    keys.epoch = r.str(0, 0);
    keys.current_key = r.int32(0, 1);
    keys.current_mark = r.int64(0, 2);
    if (!r.is_null(0, 3)) {
        keys.previous_key = r.int32(0, 3);
        keys.previous_mark = r.is_null(0, 4) ? 0 : r.int64(0, 4);
    }
    peek.keys = std::move(keys);
    peek.changed = r.boolean(0, 5);
    return peek;
}

void save_hierarchy_state(soci::session& sql, long long device_id, const HierarchyState& s) {
    pq_query(sql,
        "INSERT INTO folder_sync_states (device_id, epoch, current_key, current_mark, previous_key, previous_mark, "
        "own_changes, previous_own_changes) VALUES ($1, $2, $3, $4, NULLIF($5, '')::int, $6, $7::bigint[], $8::bigint[]) "
        "ON CONFLICT (device_id) DO UPDATE SET epoch = EXCLUDED.epoch, current_key = EXCLUDED.current_key, "
        "current_mark = EXCLUDED.current_mark, previous_key = EXCLUDED.previous_key, "
        "previous_mark = EXCLUDED.previous_mark, own_changes = EXCLUDED.own_changes, "
        "previous_own_changes = EXCLUDED.previous_own_changes",
        {std::to_string(device_id), s.keys.epoch, std::to_string(s.keys.current_key),
         std::to_string(s.keys.current_mark),
         s.keys.previous_key ? std::to_string(*s.keys.previous_key) : std::string(),
         std::to_string(s.keys.previous_mark), id_set_literal(s.own), id_set_literal(s.previous_own)});
}

void settle_own_changes(soci::session& sql, long long user_id, long long& mark, std::set<long long>& own) {
    // The first change of the user above the mark that is not the device's own; the mark may move
    // up to just below it. (A folder changed by someone else and then by the device shows only the
    // device's number: the device's change carried the whole folder, so nothing is hidden.)
    PqResult r = pq_query(sql,
        "SELECT min(s) FROM (SELECT modseq AS s FROM folders WHERE user_id = $1 AND modseq > $2 "
        "UNION ALL SELECT modseq FROM folder_tombstones WHERE user_id = $1 AND modseq > $2) c "
        "WHERE s <> ALL($3::bigint[])",
        {std::to_string(user_id), std::to_string(mark), id_set_literal(own)});
    bool bounded = !r.is_null(0, 0);
    long long first_other = bounded ? r.int64(0, 0) : 0;
    for (long long s : own)
        if (!bounded || s < first_other) mark = std::max(mark, s);
    for (auto it = own.begin(); it != own.end();) it = *it <= mark ? own.erase(it) : std::next(it);
}

long long hierarchy_prune_horizon(soci::session& sql, long long user_id) {
    PqResult r = pq_query(sql, "SELECT horizon FROM hierarchy_prune_horizons WHERE user_id = $1",
                          {std::to_string(user_id)});
    return r.rows() == 1 ? r.int64(0, 0) : 0;
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
