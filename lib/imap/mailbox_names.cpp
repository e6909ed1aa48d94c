// Modified UTF-7 mailbox names (RFC 3501 5.1.3) and UID sets.
#include <algorithm>

#include "imap/imap_client.h"

namespace easd::imap {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int alphabet_index(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == ',') return 63;
    return -1;
}

// The next code point of UTF-8 text; invalid bytes become U+FFFD.
char32_t next_code_point(std::string_view s, std::size_t& i) {
    auto b = static_cast<unsigned char>(s[i++]);
    if (b < 0x80) return b;
    int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : -1;
    if (extra < 0 || b >= 0xF8) return 0xFFFD;
    char32_t cp = b & (0x3F >> extra);
    for (int k = 0; k < extra; ++k) {
        if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0xFFFD;
        cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
    }
    return cp > 0x10FFFF ? 0xFFFD : cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// UTF-16 units as modified base64 between '&' and '-'.
void flush_shifted(std::string& out, std::vector<std::uint16_t>& units) {
    if (units.empty()) return;
    out.push_back('&');
    std::uint32_t bits = 0;
    int nbits = 0;
    for (std::uint16_t u : units) {
        for (int byte : {u >> 8, u & 0xFF}) {
            bits = (bits << 8) | static_cast<std::uint32_t>(byte);
            nbits += 8;
            while (nbits >= 6) {
                nbits -= 6;
                out.push_back(kAlphabet[(bits >> nbits) & 0x3F]);
            }
        }
    }
    if (nbits > 0) out.push_back(kAlphabet[(bits << (6 - nbits)) & 0x3F]);
    out.push_back('-');
    units.clear();
}

}  // namespace

std::string encode_mailbox_name(std::string_view utf8) {
    std::string out;
    std::vector<std::uint16_t> shifted;
    for (std::size_t i = 0; i < utf8.size();) {
        char32_t cp = next_code_point(utf8, i);
        if (cp >= 0x20 && cp <= 0x7E) {
            flush_shifted(out, shifted);
            if (cp == '&') out += "&-";
            else out.push_back(static_cast<char>(cp));
        } else if (cp >= 0x10000) {
            char32_t v = cp - 0x10000;
            shifted.push_back(static_cast<std::uint16_t>(0xD800 + (v >> 10)));
            shifted.push_back(static_cast<std::uint16_t>(0xDC00 + (v & 0x3FF)));
        } else {
            shifted.push_back(static_cast<std::uint16_t>(cp));
        }
    }
    flush_shifted(out, shifted);
    return out;
}

std::optional<std::string> decode_mailbox_name(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size();) {
        char c = in[i];
        if (c != '&') {
            out.push_back(c);  // printable ASCII; raw 8-bit bytes from a lenient server pass through
            ++i;
            continue;
        }
        std::size_t end = in.find('-', i + 1);
        if (end == std::string_view::npos) return std::nullopt;
        if (end == i + 1) {
            out.push_back('&');
            i = end + 1;
            continue;
        }
        std::uint32_t bits = 0;
        int nbits = 0;
        std::vector<std::uint16_t> units;
        std::uint32_t pending = 0;
        int pending_bytes = 0;
        for (std::size_t k = i + 1; k < end; ++k) {
            int v = alphabet_index(in[k]);
            if (v < 0) return std::nullopt;
            bits = (bits << 6) | static_cast<std::uint32_t>(v);
            nbits += 6;
            if (nbits >= 8) {
                nbits -= 8;
                pending = (pending << 8) | ((bits >> nbits) & 0xFF);
                if (++pending_bytes == 2) {
                    units.push_back(static_cast<std::uint16_t>(pending));
                    pending = 0;
                    pending_bytes = 0;
                }
            }
        }
        // Leftover bits must be zero padding, and whole UTF-16 units only.
        if (pending_bytes != 0 || nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0 || units.empty()) return std::nullopt;
        for (std::size_t k = 0; k < units.size(); ++k) {
            char32_t u = units[k];
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (k + 1 >= units.size() || units[k + 1] < 0xDC00 || units[k + 1] > 0xDFFF) return std::nullopt;
                u = 0x10000 + ((u - 0xD800) << 10) + (units[++k] - 0xDC00);
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                return std::nullopt;
            }
            append_utf8(out, u);
        }
        i = end + 1;
    }
    return out;
}

std::string uid_set(std::vector<std::uint32_t> uids) {
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    std::string out;
    for (std::size_t i = 0; i < uids.size();) {
        std::size_t j = i;
        while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
        if (!out.empty()) out.push_back(',');
        out += std::to_string(uids[i]);
        if (j > i) out += ":" + std::to_string(uids[j]);
        i = j + 1;
    }
    return out;
}

std::optional<std::vector<std::uint32_t>> parse_uid_set(std::string_view set) {
    constexpr std::uint64_t kMaxExpanded = 10'000'000;  // a set names at most this many UIDs
    std::vector<std::uint32_t> out;
    auto number = [](std::string_view s) -> std::optional<std::uint32_t> {
        if (s.empty() || s.size() > 10) return std::nullopt;
        std::uint64_t n = 0;
        for (char c : s) {
            if (c < '0' || c > '9') return std::nullopt;
            n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (n == 0 || n > 0xFFFFFFFFu) return std::nullopt;
        return static_cast<std::uint32_t>(n);
    };
    if (set.empty()) return std::nullopt;
    std::size_t pos = 0;
    while (pos <= set.size()) {
        std::size_t comma = set.find(',', pos);
        if (comma == std::string_view::npos) comma = set.size();
        std::string_view part = set.substr(pos, comma - pos);
        std::size_t colon = part.find(':');
        auto a = number(part.substr(0, colon));
        auto b = colon == std::string_view::npos ? a : number(part.substr(colon + 1));
        if (!a || !b) return std::nullopt;
        std::uint32_t lo = std::min(*a, *b), hi = std::max(*a, *b);
        if (out.size() + (static_cast<std::uint64_t>(hi) - lo + 1) > kMaxExpanded) return std::nullopt;
        for (std::uint64_t u = lo; u <= hi; ++u) out.push_back(static_cast<std::uint32_t>(u));
        pos = comma + 1;
    }
    return out;
}

}  // namespace easd::imap
