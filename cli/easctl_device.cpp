#include "easctl_device.h"

#include <cstdlib>
#include <iostream>
#include <optional>
#include <vector>

#include "store/access.h"
#include "store/accounts.h"
#include "store/admin.h"
#include "store/devices.h"
#include "store/provisioning.h"
#include "store/throttling.h"

namespace easd::cli {

namespace {

std::string json_key(const store::KeyInfo& k) {
    return JsonObject()
        .text("current", k.current)
        .raw("previous", k.previous ? json_string(*k.previous) : "null")
        .str();
}

std::string json_device_fields(const store::DeviceInfo& d) {
    return cli::JsonObject()
        .text("user", d.user)
        .text("device_id", d.device_id)
        .text("device_type", d.device_type)
        .text("user_agent", d.user_agent)
        .text("protocol_version", d.protocol_version)
        .boolean("protocol_log", d.protocol_log)
        .text("first_seen", d.first_seen)
        .text("last_seen", d.last_seen)
        .text_or_null("first_sync", d.first_sync)
        .text_or_null("last_sync", d.last_sync)
        .text("model", d.model)
        .text("imei", d.imei)
        .text("friendly_name", d.friendly_name)
        .text("os", d.os)
        .text("os_language", d.os_language)
        .text("phone_number", d.phone_number)
        .text("mobile_operator", d.mobile_operator)
        .text("access_state", store::to_string(d.access_state))
        .text("access_reason", d.access_reason)
        .text_or_null("access_override", d.access_override)
        .text("policy_status", d.policy_status)
        .raw("policy_key", d.policy_key ? std::to_string(*d.policy_key) : "null")
        .text_or_null("provisioned_at", d.provisioned_at)
        .text("wipe_status", d.wipe_status)
        .boolean("wipe_account_only", d.wipe_account_only)
        .text_or_null("wipe_requested_at", d.wipe_requested_at)
        .text("wipe_requested_by", d.wipe_requested_by)
        .text_or_null("wipe_sent_at", d.wipe_sent_at)
        .text_or_null("wiped_at", d.wiped_at)
        .text_or_null("recovery_password_at", d.recovery_password_at)
        .str();
}

void print_device_list(const std::vector<store::DeviceInfo>& devices, bool json) {
    if (json) {
        std::vector<std::string> objects;
        for (const auto& d : devices) objects.push_back(json_device_fields(d));
        std::cout << cli::json_array(objects) << "\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : devices)
        rows.push_back({d.user, d.device_id, or_dash(d.device_type), or_dash(d.model), or_dash(d.os),
                        or_dash(d.user_agent), or_dash(d.protocol_version), or_dash(d.first_sync),
                        or_dash(d.last_sync), store::to_string(d.access_state), d.policy_status,
                        store::wipe_status_text(d)});
    print_table({"USER", "DEVICE ID", "TYPE", "MODEL", "OS", "USER AGENT", "VERSION", "FIRST SYNC", "LAST SYNC",
                 "ACCESS", "POLICY", "WIPE"},
                rows);
}

std::string key_text(const store::KeyInfo& k) {
    return k.current + (k.previous ? " (previous " + *k.previous + ")" : "");
}

std::string override_text(const std::string& override_word) {
    if (override_word.empty()) return "none (the rules decide)";
    return override_word + " (easctl device access ... default drops it)";
}

void print_device_standing(const store::DeviceInfo& d) {
    show_line("Access", store::to_string(d.access_state));
    show_line("Access reason", or_dash(d.access_reason));
    show_line("Access override", override_text(d.access_override));
    show_line("Policy status", d.policy_status);
    show_line("Policy key", d.policy_key ? std::to_string(*d.policy_key) : "-");
    show_line("Provisioned at", or_dash(d.provisioned_at));
    show_line("Wipe status", store::wipe_status_text(d) + (d.wipe_account_only ? " (account only)" : ""));
    if (!d.wipe_requested_at.empty()) {
        show_line("Wipe requested", d.wipe_requested_at + (d.wipe_requested_by.empty() ? "" : " by " + d.wipe_requested_by));
        show_line("Wipe sent", or_dash(d.wipe_sent_at));
        show_line("Wiped at", or_dash(d.wiped_at));
    }
    show_line("Recovery password", d.recovery_password_at.empty()
                                       ? "-"
                                       : "sent " + d.recovery_password_at + " (easctl device recovery-password)");
}

// What throttling and loop detection keep about the device (store/throttling.h).
struct ThrottleStanding {
    store::AutoblockInfo autoblock;
    std::vector<store::QuarantinedItem> held_back;
};

ThrottleStanding throttle_standing(soci::session& sql, const std::string& address, const std::string& device) {
    long long row = store::find_device_row(sql, address, device);
    return {store::device_autoblock(sql, row), store::quarantined_items(sql, row)};
}

std::string json_throttle_members(const ThrottleStanding& t) {
    std::vector<std::string> items;
    for (const auto& q : t.held_back)
        items.push_back(JsonObject()
                            .number("item_id", q.item_id)
                            .number("folder_id", q.folder_id)
                            .text("folder_name", q.folder_name)
                            .text("class", q.item_class)
                            .text("subject", q.subject)
                            .text("reason", q.reason)
                            .text("detail", q.detail)
                            .text("since", q.since)
                            .str());
    std::string autoblock =
        t.autoblock.blocked ? JsonObject().text("until", t.autoblock.until).text("reason", t.autoblock.reason).str()
                            : "null";
    return JsonObject().raw("autoblock", autoblock).raw("held_back_items", json_array(items)).members();
}

void print_throttle_standing(const ThrottleStanding& t) {
    show_line("Autoblock", t.autoblock.blocked ? "blocked until " + t.autoblock.until + " (" + t.autoblock.reason +
                                                     "; easctl device unblock lifts it)"
                                               : "none");
    show_line("Held back items", t.held_back.empty() ? "none"
                                                     : std::to_string(t.held_back.size()) +
                                                           " (listed below; easctl device retry sends them again)");
}

void print_held_back_items(const ThrottleStanding& t) {
    if (t.held_back.empty()) return;
    std::cout << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& q : t.held_back)
        rows.push_back({std::to_string(q.item_id), q.folder_name, q.item_class, or_dash(q.subject), q.reason, q.since,
                        q.detail});
    print_table({"HELD BACK ITEM", "FOLDER", "CLASS", "SUBJECT", "REASON", "SINCE", "DETAIL"}, rows);
}

void print_device_details(const store::DeviceDetails& s, const ThrottleStanding& throttle, bool json) {
    const auto& d = s.device;
    if (json) {
        std::vector<std::string> collections;
        for (const auto& c : s.collections)
            collections.push_back(cli::JsonObject()
                                      .number("folder_id", c.folder_id)
                                      .text("folder_name", c.folder_name)
                                      .text("class", c.item_class)
                                      .raw("sync_key", json_key(c.key))
                                      .number("items_on_device", c.items_held)
                                      .str());
        std::string fields = json_device_fields(d);
        fields.pop_back();  // the closing brace: the sync state goes into the same object
        // How it was recognised under a new DeviceId (shown here, not in the list).
        std::string recognition = cli::JsonObject()
                                      .text("previous_device_ids", d.previous_device_ids)
                                      .text_or_null("recognised_at", d.recognised_at)
                                      .text("recognised_by", d.recognised_by)
                                      .str();
        fields += "," + recognition.substr(1, recognition.size() - 2);
        fields += "," + json_throttle_members(throttle);
        std::cout << fields << ",\"folder_sync_key\":" << (s.folder_sync ? json_key(*s.folder_sync) : "null")
                  << ",\"collections\":" << cli::json_array(collections) << "}\n";
        return;
    }
    show_line("User", d.user);
    show_line("DeviceId", d.device_id);
    show_line("DeviceType", or_dash(d.device_type));
    show_line("Model", or_dash(d.model));
    show_line("Friendly name", or_dash(d.friendly_name));
    show_line("OS", or_dash(d.os));
    show_line("OS language", or_dash(d.os_language));
    show_line("IMEI", or_dash(d.imei));
    show_line("Phone number", or_dash(d.phone_number));
    show_line("Mobile operator", or_dash(d.mobile_operator));
    show_line("User agent", or_dash(d.user_agent));
    show_line("Protocol version", or_dash(d.protocol_version));
    show_line("Protocol log", d.protocol_log ? "on" : "off");
    show_line("First seen", d.first_seen);
    show_line("Last seen", d.last_seen);
    show_line("First sync", or_dash(d.first_sync));
    show_line("Last sync", or_dash(d.last_sync));
    // A device that changes its DeviceId (Outlook for Windows after a restart) and the rule that
    // recognised it, so the administrator sees why it was not a new device.
    if (!d.recognised_at.empty())
        show_line("Recognised", d.recognised_at + " as " + d.recognised_by);
    if (!d.previous_device_ids.empty()) show_line("Previous DeviceIds", d.previous_device_ids);
    print_device_standing(d);
    print_throttle_standing(throttle);
    show_line("FolderSync key",
              s.folder_sync ? key_text(*s.folder_sync) : std::string("none (the next FolderSync starts from 0)"));
    if (s.collections.empty()) {
        show_line("Collections", "none");
        print_held_back_items(throttle);
        return;
    }
    std::cout << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : s.collections)
        rows.push_back({c.folder_name, std::to_string(c.folder_id), c.item_class, key_text(c.key),
                        std::to_string(c.items_held)});
    print_table({"FOLDER", "FOLDER ID", "CLASS", "SYNC KEY", "ITEMS ON DEVICE"}, rows);
    print_held_back_items(throttle);
}

std::string device_name(const std::string& address, const std::string& device) {
    return "device " + device + " of " + store::normalize_address(address);
}

std::optional<store::AccessOverride> parse_override(const std::string& word) {
    if (word == "allow") return store::AccessOverride::allow;
    if (word == "block") return store::AccessOverride::block;
    if (word == "default") return store::AccessOverride::none;
    return std::nullopt;
}

void set_device_access(const cli::Args& a, soci::session& sql, const std::string& address, const std::string& device,
                       store::AccessOverride decision) {
    auto result = store::set_device_access_override(sql, address, device, decision);
    std::string msg = device_name(address, device) + ": " +
                      (decision == store::AccessOverride::none ? "the administrator's decision is dropped; " : "") +
                      store::to_string(result.state) + " (" + result.reason + ")";
    done(a, msg,
         cli::JsonObject().text("access_state", store::to_string(result.state)).text("access_reason", result.reason));
}

void resync(const cli::Args& a, soci::session& sql, const std::string& address, const std::string& device) {
    auto r = store::resync_device(sql, address, device);
    std::string who = device_name(address, device);
    std::string msg;
    if (!r.folder_sync_state && r.collections == 0) {
        msg = who + " had no sync state; nothing to discard (its next FolderSync starts from 0)";
    } else {
        msg = "discarded the sync state of " + who + ": " + (r.folder_sync_state ? "the FolderSync key, " : "") +
              std::to_string(r.collections) + " collection(s), the record of " + std::to_string(r.items_held) +
              " item(s) on the device; no mail or other data was touched. Its next request gets "
              "FolderSync status 9 / Sync status 3 and the device starts a full sync.";
    }
    done(a, msg,
         cli::JsonObject()
             .boolean("folder_sync_state", r.folder_sync_state)
             .number("collections", r.collections)
             .number("items_on_device", r.items_held));
}

void remove(const cli::Args& a, soci::session& sql, const std::string& address, const std::string& device) {
    auto r = store::remove_device(sql, address, device);
    std::string gone = std::string(r.folder_sync_state ? "the FolderSync key, " : "") +
                       std::to_string(r.collections) + " collection(s)" + (r.device_policy ? ", its own policy" : "");
    std::string msg = "removed " + device_name(address, device) + " with " + gone +
                      "; no mail or other data was touched. If it connects again it is a new device.";
    done(a, msg,
         cli::JsonObject()
             .boolean("folder_sync_state", r.folder_sync_state)
             .number("collections", r.collections)
             .boolean("device_policy", r.device_policy));
}

// device remove [ADDRESS | --domain DOMAIN] --not-seen-days N [--dry-run]: every device whose last
// request is older, one transaction each (store::remove_stale_devices, through remove_device).
int remove_stale(const cli::Args& a, soci::session& sql) {
    store::DeviceFilter filter;
    filter.address = a.words.size() > 2 ? a.words[2] : "";
    filter.domain = a.value("--domain");
    filter.not_seen_days = number_option(a, "--not-seen-days", 0, 1, 36500);
    no_more_words(a, 3);
    if (!filter.address.empty() && !filter.domain.empty()) throw UsageError("give an address or --domain, not both");
    const bool dry_run = a.flag("--dry-run");
    auto removals = store::remove_stale_devices(sql, filter, dry_run);
    long long removed = 0;
    std::vector<std::string> objects;
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : removals) {
        if (r.result.removed) ++removed;
        objects.push_back(JsonObject()
                              .text("user", r.device.user)
                              .text("device_id", r.device.device_id)
                              .text("last_seen", r.device.last_seen)
                              .boolean("removed", r.result.removed && !dry_run)
                              .number("collections", r.result.collections)
                              .boolean("folder_sync_state", r.result.folder_sync_state)
                              .boolean("device_policy", r.result.device_policy)
                              .str());
        rows.push_back({r.device.user, r.device.device_id, r.device.last_seen,
                        dry_run ? "would be removed" : r.result.removed ? "removed" : "seen meanwhile: kept"});
    }
    const std::string days = std::to_string(filter.not_seen_days);
    std::string msg = dry_run ? std::to_string(removals.size()) + " device(s) not seen for " + days +
                                    " days would be removed (--dry-run: nothing changed)"
                              : "removed " + std::to_string(removed) + " device(s) not seen for " + days +
                                    " days, with their sync state and own policy; no mail or other data was "
                                    "touched. If one connects again it is a new device.";
    if (a.flag("--json")) {
        done(a, msg, JsonObject().boolean("dry_run", dry_run).number("removed", dry_run ? 0 : removed)
                         .raw("devices", json_array(objects)));
        return 0;
    }
    if (!rows.empty()) print_table({"USER", "DEVICE ID", "LAST SEEN", "RESULT"}, rows);
    std::cout << msg << "\n";
    return 0;
}

