#include "store/devices.h"

#include "store/accounts.h"
#include "store/pq.h"

#include <vector>

namespace easd::store {

namespace {
// What every request reads about its device (register_device): the row, the facts its access is
// decided on, and the policy generation.
const PreparedQuery& device_query() {
    static const PreparedQuery query{"easd_device",
        "SELECT d.id, d.device_type, d.user_agent, d.protocol_version, d.protocol_log, "
        "d.last_seen < now() - interval '1 minute', COALESCE(md5(d.last_sync_request), ''), "
        "d.wipe_status, d.wipe_account_only, d.policy_key, COALESCE(d.policy_fingerprint, ''), d.policy_status, "
        "COALESCE(extract(epoch FROM d.provisioned_at)::bigint, 0), "
        "d.last_sync IS NULL OR d.last_sync < now() - interval '1 minute', "
        "d.first_sync IS NULL AND d.policy_key IS NULL AND d.pending_policy_key IS NULL AND d.access_override IS NULL "
        "AND d.wipe_status = 'none' AND NOT d.protocol_log, "
        "COALESCE(GREATEST(0, ceil(extract(epoch FROM d.autoblocked_until - now())))::bigint, 0), "
        "COALESCE(d.autoblock_reason, ''), (SELECT generation FROM policy_generation), " + access_facts_select() +
        " FROM devices d " + access_facts_join() + " WHERE d.user_id = $1 AND d.device_id = $2"};
    return query;
}
}  // namespace

Device register_device(soci::session& sql, long long user_id, const std::string& device_id,
                       const std::string& device_type, const std::string& user_agent,
                       const std::string& protocol_version) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        PqResult r = pq_prepared(sql, device_query(), {std::to_string(user_id), device_id});
        if (r.rows() == 1) {
            Device d;
            d.id = r.int64(0, 0);
            d.user_id = user_id;
            d.device_id = device_id;
            d.device_type = r.str(0, 1);
            d.user_agent = r.str(0, 2);
            d.protocol_version = r.str(0, 3);
            d.protocol_log = r.boolean(0, 4);
            bool stale = r.boolean(0, 5);
            d.last_sync_request_md5 = r.str(0, 6);
            d.wipe_status = r.str(0, 7);
            d.wipe_account_only = r.boolean(0, 8);
            if (!r.is_null(0, 9)) d.policy_key = r.int64(0, 9);
            d.policy_fingerprint = r.str(0, 10);
            d.policy_status = r.str(0, 11);
            d.provisioned_at = r.int64(0, 12);
            d.sync_time_stale = r.boolean(0, 13);
            d.holds_nothing = r.boolean(0, 14);
            d.autoblock_seconds_left = r.int64(0, 15);
            d.autoblock_reason = r.str(0, 16);
            d.policy_generation = r.int64(0, 17);
            d.access_facts = access_facts_from_row(r, 18);
            // Keep what we knew when a request does not say (e.g. the version header is absent).
            std::string type = device_type.empty() ? d.device_type : device_type;
            std::string agent = user_agent.empty() ? d.user_agent : user_agent;
            std::string version = protocol_version.empty() ? d.protocol_version : protocol_version;
            if (stale || type != d.device_type || agent != d.user_agent || version != d.protocol_version) {
                sql << "UPDATE devices SET device_type = :t, user_agent = :a, protocol_version = :v, "
                       "last_seen = now() WHERE id = :id",
                    soci::use(type), soci::use(agent), soci::use(version), soci::use(d.id);
                // A rule may match the new type or agent: decide on a fresh read.
                if (type != d.device_type || agent != d.user_agent) d.access_facts.reset();
                d.device_type = type;
                d.user_agent = agent;
                d.protocol_version = version;
            }
            return d;
        }
        sql << "INSERT INTO devices (user_id, device_id, device_type, user_agent, protocol_version) "
               "VALUES (:u, :d, :t, :a, :v) ON CONFLICT (user_id, device_id) DO NOTHING",
            soci::use(user_id), soci::use(device_id), soci::use(device_type), soci::use(user_agent),
            soci::use(protocol_version);
    }
    throw std::runtime_error("cannot register device " + device_id);
}

