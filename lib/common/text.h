// Small ASCII text helpers the parsers share (protocol headers and queries, MIME, policy text).
// ASCII only on purpose: these compare protocol tokens and names, never user text (except
// is_valid_utf8, which only says whether text is UTF-8 at all).
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

// Well-formed UTF-8 (RFC 3629): no overlong forms, surrogates or values past U+10FFFF. What
// PostgreSQL and an XML reader accept as UTF-8 text; NUL is valid here (PostgreSQL refuses it).
constexpr bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        unsigned long cp = len == 1 ? c : len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
        for (std::size_t k = 1; k < len; ++k) {
            unsigned char cc = static_cast<unsigned char>(s[i + k]);
            if ((cc >> 6) != 0x2) return false;
            cp = (cp << 6) | (cc & 0x3fu);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
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
