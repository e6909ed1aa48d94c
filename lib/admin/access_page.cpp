// The server-wide access pages: /access (the access mode, the default access and the device access
// rules, as `easctl server` and `easctl rule`) and /quarantine (the devices waiting for an
// administrator, with Allow and Block, as `easctl device allow|block`).
//
// The settings and rules are server-wide, so only an administrator of every domain changes them; a
// domain administrator gets the same page without the forms (it tells them why their devices are
// allowed, blocked or quarantined), and a POST from them is answered 404, as a page that is not
// theirs. The quarantine queue shows a domain administrator the devices of their domains only.
#include <map>

#include <soci/soci.h>

#include "admin/pages.h"
#include "common/log.h"
#include "common/text.h"
#include "store/access.h"
#include "store/admin.h"

namespace easd::admin {

namespace {

const char* const kActions[] = {"allow", "block", "quarantine"};
const char* const kFields[] = {"model", "os", "device_type", "user_agent"};

// <select name=…> of `words`, with `current` selected.
std::string word_select(const std::string& name, const std::vector<std::string>& words, const std::string& current) {
    std::string out = "<select name=\"" + text(name) + "\">";
    for (const auto& w : words)
        out += "<option value=\"" + text(w) + "\"" + (w == current ? " selected" : "") + ">" + text(w) + "</option>";
    return out + "</select>";
}

std::string notice_of(const std::string& done) {
    static const std::map<std::string, std::string> notices = {
        {"settings", "The settings are saved (running workers apply the access mode within their auth cache time)."},
        {"rule-added", "The rule is added: devices are judged by it at their next request."},
        {"rule-removed", "The rule is removed."},
        {"allow", "The device is allowed: its next request passes."},
        {"block", "The device is blocked."},
    };
    auto it = notices.find(done);
    return it == notices.end() ? std::string() : notice_paragraph(it->second);
}

}  // namespace

Response access_page(const PageContext& c) {
    const bool may_change = c.session.role.all_domains;
    const auto settings = store::read_server_settings(c.sql);
    std::string out = notice_of(param(c.query, "done"));
    if (!may_change)
        out += "<p>The access settings and rules are server-wide: an administrator of every domain changes them.</p>";
    out += "<h2>Settings</h2>";
    if (may_change) {
        out += "<form method=\"post\" action=\"/easd-admin/access\"><fieldset>"
               "<input type=\"hidden\" name=\"csrf\" value=\"" + text(c.session.csrf_token) + "\">"
               "<input type=\"hidden\" name=\"action\" value=\"settings\">"
               "<label>Access mode " + word_select("access_mode", {"all", "flagged"}, store::to_string(settings.access_mode)) +
               "</label><label>Default access " +
               word_select("default_access", {"allow", "block", "quarantine"}, store::to_string(settings.default_access)) +
               "</label><label>Administrator address <input name=\"admin_address\" type=\"email\" value=\"" +
               text(settings.admin_address) + "\"></label><button type=\"submit\">Save</button></fieldset></form>"
               "<p>Access mode all: every account whose ActiveSync flag is not off; flagged: only accounts whose "
               "flag is on. The default access is for devices no rule matches.</p>";
    } else {
        out += "<dl>";
        detail_row(out, "Access mode", store::to_string(settings.access_mode));
        detail_row(out, "Default access", store::to_string(settings.default_access));
        out += "</dl>";
    }
    out += "<h2>Device access rules</h2><p>A rule matches one property of a device, ignoring case; * matches any "
           "run of characters. The most specific field wins (model, os, device_type, user_agent), then the most "
           "restrictive action.</p>";
    const auto rules = store::list_access_rules(c.sql);
    if (rules.empty()) {
        out += "<p>No rules.</p>";
    } else {
        out += "<table><thead><tr><th>ID</th><th>Action</th><th>Field</th><th>Pattern</th><th>Created</th>";
        out += may_change ? "<th></th>" : "";
        out += "</tr></thead><tbody>\n";
        for (const auto& r : rules) {
            out += "<tr><td>" + std::to_string(r.id) + "</td><td>" + text(store::to_string(r.action)) + "</td><td>" +
                   text(store::to_string(r.field)) + "</td><td>" + text(r.pattern) + "</td><td>" + text(r.created_at) +
                   "</td>";
            if (may_change)
                out += "<td>" + action_button("/easd-admin/access", c.session.csrf_token, {{"id", std::to_string(r.id)}},
                                              "action", "remove-rule", "Remove", true) + "</td>";
            out += "</tr>\n";
        }
        out += "</tbody></table>";
    }
    if (may_change) {
        out += "<h3>Add a rule</h3><form method=\"post\" action=\"/easd-admin/access\"><fieldset>"
               "<input type=\"hidden\" name=\"csrf\" value=\"" + text(c.session.csrf_token) + "\">"
               "<input type=\"hidden\" name=\"action\" value=\"add-rule\">"
               "<label>Action " + word_select("rule_action", {std::begin(kActions), std::end(kActions)}, "block") +
               "</label><label>Field " + word_select("field", {std::begin(kFields), std::end(kFields)}, "model") +
               "</label><label>Pattern <input name=\"pattern\" required></label>"
               "<button type=\"submit\">Add rule</button></fieldset></form>";
    }
    return c.page("Access rules", out);
}

Response access_action(const PageContext& c) {
    // Server-wide: not a domain administrator's to change.
    if (!c.session.role.all_domains) return c.message(404, "Not found", "There is no such page.");
    const std::string action = param(c.form, "action");
    const std::string& who = c.session.user.address;
    if (action == "settings") {
        const std::string mode = param(c.form, "access_mode");
        const std::string access = param(c.form, "default_access");
        // All or nothing: a bad value leaves every setting as it was.
        try {
            soci::transaction tr(c.sql);
            store::set_server_setting(c.sql, "access_mode", mode);
            store::set_server_setting(c.sql, "default_access", access);
            store::set_server_setting(c.sql, "admin_address", param(c.form, "admin_address"));
            tr.commit();
        } catch (const store::InvalidRequest& e) {
            return c.message(400, "Not saved", e.what());
        }
        EASD_LOG_INFO("console: %s: access_mode %s, default_access %s", who.c_str(), mode.c_str(), access.c_str());
        return see_other("/easd-admin/access?done=settings");
    }
    if (action == "add-rule") {
        // The words and answers of `easctl rule add`.
        const std::string action_word = param(c.form, "rule_action");
        const std::string field_word = param(c.form, "field");
        auto rule_action = store::parse_access_action(action_word);
        if (!rule_action) return c.message(400, "Not added", "a rule does allow, block or quarantine, not " + action_word);
        auto field = store::parse_rule_field(field_word);
        if (!field)
            return c.message(400, "Not added", "a rule matches model, os, device_type or user_agent, not " + field_word);
        store::AccessRule rule;
        try {
            rule = store::add_access_rule(c.sql, *rule_action, *field, param(c.form, "pattern"));
        } catch (const store::InvalidRequest& e) {
            return c.message(400, "Not added", e.what());
        }
        EASD_LOG_INFO("console: %s: added rule %lld: %s %s '%s'", who.c_str(), rule.id, store::to_string(rule.action),
                      store::to_string(rule.field), rule.pattern.c_str());
        return see_other("/easd-admin/access?done=rule-added");
    }
    if (action == "remove-rule") {
        auto id = parse_id(param(c.form, "id"));
        if (!id) return c.message(400, "Bad request", "not a rule id: " + param(c.form, "id"));
        try {
            store::remove_access_rule(c.sql, *id);
        } catch (const store::InvalidRequest& e) {
            return c.message(404, "Not found", e.what());
        }
        EASD_LOG_INFO("console: %s: removed rule %lld", who.c_str(), *id);
        return see_other("/easd-admin/access?done=rule-removed");
    }
    return c.message(400, "Bad request", "Unknown action.");
}

Response quarantine_page(const PageContext& c) {
    store::DevicePageQuery query;
    query.state = "quarantined";
    query.sort = "user";
    long long page_number = admin::page_number(c.query);
    query.limit = c.settings.page_size;
    query.offset = (page_number - 1) * c.settings.page_size;
    query.scoped = !c.session.role.all_domains;
    query.domains = c.session.role.domains;
    const store::DevicePage found = store::list_devices_page(c.sql, query);

    std::string out = notice_of(param(c.query, "done"));
    out += "<p>Devices waiting for an administrator: they get no data until allowed (by you or by a rule). " +
           std::to_string(found.total) + " device(s).</p>";
    if (!found.devices.empty()) {
        out += "<table><thead><tr><th>User</th><th>Device ID</th><th>Type</th><th>Model</th><th>OS</th>"
               "<th>User agent</th><th>First seen</th><th>Reason</th><th></th></tr></thead><tbody>\n";
        for (const auto& d : found.devices) {
            const std::vector<std::pair<std::string, std::string>> fields = {{"user", d.user}, {"id", d.device_id}};
            out += "<tr><td>" + text(d.user) + "</td><td><a href=\"" +
                   query_href("/easd-admin/device", {{"user", d.user}, {"id", d.device_id}}) + "\">" + text(d.device_id) +
                   "</a></td><td>" + text_or_dash(d.device_type) + "</td><td>" + text_or_dash(d.model) + "</td><td>" +
                   text_or_dash(d.os) + "</td><td>" + text_or_dash(d.user_agent) + "</td><td>" +
                   text_or_dash(d.first_seen) + "</td><td>" + text_or_dash(d.access_reason) + "</td><td>" +
                   action_button("/easd-admin/quarantine", c.session.csrf_token, fields, "action", "allow", "Allow") +
                   action_button("/easd-admin/quarantine", c.session.csrf_token, fields, "action", "block", "Block", true) +
                   "</td></tr>\n";
        }
        out += "</tbody></table>";
    }
    const long long pages = std::max(1LL, (found.total + c.settings.page_size - 1) / c.settings.page_size);
    if (pages > 1) {
        out += "<p class=\"pager\">";
        if (page_number > 1)
            out += "<a href=\"" + query_href("/easd-admin/quarantine", {{"page", std::to_string(page_number - 1)}}) +
                   "\">Previous</a> ";
        out += "Page " + std::to_string(page_number) + " of " + std::to_string(pages);
        if (page_number < pages)
            out += " <a href=\"" + query_href("/easd-admin/quarantine", {{"page", std::to_string(page_number + 1)}}) +
                   "\">Next</a>";
        out += "</p>";
    }
    return c.page("Quarantine", out);
}

Response quarantine_action(const PageContext& c) {
    const std::string device_id = param(c.form, "id");
    const std::string action = param(c.form, "action");
    auto user = visible_account(c.sql, c.session.role, param(c.form, "user"));
    if (!user || device_id.empty()) return c.message(404, "Not found", "No such device.");
    if (action != "allow" && action != "block") return c.message(400, "Bad request", "Unknown action.");
    // The same function as the device page and `easctl device allow|block`: the administrator's
    // decision, which beats the rules; the device's next request is judged by it.
    try {
        store::find_device_row(c.sql, user->address, device_id);
        store::set_device_access_override(c.sql, user->address, device_id,
                                          action == "allow" ? store::AccessOverride::allow : store::AccessOverride::block);
    } catch (const store::InvalidRequest&) {
        return c.message(404, "Not found", "No such device.");
    }
    EASD_LOG_INFO("console: %s: %s of quarantined device %s of %s", c.session.user.address.c_str(), action.c_str(),
                  device_id.c_str(), user->address.c_str());
    return see_other("/easd-admin/quarantine?done=" + action);
}

}  // namespace easd::admin