namespace {
// A DeviceInformation field, bound as NULL when the device did not send it.
struct SentText {
    explicit SentText(const std::optional<std::string>& v) : value(v.value_or("")), sent(v ? soci::i_ok : soci::i_null) {}
    std::string value;
    soci::indicator sent;
};
}  // namespace

void record_device_information(soci::session& sql, long long device_row, const DeviceInformation& info) {
    SentText model(info.model), imei(info.imei), friendly(info.friendly_name), os(info.os),
        language(info.os_language), phone(info.phone_number), agent(info.user_agent),
        mobile_operator(info.mobile_operator);
    // n is the row as it will be: a NULL (not sent) keeps the column. The WHERE skips the write
    // when nothing differs, which is the usual case for a device repeating itself.
    sql << "UPDATE devices d SET model = n.model, imei = n.imei, friendly_name = n.friendly_name, os = n.os, "
           "os_language = n.os_language, phone_number = n.phone_number, user_agent = n.user_agent, "
           "mobile_operator = n.mobile_operator "
           "FROM (SELECT id, COALESCE(:m, model) AS model, COALESCE(:i, imei) AS imei, "
           "  COALESCE(:f, friendly_name) AS friendly_name, COALESCE(:o, os) AS os, "
           "  COALESCE(:l, os_language) AS os_language, COALESCE(:p, phone_number) AS phone_number, "
           "  CASE WHEN user_agent = '' THEN COALESCE(:a, '') ELSE user_agent END AS user_agent, "
           "  COALESCE(:mo, mobile_operator) AS mobile_operator FROM devices WHERE id = :id) n "
           "WHERE d.id = n.id AND (d.model, d.imei, d.friendly_name, d.os, d.os_language, d.phone_number, "
           "  d.user_agent, d.mobile_operator) IS DISTINCT FROM (n.model, n.imei, n.friendly_name, n.os, "
           "  n.os_language, n.phone_number, n.user_agent, n.mobile_operator)",
        soci::use(model.value, model.sent), soci::use(imei.value, imei.sent),
        soci::use(friendly.value, friendly.sent), soci::use(os.value, os.sent),
        soci::use(language.value, language.sent), soci::use(phone.value, phone.sent),
        soci::use(agent.value, agent.sent), soci::use(mobile_operator.value, mobile_operator.sent),
        soci::use(device_row);
}

namespace {

// The one earlier device of the user that `fresh` is, by one kind of evidence: its row id and
// DeviceId, with the evidence in words; nullopt when none or more than one qualify.
struct Earlier {
    long long row = 0;
    std::string device_id;
    std::string reason;
};

std::optional<Earlier> find_earlier(soci::session& sql, const Device& fresh, const std::string& condition,
                                    std::vector<std::string> params, const std::string& evidence) {
    // $1..$4: the user, the fresh row, the type and the user agent. Any wipe status: a device told
    // to wipe must not escape it by a new id (it gets the wipe under the new one).
    params.insert(params.begin(), {std::to_string(fresh.user_id), std::to_string(fresh.id), fresh.device_type,
                                   fresh.user_agent});
    std::string query = "SELECT id, device_id FROM devices WHERE user_id = $1 AND id <> $2 AND device_type = $3 "
                        "AND user_agent = $4 " + condition + " LIMIT 2";
    PqResult found = pq_query(sql, query.c_str(), params);
    if (found.rows() != 1) return std::nullopt;  // none, or two alike: a new device
    return Earlier{found.int64(0, 0), found.str(0, 1),
                   "the device " + found.str(0, 1) + ": same user, device type, user agent" + evidence};
}

}  // namespace

