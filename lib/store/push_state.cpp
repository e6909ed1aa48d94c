#include "store/push_state.h"

#include "store/pq.h"

namespace easd::store {

long long announce_waiting_request(soci::session& sql, long long device_row,
                                   const std::optional<std::pair<std::string, long long>>& ping_folders_and_heartbeat) {
    soci::transaction tr(sql);
    PqResult seq = ping_folders_and_heartbeat
        ? pq_query(sql,
              "UPDATE devices SET ping_folders = $2, ping_heartbeat = $3, push_seq = push_seq + 1 WHERE id = $1 "
              "RETURNING push_seq",
              {std::to_string(device_row), ping_folders_and_heartbeat->first,
               std::to_string(ping_folders_and_heartbeat->second)})
        : pq_query(sql, "UPDATE devices SET push_seq = push_seq + 1 WHERE id = $1 RETURNING push_seq",
                   {std::to_string(device_row)});
    long long push_seq = seq.int64(0, 0);
    pq_query(sql, "SELECT pg_notify('easd_supersede', $1)", {std::to_string(device_row) + ":" + std::to_string(push_seq)});
    tr.commit();
    return push_seq;
}

}  // namespace easd::store
