#include "store/devices.h"

#include "store/accounts.h"

namespace easd::store {

Device register_device(soci::session& sql, long long user_id, const std::string& device_id,
                       const std::string& device_type, const std::string& user_agent,
                       const std::string& protocol_version) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        soci::rowset<soci::row> rs = (sql.prepare <<
            "SELECT id, device_type, user_agent, protocol_version, protocol_log::int, "
            "(last_seen < now() - interval '1 minute')::int FROM devices WHERE user_id = :u AND device_id = :d",
            soci::use(user_id), soci::use(device_id));
        for (const auto& r : rs) {
            Device d;
            d.id = r.get<long long>(0);
            d.user_id = user_id;
            d.device_id = device_id;
            d.device_type = r.get<std::string>(1);
            d.user_agent = r.get<std::string>(2);
            d.protocol_version = r.get<std::string>(3);
            d.protocol_log = r.get<int>(4) != 0;
            bool stale = r.get<int>(5) != 0;
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
