#include "store/provisioning.h"

#include "store/accounts.h"
#include "store/admin.h"
#include "store/pq.h"
#include "store/push_state.h"

namespace easd::store {

void begin_provisioning(soci::session& sql, long long device_row, long long temporary_key,
                        const std::string& fingerprint) {
    pq_query(sql,
             "UPDATE devices SET pending_policy_key = $2, pending_policy_fingerprint = $3, "
             "policy_status = CASE WHEN policy_status IN ('none', 'unsupported') THEN 'pending' ELSE policy_status END "
             "WHERE id = $1",
             {std::to_string(device_row), std::to_string(temporary_key), fingerprint});
}

std::optional<std::string> finish_provisioning(soci::session& sql, long long device_row, long long temporary_key,
                                               long long final_key, const std::string& status) {
    bool accepted = status != "declined";
    // One statement: the old status comes from the row as it was before the update (the FROM
    // copy), and only the device's own pending key matches, so a stale or forged key changes
    // nothing.
    PqResult r = pq_query(sql,
        "UPDATE devices d SET policy_status = $3, pending_policy_key = NULL, pending_policy_fingerprint = NULL, "
        "  policy_key = CASE WHEN $5 THEN $4::bigint ELSE NULL END, "
        "  policy_fingerprint = CASE WHEN $5 THEN old.pending_policy_fingerprint ELSE NULL END, "
        "  provisioned_at = CASE WHEN $5 THEN now() ELSE d.provisioned_at END "
        "FROM devices old WHERE d.id = $1 AND old.id = d.id AND old.pending_policy_key = $2 "
        "RETURNING old.policy_status",
        {std::to_string(device_row), std::to_string(temporary_key), status, std::to_string(final_key),
         accepted ? "true" : "false"});
    if (r.rows() != 1) return std::nullopt;
    return r.str(0, 0);
}

std::string set_policy_status(soci::session& sql, long long device_row, const std::string& status) {
    PqResult r = pq_query(sql,
        "UPDATE devices d SET policy_status = $2 FROM devices old WHERE d.id = $1 AND old.id = d.id "
        "RETURNING old.policy_status",
        {std::to_string(device_row), status});
    return r.rows() == 1 ? r.str(0, 0) : std::string();
}

void note_sync(soci::session& sql, long long device_row) {
    pq_query(sql, "UPDATE devices SET first_sync = COALESCE(first_sync, now()), last_sync = now() WHERE id = $1",
             {std::to_string(device_row)});
}

WipeRequest request_wipe(soci::session& sql, const std::string& address, const std::string& device_id,
                         bool account_only, const std::string& requested_by) {
    WipeRequest w;
    {
        soci::transaction tr(sql);
        w.device_row = find_device_row(sql, address, device_id);
        if (account_only) {
            // Only 16.1 knows AccountOnlyRemoteWipe; an older device would not understand it, and
            // it must never become a full wipe the administrator did not ask for.
            PqResult v = pq_query(sql, "SELECT protocol_version FROM devices WHERE id = $1", {std::to_string(w.device_row)});
            if (v.str(0, 0) != "16.1")
                throw InvalidRequest("an account-only wipe needs a device that speaks EAS 16.1; device " + device_id +
                                     " speaks " + (v.str(0, 0).empty() ? std::string("an unknown version") : v.str(0, 0)));
        }
        PqResult r = pq_query(sql,
            "UPDATE devices d SET wipe_status = 'waiting', wipe_account_only = $2, wipe_requested_at = now(), "
            "  wipe_requested_by = $3, wipe_sent_at = NULL, wiped_at = NULL "
            "FROM devices old WHERE d.id = $1 AND old.id = d.id RETURNING old.wipe_status",
            {std::to_string(w.device_row), account_only ? "true" : "false", requested_by});
        w.previous_status = r.str(0, 0);
        tr.commit();
    }
    // A phone waiting in Ping or hanging Sync right now is answered, asks again, and gets the wipe.
    announce_waiting_request(sql, w.device_row);
    return w;
}

void cancel_wipe(soci::session& sql, const std::string& address, const std::string& device_id) {
    long long row = find_device_row(sql, address, device_id);
    PqResult r = pq_query(sql,
        "UPDATE devices SET wipe_status = 'none', wipe_account_only = false, wipe_requested_at = NULL, "
        "  wipe_requested_by = '', wipe_sent_at = NULL WHERE id = $1 AND wipe_status = 'waiting' RETURNING id",
        {std::to_string(row)});
    if (r.rows() != 1)
        throw InvalidRequest("no wipe is waiting for device " + device_id + " of " + normalize_address(address) +
                             " (a wipe can be cancelled only until the device acknowledges it)");
}

void note_wipe_sent(soci::session& sql, long long device_row) {
    pq_query(sql, "UPDATE devices SET wipe_sent_at = now() WHERE id = $1", {std::to_string(device_row)});
}

bool confirm_wipe(soci::session& sql, long long device_row) {
    soci::transaction tr(sql);
    PqResult r = pq_query(sql,
        "UPDATE devices SET wipe_status = 'wiped', wiped_at = now() WHERE id = $1 AND wipe_status = 'waiting' "
        "RETURNING id",
        {std::to_string(device_row)});
    if (r.rows() != 1) return false;
    // The device forgot everything: so does its sync state (the user's data stays).
    pq_query(sql, "DELETE FROM sync_collections WHERE device_id = $1", {std::to_string(device_row)});
    pq_query(sql, "DELETE FROM folder_sync_states WHERE device_id = $1", {std::to_string(device_row)});
    tr.commit();
    return true;
}

}  // namespace easd::store
