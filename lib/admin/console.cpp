#include "admin/console.h"

#include <algorithm>

#include "admin/login_csrf.h"
#include "admin/pages.h"
#include "admin/session_token.h"
#include "common/log.h"
#include "protocol/request.h"
#include "store/console_sessions.h"
#include "store/pq.h"

namespace easd::admin {

bool is_console_path(std::string_view path) {
    return path == kConsolePath || (path.size() > kConsolePath.size() && path.substr(0, kConsolePath.size()) == kConsolePath &&
                                    path[kConsolePath.size()] == '/');
}

namespace {

std::string sign_in_form(const std::string& address, const std::string& error) {
    std::string out = error_paragraph(error);
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
    Response r = html(status, page(PageFrame{"Sign in", {}, false, {}}, sign_in_form(address, error)));
    // Under no-referrer a browser sends "Origin: null" with the form's POST; same-origin still
    // sends nothing to others, and lets a browser without Sec-Fetch-Site name the page's origin
    // for the login-CSRF check (login_csrf.h).
    for (auto& [name, value] : r.headers)
        if (name == "Referrer-Policy") value = "same-origin";
    return r;
}

// Who may open a page: every signed-in account, or administrators (of every domain or of some;
// each page narrows what a domain administrator sees to their domains).
enum class Who { anyone, admin };

// The console's pages: the path under /easd-admin, who may open it, and its handlers for GET and
// POST (none: 404). A POST reaches its handler only with the session's CSRF token.
struct Route {
    std::string_view path;
    Who who;
    Response (*get)(const PageContext&);
    Response (*post)(const PageContext&);
};
const Route kRoutes[] = {
    {"/", Who::admin, device_list, nullptr},
    {"/device", Who::admin, device_page, device_action},
    {"/me", Who::anyone, my_devices, my_device_action},
    {"/policies", Who::admin, policies_page, policies_action},
    {"/dashboard", Who::admin, dashboard_page, nullptr},
    {"/live.json", Who::admin, live_json, nullptr},
    {"/me/oof", Who::anyone, nullptr, my_oof_action},
    {"/access", Who::admin, access_page, access_action},
    {"/quarantine", Who::admin, quarantine_page, quarantine_action},
    {"/users", Who::admin, user_list, nullptr},
    {"/user", Who::admin, user_page, user_action},
    {"/user/oof", Who::admin, nullptr, user_oof_action},
};

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
    if (rel == "/console.js") {
        // A file of its own: the Content-Security-Policy allows scripts from this server only.
        Response r;
        r.body = console_script();
        r.headers.emplace_back("Content-Type", "application/javascript; charset=utf-8");
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
    std::optional<ConsoleSession> s = session_of(sql, request);
    if (!s) {
        if (post) return message_page(403, "Not signed in", "Your session has ended: sign in again.");
        if (rel == "/" || rel == "/login") return sign_in_page(200);
        return see_other("/easd-admin/");
    }
    const Params form = post ? parse_params(request.body) : Params{};
    if (post) {
        // Every form of a session carries its CSRF token: a POST without it, or with another, is
        // refused before anything is looked at.
        if (!same_secret(param(form, "csrf"), s->csrf_token)) {
            PageFrame f{"Refused", s->user.address, s->role.is_admin(), s->csrf_token};
            return message_page(403, "Refused", "The form was not sent from this session's page (CSRF token missing or wrong); nothing was changed.", &f);
        }
    }
    if (rel == "/logout" && post) return sign_out(sql, request);
    if (rel == "/login") return see_other("/easd-admin/");
    // An account without a role has the self-service page as its start page.
    if (rel == "/" && !s->role.is_admin()) return see_other("/easd-admin/me");

    const Params query = parse_params(request.query);
    const PageContext context{sql, *s, request, query, form, settings_};
    for (const auto& route : kRoutes) {
        if (rel != route.path) continue;
        if (route.who == Who::admin && !s->role.is_admin()) break;  // 404: the page is not theirs
        auto handler = post ? route.post : route.get;
        if (!handler) break;
        return handler(context);
    }
    return context.message(404, "Not found", "There is no such page.");
}

std::optional<ConsoleSession> Console::session_of(soci::session& sql, const Request& request) {
    auto token = session_token_from(request.cookie);
    if (!token) return std::nullopt;
    std::string hash = token_hash(*token);
    auto row = store::use_console_session(sql, hash, settings_.idle_seconds);
    if (!row) return std::nullopt;
    auto user = store::find_user_by_id(sql, row->user_id);
    if (!user) return std::nullopt;
    // Read on every request: a role taken away counts at once.
    return ConsoleSession{std::move(*user), store::admin_role_of(sql, row->user_id), std::move(row->csrf_token), std::move(hash)};
}

Response Console::sign_in(const Request& request) {
    // Before anything is read: a sign-in posted from another site's page makes no session.
    if (cross_site_request(request)) {
        EASD_LOG_WARN("console: cross-site sign-in refused (Origin '%s', Sec-Fetch-Site '%s', Host '%s') from %s",
                      request.origin.c_str(), request.sec_fetch_site.c_str(), request.host.c_str(),
                      request.remote_addr.c_str());
        return sign_in_page(403, {}, "The sign-in form was not sent from this server's page; nobody was signed in.");
    }
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

}  // namespace easd::admin
