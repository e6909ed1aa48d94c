// The device's push sequence (schema 005): every new Ping or hanging Sync of a device takes the
// next number and announces it on "easd_supersede", so that an older waiting request of the device
// is answered at once, in whichever easd process or host it waits. easctl announces too when an
// administrator's decision (wipe, block) must reach a device that is waiting right now.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <utility>

namespace easd::store {

// Takes the next number of the device's push sequence and tells every easd process, in one
// transaction. For Ping, also remembers its folders ("1,2,3") and heartbeat (for the empty Ping).
long long announce_waiting_request(soci::session& sql, long long device_row,
                                   const std::optional<std::pair<std::string, long long>>& ping_folders_and_heartbeat =
                                       std::nullopt);

}  // namespace easd::store
