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

namespace easd::admin {

// The first value of each name in a query string or form body; nothing for one that is malformed.
using Params = std::map<std::string, std::string>;
Params parse_params(std::string_view text);
std::string param(const Params& p, const std::string& name);

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

}  // namespace easd::admin
