// /easd-admin/me, the self-service page every account has: its own devices, their last sync, and
// a wipe (or its cancel) of a lost phone. Every lookup is by the signed-in address, so another
// account's DeviceId is simply not found.
#include "admin/pages.h"
#include "common/log.h"
#include "store/admin.h"
#include "store/provisioning.h"

namespace easd::admin {

namespace {

Response own_devices(const PageContext& c, const std::string& error) {
    store::DeviceFilter filter;
    filter.address = c.session.user.address;
    auto devices = store::list_devices(c.sql, filter);
    std::string out = error_paragraph(error);
    out += "<p>The phones and tablets that sync with your account. Wipe one you have lost: it erases itself "
           "the next time it connects.</p>";
    if (devices.empty()) {
        out += "<p>No devices.</p>";
    } else {
        out += "<table><thead><tr><th>Device</th><th>Model</th><th>OS</th><th>Last sync</th><th>Access</th>"
               "<th>Wipe</th><th></th></tr></thead><tbody>\n";
        for (const auto& d : devices) {
            std::string name = d.friendly_name.empty() ? d.device_type : d.friendly_name;
            out += "<tr><td>" + text_or_dash(name) + " <small>" + text(d.device_id) + "</small></td><td>" +
                   text_or_dash(d.model) + "</td><td>" + text_or_dash(d.os) + "</td><td>" + text_or_dash(d.last_sync) +
                   "</td><td>" + text(store::to_string(d.access_state)) + "</td><td>" +
                   text(store::wipe_status_text(d)) + "</td><td>";
            const std::vector<std::pair<std::string, std::string>> fields = {{"id", d.device_id}};
            if (d.wipe_status == "waiting")
                out += action_button("/easd-admin/me", c.session.csrf_token, fields, "action", "cancel-wipe", "Cancel wipe");
            else
                out += action_button("/easd-admin/me", c.session.csrf_token, fields, "action", "wipe", "Wipe this device",
                                     true);
            out += "</td></tr>\n";
        }
        out += "</tbody></table>";
    }
    // Out of Office, as the phone's Settings sets it (oof_form.cpp).
    out += "<h2>Out of Office</h2>";
    if (param(c.query, "done") == "oof") out += notice_paragraph("Out of Office is saved.");
    out += oof_form(store::load_oof(c.sql, c.session.user.id), "/easd-admin/me/oof", c.session.csrf_token, {});
    return c.page("My devices", out);
}

}  // namespace

Response my_devices(const PageContext& c) { return own_devices(c, {}); }

Response my_device_action(const PageContext& c) {
    const std::string device_id = param(c.form, "id");
    const std::string action = param(c.form, "action");
    if (action != "wipe" && action != "cancel-wipe") return c.message(400, "Bad request", "Unknown action.");
    try {
        store::find_device_row(c.sql, c.session.user.address, device_id);
    } catch (const store::InvalidRequest&) {
        return c.message(404, "Not found", "No such device.");
    }
    try {
        if (action == "wipe") store::request_wipe(c.sql, c.session.user.address, device_id, false, c.session.user.address);
        else store::cancel_wipe(c.sql, c.session.user.address, device_id);
    } catch (const store::InvalidRequest& e) {
        return own_devices(c, e.what());
    }
    EASD_LOG_INFO("console: %s: %s of their device %s", c.session.user.address.c_str(), action.c_str(), device_id.c_str());
    return see_other("/easd-admin/me");
}

}  // namespace easd::admin
