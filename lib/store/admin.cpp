#include "store/admin.h"

#include <algorithm>
#include <limits>

#include "common/text.h"
#include "store/accounts.h"
#include "store/pq.h"
#include "store/push_state.h"
#include "store/sync_state.h"

namespace easd::store {

namespace {

// Reads a row's columns in order.
class Columns {
public:
    explicit Columns(const soci::row& r) : row_(r) {}
    std::string text() { return row_.get<std::string>(next_++); }
    long long int64() { return row_.get<long long>(next_++); }
    bool flag() { return row_.get<int>(next_++) != 0; }
    std::optional<long long> optional_int64() {
        std::size_t i = next_++;
        if (row_.get_indicator(i) != soci::i_ok) return std::nullopt;
        return row_.get<long long>(i);
    }

private:
    const soci::row& row_;
    std::size_t next_ = 0;
};

// The columns read_device reads, in its order; FROM devices d JOIN users u.
const std::string& device_columns() {
    static const std::string columns =
        "SELECT d.id, u.address, d.device_id, d.device_type, d.user_agent, d.protocol_version, d.protocol_log::int, " +
        utc_text_sql("d.first_seen") + ", " + utc_text_sql("d.last_seen") + ", " + utc_text_sql("d.first_sync") +
        ", " + utc_text_sql("d.last_sync") +
        ", d.model, d.imei, d.friendly_name, d.os, d.os_language, d.phone_number, d.mobile_operator, "
        "d.access_state, d.access_reason, COALESCE(d.access_override, ''), "
        "d.policy_status, d.policy_key, " + utc_text_sql("d.provisioned_at") +
        ", d.wipe_status, d.wipe_account_only::int, " + utc_text_sql("d.wipe_requested_at") +
        ", d.wipe_requested_by, " + utc_text_sql("d.wipe_sent_at") + ", " + utc_text_sql("d.wiped_at") +
        ", " + utc_text_sql("d.recovery_password_at") +
        ", array_to_string(d.previous_device_ids, ' '), " + utc_text_sql("d.recognised_at") + ", d.recognised_by ";
    return columns;
}

struct DeviceRow {
    long long row_id = 0;  // devices.id
    DeviceInfo info;
};

DeviceRow read_device(const soci::row& r) {
    Columns c(r);
    DeviceRow out;
    out.row_id = c.int64();
    DeviceInfo& d = out.info;
    d.user = c.text();
    d.device_id = c.text();
    d.device_type = c.text();
    d.user_agent = c.text();
    d.protocol_version = c.text();
    d.protocol_log = c.flag();
    d.first_seen = c.text();
    d.last_seen = c.text();
    d.first_sync = c.text();
    d.last_sync = c.text();
    d.model = c.text();
    d.imei = c.text();
    d.friendly_name = c.text();
    d.os = c.text();
    d.os_language = c.text();
    d.phone_number = c.text();
    d.mobile_operator = c.text();
    d.access_state = parse_access_state(c.text()).value_or(AccessState::allowed);
    d.access_reason = c.text();
    d.access_override = c.text();
    d.policy_status = c.text();
    d.policy_key = c.optional_int64();
    d.provisioned_at = c.text();
    d.wipe_status = c.text();
    d.wipe_account_only = c.flag();
    d.wipe_requested_at = c.text();
    d.wipe_requested_by = c.text();
    d.wipe_sent_at = c.text();
    d.wiped_at = c.text();
    d.recovery_password_at = c.text();
    d.previous_device_ids = c.text();
    d.recognised_at = c.text();
    d.recognised_by = c.text();
    return out;
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

// The devices row of the user's device; InvalidRequest when the user has no such device.
long long device_row_for(soci::session& sql, long long user_id, const std::string& address,
                         const std::string& device_id) {
    long long dev = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT id FROM devices WHERE user_id = :u AND device_id = :d", soci::use(user_id), soci::use(device_id),
        soci::into(dev, ind);
    if (ind != soci::i_ok) throw InvalidRequest(no_device(address, device_id));
    return dev;
}

}  // namespace

long long find_device_row(soci::session& sql, const std::string& address, const std::string& device_id) {
    return device_row_for(sql, user_id_for(sql, address), address, device_id);
}

std::string device_recovery_password(soci::session& sql, const std::string& address, const std::string& device_id) {
    long long row = find_device_row(sql, address, device_id);
    std::string password;
    soci::indicator ind = soci::i_null;
    sql << "SELECT recovery_password FROM devices WHERE id = :id", soci::use(row), soci::into(password, ind);
    if (ind != soci::i_ok || password.empty())
        throw InvalidRequest("device " + device_id + " of " + normalize_address(address) +
                             " has sent no recovery password (the policy's PasswordRecoveryEnabled asks for one)");
    return password;
}

std::string utc_text_sql(const std::string& column) {
    return "COALESCE(to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')";
}

std::string wipe_status_text(const DeviceInfo& device) {
    if (device.wipe_status == "none" && device.policy_status == "unsupported") return "Unsupported";
    return device.wipe_status;
}

namespace {

// The ORDER BY expression of each sort key (device_sort_keys), never text from the request.
const std::vector<std::pair<std::string, std::string>>& sort_columns() {
    static const std::vector<std::pair<std::string, std::string>> columns = {
        {"user", "u.address"},           {"device_id", "d.device_id"},  {"type", "d.device_type"},
        {"model", "d.model"},            {"os", "d.os"},                {"user_agent", "d.user_agent"},
        {"version", "d.protocol_version"}, {"first_sync", "d.first_sync"}, {"last_sync", "d.last_sync"},
        {"access", "d.access_state"},    {"policy", "d.policy_status"}, {"wipe", "d.wipe_status"},
    };
    return columns;
}

}  // namespace

const std::vector<std::string>& device_sort_keys() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> k;
        for (const auto& [key, column] : sort_columns()) k.push_back(key);
        return k;
    }();
    return keys;
}

