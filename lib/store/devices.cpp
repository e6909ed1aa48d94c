#include "store/devices.h"

#include "store/accounts.h"
#include "store/pq.h"

namespace easd::store {

Device register_device(soci::session& sql, long long user_id, const std::string& device_id,
                       const std::string& device_type, const std::string& user_agent,
                       const std::string& protocol_version) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        PqResult r = pq_query(sql,
            "SELECT id, device_type, user_agent, protocol_version, protocol_log, "
            "last_seen < now() - interval '1 minute', COALESCE(md5(last_sync_request), '') "
            "FROM devices WHERE user_id = $1 AND device_id = $2",
            {std::to_string(user_id), device_id});
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
            // Keep what we knew when a request does not say (e.g. the version header is absent).
            std::string type = device_type.empty() ? d.device_type : device_type;
            std::string agent = user_agent.empty() ? d.user_agent : user_agent;
            std::string version = protocol_version.empty() ? d.protocol_version : protocol_version;
            if (stale || type != d.device_type || agent != d.user_agent || version != d.protocol_version) {
                sql << "UPDATE devices SET device_type = :t, user_agent = :a, protocol_version = :v, "
                       "last_seen = now() WHERE id = :id",
                    soci::use(type), soci::use(agent), soci::use(version), soci::use(d.id);
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

void set_device_protocol_log(soci::session& sql, long long user_id, const std::string& device_id, bool enabled) {
    int flag = enabled ? 1 : 0;
    soci::statement st = (sql.prepare << "UPDATE devices SET protocol_log = (:v = 1) WHERE user_id = :u AND device_id = :d",
                          soci::use(flag), soci::use(user_id), soci::use(device_id));
    st.execute(true);
    if (st.get_affected_rows() == 0) throw InvalidRequest("no device " + device_id + " for that user");
}

}  // namespace easd::store
