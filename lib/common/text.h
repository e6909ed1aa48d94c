// Small ASCII text helpers the parsers share (protocol headers and queries, MIME, policy text).
// ASCII only on purpose: these compare protocol tokens and names, never user text.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

namespace easd {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Equal ignoring ASCII case.
constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

// Without leading and trailing spaces, tabs, CR and LF.
constexpr std::string_view trim(std::string_view s) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

// A copy in ASCII lower case.
inline std::string to_lower_ascii(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = ascii_lower(c);
    return out;
}

// The whole of `s` as a decimal integer (an optional '-', no spaces, no '+'); nullopt otherwise.
inline std::optional<long long> parse_decimal(std::string_view s) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// A positive decimal id (ServerId, CollectionId, folder and item ids as clients send them).
inline std::optional<long long> parse_id(std::string_view s) {
    auto v = parse_decimal(s);
    if (!v || *v <= 0) return std::nullopt;
    return v;
}

// `text` with & < > " as entities: safe inside XML or HTML text and attribute values.
inline std::string escape_markup(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace easd