std::optional<Device> recognise_rotated_device(soci::session& sql, const Device& fresh, const RotationEvidence& evidence) {
    if (!fresh.holds_nothing) return std::nullopt;
    std::optional<Earlier> earlier;
    if (evidence.policy_key && *evidence.policy_key != 0)
        earlier = find_earlier(sql, fresh, "AND policy_key = $5", {std::to_string(*evidence.policy_key)},
                               " and policy key");
    if (!earlier && evidence.info && evidence.info->friendly_name && !evidence.info->friendly_name->empty()) {
        const DeviceInformation& info = *evidence.info;
        std::vector<std::string> params{*info.friendly_name};
        std::string condition = "AND friendly_name = $5 ";
        std::vector<std::string> compared{"friendly name"};
        // Every other identifying field the request names must agree with what the earlier device
        // told (a field that device never told cannot disagree).
        auto also = [&](const std::optional<std::string>& value, const char* column, const char* word) {
            if (!value || value->empty()) return;
            params.push_back(*value);
            condition += std::string("AND (") + column + " = '' OR " + column + " = $" +
                         std::to_string(params.size() + 4) + ") ";
            compared.push_back(word);
        };
        also(info.model, "model", "model");
        also(info.os, "os", "OS");
        also(info.imei, "imei", "IMEI");
        also(info.os_language, "os_language", "OS language");
        std::string words;
        for (std::size_t i = 0; i < compared.size(); ++i)
            words += (i + 1 == compared.size() ? " and " : ", ") + compared[i];
        earlier = find_earlier(sql, fresh, condition, std::move(params), words);
    }
    if (!earlier) return std::nullopt;

    soci::transaction tr(sql);
    // The fresh row goes first (the DeviceId is unique per user), and only while it still holds
    // nothing: a concurrent request of the new id may have started to use it.
    PqResult gone = pq_query(sql,
                             "DELETE FROM devices WHERE id = $1 AND first_sync IS NULL AND policy_key IS NULL "
                             "AND pending_policy_key IS NULL RETURNING 1",
                             {std::to_string(fresh.id)});
    if (gone.rows() != 1) return std::nullopt;
    PqResult moved = pq_query(sql,
                              "UPDATE devices SET device_id = $1, previous_device_ids = previous_device_ids || device_id, "
                              "recognised_at = now(), recognised_by = $2, last_seen = now() "
                              "WHERE id = $3 AND user_id = $4 AND device_id = $5 RETURNING 1",
                              {fresh.device_id, earlier->reason, std::to_string(earlier->row),
                               std::to_string(fresh.user_id), earlier->device_id});
    if (moved.rows() != 1) return std::nullopt;  // the transaction rolls back: the fresh row stays
    tr.commit();
    return register_device(sql, fresh.user_id, fresh.device_id, fresh.device_type, fresh.user_agent,
                           fresh.protocol_version);
}

std::optional<std::string> renamed_device_id(soci::session& sql, const std::string& address, const std::string& old_id) {
    PqResult r = pq_query(sql,
                          "SELECT d.device_id FROM devices d JOIN users u ON u.id = d.user_id "
                          "WHERE u.address = $1 AND $2 = ANY(d.previous_device_ids) "
                          "AND NOT EXISTS (SELECT 1 FROM devices o WHERE o.user_id = u.id AND o.device_id = $2) "
                          "ORDER BY d.recognised_at DESC LIMIT 1",
                          {normalize_address(address), old_id});
    if (r.rows() == 0) return std::nullopt;
    return r.str(0, 0);
}

bool is_known_device(soci::session& sql, long long user_id, const std::string& device_id, int days) {
    PqResult r = pq_query(sql,
                          "SELECT 1 FROM devices WHERE user_id = $1 AND device_id = $2 "
                          "AND last_seen > now() - make_interval(days => $3::integer)",
                          {std::to_string(user_id), device_id, std::to_string(days)});
    return r.rows() > 0;
}

void set_device_protocol_log(soci::session& sql, long long user_id, const std::string& device_id, bool enabled) {
    int flag = enabled ? 1 : 0;
    soci::statement st = (sql.prepare << "UPDATE devices SET protocol_log = (:v = 1) WHERE user_id = :u AND device_id = :d",
                          soci::use(flag), soci::use(user_id), soci::use(device_id));
    st.execute(true);
    if (st.get_affected_rows() == 0) throw InvalidRequest("no device " + device_id + " for that user");
}

}  // namespace easd::store
