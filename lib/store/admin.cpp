#include "store/admin.h"

#include <algorithm>

#include "store/accounts.h"
#include "store/sync_state.h"

namespace easd::store {

namespace {

// Timestamps leave the database already formatted, in UTC, so the output does not depend on the
// session's time zone.
#define EASD_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

constexpr const char* kDeviceColumns =
    "SELECT u.address, d.device_id, d.device_type, d.user_agent, d.protocol_version, d.protocol_log::int, "
    EASD_UTC("d.first_seen") ", " EASD_UTC("d.last_seen") ", d.id ";
#undef EASD_UTC

DeviceInfo device_from_row(const soci::row& r) {
    DeviceInfo d;
    d.user = r.get<std::string>(0);
    d.device_id = r.get<std::string>(1);
    d.device_type = r.get<std::string>(2);
    d.user_agent = r.get<std::string>(3);
    d.protocol_version = r.get<std::string>(4);
    d.protocol_log = r.get<int>(5) != 0;
    d.first_seen = r.get<std::string>(6);
    d.last_seen = r.get<std::string>(7);
    return d;
}

long long user_id_for(soci::session& sql, const std::string& address) {
    auto u = find_user(sql, address);
    if (!u) throw InvalidRequest("unknown user " + normalize_address(address));
    return u->id;
}

// Reads epoch, current_key, previous_key starting at column `first`.
KeyInfo key_from_row(const soci::row& r, std::size_t first) {
    KeyInfo k;
    std::string epoch = r.get<std::string>(first);
    k.current = SyncKey{epoch, r.get<int>(first + 1)}.str();
    if (r.get_indicator(first + 2) == soci::i_ok) k.previous = SyncKey{epoch, r.get<int>(first + 2)}.str();
    return k;
}

std::string no_device(const std::string& address, const std::string& device_id) {
    return "no device " + device_id + " for " + normalize_address(address);
}

}  // namespace

std::vector<DeviceInfo> list_devices(soci::session& sql, const std::string& address, const std::string& domain_in) {
    long long uid = address.empty() ? 0 : user_id_for(sql, address);
    std::string domain = domain_in;
    std::transform(domain.begin(), domain.end(), domain.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!domain.empty()) {
        int found = 0;
        sql << "SELECT count(*)::int FROM domains WHERE name = :n", soci::use(domain), soci::into(found);
        if (found == 0) throw InvalidRequest("unknown domain " + domain);
    }
    std::vector<DeviceInfo> out;
    soci::rowset<soci::row> rs = (sql.prepare << std::string(kDeviceColumns) +
        "FROM devices d JOIN users u ON u.id = d.user_id JOIN domains dm ON dm.id = u.domain_id "
        "WHERE (:u::bigint = 0 OR u.id = :u2) AND (:dm = '' OR dm.name = :dm2) ORDER BY u.address, d.device_id",
        soci::use(uid), soci::use(uid), soci::use(domain), soci::use(domain));
    for (const auto& r : rs) out.push_back(device_from_row(r));
    return out;
}

DeviceDetails show_device(soci::session& sql, const std::string& address, const std::string& device_id) {
    long long uid = user_id_for(sql, address);
    DeviceDetails out;
    long long dev = 0;
    {
        soci::rowset<soci::row> rs = (sql.prepare << std::string(kDeviceColumns) +
            "FROM devices d JOIN users u ON u.id = d.user_id WHERE d.user_id = :u AND d.device_id = :d",
            soci::use(uid), soci::use(device_id));
        bool found = false;
        for (const auto& r : rs) {
            out.device = device_from_row(r);
            dev = r.get<long long>(8);
            found = true;
        }
        if (!found) throw InvalidRequest(no_device(address, device_id));
    }
    {
        soci::rowset<soci::row> rs = (sql.prepare <<
            "SELECT s.epoch, s.current_key, s.previous_key FROM folder_sync_states s "
            "JOIN devices d ON d.id = s.device_id WHERE d.id = :d AND d.user_id = :u",
            soci::use(dev), soci::use(uid));
        for (const auto& r : rs) out.folder_sync = key_from_row(r, 0);
    }
    {
        // Only the user's own folders: a collection can reference nothing else.
        soci::rowset<soci::row> rs = (sql.prepare <<
            "SELECT f.id, f.name, f.item_class, c.epoch, c.current_key, c.previous_key, "
            "(SELECT count(*) FROM sync_items si WHERE si.collection_id = c.id AND si.removed_key IS NULL) "
            "FROM sync_collections c JOIN folders f ON f.id = c.folder_id "
            "WHERE c.device_id = :d AND f.user_id = :u ORDER BY f.id",
            soci::use(dev), soci::use(uid));
        for (const auto& r : rs) {
            CollectionInfo c;
            c.folder_id = r.get<long long>(0);
            c.folder_name = r.get<std::string>(1);
            c.item_class = r.get<std::string>(2);
            c.key = key_from_row(r, 3);
            c.items_held = r.get<long long>(6);
            out.collections.push_back(std::move(c));
        }
    }
    return out;
}

ResyncResult resync_device(soci::session& sql, const std::string& address, const std::string& device_id) {
    long long uid = user_id_for(sql, address);
    ResyncResult result;
    soci::transaction tr(sql);
    long long dev = 0;
    soci::indicator ind = soci::i_null;
    // No lock on the device row (the server updates it inside its own transactions). The deletes
    // go in the order FolderSync with key 0 uses (collections, then the hierarchy state), so the
    // two cannot deadlock; a Sync that holds its collection row is simply waited for.
    sql << "SELECT id FROM devices WHERE user_id = :u AND device_id = :d", soci::use(uid), soci::use(device_id),
        soci::into(dev, ind);
    if (ind != soci::i_ok) throw InvalidRequest(no_device(address, device_id));

    sql << "SELECT count(*) FROM sync_items si JOIN sync_collections c ON c.id = si.collection_id "
           "WHERE c.device_id = :d AND si.removed_key IS NULL",
        soci::use(dev), soci::into(result.items_held);
    {
        // sync_items go with their collections (ON DELETE CASCADE).
        soci::statement st = (sql.prepare << "DELETE FROM sync_collections WHERE device_id = :d", soci::use(dev));
        st.execute(true);
        result.collections = st.get_affected_rows();
    }
    {
        soci::statement st = (sql.prepare << "DELETE FROM folder_sync_states WHERE device_id = :d", soci::use(dev));
        st.execute(true);
        result.folder_sync_state = st.get_affected_rows() > 0;
    }
    tr.commit();
    return result;
}

std::vector<FolderInfo> list_user_folders(soci::session& sql, const std::string& address) {
    long long uid = user_id_for(sql, address);
    std::vector<FolderInfo> out;
    soci::rowset<soci::row> rs = (sql.prepare <<
        "SELECT f.id, coalesce(f.parent_id, 0), f.name, f.type::int, f.item_class, "
        "(SELECT count(*) FROM items i WHERE i.folder_id = f.id AND i.user_id = :u) "
        "FROM folders f WHERE f.user_id = :u2 ORDER BY f.id",
        soci::use(uid), soci::use(uid));
    for (const auto& r : rs) {
        FolderInfo f;
        f.id = r.get<long long>(0);
        f.parent_id = r.get<long long>(1);
        f.name = r.get<std::string>(2);
        f.type = r.get<int>(3);
        f.item_class = r.get<std::string>(4);
        f.items = r.get<long long>(5);
        out.push_back(std::move(f));
    }
    return out;
}

const char* folder_type_name(int type) {
    switch (type) {
        case 1: return "user-created generic";
        case 2: return "Inbox";
        case 3: return "Drafts";
        case 4: return "Deleted Items";
        case 5: return "Sent Items";
        case 6: return "Outbox";
        case 7: return "Tasks";
        case 8: return "Calendar";
        case 9: return "Contacts";
        case 10: return "Notes";
        case 11: return "Journal";
        case 12: return "user-created mail";
        case 13: return "user-created calendar";
        case 14: return "user-created contacts";
        case 15: return "user-created tasks";
        case 16: return "user-created journal";
        case 17: return "user-created notes";
        case 18: return "unknown";
        case 19: return "recipient cache";
        default: return "unknown";
    }
}

}  // namespace easd::store
