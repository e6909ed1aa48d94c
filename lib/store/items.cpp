#include "store/items.h"

#include <unordered_map>

#include "store/db.h"
#include "store/pq.h"

namespace easd::store {

namespace {
std::string to_array(const std::vector<long long>& ids) {
    std::string s = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(ids[i]);
    }
    return s + "}";
}

// Optional seconds -> a parameter for to_timestamp() (empty string = NULL via NULLIF).
std::string epoch_param(const std::optional<long long>& v) { return v ? std::to_string(*v) : std::string(); }
}  // namespace

std::optional<ItemRef> find_item(soci::session& sql, long long user_id, long long item_id) {
    PqResult r = pq_query(sql, "SELECT id, folder_id, modseq FROM items WHERE id = $1 AND user_id = $2",
                          {std::to_string(item_id), std::to_string(user_id)});
    if (r.rows() != 1) return std::nullopt;
    return ItemRef{r.int64(0, 0), r.int64(0, 1), r.int64(0, 2)};
}

long long insert_pim_item(soci::session& sql, long long user_id, long long folder_id, const PimRow& row) {
    PqResult r = pq_query(sql, "INSERT INTO items (user_id, folder_id) VALUES ($1, $2) RETURNING id",
                          {std::to_string(user_id), std::to_string(folder_id)});
    long long id = r.int64(0, 0);
    pq_query(sql,
             "INSERT INTO pim_items (item_id, data, subject, start_time, end_time, due, recurring, complete) "
             "VALUES ($1, $2::bytea, $3, to_timestamp(NULLIF($4, '')::bigint), to_timestamp(NULLIF($5, '')::bigint), "
             "to_timestamp(NULLIF($6, '')::bigint), $7, $8)",
             {std::to_string(id), bytea_to_hex_literal(row.data), row.subject, epoch_param(row.start_time),
              epoch_param(row.end_time), epoch_param(row.due), row.recurring ? "t" : "f", row.complete ? "t" : "f"});
    return id;
}

void update_pim_item(soci::session& sql, const PimRow& row) {
    pq_query(sql,
             "UPDATE pim_items SET data = $2::bytea, subject = $3, start_time = to_timestamp(NULLIF($4, '')::bigint), "
             "end_time = to_timestamp(NULLIF($5, '')::bigint), due = to_timestamp(NULLIF($6, '')::bigint), "
             "recurring = $7, complete = $8 WHERE item_id = $1",
             {std::to_string(row.item_id), bytea_to_hex_literal(row.data), row.subject, epoch_param(row.start_time),
              epoch_param(row.end_time), epoch_param(row.due), row.recurring ? "t" : "f", row.complete ? "t" : "f"});
}

std::vector<PimRow> load_pim_items(soci::session& sql, long long user_id, const std::vector<long long>& ids) {
    std::vector<PimRow> out;
    if (ids.empty()) return out;
    PqResult r = pq_query(sql,
        "SELECT p.item_id, p.data, p.subject, extract(epoch FROM p.start_time)::bigint, "
        "extract(epoch FROM p.end_time)::bigint, extract(epoch FROM p.due)::bigint, p.recurring, p.complete "
        "FROM pim_items p JOIN items i ON i.id = p.item_id WHERE i.user_id = $1 AND p.item_id = ANY($2::bigint[])",
        {std::to_string(user_id), to_array(ids)});
    std::unordered_map<long long, PimRow> by_id;
    auto opt = [&](int n, int c) -> std::optional<long long> {
        if (r.is_null(n, c)) return std::nullopt;
        return r.int64(n, c);
    };
    for (int n = 0; n < r.rows(); ++n) {
        PimRow row;
        row.item_id = r.int64(n, 0);
        row.data = bytea_from_text(r.text(n, 1));
        row.subject = r.str(n, 2);
        row.start_time = opt(n, 3);
        row.end_time = opt(n, 4);
        row.due = opt(n, 5);
        row.recurring = r.boolean(n, 6);
        row.complete = r.boolean(n, 7);
        by_id.emplace(row.item_id, std::move(row));
    }
    for (long long id : ids) {
        auto it = by_id.find(id);
        if (it != by_id.end()) out.push_back(std::move(it->second));
    }
    return out;
}

void move_item(soci::session& sql, long long item_id, long long folder_id) {
    pq_query(sql, "UPDATE items SET folder_id = $2 WHERE id = $1", {std::to_string(item_id), std::to_string(folder_id)});
}

void delete_item(soci::session& sql, long long item_id) {
    pq_query(sql, "DELETE FROM items WHERE id = $1", {std::to_string(item_id)});
}

