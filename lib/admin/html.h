// Server-rendered HTML for the web console: the page frame, escaping, links. Every value from the
// database or the request goes through text() (or attr()) before it reaches a page.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace easd::admin {

// Text safe in HTML text and in double-quoted attribute values (& < > " and ' as entities).
std::string text(std::string_view value);
// "-" for an empty value, else text(value).
std::string text_or_dash(std::string_view value);
// Percent-encoding of a query value (RFC 3986 unreserved characters stay).
std::string url_value(std::string_view value);
// "?a=1&b=x" from pairs (empty values left out), escaped for an href attribute.
std::string query_href(std::string_view path, const std::vector<std::pair<std::string, std::string>>& params);

// What every page carries besides its content.
struct PageFrame {
    std::string title;
    std::string signed_in_as;  // "" on the sign-in page
    bool is_admin = false;     // the nav links to the device list
    std::string csrf_token;    // for the sign-out form
};
std::string page(const PageFrame& frame, const std::string& content);

// A form that POSTs `fields` (hidden) and the CSRF token to `action` with one button.
std::string action_button(std::string_view action, const std::string& csrf_token,
                          const std::vector<std::pair<std::string, std::string>>& fields, std::string_view name,
                          std::string_view value, std::string_view label, bool dangerous = false);

// The console's style sheet (GET /easd-admin/console.css): a file of its own, since the
// Content-Security-Policy allows no inline style.
const std::string& style_sheet();

}  // namespace easd::admin
