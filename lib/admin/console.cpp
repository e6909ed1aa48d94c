#include "admin/console.h"

#include <algorithm>
#include <map>

#include "admin/html.h"
#include "admin/session_token.h"
#include "common/log.h"
#include "common/text.h"
#include "protocol/request.h"
#include "store/admin.h"
#include "store/console_sessions.h"
#include "store/pq.h"
#include "store/provisioning.h"

namespace easd::admin {

bool is_console_path(std::string_view path) {
    return path == kConsolePath || (path.size() > kConsolePath.size() && path.substr(0, kConsolePath.size()) == kConsolePath &&
                                    path[kConsolePath.size()] == '/');
}

struct Console::Session {
    store::User user;
    store::AdminRole role;
    std::string csrf_token;
    std::string token_hash;
};

namespace {

using Params = std::map<std::string, std::string>;

// The first value of each name in a query string or form body; nothing for one that is malformed.
Params parse_params(std::string_view text) {
    Params out;
    if (auto pairs = protocol::parse_form(text))
        for (auto& [name, value] : *pairs) out.emplace(std::move(name), std::move(value));
    return out;
}

std::string param(const Params& p, const std::string& name) {
    auto it = p.find(name);
    return it == p.end() ? std::string() : it->second;
}

// The headers of every console answer: no framing, nothing but our own scripts and styles (there
// are no scripts), never cached (pages show devices and carry CSRF tokens), no Referer to others.
void add_security_headers(Response& r) {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("Pragma", "no-cache");
}

Response html(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    add_security_headers(r);
    return r;
}

// After a POST: the browser GETs the page (303), so a reload never repeats the action.
Response see_other(std::string location) {
    Response r;
    r.status = 303;
    r.headers.emplace_back("Location", std::move(location));
    add_security_headers(r);
    return r;
}

Response message_page(int status, const std::string& title, const std::string& message, const PageFrame* frame = nullptr) {
    PageFrame f = frame ? *frame : PageFrame{};
    f.title = title;
    return html(status, page(f, "<p class=\"error\">" + text(message) + "</p><p><a href=\"/easd-admin/\">Back</a></p>"));
}

std::string sign_in_form(const std::string& address, const std::string& error) {
    std::string out;
    if (!error.empty()) out += "<p class=\"error\">" + text(error) + "</p>";
    out += "<form method=\"post\" action=\"/easd-admin/login\"><fieldset>"
           "<label>Address <input name=\"address\" type=\"email\" autocomplete=\"username\" required value=\"" +
           text(address) + "\"></label>"
           "<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>"
           "<button type=\"submit\">Sign in</button></fieldset></form>"
           "<p>Sign in with your mail account. Administrators see the devices of their domains; everyone "
           "sees their own devices.</p>";
    return out;
}

Response sign_in_page(int status, const std::string& address = {}, const std::string& error = {}) {
    return html(status, page(PageFrame{"Sign in", {}, false, {}}, sign_in_form(address, error)));
}

PageFrame frame_for(const std::string& title, const store::User& user, const store::AdminRole& role,
                    const std::string& csrf) {
    return PageFrame{title, user.address, role.is_admin(), csrf};
}

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
    };
    return notices;
}

std::string notice_for(const std::string& key) {
    auto it = action_notices().find(key);
    return it == action_notices().end() ? std::string() : "<p class=\"notice\">" + text(it->second) + "</p>";
}

}  // namespace

Console::Console(store::Database& db, auth::LoginGuard& guard, ConsoleSettings settings)
    : db_(db), guard_(guard), settings_(settings) {}

Response Console::handle(const Request& request) {
    try {
        return route(request);
    } catch (const store::Unavailable& e) {
        EASD_LOG_ERROR("console: database unavailable: %s", e.what());
    } catch (const store::QueryError& e) {
        EASD_LOG_ERROR("console: database error: %s", e.what());
        if (!e.connection_lost()) return message_page(500, "Error", "Internal error.");
    } catch (const soci::soci_error& e) {
        EASD_LOG_ERROR("console: database error: %s", e.what());
        if (!store::is_connection_error(e)) return message_page(500, "Error", "Internal error.");
    } catch (const mailstore::MailUnavailable& e) {
        EASD_LOG_WARN("console: mail server unavailable: %s", e.what());
    } catch (const std::exception& e) {
        EASD_LOG_ERROR("console: internal error: %s", e.what());
        return message_page(500, "Error", "Internal error.");
    }
    Response r = message_page(503, "Unavailable", "The server cannot answer now; try again shortly.");
    r.headers.emplace_back("Retry-After", "30");
    return r;
}

