// The administrators' account pages: the list of accounts (/users, filtered by domain and text,
// paged) and one account (/user?address=): whether it may use ActiveSync (its flag and the server's
// access mode), the protocol log, its console role, its devices, and its Out of Office; the actions
// are the store functions of `easctl user enable|disable|activesync|oof`. There is no other
// "enabled" for an account in the store than its ActiveSync flag (schema 006): mail delivery and
// the console sign-in do not look at it. A domain administrator sees the accounts of their domains
// only; another domain's account is 404, as one that does not exist.
#include <algorithm>
#include <map>

#include "admin/pages.h"
#include "common/log.h"
#include "common/text.h"
#include "store/access.h"
#include "store/admin.h"
#include "store/oof.h"

namespace easd::admin {

namespace {

const char* flag_word(store::ActiveSyncFlag f) {
    switch (f) {
        case store::ActiveSyncFlag::on: return "on";
        case store::ActiveSyncFlag::off: return "off";
        case store::ActiveSyncFlag::unset: return "not set";
    }
    return "not set";
}

// "yes (flag on)", "no (flag not set, access mode flagged)".
std::string activesync_text(const store::User& u, store::AccessMode mode) {
    std::string out = store::may_use_activesync(u, mode) ? "yes" : "no";
    out += std::string(" (flag ") + flag_word(u.activesync);
    if (u.activesync == store::ActiveSyncFlag::unset) out += std::string(", access mode ") + store::to_string(mode);
    return out + ")";
}

std::string user_href(const std::string& address) { return query_href("/easd-admin/user", {{"address", address}}); }

std::string lower(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

const std::map<std::string, std::string>& user_notices() {
    static const std::map<std::string, std::string> notices = {
        {"activesync-on", "ActiveSync is on for this account (in every access mode)."},
        {"activesync-off", "ActiveSync is off for this account: its devices are refused from their next request."},
        {"activesync-default", "The ActiveSync flag is not set: the server's access mode decides."},
        {"log-on", "The protocol log is on for this account."},
        {"log-off", "The protocol log is off for this account."},
        {"oof", "Out of Office is saved."},
    };
    return notices;
}

}  // namespace

Response user_list(const PageContext& c) {
    const std::string domain = lower(param(c.query, "domain"));
    const std::string contains = param(c.query, "q");
    const long long page_number = admin::page_number(c.query);
    std::string error;
    std::vector<store::User> users;
    if (!domain.empty() && !c.session.role.covers(domain)) {
        error = "unknown domain " + domain;  // another's domain looks like one not served here
    } else {
        try {
            users = store::list_users(c.sql, domain);
        } catch (const store::InvalidRequest& e) {
            error = e.what();
        }
    }
    // The accounts this administrator may see whose address or name contains the text. Filtered
    // and paged here, as `easctl user list` lists them: a server has thousands of accounts, not
    // millions.
    const std::string needle = lower(contains);
    users.erase(std::remove_if(users.begin(), users.end(),
                               [&](const store::User& u) {
                                   return !c.session.role.covers(u.domain) ||
                                          (!needle.empty() && u.address.find(needle) == std::string::npos &&
                                           lower(u.display_name).find(needle) == std::string::npos);
                               }),
                users.end());
    const long long total = static_cast<long long>(users.size());
    const long long size = c.settings.page_size;
    const long long first = (page_number - 1) * size;
    const auto mode = store::read_server_settings(c.sql).access_mode;
    const auto roles = store::admin_roles_by_user(c.sql);

    std::string out = "<form method=\"get\" action=\"/easd-admin/users\"><fieldset>"
                      "<label>Address or name <input name=\"q\" value=\"" + text(contains) + "\"></label>"
                      "<label>Domain <input name=\"domain\" value=\"" + text(domain) + "\"></label>"
                      "<button type=\"submit\">Filter</button></fieldset></form>";
    out += error_paragraph(error);
    out += "<p>" + std::to_string(total) + " account(s)</p>";
    out += "<table><thead><tr><th>Address</th><th>Name</th><th>ActiveSync</th><th>Protocol log</th><th>Role</th>"
           "</tr></thead><tbody>\n";
    for (long long i = first; i < total && i < first + size; ++i) {
        const auto& u = users[static_cast<std::size_t>(i)];
        auto role = roles.find(u.id);
        out += "<tr><td><a href=\"" + user_href(u.address) + "\">" + text(u.address) + "</a></td><td>" +
               text_or_dash(u.display_name) + "</td><td>" + text(activesync_text(u, mode)) + "</td><td>" +
               (u.protocol_log ? "on" : "off") + "</td><td>" +
               text(role == roles.end() ? std::string("none") : store::role_text(role->second)) + "</td></tr>\n";
    }
    out += "</tbody></table>";
    const long long pages = std::max(1LL, (total + size - 1) / size);
    auto link = [&](long long n) {
        return query_href("/easd-admin/users", {{"q", contains}, {"domain", domain}, {"page", std::to_string(n)}});
    };
    out += "<p class=\"pager\">";
    if (page_number > 1) out += "<a href=\"" + link(page_number - 1) + "\">Previous</a> ";
    out += "Page " + std::to_string(page_number) + " of " + std::to_string(pages);
    if (page_number < pages) out += " <a href=\"" + link(page_number + 1) + "\">Next</a>";
    out += "</p>";
    return c.page("Users", out);
}

Response user_page(const PageContext& c) {
    auto user = visible_account(c.sql, c.session.role, param(c.query, "address"));
    if (!user) return c.message(404, "Not found", "No such account.");
    const auto mode = store::read_server_settings(c.sql).access_mode;
    store::DevicePageQuery devices;
    devices.filter.address = user->address;
    devices.limit = 1;  // only the count
    const long long device_count = store::list_devices_page(c.sql, devices).total;

    std::string out;
    auto notice = user_notices().find(param(c.query, "done"));
    if (notice != user_notices().end()) out += notice_paragraph(notice->second);
    out += "<dl>";
    detail_row(out, "Address", user->address);
    detail_row(out, "Name", user->display_name);
    detail_row(out, "Domain", user->domain);
    detail_row(out, "May use ActiveSync", activesync_text(*user, mode));
    detail_row(out, "Protocol log", user->protocol_log ? "on" : "off");
    detail_row(out, "Role", store::role_text(store::admin_role_of(c.sql, user->id)));
    out += "<dt>Devices</dt><dd><a href=\"" + query_href("/easd-admin/", {{"user", user->address}}) + "\">" +
           std::to_string(device_count) + "</a></dd></dl>";

    const std::vector<std::pair<std::string, std::string>> fields = {{"address", user->address}};
    const std::string& csrf = c.session.csrf_token;
    out += "<h2>ActiveSync</h2><p>";
    if (user->activesync != store::ActiveSyncFlag::on)
        out += action_button("/easd-admin/user", csrf, fields, "action", "activesync-on", "Enable ActiveSync");
    if (user->activesync != store::ActiveSyncFlag::off)
        out += action_button("/easd-admin/user", csrf, fields, "action", "activesync-off", "Disable ActiveSync", true);
    if (user->activesync != store::ActiveSyncFlag::unset)
        out += action_button("/easd-admin/user", csrf, fields, "action", "activesync-default",
                             "Let the access mode decide");
    out += user->protocol_log
               ? action_button("/easd-admin/user", csrf, fields, "action", "log-off", "Protocol log off")
               : action_button("/easd-admin/user", csrf, fields, "action", "log-on", "Protocol log on");
    out += "</p><p>Access mode all: every account whose flag is not off may sync; flagged: only accounts whose flag "
           "is on.</p>";
    out += "<h2>Out of Office</h2>";
    out += oof_form(store::load_oof(c.sql, user->id), "/easd-admin/user/oof", csrf, fields);
    return c.page("User " + user->address, out);
}

Response user_action(const PageContext& c) {
    auto user = visible_account(c.sql, c.session.role, param(c.form, "address"));
    if (!user) return c.message(404, "Not found", "No such account.");
    const std::string action = param(c.form, "action");
    // The functions of `easctl user enable|disable|activesync default` and of the protocol log.
    if (action == "activesync-on" || action == "activesync-off") store::set_activesync(c.sql, user->address, action == "activesync-on");
    else if (action == "activesync-default") store::set_activesync_flag(c.sql, user->address, store::ActiveSyncFlag::unset);
    else if (action == "log-on" || action == "log-off") store::set_user_protocol_log(c.sql, user->address, action == "log-on");
    else return c.message(400, "Bad request", "Unknown action.");
    EASD_LOG_INFO("console: %s: %s for %s", c.session.user.address.c_str(), action.c_str(), user->address.c_str());
    return see_other("/easd-admin/user?address=" + url_value(user->address) + "&done=" + action);
}

Response user_oof_action(const PageContext& c) {
    auto user = visible_account(c.sql, c.session.role, param(c.form, "address"));
    if (!user) return c.message(404, "Not found", "No such account.");
    return save_oof_form(c, *user, "/easd-admin/user?address=" + url_value(user->address) + "&done=oof");
}

}  // namespace easd::admin
