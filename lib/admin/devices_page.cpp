// The administrators' device pages: the list of devices (the columns of `easctl device list`,
// filtered, sorted and paged in the database), one device with its sync state, and its actions
// (wipe, account-only wipe, cancel, allow, block, let the rules decide, protocol log on/off, resync,
// remove after a ticked confirmation), through the same store
// functions as `easctl device`. A domain administrator sees the accounts of their domains only.
#include <algorithm>
#include <map>

#include "admin/pages.h"
#include "common/log.h"
#include "common/text.h"
#include "store/admin.h"
#include "store/devices.h"
#include "store/provisioning.h"

namespace easd::admin {

namespace {

// The columns of `easctl device list`, with the sort key of each.
struct Column {
    const char* key;
    const char* label;
};
const Column kColumns[] = {{"user", "User"},         {"device_id", "Device ID"}, {"type", "Type"},
                           {"model", "Model"},       {"os", "OS"},               {"user_agent", "User agent"},
                           {"version", "Version"},   {"first_sync", "First sync"}, {"last_sync", "Last sync"},
                           {"access", "Access"},     {"policy", "Policy"},       {"wipe", "Wipe"}};

std::string device_href(const std::string& address, const std::string& device_id) {
    return query_href("/easd-admin/device", {{"user", address}, {"id", device_id}});
}

// What a finished action says on the page it leads to (the key comes back in the redirect).
const std::map<std::string, std::string>& action_notices() {
    static const std::map<std::string, std::string> notices = {
        {"wipe", "Wipe requested: the device gets it with its next request (a waiting Ping is answered now)."},
        {"wipe-account", "Account-only wipe requested: the device gets it with its next request."},
        {"cancel-wipe", "The wipe is cancelled."},
        {"allow", "The device is allowed (the administrator's decision beats the rules)."},
        {"block", "The device is blocked (the administrator's decision beats the rules)."},
        {"default", "The administrator's decision is dropped: the rules decide again."},
        {"log-on", "Protocol log on: the device's requests and answers are logged."},
        {"log-off", "Protocol log off for this device."},
        {"resync", "Sync state discarded: the device's next FolderSync and Sync start over from key 0 (a full "
                   "resync); its mail, contacts and calendar on the server are untouched."},
        {"remove", "The device is removed with its sync state. If it connects again it is a new device: access "
                   "decided afresh, provisioned again, a full sync."},
    };
    return notices;
}

std::string notice_for(const std::string& key) {
    auto it = action_notices().find(key);
    return it == action_notices().end() ? std::string() : notice_paragraph(it->second);
}

}  // namespace

Response device_list(const PageContext& c) {
    const Params& q = c.query;
    store::DevicePageQuery query;
    query.filter.domain = param(q, "domain");
    query.user_contains = param(q, "user");
    const std::string state = param(q, "state");
    if (state == "allowed" || state == "blocked" || state == "quarantined" || state == "wipe") query.state = state;
    const std::string sort = param(q, "sort");
    const auto& keys = store::device_sort_keys();
    query.sort = std::find(keys.begin(), keys.end(), sort) != keys.end() ? sort : "user";
    query.descending = param(q, "dir") == "desc";
    long long page_number = admin::page_number(q);
    query.limit = c.settings.page_size;
    query.offset = (page_number - 1) * c.settings.page_size;
    // A domain administrator sees the accounts of their domains only, whatever the filter says.
    query.scoped = !c.session.role.all_domains;
    query.domains = c.session.role.domains;

    std::string error;
    store::DevicePage found;
    try {
        found = store::list_devices_page(c.sql, query);
    } catch (const store::InvalidRequest& e) {
        error = e.what();
    }

    std::string out = "<form method=\"get\" action=\"/easd-admin/\"><fieldset>"
                      "<label>User <input name=\"user\" value=\"" + text(query.user_contains) + "\"></label>"
                      "<label>Domain <input name=\"domain\" value=\"" + text(query.filter.domain) + "\"></label>"
                      "<label>State <select name=\"state\">";
    for (const auto& [value, label] : std::vector<std::pair<std::string, std::string>>{
             {"", "any"}, {"allowed", "allowed"}, {"blocked", "blocked"}, {"quarantined", "quarantined"},
             {"wipe", "wipe waiting"}})
        out += "<option value=\"" + text(value) + "\"" + (value == query.state ? " selected" : "") + ">" + text(label) +
               "</option>";
    out += "</select></label><input type=\"hidden\" name=\"sort\" value=\"" + text(query.sort) + "\">"
           "<button type=\"submit\">Filter</button></fieldset></form>";
    if (!error.empty()) out += "<p class=\"error\">" + text(error) + "</p>";
    const long long first = found.devices.empty() ? 0 : query.offset + 1;
    const long long last = query.offset + static_cast<long long>(found.devices.size());
    out += "<p>" + std::to_string(found.total) + " device(s)" +
           (found.total > 0 ? ", showing " + std::to_string(first) + "&ndash;" + std::to_string(last) : "") + "</p>";

    auto link = [&](const std::string& sort_key, bool desc, long long page_no) {
        return query_href("/easd-admin/", {{"user", query.user_contains},
                                           {"domain", query.filter.domain},
                                           {"state", query.state},
                                           {"sort", sort_key},
                                           {"dir", desc ? "desc" : ""},
                                           {"page", page_no > 1 ? std::to_string(page_no) : ""}});
    };
    out += "<table><thead><tr>";
    for (const auto& column : kColumns) {
        const bool current = query.sort == column.key;
        const bool next_desc = current && !query.descending;
        out += "<th><a href=\"" + link(column.key, next_desc, 1) + "\">" + text(column.label) +
               (current ? (query.descending ? " &#9660;" : " &#9650;") : "") + "</a></th>";
    }
    out += "</tr></thead><tbody>\n";
    for (const auto& d : found.devices) {
        out += "<tr><td>" + text(d.user) + "</td><td><a href=\"" + device_href(d.user, d.device_id) + "\">" +
               text(d.device_id) + "</a></td><td>" + text_or_dash(d.device_type) + "</td><td>" + text_or_dash(d.model) +
               "</td><td>" + text_or_dash(d.os) + "</td><td>" + text_or_dash(d.user_agent) + "</td><td>" +
               text_or_dash(d.protocol_version) + "</td><td>" + text_or_dash(d.first_sync) + "</td><td>" +
               text_or_dash(d.last_sync) + "</td><td>" + text(store::to_string(d.access_state)) + "</td><td>" +
               text(d.policy_status) + "</td><td>" + text(store::wipe_status_text(d)) + "</td></tr>\n";
    }
    out += "</tbody></table>";
    const long long pages = std::max(1LL, (found.total + c.settings.page_size - 1) / c.settings.page_size);
    out += "<p class=\"pager\">";
    if (page_number > 1) out += "<a href=\"" + link(query.sort, query.descending, page_number - 1) + "\">Previous</a> ";
    out += "Page " + std::to_string(page_number) + " of " + std::to_string(pages);
    if (page_number < pages) out += " <a href=\"" + link(query.sort, query.descending, page_number + 1) + "\">Next</a>";
    out += "</p>";
    std::string scope = c.session.role.all_domains ? "every domain" : "domains " + [&] {
        std::string list;
        for (const auto& d : c.session.role.domains) list += (list.empty() ? "" : ", ") + d;
        return list;
    }();
    out = notice_for(param(q, "done")) + "<p>Administrator of " + text(scope) + ".</p>" + out;
    return c.page("Devices", out);
}

Response device_page(const PageContext& c) {
    const Params& q = c.query;
    const std::string device_id = param(q, "id");
    auto user = visible_account(c.sql, c.session.role, param(q, "user"));
    PageFrame f = c.frame("Device");
    if (!user || device_id.empty()) return message_page(404, "Not found", "No such device.", &f);
    store::DeviceDetails details;
    try {
        details = store::show_device(c.sql, user->address, device_id);
    } catch (const store::InvalidRequest&) {
        return message_page(404, "Not found", "No such device.", &f);
    }
    const auto& d = details.device;
    std::string out = notice_for(param(c.query, "done")) + "<dl>";
    detail_row(out, "User", d.user);
    detail_row(out, "Device ID", d.device_id);
    detail_row(out, "Type", d.device_type);
    detail_row(out, "Model", d.model);
    detail_row(out, "Friendly name", d.friendly_name);
    detail_row(out, "OS", d.os);
    detail_row(out, "OS language", d.os_language);
    detail_row(out, "IMEI", d.imei);
    detail_row(out, "Phone number", d.phone_number);
    detail_row(out, "Mobile operator", d.mobile_operator);
    detail_row(out, "User agent", d.user_agent);
    detail_row(out, "Protocol version", d.protocol_version);
    detail_row(out, "Protocol log", d.protocol_log ? "on" : "off");
    detail_row(out, "First seen", d.first_seen);
    detail_row(out, "Last seen", d.last_seen);
    detail_row(out, "First sync", d.first_sync);
    detail_row(out, "Last sync", d.last_sync);
    detail_row(out, "Access", store::to_string(d.access_state));
    detail_row(out, "Access reason", d.access_reason);
    detail_row(out, "Access override", d.access_override.empty() ? "none (the rules decide)" : d.access_override);
    detail_row(out, "Policy status", d.policy_status);
    detail_row(out, "Policy key", d.policy_key ? std::to_string(*d.policy_key) : "");
    detail_row(out, "Provisioned at", d.provisioned_at);
    detail_row(out, "Wipe status", store::wipe_status_text(d) + (d.wipe_account_only ? " (account only)" : ""));
    if (!d.wipe_requested_at.empty()) {
        detail_row(out, "Wipe requested", d.wipe_requested_at + (d.wipe_requested_by.empty() ? "" : " by " + d.wipe_requested_by));
        detail_row(out, "Wipe sent", d.wipe_sent_at);
        detail_row(out, "Wiped at", d.wiped_at);
    }
    detail_row(out, "FolderSync key", details.folder_sync ? details.folder_sync->current : "none (the next FolderSync starts from 0)");
    out += "</dl>";

    const std::vector<std::pair<std::string, std::string>> fields = {{"user", d.user}, {"id", d.device_id}};
    out += "<p><a href=\"" + query_href("/easd-admin/policies", {{"level", "device"}, {"user", d.user}, {"id", d.device_id}}) + "\">Policy</a></p>";
    out += "<h2>Actions</h2><p>";
    if (d.wipe_status == "waiting") {
        out += action_button("/easd-admin/device", c.session.csrf_token, fields, "action", "cancel-wipe", "Cancel wipe");
    } else {
        out += action_button("/easd-admin/device", c.session.csrf_token, fields, "action", "wipe", "Wipe device", true);
        if (d.protocol_version == "16.1")
            out += action_button("/easd-admin/device", c.session.csrf_token, fields, "action", "wipe-account",
                                 "Wipe account only", true);
    }
    out += action_button("/easd-admin/device", c.session.csrf_token, fields, "action", "allow", "Allow");
    out += action_button("/easd-admin/device", c.session.csrf_token, fields, "action", "block", "Block");
    if (!d.access_override.empty())
        out += action_button("/easd-admin/device", c.session.csrf_token, fields, "action", "default", "Let the rules decide");
    out += "</p><p>";
    out += d.protocol_log
               ? action_button("/easd-admin/device", c.session.csrf_token, fields, "action", "log-off", "Protocol log off")
               : action_button("/easd-admin/device", c.session.csrf_token, fields, "action", "log-on", "Protocol log on");
    out += action_button("/easd-admin/device", c.session.csrf_token, fields, "action", "resync", "Resync (full sync)");
    out += "</p>";
    // Removing cannot be undone: the box must be ticked (checked on the server, no script needed).
    out += "<form method=\"post\" action=\"/easd-admin/device\"><fieldset>"
           "<input type=\"hidden\" name=\"csrf\" value=\"" + text(c.session.csrf_token) + "\">"
           "<input type=\"hidden\" name=\"user\" value=\"" + text(d.user) + "\">"
           "<input type=\"hidden\" name=\"id\" value=\"" + text(d.device_id) + "\">"
           "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" required> Remove this device and its "
           "sync state (its mail stays)</label>"
           "<button type=\"submit\" name=\"action\" value=\"remove\" class=\"danger\">Remove device</button>"
           "</fieldset></form>";

    out += "<h2>Sync state</h2>";
    if (details.collections.empty()) {
        out += "<p>No collections.</p>";
    } else {
        out += "<table><thead><tr><th>Folder</th><th>Class</th><th>Sync key</th><th>Items on device</th></tr></thead><tbody>";
        for (const auto& col : details.collections)
            out += "<tr><td>" + text(col.folder_name) + "</td><td>" + text(col.item_class) + "</td><td>" +
                   text(col.key.current) + "</td><td>" + std::to_string(col.items_held) + "</td></tr>";
        out += "</tbody></table>";
    }
    f.title = "Device " + d.device_id;
    return html(200, page(f, out));
}

Response device_action(const PageContext& c) {
    const Params& form = c.form;
    const std::string device_id = param(form, "id");
    const std::string action = param(form, "action");
    PageFrame f = c.frame("Device");
    auto user = visible_account(c.sql, c.session.role, param(form, "user"));
    if (!user || device_id.empty()) return message_page(404, "Not found", "No such device.", &f);
    if (!action_notices().count(action)) return message_page(400, "Bad request", "Unknown action.", &f);
    try {
        store::find_device_row(c.sql, user->address, device_id);
    } catch (const store::InvalidRequest&) {
        return message_page(404, "Not found", "No such device.", &f);
    }
    if (action == "remove" && param(form, "confirm") != "yes")
        return message_page(400, "Not removed", "Tick the box to confirm the removal; nothing was changed.", &f);
    // The same functions as `easctl device wipe|access|resync|remove` and `easctl log`.
    try {
        if (action == "log-on" || action == "log-off")
            store::set_device_protocol_log(c.sql, user->id, device_id, action == "log-on");
        else if (action == "resync")
            store::resync_device(c.sql, user->address, device_id);
        else if (action == "remove")
            store::remove_device(c.sql, user->address, device_id);
        else if (action == "wipe" || action == "wipe-account")
            store::request_wipe(c.sql, user->address, device_id, action == "wipe-account", c.session.user.address);
        else if (action == "cancel-wipe")
            store::cancel_wipe(c.sql, user->address, device_id);
        else
            store::set_device_access_override(c.sql, user->address, device_id,
                                              action == "allow"   ? store::AccessOverride::allow
                                              : action == "block" ? store::AccessOverride::block
                                                                  : store::AccessOverride::none);
    } catch (const store::InvalidRequest& e) {
        return message_page(409, "Not done", e.what(), &f);
    }
    EASD_LOG_INFO("console: %s: %s of device %s of %s", c.session.user.address.c_str(), action.c_str(), device_id.c_str(),
                  user->address.c_str());
    // A removed device has no page: back to the list, filtered to its account.
    if (action == "remove") return see_other("/easd-admin/?user=" + url_value(user->address) + "&done=remove");
    return see_other("/easd-admin/device?user=" + url_value(user->address) + "&id=" + url_value(device_id) +
                     "&done=" + action);
}

}  // namespace easd::admin
