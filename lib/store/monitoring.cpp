#include "store/monitoring.h"

namespace easd::store {

StoreFigures read_store_figures(soci::session& sql) {
    StoreFigures f;
    // One pass over devices for both figures.
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT protocol_version, count(*)::bigint, "
                        "(count(*) FILTER (WHERE wipe_status = 'waiting'))::bigint "
                        "FROM devices GROUP BY protocol_version");
    for (const auto& r : rs) {
        f.devices_by_version[r.get<std::string>(0)] = r.get<long long>(1);
        f.wipes_pending += r.get<long long>(2);
    }
    sql << "SELECT count(*)::bigint FROM deliveries WHERE delivered_at > now() - interval '1 hour'",
        soci::into(f.deliveries_last_hour);
    return f;
}

}  // namespace easd::store