Response Console::route(const Request& request) {
    if (request.path == kConsolePath) return see_other("/easd-admin/");
    const std::string rel = request.path.substr(kConsolePath.size());
    if (rel == "/console.css") {
        Response r;
        r.body = style_sheet();
        r.headers.emplace_back("Content-Type", "text/css; charset=utf-8");
        r.headers.emplace_back("X-Content-Type-Options", "nosniff");
        r.headers.emplace_back("Cache-Control", "max-age=3600");
        return r;
    }
    // Passwords and session cookies never travel in clear text; the front ends redirect plain
    // HTTP, and this holds where one is set up otherwise.
    if (!request.https) return message_page(403, "HTTPS only", "The console is served over HTTPS only.");
    const bool post = request.method == "POST";
    if (!post && request.method != "GET") {
        Response r = message_page(405, "Method not allowed", "Use GET or POST.");
        r.headers.emplace_back("Allow", "GET, POST");
        return r;
    }
    // The password check leases its own connection (and may wait for a slot): none held here.
    if (rel == "/login" && post) return sign_in(request);

    store::Database::Lease lease(db_);
    soci::session& sql = *lease;
    std::optional<Session> s = session_of(sql, request);
    if (!s) {
        if (post) return message_page(403, "Not signed in", "Your session has ended: sign in again.");
        if (rel == "/" || rel == "/login") return sign_in_page(200);
        return see_other("/easd-admin/");
    }
    if (post) {
        // Every form of a session carries its CSRF token: a POST without it, or with another, is
        // refused before anything is looked at.
        Params form = parse_params(request.body);
        if (!same_secret(param(form, "csrf"), s->csrf_token)) {
            PageFrame f = frame_for("Refused", s->user, s->role, s->csrf_token);
            return message_page(403, "Refused", "The form was not sent from this session's page (CSRF token missing or wrong); nothing was changed.", &f);
        }
    }
    if (rel == "/logout" && post) return sign_out(sql, request);
    if (rel == "/login") return see_other("/easd-admin/");
    if (rel == "/me") return post ? my_device_action(sql, *s, request) : my_devices(sql, *s, {}, {});
    if (rel == "/" && !post) return s->role.is_admin() ? device_list(sql, *s, request) : see_other("/easd-admin/me");
    if (rel == "/device" && s->role.is_admin()) {
        if (post) return device_action(sql, *s, request);
        return device_page(sql, *s, request, notice_for(param(parse_params(request.query), "done")));
    }
    PageFrame f = frame_for("Not found", s->user, s->role, s->csrf_token);
    return message_page(404, "Not found", "There is no such page.", &f);
}

std::optional<Console::Session> Console::session_of(soci::session& sql, const Request& request) {
    auto token = session_token_from(request.cookie);
    if (!token) return std::nullopt;
    std::string hash = token_hash(*token);
    auto row = store::use_console_session(sql, hash, settings_.idle_seconds);
    if (!row) return std::nullopt;
    auto user = store::find_user_by_id(sql, row->user_id);
    if (!user) return std::nullopt;
    // Read on every request: a role taken away counts at once.
    return Session{std::move(*user), store::admin_role_of(sql, row->user_id), std::move(row->csrf_token), std::move(hash)};
}

