#include "store/mirror_state.h"

#include <algorithm>

#include "common/log.h"
#include "store/db.h"
#include "store/pq.h"

namespace easd::store {

namespace {

// The advisory lock space of the mirror (the first key of the two-key form; 7411 is the user
// lock, 7412 the policy lock). Folder ids are cast like user ids are in easd_lock_user: a wrap
// past 2^31 only makes two folders share a lock.
constexpr const char* kMirrorLockSpace = "7413";

MailboxBinding binding_from(const PqResult& r, int row) {
    MailboxBinding b;
    b.folder_id = r.int64(row, 0);
    b.name = r.str(row, 1);
    b.uidvalidity = static_cast<std::uint32_t>(r.int64(row, 2));
    b.highestmodseq = static_cast<std::uint64_t>(r.int64(row, 3));
    b.uidnext = static_cast<std::uint32_t>(r.int64(row, 4));
    return b;
}

constexpr const char* kBindingColumns = "SELECT folder_id, name, uidvalidity, highestmodseq, uidnext FROM imap_mailboxes ";

std::string uid_array(const std::vector<std::uint32_t>& uids) {
    std::vector<long long> ids(uids.begin(), uids.end());
    return id_array(ids);
}

}  // namespace

std::vector<MailboxBinding> list_mailbox_bindings(soci::session& sql, long long user_id) {
    PqResult r = pq_query(sql, (std::string(kBindingColumns) + "WHERE user_id = $1 ORDER BY name").c_str(),
                          {std::to_string(user_id)});
    std::vector<MailboxBinding> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(binding_from(r, i));
    return out;
}

std::optional<MailboxBinding> find_mailbox_binding(soci::session& sql, long long user_id, const std::string& name) {
    PqResult r = pq_query(sql, (std::string(kBindingColumns) + "WHERE user_id = $1 AND name = $2").c_str(),
                          {std::to_string(user_id), name});
    if (r.rows() != 1) return std::nullopt;
    return binding_from(r, 0);
}

void bind_mailbox(soci::session& sql, long long user_id, long long folder_id, const std::string& name) {
    pq_query(sql,
             "INSERT INTO imap_mailboxes (folder_id, user_id, name) VALUES ($1, $2, $3) "
             "ON CONFLICT (folder_id) DO UPDATE SET name = EXCLUDED.name",
             {std::to_string(folder_id), std::to_string(user_id), name});
}

void unbind_mailbox(soci::session& sql, long long folder_id) {
    pq_query(sql, "DELETE FROM imap_mailboxes WHERE folder_id = $1", {std::to_string(folder_id)});
}

void save_mailbox_progress(soci::session& sql, long long folder_id, std::uint32_t uidvalidity,
                           std::uint64_t highestmodseq, std::uint32_t uidnext) {
    pq_query(sql,
             "UPDATE imap_mailboxes SET uidvalidity = $2, highestmodseq = $3, uidnext = $4, caught_up_at = now() "
             "WHERE folder_id = $1",
             {std::to_string(folder_id), std::to_string(uidvalidity), std::to_string(highestmodseq),
              std::to_string(uidnext)});
}

std::unordered_map<std::uint32_t, MirroredMessage> load_mirrored_messages(soci::session& sql, long long folder_id,
                                                                         const std::vector<std::uint32_t>* only_uids) {
    std::string query =
        "SELECT m.item_id, m.uid, m.modseq, e.read, e.flag, e.categories FROM imap_messages m "
        "JOIN emails e ON e.item_id = m.item_id WHERE m.folder_id = $1";
    std::vector<std::string> params{std::to_string(folder_id)};
    if (only_uids) {
        query += " AND m.uid = ANY($2::bigint[])";
        params.push_back(uid_array(*only_uids));
    }
    PqResult r = pq_query(sql, query.c_str(), params);
    std::unordered_map<std::uint32_t, MirroredMessage> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        MirroredMessage m;
        m.item_id = r.int64(i, 0);
        m.uid = static_cast<std::uint32_t>(r.int64(i, 1));
        m.modseq = static_cast<std::uint64_t>(r.int64(i, 2));
        m.read = r.boolean(i, 3);
        if (!r.is_null(i, 4)) m.flag = bytea_from_text(r.text(i, 4));
        if (!r.is_null(i, 5)) m.categories = bytea_from_text(r.text(i, 5));
        out.emplace(m.uid, std::move(m));
    }
    return out;
}

void record_mirrored_message(soci::session& sql, long long item_id, long long folder_id, std::uint32_t uid,
                             std::uint64_t modseq) {
    pq_query(sql, "INSERT INTO imap_messages (item_id, folder_id, uid, modseq) VALUES ($1, $2, $3, $4)",
             {std::to_string(item_id), std::to_string(folder_id), std::to_string(uid), std::to_string(modseq)});
}

