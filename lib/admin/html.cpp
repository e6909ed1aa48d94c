#include "admin/html.h"

#include <cstdio>

#include "common/text.h"

namespace easd::admin {

std::string text(std::string_view value) {
    // common/text.h's escape for & < > ", and ' too: an attribute someone quotes with ' stays safe.
    std::string escaped = escape_markup(value);
    std::string out;
    out.reserve(escaped.size());
    for (char c : escaped) {
        if (c == '\'') out += "&#39;";
        else out += c;
    }
    return out;
}

std::string text_or_dash(std::string_view value) { return value.empty() ? std::string("-") : text(value); }

std::string url_value(std::string_view value) {
    std::string out;
    for (unsigned char c : value) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

std::string query_href(std::string_view path, const std::vector<std::pair<std::string, std::string>>& params) {
    std::string href(path);
    char sep = '?';
    for (const auto& [name, value] : params) {
        if (value.empty()) continue;
        href += sep;
        href += name + "=" + url_value(value);
        sep = '&';
    }
    return text(href);
}

namespace {

// The navigation bar: every page a signed-in account may open from anywhere.
struct NavLink {
    const char* href;
    const char* label;
    bool admin_only;
};
const NavLink kNavigation[] = {
    {"/easd-admin/", "Devices", true},
    {"/easd-admin/me", "My devices", false},
    {"/easd-admin/policies", "Policies", true},
    {"/easd-admin/dashboard", "Dashboard", true},
    {"/easd-admin/quarantine", "Quarantine", true},
    {"/easd-admin/access", "Access rules", true},
    {"/easd-admin/users", "Users", true},
};

}  // namespace

std::string page(const PageFrame& frame, const std::string& content) {
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>" + text(frame.title) + " - easd</title>"
        "<link rel=\"stylesheet\" href=\"/easd-admin/console.css\"></head><body>\n<header><b>easd</b>";
    if (!frame.signed_in_as.empty()) {
        out += "<nav>";
        for (const auto& link : kNavigation)
            if (frame.is_admin || !link.admin_only)
                out += std::string("<a href=\"") + link.href + "\">" + link.label + "</a> ";
        out += "</nav>";
        out += "<span class=\"who\">" + text(frame.signed_in_as) + "</span>";
        out += "<form method=\"post\" action=\"/easd-admin/logout\" class=\"inline\">"
               "<input type=\"hidden\" name=\"csrf\" value=\"" + text(frame.csrf_token) + "\">"
               "<button type=\"submit\">Sign out</button></form>";
    }
    out += "</header>\n<main>\n<h1>" + text(frame.title) + "</h1>\n" + content + "\n</main></body></html>\n";
    return out;
}

std::string action_button(std::string_view action, const std::string& csrf_token,
                          const std::vector<std::pair<std::string, std::string>>& fields, std::string_view name,
                          std::string_view value, std::string_view label, bool dangerous) {
    std::string out = "<form method=\"post\" action=\"" + text(action) + "\" class=\"inline\">";
    out += "<input type=\"hidden\" name=\"csrf\" value=\"" + text(csrf_token) + "\">";
    for (const auto& [n, v] : fields)
        out += "<input type=\"hidden\" name=\"" + text(n) + "\" value=\"" + text(v) + "\">";
    out += "<button type=\"submit\" name=\"" + text(name) + "\" value=\"" + text(value) + "\"" +
           (dangerous ? " class=\"danger\"" : "") + ">" + text(label) + "</button></form>";
    return out;
}

const std::string& style_sheet() {
    static const std::string css =
        "body{font-family:system-ui,sans-serif;margin:0;color:#222}"
        "header{display:flex;gap:1em;align-items:center;padding:.5em 1em;background:#234;color:#fff}"
        "header a{color:#fff}header nav{flex:1}header .who{opacity:.8}"
        "main{padding:1em}table{border-collapse:collapse;font-size:.9em}"
        "th,td{border-bottom:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}"
        "th a{color:inherit}form.inline{display:inline;margin-right:.3em}"
        "button.danger{color:#fff;background:#b22;border:1px solid #911}"
        ".notice{padding:.5em;background:#efe;border:1px solid #9c9}.error{padding:.5em;background:#fee;border:1px solid #c99}"
        "dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}"
        "tr.unenforced td.value,tr.unenforced td.own{color:#999}"
        "fieldset{border:none;padding:0;margin:0 0 1em}label{margin-right:.5em}\n";
    return css;
}

}  // namespace easd::admin