std::vector<DeviceInfo> list_devices(soci::session& sql, const DeviceFilter& filter) {
    DevicePageQuery q;
    q.filter = filter;
    return list_devices_page(sql, q).devices;
}

DevicePage list_devices_page(soci::session& sql, const DevicePageQuery& query) {
    const DeviceFilter& filter = query.filter;
    long long uid = filter.address.empty() ? 0 : user_id_for(sql, filter.address);
    std::string domain = to_lower_ascii(filter.domain);
    if (!domain.empty()) {
        int found = 0;
        sql << "SELECT count(*)::int FROM domains WHERE name = :n", soci::use(domain), soci::into(found);
        if (found == 0) throw InvalidRequest("unknown domain " + domain);
    }
    std::string order = "u.address";
    for (const auto& [key, column] : sort_columns())
        if (key == query.sort) order = column;
    const char* direction = query.descending ? " DESC" : "";
    std::string state = query.state == "wipe" ? "" : query.state;
    const int wipe_waiting = query.state == "wipe" ? 1 : 0;
    int include_wiped = filter.include_wiped || wipe_waiting ? 1 : 0;
    if (filter.not_seen_days < 0) throw InvalidRequest("a number of days is 0 or more");
    int days = filter.not_seen_days;
    const int scoped = query.scoped ? 1 : 0;
    std::vector<std::string> lowered;
    for (const auto& d : query.domains) lowered.push_back(to_lower_ascii(d));
    const std::string scope = text_array(lowered);
    // The same WHERE for the page and for the count.
    const std::string where =
        "FROM devices d JOIN users u ON u.id = d.user_id JOIN domains dm ON dm.id = u.domain_id "
        "WHERE (:u::bigint = 0 OR u.id = :u2) AND (:dm = '' OR dm.name = :dm2) "
        "AND (:wiped = 1 OR d.wipe_status <> 'wiped') "
        "AND (:days = 0 OR d.last_seen < now() - make_interval(days => :days2)) "
        "AND (:part = '' OR strpos(u.address, :part2) > 0) "
        "AND (:state = '' OR d.access_state = :state2) "
        "AND (:wipe = 0 OR d.wipe_status = 'waiting') "
        "AND (:scoped = 0 OR dm.name = ANY(:scope::text[])) ";
    std::string part = to_lower_ascii(query.user_contains);
    const long long limit = query.limit < 0 ? std::numeric_limits<long long>::max() : query.limit;
    DevicePage page;
    {
        soci::rowset<soci::row> rs = (sql.prepare << device_columns() + where + "ORDER BY " + order + direction +
                                                         ", u.address, d.device_id LIMIT :lim OFFSET :off",
            soci::use(uid), soci::use(uid), soci::use(domain), soci::use(domain), soci::use(include_wiped), soci::use(days), soci::use(days),
            soci::use(part), soci::use(part), soci::use(state), soci::use(state), soci::use(wipe_waiting),
            soci::use(scoped), soci::use(scope), soci::use(limit),
            soci::use(query.offset));
        for (const auto& r : rs) page.devices.push_back(read_device(r).info);
    }
    if (query.limit < 0 && query.offset == 0) {
        page.total = static_cast<long long>(page.devices.size());
    } else {
        sql << "SELECT count(*) " + where, soci::use(uid), soci::use(uid), soci::use(domain), soci::use(domain),
            soci::use(include_wiped), soci::use(days), soci::use(days), soci::use(part), soci::use(part), soci::use(state), soci::use(state),
            soci::use(wipe_waiting), soci::use(scoped), soci::use(scope), soci::into(page.total);
    }
    return page;
}

