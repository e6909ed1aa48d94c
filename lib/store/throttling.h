// Rows behind throttling and loop detection (schema 018, issue 12 part 5): a device's autoblock
// and the items a device is not sent (quarantine). The budgets themselves live in the process
// (throttle/request_budgets.h); what every worker and host, and easctl, must see is here.
#pragma once

#include <soci/soci.h>

#include <string>
#include <vector>

namespace easd::store {

// ---- autoblock ----
// Blocks the user's device for `seconds` with `reason` (an X-MS-ASThrottle value). False when the
// device has no row yet (it never got past screening): the caller's own block still holds.
bool autoblock_device(soci::session& sql, long long user_id, const std::string& device_id, int seconds,
                      const std::string& reason);
// Seconds the device stays blocked (0: not blocked).
long long autoblock_seconds_left(soci::session& sql, long long user_id, const std::string& device_id);
// easctl device unblock: lifts the block; false when there was none. InvalidRequest for an
// unknown user or device.
bool clear_autoblock(soci::session& sql, const std::string& address, const std::string& device_id);

struct AutoblockInfo {
    bool blocked = false;
    std::string until;   // UTC text
    std::string reason;  // CommandFrequency
};
AutoblockInfo device_autoblock(soci::session& sql, long long device_row);

// ---- quarantine ----
enum class QuarantineReason { render, loop };
const char* to_string(QuarantineReason reason);

// The device is not sent `item_id` (in `folder_id`) until it changes: its current modseq is kept.
// Nothing happens when the item no longer exists.
void quarantine_item(soci::session& sql, long long device_row, long long folder_id, long long item_id,
                     QuarantineReason reason, const std::string& detail);

// An SQL condition, true when the item `item` (an SQL expression) at change `modseq` is
// quarantined for the device `device` (SQL expressions): what the change scan skips.
std::string quarantined_condition(const std::string& device, const std::string& item, const std::string& modseq);

struct QuarantinedItem {
    long long item_id = 0;
    long long folder_id = 0;
    std::string folder_name;
    std::string item_class;
    std::string subject;  // emails: the subject; else ""
    std::string reason;   // render, loop
    std::string detail;
    std::string since;    // UTC text
};
// Items quarantined for the device that have not changed since (changed ones are sent again).
std::vector<QuarantinedItem> quarantined_items(soci::session& sql, long long device_row);

// easctl device retry: the device's quarantined items are sent to it again at its next Sync (they
// are marked changed, so every device of the user gets them as a Change: harmless, and the only
// way a change scan that went past them meets them again). Returns how many.
int retry_quarantined(soci::session& sql, long long device_row);

}  // namespace easd::store