// Who asked, for the record on the device ("root", or the sudo user behind it).
std::string administrator_name() {
    for (const char* var : {"SUDO_USER", "USER", "LOGNAME"})
        if (const char* v = std::getenv(var); v && *v) return v;
    return "easctl";
}

void wipe(const cli::Args& a, soci::session& sql, const std::string& address, const std::string& device) {
    std::string who = device_name(address, device);
    if (a.flag("--cancel")) {
        if (a.flag("--account-only")) throw UsageError("--cancel takes no --account-only");
        store::cancel_wipe(sql, address, device);
        done(a, "cancelled the wipe of " + who, cli::JsonObject().text("wipe_status", "none"));
        return;
    }
    bool account_only = a.flag("--account-only");
    auto r = store::request_wipe(sql, address, device, account_only, administrator_name());
    std::string msg = std::string(r.previous_status == "waiting" ? "the wipe of " + who + " was already waiting; renewed: "
                                                                 : "") +
                      (account_only ? "account-only wipe" : "wipe") + " of " + who +
                      " is waiting: the device gets it with its next request (a waiting Ping is answered now). "
                      "Its acknowledgement marks it wiped and mails the owner.";
    done(a, msg, cli::JsonObject().text("wipe_status", "waiting").boolean("account_only", account_only));
}

}  // namespace