void delete_folder_contents(soci::session& sql, long long user_id, long long folder_id) {
    pq_query(sql, "DELETE FROM items WHERE user_id = $1 AND folder_id = $2",
             {std::to_string(user_id), std::to_string(folder_id)});
}

std::vector<long long> user_subfolders(soci::session& sql, long long user_id, long long folder_id) {
    PqResult r = pq_query(sql,
                          "SELECT id FROM folders WHERE user_id = $1 AND parent_id = $2 "
                          "AND NOT (type BETWEEN 2 AND 11 OR type = 19) ORDER BY id",
                          {std::to_string(user_id), std::to_string(folder_id)});
    return r.int64_column();
}

void update_email(soci::session& sql, long long item_id, const EmailEdit& edit) {
    if (edit.read)
        pq_query(sql, "UPDATE emails SET read = $2 WHERE item_id = $1", {std::to_string(item_id), *edit.read ? "t" : "f"});
    if (edit.flag)
        pq_query(sql, "UPDATE emails SET flag = NULLIF($2::bytea, ''::bytea) WHERE item_id = $1",
                 {std::to_string(item_id), bytea_to_hex_literal(*edit.flag)});
    if (edit.categories)
        pq_query(sql, "UPDATE emails SET categories = NULLIF($2::bytea, ''::bytea) WHERE item_id = $1",
                 {std::to_string(item_id), bytea_to_hex_literal(*edit.categories)});
}

std::optional<long long> find_client_add(soci::session& sql, long long collection_id, const std::string& client_id) {
    PqResult r = pq_query(sql, "SELECT item_id FROM sync_client_adds WHERE collection_id = $1 AND client_id = $2",
                          {std::to_string(collection_id), client_id});
    if (r.rows() != 1) return std::nullopt;
    return r.int64(0, 0);
}

void record_client_add(soci::session& sql, long long collection_id, const std::string& client_id, long long item_id,
                       int key) {
    pq_query(sql,
             "INSERT INTO sync_client_adds (collection_id, client_id, item_id, added_key) VALUES ($1, $2, $3, $4) "
             "ON CONFLICT (collection_id, client_id) DO NOTHING",
             {std::to_string(collection_id), client_id, std::to_string(item_id), std::to_string(key)});
}

void mark_held(soci::session& sql, long long collection_id, long long item_id, int key) {
    pq_query(sql,
             "INSERT INTO sync_items (collection_id, item_id, added_key) VALUES ($1, $2, $3) "
             "ON CONFLICT (collection_id, item_id) DO UPDATE SET removed_key = NULL",
             {std::to_string(collection_id), std::to_string(item_id), std::to_string(key)});
}

void mark_removed(soci::session& sql, long long collection_id, long long item_id, int key) {
    pq_query(sql, "UPDATE sync_items SET removed_key = $3 WHERE collection_id = $1 AND item_id = $2",
             {std::to_string(collection_id), std::to_string(item_id), std::to_string(key)});
}

void save_supported(soci::session& sql, long long collection_id, const std::string& wbxml) {
    pq_query(sql, "UPDATE sync_collections SET supported = NULLIF($2::bytea, ''::bytea) WHERE id = $1",
             {std::to_string(collection_id), bytea_to_hex_literal(wbxml)});
}

std::string load_supported(soci::session& sql, long long collection_id) {
    PqResult r = pq_query(sql, "SELECT supported FROM sync_collections WHERE id = $1", {std::to_string(collection_id)});
    if (r.rows() != 1 || r.is_null(0, 0)) return {};
    return bytea_from_text(r.text(0, 0));
}

void save_last_sync_request(soci::session& sql, long long device_id, const std::string& wbxml) {
    // Usually the same request as last time: then no row is written (no WAL, no flush).
    pq_query(sql,
             "UPDATE devices SET last_sync_request = $2::bytea WHERE id = $1 "
             "AND last_sync_request IS DISTINCT FROM $2::bytea",
             {std::to_string(device_id), bytea_to_hex_literal(wbxml)});
}

std::string load_last_sync_request(soci::session& sql, long long device_id) {
    PqResult r = pq_query(sql, "SELECT last_sync_request FROM devices WHERE id = $1", {std::to_string(device_id)});
    if (r.rows() != 1 || r.is_null(0, 0)) return {};
    return bytea_from_text(r.text(0, 0));
}

}  // namespace easd::store

namespace easd::store {
bool was_removed_from(soci::session& sql, long long user_id, long long folder_id, long long item_id) {
    PqResult r = pq_query(sql,
                          "SELECT 1 FROM item_tombstones WHERE user_id = $1 AND folder_id = $2 AND item_id = $3 LIMIT 1",
                          {std::to_string(user_id), std::to_string(folder_id), std::to_string(item_id)});
    return r.rows() > 0;
}
}  // namespace easd::store