void set_mirrored_modseq(soci::session& sql, long long item_id, std::uint64_t modseq) {
    pq_query(sql, "UPDATE imap_messages SET modseq = $2 WHERE item_id = $1",
             {std::to_string(item_id), std::to_string(modseq)});
}

namespace {

constexpr const char* kLocationColumns =
    "SELECT m.item_id, m.folder_id, b.name, b.uidvalidity, m.uid FROM imap_messages m JOIN imap_mailboxes b "
    "ON b.folder_id = m.folder_id ";

MirroredLocation location_from(const PqResult& r, int row) {
    MirroredLocation at;
    at.item_id = r.int64(row, 0);
    at.folder_id = r.int64(row, 1);
    at.mailbox = r.str(row, 2);
    at.uidvalidity = static_cast<std::uint32_t>(r.int64(row, 3));
    at.uid = static_cast<std::uint32_t>(r.int64(row, 4));
    return at;
}

}  // namespace

std::optional<MirroredLocation> find_mirrored_item(soci::session& sql, long long item_id) {
    PqResult r = pq_query(sql, (std::string(kLocationColumns) + "WHERE m.item_id = $1").c_str(),
                          {std::to_string(item_id)});
    if (r.rows() != 1) return std::nullopt;
    return location_from(r, 0);
}

std::vector<MirroredLocation> find_mirrored_items(soci::session& sql, const std::vector<long long>& item_ids) {
    std::vector<MirroredLocation> out;
    if (item_ids.empty()) return out;
    PqResult r = pq_query(sql, (std::string(kLocationColumns) + "WHERE m.item_id = ANY($1::bigint[])").c_str(),
                          {id_array(item_ids)});
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int n = 0; n < r.rows(); ++n) out.push_back(location_from(r, n));
    return out;
}

std::optional<MailboxBinding> find_binding_of_folder(soci::session& sql, long long folder_id) {
    PqResult r = pq_query(sql, (std::string(kBindingColumns) + "WHERE folder_id = $1").c_str(),
                          {std::to_string(folder_id)});
    if (r.rows() != 1) return std::nullopt;
    return binding_from(r, 0);
}

void forget_mirrored_message(soci::session& sql, long long item_id) {
    pq_query(sql, "DELETE FROM imap_messages WHERE item_id = $1", {std::to_string(item_id)});
}

void rebind_mirrored_message(soci::session& sql, long long item_id, long long folder_id, std::uint32_t uid) {
    pq_query(sql,
             "INSERT INTO imap_messages (item_id, folder_id, uid, modseq) VALUES ($1, $2, $3, 0) "
             "ON CONFLICT (item_id) DO UPDATE SET folder_id = EXCLUDED.folder_id, uid = EXCLUDED.uid, modseq = 0",
             {std::to_string(item_id), std::to_string(folder_id), std::to_string(uid)});
}

int delete_mirrored_messages(soci::session& sql, long long folder_id, const std::vector<std::uint32_t>& uids) {
    if (uids.empty()) return 0;
    // `folder_id = $1` on items too: a phone's MoveItems may be moving one of these messages right
    // now (UID MOVE, then the item's folder and UID change in its transaction). The subquery saw
    // the old UID; once that transaction commits, PostgreSQL checks the WHERE again on the moved
    // row, and the folder no longer matches, so the moved item stays.
    PqResult r = pq_query(sql,
                          "DELETE FROM items WHERE folder_id = $1 AND id IN (SELECT item_id FROM imap_messages "
                          "WHERE folder_id = $1 AND uid = ANY($2::bigint[])) RETURNING id",
                          {std::to_string(folder_id), uid_array(uids)});
    return r.rows();
}

std::vector<FolderItemKey> load_folder_item_keys(soci::session& sql, long long folder_id) {
    PqResult r = pq_query(sql,
                          "SELECT i.id, COALESCE(m.uid, -1), e.item_id IS NOT NULL, COALESCE(e.message_id, ''), "
                          "COALESCE(e.size, 0), COALESCE(floor(extract(epoch FROM e.date_received))::bigint, 0), "
                          "COALESCE(e.read, false), e.flag, e.categories FROM items i "
                          "LEFT JOIN emails e ON e.item_id = i.id LEFT JOIN imap_messages m ON m.item_id = i.id "
                          "WHERE i.folder_id = $1 ORDER BY m.uid NULLS LAST, i.id",
                          {std::to_string(folder_id)});
    std::vector<FolderItemKey> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        FolderItemKey k;
        k.item_id = r.int64(i, 0);
        k.uid = r.int64(i, 1);
        k.is_email = r.boolean(i, 2);
        k.message_id = r.str(i, 3);
        k.size = r.int64(i, 4);
        k.date_received = r.int64(i, 5);
        k.read = r.boolean(i, 6);
        if (!r.is_null(i, 7)) k.flag = bytea_from_text(r.text(i, 7));
        if (!r.is_null(i, 8)) k.categories = bytea_from_text(r.text(i, 8));
        out.push_back(std::move(k));
    }
    return out;
}

