// Figures of the whole installation for /easd-metrics, read from the database (they are the same
// on every host, unlike the counters of one process): devices by protocol version, wipes waiting,
// deliveries stored lately. Each a count over a small table or an index range.
#pragma once

#include <soci/soci.h>

#include <map>
#include <string>

namespace easd::store {

struct StoreFigures {
    // Device rows by the protocol version they last used ("" when none yet), wiped ones included:
    // the clients an upgrade of easd must keep serving.
    std::map<std::string, long long> devices_by_version;
    long long wipes_pending = 0;  // wipe_status 'waiting': ordered, not yet acknowledged
    // easd-deliver's deliveries within the last hour (schema 020; through its delivered_at index,
    // so the cost is that hour's deliveries). The Dovecot mail store delivers without easd: 0 there.
    long long deliveries_last_hour = 0;
};

StoreFigures read_store_figures(soci::session& sql);

}  // namespace easd::store
