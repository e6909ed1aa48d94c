#include "common/mutf7.h"

#include <cstdint>
#include <vector>

namespace easd {

namespace {

// RFC 3501's base64 alphabet: ',' instead of '/'.
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == ',') return 63;
    return -1;
}

// The next code point of UTF-8 text at `i` (advanced past it); U+FFFD for an invalid sequence
// (one byte consumed), overlong forms and surrogates included.
char32_t next_code_point(std::string_view s, std::size_t& i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char b = byte(i);
    if (b < 0x80) {
        ++i;
        return b;
    }
    int extra = -1;
    if (b >= 0xc2 && b <= 0xdf) extra = 1;
    else if (b >= 0xe0 && b <= 0xef) extra = 2;
    else if (b >= 0xf0 && b <= 0xf4) extra = 3;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size()) {
        ++i;
        return 0xfffd;
    }
    char32_t cp = b & (0x3f >> extra);
    for (int k = 1; k <= extra; ++k) {
        unsigned char c = byte(i + static_cast<std::size_t>(k));
        if ((c & 0xc0) != 0x80) {
            ++i;
            return 0xfffd;
        }
        cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        ++i;
        return 0xfffd;
    }
    i += static_cast<std::size_t>(extra) + 1;
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// One base64 run: UTF-16BE of the pending code units, no padding, between '&' and '-'.
void flush_run(std::string& out, std::vector<char16_t>& units) {
    if (units.empty()) return;
    out += '&';
    std::uint32_t bits = 0;
    int nbits = 0;
    for (char16_t u : units)
        for (int shift : {8, 0}) {
            bits = (bits << 8) | ((u >> shift) & 0xff);
            nbits += 8;
            while (nbits >= 6) {
                nbits -= 6;
                out += kAlphabet[(bits >> nbits) & 0x3f];
            }
        }
    if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3f];
    out += '-';
    units.clear();
}

}  // namespace

std::string encode_mutf7(std::string_view utf8, std::string_view also_encode) {
    std::string out;
    std::vector<char16_t> run;
    for (std::size_t i = 0; i < utf8.size();) {
        char32_t cp = next_code_point(utf8, i);
        bool printable = cp >= 0x20 && cp <= 0x7e;
        if (printable && also_encode.find(static_cast<char>(cp)) == std::string_view::npos) {
            flush_run(out, run);
            out += cp == '&' ? std::string("&-") : std::string(1, static_cast<char>(cp));
        } else if (cp >= 0x10000) {
            char32_t v = cp - 0x10000;
            run.push_back(static_cast<char16_t>(0xd800 + (v >> 10)));
            run.push_back(static_cast<char16_t>(0xdc00 + (v & 0x3ff)));
        } else {
            run.push_back(static_cast<char16_t>(cp));
        }
    }
    flush_run(out, run);
    return out;
}

std::optional<std::string> decode_mutf7(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        char c = s[i];
        if (c < 0x20 || c > 0x7e) return std::nullopt;
        if (c != '&') {
            out += c;
            ++i;
            continue;
        }
        std::size_t end = s.find('-', i + 1);
        if (end == std::string_view::npos) return std::nullopt;
        std::string_view run = s.substr(i + 1, end - i - 1);
        i = end + 1;
        if (run.empty()) {
            out += '&';
            continue;
        }
        std::vector<char16_t> units;
        std::uint32_t bits = 0;
        int nbits = 0;
        unsigned pending_byte = 0;
        bool have_byte = false;
        for (char r : run) {
            int v = base64_value(r);
            if (v < 0) return std::nullopt;
            bits = (bits << 6) | static_cast<std::uint32_t>(v);
            nbits += 6;
            if (nbits >= 8) {
                nbits -= 8;
                unsigned b = (bits >> nbits) & 0xff;
                if (have_byte) units.push_back(static_cast<char16_t>((pending_byte << 8) | b));
                else pending_byte = b;
                have_byte = !have_byte;
            }
        }
        // What is left must be padding: fewer than 6 zero bits, and no half code unit.
        if (have_byte || nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0) return std::nullopt;
        for (std::size_t k = 0; k < units.size(); ++k) {
            char32_t u = units[k];
            if (u >= 0xd800 && u <= 0xdbff) {
                if (k + 1 >= units.size() || units[k + 1] < 0xdc00 || units[k + 1] > 0xdfff) return std::nullopt;
                u = 0x10000 + ((u - 0xd800) << 10) + (units[++k] - 0xdc00);
            } else if (u >= 0xdc00 && u <= 0xdfff) {
                return std::nullopt;
            }
            append_utf8(out, u);
        }
    }
    return out;
}

}  // namespace easd