namespace {

// Statements over many ids take them in slices, so no parameter grows with the mailbox.
constexpr std::size_t kIdsPerStatement = 5000;

}  // namespace

void rebind_folder_messages(soci::session& sql, long long folder_id, const std::vector<Rebinding>& rebindings) {
    // Old UIDs become negative (never a UID), so (folder, UID) stays unique while new ones are set.
    pq_query(sql, "UPDATE imap_messages SET uid = -1 - uid WHERE folder_id = $1 AND uid >= 0",
             {std::to_string(folder_id)});
    for (std::size_t at = 0; at < rebindings.size(); at += kIdsPerStatement) {
        const std::size_t end = std::min(rebindings.size(), at + kIdsPerStatement);
        std::vector<long long> items, uids, modseqs;
        for (std::size_t i = at; i < end; ++i) {
            items.push_back(rebindings[i].item_id);
            uids.push_back(rebindings[i].uid);
            modseqs.push_back(static_cast<long long>(rebindings[i].modseq));
        }
        pq_query(sql,
                 "INSERT INTO imap_messages (item_id, folder_id, uid, modseq) "
                 "SELECT i, $1, u, m FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS r(i, u, m) "
                 "ON CONFLICT (item_id) DO UPDATE SET folder_id = EXCLUDED.folder_id, uid = EXCLUDED.uid, "
                 "modseq = EXCLUDED.modseq",
                 {std::to_string(folder_id), id_array(items), id_array(uids), id_array(modseqs)});
    }
}

int delete_folder_items(soci::session& sql, long long folder_id, const std::vector<long long>& item_ids) {
    int deleted = 0;
    for (std::size_t at = 0; at < item_ids.size(); at += kIdsPerStatement) {
        std::vector<long long> slice(item_ids.begin() + static_cast<std::ptrdiff_t>(at),
                                     item_ids.begin() + static_cast<std::ptrdiff_t>(std::min(item_ids.size(), at + kIdsPerStatement)));
        PqResult r = pq_query(sql, "DELETE FROM items WHERE folder_id = $1 AND id = ANY($2::bigint[]) RETURNING id",
                              {std::to_string(folder_id), id_array(slice)});
        deleted += r.rows();
    }
    return deleted;
}

int delete_folder_items(soci::session& sql, long long folder_id) {
    PqResult r = pq_query(sql, "DELETE FROM items WHERE folder_id = $1 RETURNING id", {std::to_string(folder_id)});
    return r.rows();
}

long long create_mirror_folder(soci::session& sql, long long user_id, long long parent_id, const std::string& name) {
    PqResult r = pq_query(sql,
                          "INSERT INTO folders (user_id, parent_id, name, type, item_class) "
                          "VALUES ($1, NULLIF($2::bigint, 0), $3, 12, 'Email') RETURNING id",
                          {std::to_string(user_id), std::to_string(parent_id), name});
    return r.int64(0, 0);
}

void place_mirror_folder(soci::session& sql, long long folder_id, long long parent_id, const std::string& name) {
    pq_query(sql,
             "UPDATE folders SET name = $3, parent_id = NULLIF($2::bigint, 0) WHERE id = $1 "
             "AND (name IS DISTINCT FROM $3 OR parent_id IS DISTINCT FROM NULLIF($2::bigint, 0))",
             {std::to_string(folder_id), std::to_string(parent_id), name});
}

void delete_mirror_folder(soci::session& sql, long long folder_id) {
    // Children go with the parent (ON DELETE CASCADE); the folder trigger leaves a tombstone for
    // each, and the items trigger one per item.
    pq_query(sql, "DELETE FROM folders WHERE id = $1", {std::to_string(folder_id)});
}

MirrorLock::MirrorLock(soci::session& sql, long long folder_id) : sql_(sql), folder_id_(folder_id) {
    pq_query(sql_, "SELECT pg_advisory_lock($1::int, ($2::bigint % 2147483647)::int)", {kMirrorLockSpace, std::to_string(folder_id_)});
}

MirrorLock::~MirrorLock() {
    try {
        pq_query(sql_, "SELECT pg_advisory_unlock($1::int, ($2::bigint % 2147483647)::int)", {kMirrorLockSpace, std::to_string(folder_id_)});
    } catch (const std::exception& e) {
        // The connection is broken: the server released the lock with the session.
        EASD_LOG_WARN("mirror lock of folder %lld not released: %s", folder_id_, e.what());
    }
}

}  // namespace easd::store