int run_device_command(const cli::Args& a, soci::session& sql, const std::string& sub) {
    if (sub == "list") {
        store::DeviceFilter filter;
        filter.address = a.words.size() > 2 ? a.words[2] : "";
        filter.domain = a.value("--domain");
        filter.include_wiped = a.flag("--all");
        filter.not_seen_days = number_option(a, "--not-seen-days", 0, 1, 36500);
        no_more_words(a, 3);
        if (!filter.address.empty() && !filter.domain.empty()) throw UsageError("give an address or --domain, not both");
        print_device_list(store::list_devices(sql, filter), a.flag("--json"));
        return 0;
    }
    if (sub == "remove" && a.values.count("--not-seen-days")) return remove_stale(a, sql);
    if (sub != "show" && sub != "resync" && sub != "remove" && sub != "allow" && sub != "block" && sub != "access" &&
        sub != "wipe" && sub != "recovery-password" && sub != "unblock" && sub != "retry")
        throw unknown_command("device", sub);
    const std::string& address = word(a, 2, "address");
    const std::string& device = word(a, 3, "device id");
    if (sub == "access") {
        auto decision = parse_override(word(a, 4, "allow, block or default"));
        if (!decision) throw UsageError("device access takes allow, block or default, not " + a.words[4]);
        no_more_words(a, 5);
        set_device_access(a, sql, address, device, *decision);
        return 0;
    }
    no_more_words(a, 4);
    if (sub == "show") {
        // An id the device had before it was recognised under a new one: say which it is now.
        if (auto now = store::renamed_device_id(sql, address, device))
            throw store::InvalidRequest("device " + device + " of " + store::normalize_address(address) +
                                        " is now known as " + *now + " (easctl device show " +
                                        store::normalize_address(address) + " " + *now + ")");
        auto details = store::show_device(sql, address, device);
        print_device_details(details, throttle_standing(sql, address, device), a.flag("--json"));
    }
    if (sub == "unblock") {
        bool was = store::clear_autoblock(sql, address, device);
        done(a,
             device_name(address, device) +
                 (was ? ": autoblock lifted (every easd process sees it within 5 seconds)" : ": was not autoblocked"),
             JsonObject().boolean("was_blocked", was));
    }
    if (sub == "retry") {
        int n = store::retry_quarantined(sql, store::find_device_row(sql, address, device));
        done(a,
             device_name(address, device) + ": " + std::to_string(n) +
                 " held back item(s) will be sent again at its next Sync (as a change, to every device of the user)",
             JsonObject().number("items", n));
    }
    if (sub == "resync") resync(a, sql, address, device);
    if (sub == "remove") remove(a, sql, address, device);
    if (sub == "allow") set_device_access(a, sql, address, device, store::AccessOverride::allow);
    if (sub == "block") set_device_access(a, sql, address, device, store::AccessOverride::block);
    if (sub == "wipe") wipe(a, sql, address, device);
    if (sub == "recovery-password") {
        // For the administrator to read to a user locked out of the device; printed, never logged.
        std::string password = store::device_recovery_password(sql, address, device);
        if (a.flag("--json")) std::cout << cli::JsonObject().text("recovery_password", password).str() << "\n";
        else std::cout << password << "\n";
    }
    return 0;
}

}  // namespace easd::cli