Response Console::sign_in(const Request& request) {
    Params form = parse_params(request.body);
    const std::string address = param(form, "address");
    const std::string password = param(form, "password");
    if (address.empty() || password.empty()) return sign_in_page(400, address, "Give your address and password.");
    // As a phone signs in: the mail store checks the password (the Dovecot store asks Dovecot), and
    // failures count under the account and the client's address, shared by every worker and host.
    auth::SignInAttempt attempt{protocol::normalize_login(address), password, request.remote_addr, {}};
    auth::SignIn result = guard_.sign_in(attempt);
    switch (result.outcome) {
        case auth::SignIn::Outcome::Accepted: break;
        case auth::SignIn::Outcome::Refused: return sign_in_page(401, address, "Wrong address or password.");
        case auth::SignIn::Outcome::Throttled: {
            Response r = sign_in_page(429, address,
                                      "Too many failed sign-ins: try again in " +
                                          std::to_string(result.retry_after_seconds) + " seconds.");
            r.headers.emplace_back("Retry-After", std::to_string(result.retry_after_seconds));
            return r;
        }
        case auth::SignIn::Outcome::Busy:
        case auth::SignIn::Outcome::Unavailable: {
            Response r = sign_in_page(503, address, "The password cannot be checked now: try again shortly.");
            r.headers.emplace_back("Retry-After", std::to_string(std::max(result.retry_after_seconds, 5)));
            return r;
        }
    }
    const std::string token = new_random_token();
    {
        store::Database::Lease sql(db_);
        store::create_console_session(*sql, token_hash(token), result.user->id, new_random_token(),
                                      settings_.absolute_seconds);
    }
    EASD_LOG_INFO("console: %s signed in from %s", result.user->address.c_str(), request.remote_addr.c_str());
    Response r = see_other("/easd-admin/");
    r.headers.emplace_back("Set-Cookie", session_cookie(token));
    return r;
}

Response Console::sign_out(soci::session& sql, const Request& request) {
    if (auto token = session_token_from(request.cookie)) store::end_console_session(sql, token_hash(*token));
    Response r = see_other("/easd-admin/");
    r.headers.emplace_back("Set-Cookie", session_cookie({}));
    return r;
}

