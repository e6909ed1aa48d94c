// A device's provisioning and remote wipe in PostgreSQL (schema 006, columns of `devices`): the
// two phases of the MS-ASPROV handshake, the policy status shown to administrators, and the wipe
// from request (easctl) to acknowledgement (the device).
//
// Lookups by the administrator go through the owner's address and the DeviceId; unknown ones
// throw InvalidRequest (store/accounts.h) with the one-line answer.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>

namespace easd::store {

// Phase 1: the temporary key and the fingerprint of the policy sent with it. The device's final
// key and acknowledged fingerprint stay as they are until it acknowledges.
void begin_provisioning(soci::session& sql, long long device_row, long long temporary_key,
                        const std::string& fingerprint);

// Phase 2. When `temporary_key` is the pending one: records `status` ("applied", "partial" or
// "declined") and, unless declined, the final key, the fingerprint sent in phase 1 as the
// acknowledged one and the time; returns the status the device had before (to notify once).
// nullopt when the key is not the pending one (nothing changes).
std::optional<std::string> finish_provisioning(soci::session& sql, long long device_row, long long temporary_key,
                                               long long final_key, const std::string& status);

// Records the policy status ("unsupported", "declined", ...); returns the previous one.
std::string set_policy_status(soci::session& sql, long long device_row, const std::string& status);

// first_sync/last_sync: the device was served a data command (call when Device::sync_time_stale).
void note_sync(soci::session& sql, long long device_row);

// What easctl device wipe did.
struct WipeRequest {
    long long device_row = 0;
    std::string previous_status;  // none, waiting, wiped
};

// Marks the device Waiting: its next request of any kind gets the wipe (AccountOnlyRemoteWipe when
// account_only, which needs a device speaking 16.1). Wakes its waiting Ping or Sync, so a phone
// that is waiting right now asks again and gets the wipe. `requested_by` is recorded for the log.
WipeRequest request_wipe(soci::session& sql, const std::string& address, const std::string& device_id,
                         bool account_only, const std::string& requested_by);
// Cancels a wipe that is still Waiting (throws InvalidRequest otherwise).
void cancel_wipe(soci::session& sql, const std::string& address, const std::string& device_id);

// The wipe directive went out to the device.
void note_wipe_sent(soci::session& sql, long long device_row);
// The device acknowledged the wipe: Wiped, and its sync state (never the user's data) is gone, in
// one transaction. Returns false if it was not waiting (a repeated acknowledgement).
bool confirm_wipe(soci::session& sql, long long device_row);

}  // namespace easd::store
