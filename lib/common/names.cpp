#include "common/names.h"

#include <idn2.h>

#include <cstdlib>
#include <memory>

#include "common/text.h"

namespace easd {
namespace {

bool fail(std::string* why, std::string reason) {
    if (why) *why = std::move(reason);
    return false;
}

bool is_ascii(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

bool is_ldh(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// `name` is lower-case ASCII here.
bool valid_ascii_domain(std::string_view name, std::string* why) {
    if (name.empty()) return fail(why, "empty");
    if (name.size() > 253) return fail(why, "longer than 253 characters");
    std::size_t labels = 0;
    std::string_view last;
    for (std::string_view rest = name;;) {
        std::size_t dot = rest.find('.');
        std::string_view label = rest.substr(0, dot);
        if (label.empty())
            return fail(why, name.front() == '.'  ? "begins with a dot"
                             : name.back() == '.' ? "ends with a dot"
                                                  : "two dots in a row");
        if (label.size() > 63) return fail(why, "a label longer than 63 characters");
        for (char c : label)
            if (!is_ldh(c))
                return fail(why, (c > 0x20 && c < 0x7f ? std::string("'") + c + "'" : std::string("a space or control character")) +
                                     " in a label (letters, digits and '-' only)");
        if (label.front() == '-' || label.back() == '-') return fail(why, "a label beginning or ending with '-'");
        ++labels;
        last = label;
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    if (labels < 2) return fail(why, "a single label (a domain has at least two, as example.com)");
    if (last.find_first_not_of("0123456789") == std::string_view::npos) return fail(why, "an IP address");
    return true;
}

bool is_atext(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    if (c >= 0x80) return true;  // UTF-8 (RFC 6532); checked as a whole below
    for (const char* p = "!#$%&'*+-/=?^_`{|}~"; *p; ++p)
        if (c == static_cast<unsigned char>(*p)) return true;
    return false;
}

}  // namespace

std::optional<std::string> normalize_domain_name(std::string_view name, std::string* why) {
    std::string ascii;
    if (is_ascii(name)) {
        ascii = to_lower_ascii(name);
    } else {
        if (!is_valid_utf8(name)) {
            fail(why, "not UTF-8");
            return std::nullopt;
        }
        std::string input(name);
        char* out = nullptr;
        int rc = idn2_to_ascii_8z(input.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        std::unique_ptr<char, void (*)(void*)> owned(out, idn2_free);
        if (rc != IDN2_OK || !out) {
            fail(why, std::string("no internationalized domain name: ") + idn2_strerror(rc));
            return std::nullopt;
        }
        ascii = to_lower_ascii(out);
    }
    if (!valid_ascii_domain(ascii, why)) return std::nullopt;
    return ascii;
}

bool valid_local_part(std::string_view local, std::string* why) {
    if (local.empty()) return fail(why, "the local part is empty");
    if (local.size() > 64) return fail(why, "the local part is longer than 64 octets");
    if (local.front() == '-') return fail(why, "the local part begins with '-'");
    if (local.front() == '.' || local.back() == '.') return fail(why, "the local part begins or ends with a dot");
    if (local.find("..") != std::string_view::npos) return fail(why, "the local part has two dots in a row");
    for (char ch : local) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '.') continue;
        if (!is_atext(c)) {
            if (c < 0x20 || c == 0x7f) return fail(why, "the local part holds a control character");
            if (c == ' ') return fail(why, "the local part holds a space");
            return fail(why, std::string("the local part holds '") + ch + "'");
        }
    }
    if (!is_valid_utf8(local)) return fail(why, "the local part is not UTF-8");
    return true;
}

std::optional<std::string> normalize_new_address(std::string_view address, std::string* why) {
    std::size_t at = address.rfind('@');
    if (at == std::string_view::npos) {
        fail(why, "no '@'");
        return std::nullopt;
    }
    std::string_view local = address.substr(0, at);
    if (local.find('@') != std::string_view::npos) {
        fail(why, "more than one '@'");
        return std::nullopt;
    }
    if (!valid_local_part(local, why)) return std::nullopt;
    std::string domain_why;
    auto domain = normalize_domain_name(address.substr(at + 1), &domain_why);
    if (!domain) {
        fail(why, "the domain: " + domain_why);
        return std::nullopt;
    }
    return to_lower_ascii(local) + "@" + *domain;
}

}  // namespace easd
