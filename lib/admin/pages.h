// What the console's pages share, and the pages themselves. Each page (or group of pages on one
// subject) has a file of its own: devices_page.cpp, self_service_page.cpp, ...; console.cpp signs
// people in, finds the session, checks the CSRF token and sends the request to a page through its
// table of routes. A page gets a PageContext and returns the whole answer; it never throws for bad
// input (that is a 4xx page), and database errors reach Console::handle, which answers 503 or 500.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <soci/soci.h>

#include "admin/console.h"
#include "admin/html.h"
#include "admin/http.h"
#include "store/accounts.h"
#include "store/admin_roles.h"
#include "store/oof.h"

namespace easd::admin {

// The first value of each name in a query string or form body; nothing for one that is malformed.
using Params = std::map<std::string, std::string>;
Params parse_params(std::string_view text);
std::string param(const Params& p, const std::string& name);
// The page number of a paged list ("page", from 1); at most a million, so that the offset
// (page - 1) * page size cannot overflow, however large a number the query gives.
long long page_number(const Params& p);

// The headers of every console answer (no framing, self-only content, never cached, no Referer).
void add_security_headers(Response& r);
Response html(int status, std::string body);
// After a POST: the browser GETs the page (303), so a reload never repeats the action.
Response see_other(std::string location);
Response message_page(int status, const std::string& title, const std::string& message,
                      const PageFrame* frame = nullptr);
// <p class="notice">…</p> and <p class="error">…</p>, escaped; "" for an empty message.
std::string notice_paragraph(const std::string& message);
std::string error_paragraph(const std::string& message);
// <dt>label</dt><dd>value or -</dd>, for the detail lists (<dl>) of a page.
void detail_row(std::string& out, std::string_view label, const std::string& value);

// The signed-in account of a request: read on every request, so a role taken away counts at once.
struct ConsoleSession {
    store::User user;
    store::AdminRole role;
    std::string csrf_token;
    std::string token_hash;
};

// Everything a page handler needs. `form` is the parsed body of a POST whose CSRF token has been
// checked already (empty for a GET).
struct PageContext {
    soci::session& sql;
    const ConsoleSession& session;
    const Request& request;
    const Params& query;
    const Params& form;
    const ConsoleSettings& settings;

    PageFrame frame(const std::string& title) const;
    // A 200 page with the frame of `title` around `content`.
    Response page(const std::string& title, const std::string& content) const;
    // A message page in this session's frame (404, 400, 409 ...).
    Response message(int status, const std::string& title, const std::string& message) const;
};

// The account a request names, when the signed-in administrator may see it; nullopt reads as 404
// (an account of another domain looks exactly like one that does not exist).
std::optional<store::User> visible_account(soci::session& sql, const store::AdminRole& role, const std::string& address);

// devices_page.cpp: the device list (/), one device (/device) and its actions.
Response device_list(const PageContext& c);
Response device_page(const PageContext& c);
Response device_action(const PageContext& c);

// self_service_page.cpp: /me, every account's own devices.
Response my_devices(const PageContext& c);
Response my_device_action(const PageContext& c);

// policies_page.cpp: /policies, the security policy at one level (global, domain, user, device).
Response policies_page(const PageContext& c);
Response policies_action(const PageContext& c);
// dashboard_page.cpp: /dashboard, the live figures of every easd process (store::read_live, as
// `easctl stats`), /live.json (the same as JSON, polled by console.js) and console.js itself.
// Administrators of every domain only: the figures name users of every domain.
Response dashboard_page(const PageContext& c);
Response live_json(const PageContext& c);
const std::string& console_script();
// access_page.cpp: /access (server-wide settings and device access rules; changed by
// administrators of every domain only) and /quarantine (the devices waiting for an administrator).
Response access_page(const PageContext& c);
Response access_action(const PageContext& c);
Response quarantine_page(const PageContext& c);
Response quarantine_action(const PageContext& c);

// users_page.cpp: /users (the accounts), /user (one account and its actions), /user/oof.
Response user_list(const PageContext& c);
Response user_page(const PageContext& c);
Response user_action(const PageContext& c);
Response user_oof_action(const PageContext& c);

// oof_form.cpp: the Out of Office form of /user and /me, and /me/oof (an account's own).
// "on", "off", "scheduled from … to …".
std::string oof_summary(const store::OofSettings& s);
// The form, POSTing `fields` (hidden), the CSRF token and the settings to `action`.
std::string oof_form(const store::OofSettings& s, const std::string& action, const std::string& csrf_token,
                     const std::vector<std::pair<std::string, std::string>>& fields);
// Applies a sent form to `s`; "" when valid, else what is wrong (and `s` is not to be saved).
std::string apply_oof_form(const Params& form, store::OofSettings& s);
// Saves the sent form as `user`'s Out of Office and redirects to `back`; 400 for a bad form.
Response save_oof_form(const PageContext& c, const store::User& user, const std::string& back);
Response my_oof_action(const PageContext& c);

}  // namespace easd::admin