DeviceDetails show_device(soci::session& sql, const std::string& address, const std::string& device_id) {
    long long uid = user_id_for(sql, address);
    DeviceDetails out;
    long long dev = 0;
    {
        soci::rowset<soci::row> rs = (sql.prepare << device_columns() +
            "FROM devices d JOIN users u ON u.id = d.user_id WHERE d.user_id = :u AND d.device_id = :d",
            soci::use(uid), soci::use(device_id));
        bool found = false;
        for (const auto& r : rs) {
            DeviceRow row = read_device(r);
            out.device = std::move(row.info);
            dev = row.row_id;
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
    // No lock on the device row (the server updates it inside its own transactions). The deletes
    // go in the order FolderSync with key 0 uses (collections, then the hierarchy state), so the
    // two cannot deadlock; a Sync that holds its collection row is simply waited for.
    long long dev = device_row_for(sql, uid, address, device_id);

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

namespace {
// What removing the device row `dev` takes with it (ON DELETE CASCADE), as remove_device reports it.
RemoveResult what_goes_with(soci::session& sql, long long dev) {
    RemoveResult result;
    int folder_sync = 0;
    int policy = 0;
    sql << "SELECT (SELECT count(*) FROM sync_collections WHERE device_id = :d), "
           "(SELECT count(*)::int FROM folder_sync_states WHERE device_id = :d2), "
           "(SELECT count(*)::int FROM policies WHERE device_id = :d3)",
        soci::use(dev), soci::use(dev), soci::use(dev), soci::into(result.collections), soci::into(folder_sync),
        soci::into(policy);
    result.folder_sync_state = folder_sync > 0;
    result.device_policy = policy > 0;
    return result;
}
}  // namespace

RemoveResult remove_device(soci::session& sql, const std::string& address, const std::string& device_id,
                           int not_seen_days) {
    long long uid = user_id_for(sql, address);
    soci::transaction tr(sql);
    long long dev = device_row_for(sql, uid, address, device_id);
    RemoveResult result = what_goes_with(sql, dev);
    // Everything that hangs off the device goes with it (ON DELETE CASCADE). The age is checked
    // here, on the row as it is when locked, not as it was when the device was listed.
    soci::statement st = (sql.prepare << "DELETE FROM devices WHERE id = :d "
                                         "AND (:days = 0 OR last_seen < now() - make_interval(days => :days2))",
                          soci::use(dev), soci::use(not_seen_days), soci::use(not_seen_days));
    st.execute(true);
    if (st.get_affected_rows() == 0) return RemoveResult{false, 0, false, false};  // rolled back
    tr.commit();
    return result;
}

std::vector<StaleDeviceRemoval> remove_stale_devices(soci::session& sql, DeviceFilter filter, bool dry_run) {
    if (filter.not_seen_days <= 0) throw InvalidRequest("stale devices need a number of days (1 or more)");
    filter.include_wiped = true;
    std::vector<StaleDeviceRemoval> out;
    for (auto& device : list_devices(sql, filter)) {
        RemoveResult result;
        if (dry_run) {
            result = what_goes_with(sql, find_device_row(sql, device.user, device.device_id));
        } else {
            result = remove_device(sql, device.user, device.device_id, filter.not_seen_days);
        }
        out.push_back({std::move(device), result});
    }
    return out;
}

AccessDecision set_device_access_override(soci::session& sql, const std::string& address,
                                          const std::string& device_id, AccessOverride decision) {
    long long uid = user_id_for(sql, address);
    long long dev = device_row_for(sql, uid, address, device_id);
    std::string word = decision == AccessOverride::allow ? "allow" : decision == AccessOverride::block ? "block" : "";
    sql << "UPDATE devices SET access_override = NULLIF(:o, '') WHERE id = :d", soci::use(word), soci::use(dev);
    AccessDecision d = decide_device_access(sql, dev);
    // A blocked phone waiting in Ping right now is answered, asks again and is refused.
    if (d.state != AccessState::allowed) announce_waiting_request(sql, dev);
    return d;
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
