// The pieces every console page uses (pages.h).
#include "admin/pages.h"

#include <algorithm>

#include "common/text.h"
#include "protocol/request.h"
#include "store/accounts.h"

namespace easd::admin {

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

long long page_number(const Params& p) {
    return std::min(1000000LL, parse_id(param(p, "page")).value_or(1));
}

// No framing, nothing but our own scripts and styles (console.js may fetch from here only), never cached (pages show devices and carry
// CSRF tokens), no Referer to others.
void add_security_headers(Response& r) {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; "
                           "form-action 'self'; "
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

Response see_other(std::string location) {
    Response r;
    r.status = 303;
    r.headers.emplace_back("Location", std::move(location));
    add_security_headers(r);
    return r;
}

Response message_page(int status, const std::string& title, const std::string& message, const PageFrame* frame) {
    PageFrame f = frame ? *frame : PageFrame{};
    f.title = title;
    return html(status, page(f, error_paragraph(message) + "<p><a href=\"/easd-admin/\">Back</a></p>"));
}

std::string notice_paragraph(const std::string& message) {
    return message.empty() ? std::string() : "<p class=\"notice\">" + text(message) + "</p>";
}

std::string error_paragraph(const std::string& message) {
    return message.empty() ? std::string() : "<p class=\"error\">" + text(message) + "</p>";
}

void detail_row(std::string& out, std::string_view label, const std::string& value) {
    out += "<dt>" + text(label) + "</dt><dd>" + text_or_dash(value) + "</dd>";
}

PageFrame PageContext::frame(const std::string& title) const {
    return PageFrame{title, session.user.address, session.role.is_admin(), session.csrf_token};
}

Response PageContext::page(const std::string& title, const std::string& content) const {
    return html(200, admin::page(frame(title), content));
}

Response PageContext::message(int status, const std::string& title, const std::string& message) const {
    PageFrame f = frame(title);
    return message_page(status, title, message, &f);
}

std::optional<store::User> visible_account(soci::session& sql, const store::AdminRole& role, const std::string& address) {
    if (address.empty()) return std::nullopt;
    auto user = store::find_user(sql, address);
    if (!user || !role.covers(user->domain)) return std::nullopt;
    return user;
}

}  // namespace easd::admin