Response Console::device_list(soci::session& sql, const Session& s, const Request& request) {
    Params q = parse_params(request.query);
    store::DevicePageQuery query;
    query.filter.domain = param(q, "domain");
    query.user_contains = param(q, "user");
    const std::string state = param(q, "state");
    if (state == "allowed" || state == "blocked" || state == "quarantined" || state == "wipe") query.state = state;
    const std::string sort = param(q, "sort");
    const auto& keys = store::device_sort_keys();
    query.sort = std::find(keys.begin(), keys.end(), sort) != keys.end() ? sort : "user";
    query.descending = param(q, "dir") == "desc";
    long long page_number = std::max(1LL, parse_id(param(q, "page")).value_or(1));
    query.limit = settings_.page_size;
    query.offset = (page_number - 1) * settings_.page_size;
    // A domain administrator sees the accounts of their domains only, whatever the filter says.
    query.scoped = !s.role.all_domains;
    query.domains = s.role.domains;

    std::string error;
    store::DevicePage found;
    try {
        found = store::list_devices_page(sql, query);
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
    for (const auto& c : kColumns) {
        const bool current = query.sort == c.key;
        const bool next_desc = current && !query.descending;
        out += "<th><a href=\"" + link(c.key, next_desc, 1) + "\">" + text(c.label) +
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
    const long long pages = std::max(1LL, (found.total + settings_.page_size - 1) / settings_.page_size);
    out += "<p class=\"pager\">";
    if (page_number > 1) out += "<a href=\"" + link(query.sort, query.descending, page_number - 1) + "\">Previous</a> ";
    out += "Page " + std::to_string(page_number) + " of " + std::to_string(pages);
    if (page_number < pages) out += " <a href=\"" + link(query.sort, query.descending, page_number + 1) + "\">Next</a>";
    out += "</p>";
    std::string scope = s.role.all_domains ? "every domain" : "domains " + [&] {
        std::string list;
        for (const auto& d : s.role.domains) list += (list.empty() ? "" : ", ") + d;
        return list;
    }();
    out = "<p>Administrator of " + text(scope) + ".</p>" + out;
    return html(200, page(frame_for("Devices", s.user, s.role, s.csrf_token), out));
}

namespace {

// The account a request names, when the signed-in administrator may see it; nullopt reads as 404
// (an id from another domain looks exactly like one that does not exist).
std::optional<store::User> visible_account(soci::session& sql, const store::AdminRole& role, const std::string& address) {
    if (address.empty()) return std::nullopt;
    auto user = store::find_user(sql, address);
    if (!user || !role.covers(user->domain)) return std::nullopt;
    return user;
}

void row(std::string& out, const char* label, const std::string& value) {
    out += "<dt>" + text(label) + "</dt><dd>" + text_or_dash(value) + "</dd>";
}

}  // namespace

Response Console::device_page(soci::session& sql, const Session& s, const Request& request, const std::string& notice) {
    Params q = parse_params(request.query);
    const std::string device_id = param(q, "id");
    auto user = visible_account(sql, s.role, param(q, "user"));
    PageFrame f = frame_for("Device", s.user, s.role, s.csrf_token);
    if (!user || device_id.empty()) return message_page(404, "Not found", "No such device.", &f);
    store::DeviceDetails details;
    try {
        details = store::show_device(sql, user->address, device_id);
    } catch (const store::InvalidRequest&) {
        return message_page(404, "Not found", "No such device.", &f);
    }
    const auto& d = details.device;
    std::string out = notice + "<dl>";
    row(out, "User", d.user);
    row(out, "Device ID", d.device_id);
    row(out, "Type", d.device_type);
    row(out, "Model", d.model);
    row(out, "Friendly name", d.friendly_name);
    row(out, "OS", d.os);
    row(out, "OS language", d.os_language);
    row(out, "IMEI", d.imei);
    row(out, "Phone number", d.phone_number);
    row(out, "Mobile operator", d.mobile_operator);
    row(out, "User agent", d.user_agent);
    row(out, "Protocol version", d.protocol_version);
    row(out, "Protocol log", d.protocol_log ? "on" : "off");
    row(out, "First seen", d.first_seen);
    row(out, "Last seen", d.last_seen);
    row(out, "First sync", d.first_sync);
    row(out, "Last sync", d.last_sync);
    row(out, "Access", store::to_string(d.access_state));
    row(out, "Access reason", d.access_reason);
    row(out, "Access override", d.access_override.empty() ? "none (the rules decide)" : d.access_override);
    row(out, "Policy status", d.policy_status);
    row(out, "Policy key", d.policy_key ? std::to_string(*d.policy_key) : "");
    row(out, "Provisioned at", d.provisioned_at);
    row(out, "Wipe status", store::wipe_status_text(d) + (d.wipe_account_only ? " (account only)" : ""));
    if (!d.wipe_requested_at.empty()) {
        row(out, "Wipe requested", d.wipe_requested_at + (d.wipe_requested_by.empty() ? "" : " by " + d.wipe_requested_by));
        row(out, "Wipe sent", d.wipe_sent_at);
        row(out, "Wiped at", d.wiped_at);
    }
    row(out, "FolderSync key", details.folder_sync ? details.folder_sync->current : "none (the next FolderSync starts from 0)");
    out += "</dl>";

    const std::vector<std::pair<std::string, std::string>> fields = {{"user", d.user}, {"id", d.device_id}};
    out += "<h2>Actions</h2><p>";
    if (d.wipe_status == "waiting") {
        out += action_button("/easd-admin/device", s.csrf_token, fields, "action", "cancel-wipe", "Cancel wipe");
    } else {
        out += action_button("/easd-admin/device", s.csrf_token, fields, "action", "wipe", "Wipe device", true);
        if (d.protocol_version == "16.1")
            out += action_button("/easd-admin/device", s.csrf_token, fields, "action", "wipe-account",
                                 "Wipe account only", true);
    }
    out += action_button("/easd-admin/device", s.csrf_token, fields, "action", "allow", "Allow");
    out += action_button("/easd-admin/device", s.csrf_token, fields, "action", "block", "Block");
    if (!d.access_override.empty())
        out += action_button("/easd-admin/device", s.csrf_token, fields, "action", "default", "Let the rules decide");
    out += "</p>";

    out += "<h2>Sync state</h2>";
    if (details.collections.empty()) {
        out += "<p>No collections.</p>";
    } else {
        out += "<table><thead><tr><th>Folder</th><th>Class</th><th>Sync key</th><th>Items on device</th></tr></thead><tbody>";
        for (const auto& c : details.collections)
            out += "<tr><td>" + text(c.folder_name) + "</td><td>" + text(c.item_class) + "</td><td>" + text(c.key.current) +
                   "</td><td>" + std::to_string(c.items_held) + "</td></tr>";
        out += "</tbody></table>";
    }
    f.title = "Device " + d.device_id;
    return html(200, page(f, out));
}

Response Console::device_action(soci::session& sql, const Session& s, const Request& request) {
    Params form = parse_params(request.body);
    const std::string device_id = param(form, "id");
    const std::string action = param(form, "action");
    PageFrame f = frame_for("Device", s.user, s.role, s.csrf_token);
    auto user = visible_account(sql, s.role, param(form, "user"));
    if (!user || device_id.empty()) return message_page(404, "Not found", "No such device.", &f);
    if (!action_notices().count(action)) return message_page(400, "Bad request", "Unknown action.", &f);
    try {
        store::find_device_row(sql, user->address, device_id);
    } catch (const store::InvalidRequest&) {
        return message_page(404, "Not found", "No such device.", &f);
    }
    // The same functions as `easctl device wipe|access`.
    try {
        if (action == "wipe" || action == "wipe-account")
            store::request_wipe(sql, user->address, device_id, action == "wipe-account", s.user.address);
        else if (action == "cancel-wipe")
            store::cancel_wipe(sql, user->address, device_id);
        else
            store::set_device_access_override(sql, user->address, device_id,
                                              action == "allow"   ? store::AccessOverride::allow
                                              : action == "block" ? store::AccessOverride::block
                                                                  : store::AccessOverride::none);
    } catch (const store::InvalidRequest& e) {
        return message_page(409, "Not done", e.what(), &f);
    }
    EASD_LOG_INFO("console: %s: %s of device %s of %s", s.user.address.c_str(), action.c_str(), device_id.c_str(),
                  user->address.c_str());
    return see_other("/easd-admin/device?user=" + url_value(user->address) + "&id=" + url_value(device_id) +
                     "&done=" + action);
}

Response Console::my_devices(soci::session& sql, const Session& s, const std::string& notice, const std::string& error) {
    store::DeviceFilter filter;
    filter.address = s.user.address;
    auto devices = store::list_devices(sql, filter);
    std::string out = notice;
    if (!error.empty()) out += "<p class=\"error\">" + text(error) + "</p>";
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
                out += action_button("/easd-admin/me", s.csrf_token, fields, "action", "cancel-wipe", "Cancel wipe");
            else
                out += action_button("/easd-admin/me", s.csrf_token, fields, "action", "wipe", "Wipe this device", true);
            out += "</td></tr>\n";
        }
        out += "</tbody></table>";
    }
    return html(200, page(frame_for("My devices", s.user, s.role, s.csrf_token), out));
}

Response Console::my_device_action(soci::session& sql, const Session& s, const Request& request) {
    Params form = parse_params(request.body);
    const std::string device_id = param(form, "id");
    const std::string action = param(form, "action");
    PageFrame f = frame_for("My devices", s.user, s.role, s.csrf_token);
    if (action != "wipe" && action != "cancel-wipe") return message_page(400, "Bad request", "Unknown action.", &f);
    // Only the account's own devices: the lookup is by the signed-in address, so another
    // account's DeviceId is simply not found.
    try {
        store::find_device_row(sql, s.user.address, device_id);
    } catch (const store::InvalidRequest&) {
        return message_page(404, "Not found", "No such device.", &f);
    }
    try {
        if (action == "wipe") store::request_wipe(sql, s.user.address, device_id, false, s.user.address);
        else store::cancel_wipe(sql, s.user.address, device_id);
    } catch (const store::InvalidRequest& e) {
        return my_devices(sql, s, {}, e.what());
    }
    EASD_LOG_INFO("console: %s: %s of their device %s", s.user.address.c_str(), action.c_str(), device_id.c_str());
    return see_other("/easd-admin/me");
}

}  // namespace easd::admin
