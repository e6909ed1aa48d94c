// MS-ASHTTP request parsing: the plain and base64 query forms (MS-ASHTTP 2.2.1.1.1), versions,
// HTTP Basic credentials. Every read is bounds-checked; every rejection has a one-line reason.
#include "protocol/request.h"

#include <array>
#include <cstdio>

#include "common/text.h"

namespace easd::protocol {

namespace {

void set_error(std::string* error, std::string msg) {
    if (error) *error = std::move(msg);
}

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Control characters (C0 and DEL) never belong in a query parameter or a login; bytes >= 0x80 do.
bool has_ctl(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

// Control characters, or bytes that are not UTF-8: a value easd uses (a login, an id, a name)
// must be text the database and the XML of logs take. (User= is informational and only kept.)
bool bad_text(std::string_view s) { return has_ctl(s) || !is_valid_utf8(s); }

// DeviceId characters: the HTTP token characters (RFC 9110 tchar) without '%', '&' and '\''.
// MS-ASHTTP's ABNF says 1*32(ALPHA / DIGIT); real devices also use '-', '_' and '.'.
bool is_device_id_char(char c) {
    if (is_alpha(c) || is_digit(c)) return true;
    switch (c) {
    case '!': case '#': case '$': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

bool valid_device_id(std::string_view s, std::string* error) {
    if (s.empty()) { set_error(error, "DeviceId is empty"); return false; }
    if (s.size() > 32) { set_error(error, "DeviceId is longer than 32 characters"); return false; }
    for (char c : s)
        if (!is_device_id_char(c)) { set_error(error, "DeviceId contains an invalid character"); return false; }
    return true;
}

bool valid_device_type(std::string_view s, std::string* error) {
    if (s.empty()) { set_error(error, "DeviceType is empty"); return false; }
    if (s.size() > 32) { set_error(error, "DeviceType is longer than 32 characters"); return false; }
    for (unsigned char c : s)
        if (c < 0x20 || c > 0x7e) { set_error(error, "DeviceType contains a non-printable character"); return false; }
    return true;
}

struct CommandEntry {
    int code;
    std::string_view name;
};

// MS-ASHTTP 2.2.1.1.1.1.2. Codes 5..8 are not assigned in current versions of the spec.
constexpr std::array<CommandEntry, 20> kCommands{{
    {0, "Sync"},
    {1, "SendMail"},
    {2, "SmartForward"},
    {3, "SmartReply"},
    {4, "GetAttachment"},
    {9, "FolderSync"},
    {10, "FolderCreate"},
    {11, "FolderDelete"},
    {12, "FolderUpdate"},
    {13, "MoveItems"},
    {14, "GetItemEstimate"},
    {15, "MeetingResponse"},
    {16, "Search"},
    {17, "Settings"},
    {18, "Ping"},
    {19, "ItemOperations"},
    {20, "Provision"},
    {21, "ResolveRecipients"},
    {22, "ValidateCert"},
    {23, "Find"},
}};

constexpr std::array<ProtocolVersion, 7> kVersions{25, 120, 121, 140, 141, 160, 161};

// ---- base64 ------------------------------------------------------------------------------

constexpr char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct B64DecodeTable {
    std::array<uint8_t, 256> v{};
    constexpr B64DecodeTable() {
        for (auto& x : v) x = 0xff;
        for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(kB64Alphabet[i])] = static_cast<uint8_t>(i);
    }
};
constexpr B64DecodeTable kB64Decode{};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decoding of one query component; plus_is_space for form-style values.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return std::nullopt;
            int hi = hex_value(in[i + 1]);
            int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string hex_upper(std::string_view bytes) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 0x0f]);
    }
    return out;
}

bool all_printable_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x21 || c > 0x7e) return false;
    return true;
}

// Bit flags for detecting repeated parameters.
enum : unsigned {
    kSeenCmd = 1u << 0, kSeenUser = 1u << 1, kSeenDeviceId = 1u << 2, kSeenDeviceType = 1u << 3,
    kSeenAttachmentName = 1u << 4, kSeenCollectionId = 1u << 5, kSeenItemId = 1u << 6,
    kSeenLongId = 1u << 7, kSeenOccurrence = 1u << 8, kSeenSaveInSent = 1u << 9,
    kSeenAcceptMultiPart = 1u << 10, kSeenOptions = 1u << 11,
};

bool mark_seen(unsigned& seen, unsigned bit, std::string_view name, std::string* error) {
    if (seen & bit) {
        set_error(error, "parameter " + std::string(name) + " given twice");
        return false;
    }
    seen |= bit;
    return true;
}

std::optional<bool> parse_tf(std::string_view v) {
    if (v.size() != 1) return std::nullopt;
    char c = ascii_lower(v[0]);
    if (c == 't') return true;
    if (c == 'f') return false;
    return std::nullopt;
}

// Names of the plain form, lower-case.
constexpr std::array<std::string_view, 11> kPlainNames{
    "cmd", "user", "deviceid", "devicetype", "attachmentname", "collectionid",
    "itemid", "longid", "occurrence", "saveinsent", "acceptmultipart"};

bool looks_plain(std::string_view q) {
    if (q.find('&') != std::string_view::npos) return true;
    auto eq = q.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view name = q.substr(0, eq);
    for (auto n : kPlainNames)
        if (iequals(name, n)) return true;
    // "x=y" with text after '=' cannot be base64 (padding only ends the string).
    for (std::size_t i = eq; i < q.size(); ++i)
        if (q[i] != '=') return true;
    return false;
}

// Calls f(name, value) with each name=value pair of a plain-form query, as sent (not decoded),
// until f returns true. Pairs without '=' are skipped.
template <typename F>
void each_plain_pair(std::string_view query_string, F f) {
    for (std::size_t pos = 0; pos < query_string.size();) {
        std::size_t amp = query_string.find('&', pos);
        if (amp == std::string_view::npos) amp = query_string.size();
        std::string_view pair = query_string.substr(pos, amp - pos);
        pos = amp + 1;
        std::size_t eq = pair.find('=');
        if (eq != std::string_view::npos && f(pair.substr(0, eq), pair.substr(eq + 1))) return;
    }
}

bool finish_common(EasQuery& q, std::string* error) {
    if (q.cmd.empty()) { set_error(error, "missing Cmd"); return false; }
    if (q.device_id.empty()) { set_error(error, "missing DeviceId"); return false; }
    return valid_device_id(q.device_id, error);
}

std::optional<EasQuery> parse_plain(std::string_view qs, std::string* error) {
    EasQuery q;
    unsigned seen = 0;
    std::size_t pos = 0;
    while (pos <= qs.size()) {
        std::size_t amp = qs.find('&', pos);
        if (amp == std::string_view::npos) amp = qs.size();
        std::string_view seg = qs.substr(pos, amp - pos);
        pos = amp + 1;
        if (seg.empty()) continue;  // "a=1&&b=2", trailing '&'
        std::size_t eq = seg.find('=');
        if (eq == std::string_view::npos) {
            set_error(error, "query parameter without '='");
            return std::nullopt;
        }
        auto name = percent_decode(seg.substr(0, eq), true);
        auto value = percent_decode(seg.substr(eq + 1), true);
        if (!name || !value) {
            set_error(error, "invalid percent-encoding in query");
            return std::nullopt;
        }
        const std::string& n = *name;
        std::string& v = *value;
        if (iequals(n, "Cmd")) {
            if (!mark_seen(seen, kSeenCmd, "Cmd", error)) return std::nullopt;
            if (v.empty()) { set_error(error, "Cmd is empty"); return std::nullopt; }
            for (char c : v)
                if (!is_alpha(c)) { set_error(error, "Cmd contains a non-letter"); return std::nullopt; }
            if (v.size() > 64) { set_error(error, "Cmd is too long"); return std::nullopt; }
            // Canonical spelling for the commands we know; others stay as sent (the dispatcher
            // answers them as unknown).
            q.cmd = v;
            for (const auto& e : kCommands)
                if (iequals(v, e.name)) { q.cmd = std::string(e.name); break; }
        } else if (iequals(n, "User")) {
            if (!mark_seen(seen, kSeenUser, "User", error)) return std::nullopt;
            if (has_ctl(v)) { set_error(error, "User contains a control character"); return std::nullopt; }
            q.user = std::move(v);
        } else if (iequals(n, "DeviceId")) {
            if (!mark_seen(seen, kSeenDeviceId, "DeviceId", error)) return std::nullopt;
            if (!valid_device_id(v, error)) return std::nullopt;
            q.device_id = std::move(v);
        } else if (iequals(n, "DeviceType")) {
            if (!mark_seen(seen, kSeenDeviceType, "DeviceType", error)) return std::nullopt;
            if (!valid_device_type(v, error)) return std::nullopt;
            q.device_type = std::move(v);
        } else if (iequals(n, "SaveInSent") || iequals(n, "AcceptMultiPart")) {
            bool save = iequals(n, "SaveInSent");
            if (!mark_seen(seen, save ? kSeenSaveInSent : kSeenAcceptMultiPart, n, error)) return std::nullopt;
            auto b = parse_tf(v);
            if (!b) {
                set_error(error, std::string(save ? "SaveInSent" : "AcceptMultiPart") + " must be T or F");
                return std::nullopt;
            }
            (save ? q.save_in_sent : q.accept_multipart) = *b;
        } else {
            struct Str { std::string_view name; unsigned bit; std::string EasQuery::*field; };
            static const Str kStrings[] = {
                {"AttachmentName", kSeenAttachmentName, &EasQuery::attachment_name},
                {"CollectionId", kSeenCollectionId, &EasQuery::collection_id},
                {"ItemId", kSeenItemId, &EasQuery::item_id},
                {"LongId", kSeenLongId, &EasQuery::long_id},
                {"Occurrence", kSeenOccurrence, &EasQuery::occurrence},
            };
            // Unknown parameters are ignored: devices add their own.
            for (const auto& s : kStrings) {
                if (!iequals(n, s.name)) continue;
                if (!mark_seen(seen, s.bit, s.name, error)) return std::nullopt;
                if (bad_text(v)) {
                    set_error(error, std::string(s.name) + " contains a control character or is not UTF-8");
                    return std::nullopt;
                }
                q.*(s.field) = std::move(v);
                break;
            }
        }
    }
    if (!finish_common(q, error)) return std::nullopt;
    return q;
}

uint8_t byte_at(std::string_view s, std::size_t i) { return static_cast<uint8_t>(s[i]); }

std::optional<EasQuery> parse_base64_form(std::string_view qs, std::string* error) {
    // Devices may percent-encode '+', '/' and '='. '+' is a base64 character here, not a space.
    std::string unescaped;
    if (qs.find('%') != std::string_view::npos) {
        auto d = percent_decode(qs, false);
        if (!d) { set_error(error, "invalid percent-encoding in base64 query"); return std::nullopt; }
        unescaped = std::move(*d);
        qs = unescaped;
    }
    auto decoded = base64_decode(qs);
    if (!decoded) { set_error(error, "query is neither the plain form nor valid base64"); return std::nullopt; }
    std::string_view b = *decoded;

    EasQuery q;
    q.base64_form = true;
    std::size_t p = 0;
    auto need = [&](std::size_t n, const char* what) {
        if (b.size() - p < n) {
            set_error(error, std::string("base64 query truncated in ") + what);
            return false;
        }
        return true;
    };

    if (!need(4, "header")) return std::nullopt;
    q.version = byte_at(b, 0);
    int code = byte_at(b, 1);
    auto name = command_name_for_code(code);
    if (!name) { set_error(error, "unknown command code " + std::to_string(code)); return std::nullopt; }
    q.cmd = std::string(*name);
    unsigned locale = static_cast<unsigned>(byte_at(b, 2)) | (static_cast<unsigned>(byte_at(b, 3)) << 8);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04x", locale);
    q.locale = buf;
    p = 4;

    if (!need(1, "DeviceId length")) return std::nullopt;
    std::size_t len = byte_at(b, p++);
    if (len == 0) { set_error(error, "DeviceId is empty"); return std::nullopt; }
    if (!need(len, "DeviceId")) return std::nullopt;
    std::string_view dev = b.substr(p, len);
    p += len;
    // The spec's own example carries the ASCII DeviceId ("v140Device"); some devices send a
    // binary GUID instead, which we represent as upper-case hex (16 bytes -> 32 characters).
    q.device_id = all_printable_ascii(dev) ? std::string(dev) : hex_upper(dev);

    if (!need(1, "PolicyKey length")) return std::nullopt;
    len = byte_at(b, p++);
    if (len != 0 && len != 4) {
        set_error(error, "PolicyKey length must be 0 or 4, got " + std::to_string(len));
        return std::nullopt;
    }
    if (len == 4) {
        if (!need(4, "PolicyKey")) return std::nullopt;
        q.policy_key = static_cast<uint32_t>(byte_at(b, p)) | (static_cast<uint32_t>(byte_at(b, p + 1)) << 8) |
                       (static_cast<uint32_t>(byte_at(b, p + 2)) << 16) |
                       (static_cast<uint32_t>(byte_at(b, p + 3)) << 24);
        p += 4;
    }

    if (!need(1, "DeviceType length")) return std::nullopt;
    len = byte_at(b, p++);
    if (!need(len, "DeviceType")) return std::nullopt;
    if (len > 0) {
        std::string_view dt = b.substr(p, len);
        if (!valid_device_type(dt, error)) return std::nullopt;
        q.device_type = std::string(dt);
    }
    p += len;

    unsigned seen = 0;
    while (p < b.size()) {
        if (!need(2, "command parameter")) return std::nullopt;
        int tag = byte_at(b, p);
        len = byte_at(b, p + 1);
        p += 2;
        if (!need(len, "command parameter value")) return std::nullopt;
        std::string_view v = b.substr(p, len);
        p += len;
        std::string* field = nullptr;
        const char* pname = nullptr;
        unsigned bit = 0;
        switch (tag) {
        case 0: field = &q.attachment_name; pname = "AttachmentName"; bit = kSeenAttachmentName; break;
        case 1: field = &q.collection_id; pname = "CollectionId"; bit = kSeenCollectionId; break;
        case 3: field = &q.item_id; pname = "ItemId"; bit = kSeenItemId; break;
        case 4: field = &q.long_id; pname = "LongId"; bit = kSeenLongId; break;
        case 6: field = &q.occurrence; pname = "Occurrence"; bit = kSeenOccurrence; break;
        case 8: field = &q.user; pname = "User"; bit = kSeenUser; break;
        case 7: {
            if (!mark_seen(seen, kSeenOptions, "Options", error)) return std::nullopt;
            if (len != 1) { set_error(error, "Options must be one byte"); return std::nullopt; }
            uint8_t opts = byte_at(v, 0);
            q.save_in_sent = (opts & 0x01) != 0;
            q.accept_multipart = (opts & 0x02) != 0;
            continue;
        }
        default:
            continue;  // tags 2 and 5 are unassigned; skip what we do not know, bounds-checked
        }
        if (!mark_seen(seen, bit, pname, error)) return std::nullopt;
        if (tag == 8 ? has_ctl(v) : bad_text(v)) {
            set_error(error, std::string(pname) + " contains a control character or is not UTF-8");
            return std::nullopt;
        }
        *field = std::string(v);
    }

    if (!finish_common(q, error)) return std::nullopt;
    return q;
}

}  // namespace

const std::vector<ProtocolVersion>& supported_versions() {
    static const std::vector<ProtocolVersion> v(kVersions.begin(), kVersions.end());
    return v;
}

std::string version_string(ProtocolVersion v) {
    if (v < 0) return {};
    return std::to_string(v / 10) + "." + std::to_string(v % 10);
}

std::optional<ProtocolVersion> parse_version(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    auto dot = s.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 2 || s.size() != dot + 2) return std::nullopt;
    int major = 0;
    for (std::size_t i = 0; i < dot; ++i) {
        if (!is_digit(s[i])) return std::nullopt;
        major = major * 10 + (s[i] - '0');
    }
    if (!is_digit(s[dot + 1])) return std::nullopt;
    int v = major * 10 + (s[dot + 1] - '0');
    if (!is_supported(v)) return std::nullopt;
    return v;
}

bool is_supported(ProtocolVersion v) {
    for (auto x : kVersions)
        if (x == v) return true;
    return false;
}

std::optional<std::string_view> command_name_for_code(int code) {
    for (const auto& e : kCommands)
        if (e.code == code) return e.name;
    return std::nullopt;
}

std::optional<int> command_code_for_name(std::string_view name) {
    for (const auto& e : kCommands)
        if (iequals(e.name, name)) return e.code;
    return std::nullopt;
}

std::vector<std::string_view> command_names() {
    std::vector<std::string_view> names;
    for (const auto& e : kCommands) names.push_back(e.name);
    return names;
}

std::optional<std::string_view> command_of_query(std::string_view query_string) {
    if (query_string.empty() || query_string.size() > 8192) return std::nullopt;
    if (looks_plain(query_string)) {
        std::optional<std::string_view> command;
        each_plain_pair(query_string, [&](std::string_view name, std::string_view value) {
            if (!iequals(name, "Cmd")) return false;
            if (auto code = command_code_for_name(value)) command = command_name_for_code(*code);
            return true;
        });
        return command;
    }
    // The base64 form: the command code is the second byte, within the first four characters
    // (which a device may have percent-encoded).
    unsigned char sextets[4];
    std::size_t n = 0;
    for (std::size_t i = 0; i < query_string.size() && n < 4;) {
        char c = query_string[i];
        if (c == '%') {
            if (i + 2 >= query_string.size()) return std::nullopt;
            int hi = hex_value(query_string[i + 1]), lo = hex_value(query_string[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = static_cast<char>(hi * 16 + lo);
            i += 3;
        } else {
            ++i;
        }
        uint8_t v = kB64Decode.v[static_cast<unsigned char>(c)];
        if (v == 0xff) return std::nullopt;
        sextets[n++] = v;
    }
    if (n < 3) return std::nullopt;
    const int code = ((sextets[1] & 0x0f) << 4) | (sextets[2] >> 2);
    return command_name_for_code(code);
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view body) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t pos = 0;
    while (pos <= body.size()) {
        std::size_t amp = body.find('&', pos);
        if (amp == std::string_view::npos) amp = body.size();
        std::string_view pair = trim(body.substr(pos, amp - pos));
        pos = amp + 1;
        if (pair.empty()) continue;
        std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        auto name = percent_decode(pair.substr(0, eq), true);
        auto value = percent_decode(pair.substr(eq + 1), true);
        if (!name || !value) return std::nullopt;
        out.emplace_back(std::move(*name), std::move(*value));
    }
    return out;
}

std::optional<EasQuery> parse_query(std::string_view query_string, std::string* error) {
    if (query_string.empty()) {
        set_error(error, "empty query string");
        return std::nullopt;
    }
    if (query_string.size() > 8192) {
        set_error(error, "query string longer than 8192 bytes");
        return std::nullopt;
    }
    if (looks_plain(query_string)) return parse_plain(query_string, error);
    return parse_base64_form(query_string, error);
}

std::string device_id_of_incomplete_query(std::string_view query_string) {
    if (query_string.size() > 8192 || !looks_plain(query_string)) return {};
    std::string device_id;
    each_plain_pair(query_string, [&](std::string_view raw_name, std::string_view raw_value) {
        auto name = percent_decode(raw_name, true);
        if (!name || !iequals(*name, "DeviceId")) return false;
        auto value = percent_decode(raw_value, true);
        if (value && valid_device_id(*value, nullptr)) device_id = std::move(*value);
        return true;
    });
    return device_id;
}

std::optional<std::string> base64_decode(std::string_view in) {
    // Strip up to two '=' of padding; with padding the length must be a multiple of 4.
    std::size_t n = in.size();
    std::size_t pad = 0;
    while (n > 0 && in[n - 1] == '=' && pad < 2) { --n; ++pad; }
    if (pad > 0 && in.size() % 4 != 0) return std::nullopt;
    if (n % 4 == 1) return std::nullopt;
    if (pad > 0 && (n + pad) % 4 != 0) return std::nullopt;

    const auto* src = reinterpret_cast<const unsigned char*>(in.data());
    const auto& t = kB64Decode.v;
    std::string out;
    out.resize(n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1));
    auto* dst = reinterpret_cast<unsigned char*>(out.data());
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32_t a = t[src[i]], b = t[src[i + 1]], c = t[src[i + 2]], d = t[src[i + 3]];
        if ((a | b | c | d) & 0x80) return std::nullopt;
        uint32_t w = (a << 18) | (b << 12) | (c << 6) | d;
        *dst++ = static_cast<unsigned char>(w >> 16);
        *dst++ = static_cast<unsigned char>(w >> 8);
        *dst++ = static_cast<unsigned char>(w);
    }
    std::size_t rest = n - i;
    if (rest >= 2) {
        uint32_t a = t[src[i]], b = t[src[i + 1]];
        uint32_t c = rest == 3 ? t[src[i + 2]] : 0;
        if ((a | b | c) & 0x80) return std::nullopt;
        uint32_t w = (a << 18) | (b << 12) | (c << 6);
        *dst++ = static_cast<unsigned char>(w >> 16);
        if (rest == 3) *dst++ = static_cast<unsigned char>(w >> 8);
    }
    return out;
}

std::string base64_encode(std::string_view in) {
    std::string out;
    out.resize((in.size() + 2) / 3 * 4);
    const auto* src = reinterpret_cast<const unsigned char*>(in.data());
    char* dst = out.data();
    std::size_t i = 0, n = in.size();
    for (; i + 3 <= n; i += 3) {
        uint32_t w = (uint32_t(src[i]) << 16) | (uint32_t(src[i + 1]) << 8) | src[i + 2];
        *dst++ = kB64Alphabet[(w >> 18) & 63];
        *dst++ = kB64Alphabet[(w >> 12) & 63];
        *dst++ = kB64Alphabet[(w >> 6) & 63];
        *dst++ = kB64Alphabet[w & 63];
    }
    if (n - i == 1) {
        uint32_t w = uint32_t(src[i]) << 16;
        *dst++ = kB64Alphabet[(w >> 18) & 63];
        *dst++ = kB64Alphabet[(w >> 12) & 63];
        *dst++ = '=';
        *dst++ = '=';
    } else if (n - i == 2) {
        uint32_t w = (uint32_t(src[i]) << 16) | (uint32_t(src[i + 1]) << 8);
        *dst++ = kB64Alphabet[(w >> 18) & 63];
        *dst++ = kB64Alphabet[(w >> 12) & 63];
        *dst++ = kB64Alphabet[(w >> 6) & 63];
        *dst++ = '=';
    }
    return out;
}

std::optional<BasicCredentials> parse_basic_auth(std::string_view v) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    v = trim(v);
    if (v.size() < 6 || !iequals(v.substr(0, 5), "Basic") || (v[5] != ' ' && v[5] != '\t')) return std::nullopt;
    v = trim(v.substr(6));
    if (v.empty()) return std::nullopt;
    auto decoded = base64_decode(v);
    if (!decoded) return std::nullopt;
    auto colon = decoded->find(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    BasicCredentials c;
    c.user = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
    // RFC 7617: no CTLs. A login that is not UTF-8 names no account; the password's bytes are
    // only hashed, so an old client's Latin-1 is merely wrong, not an error.
    if (bad_text(c.user)) return std::nullopt;
    for (unsigned char ch : c.password)
        if (ch < 0x20 || ch == 0x7f) return std::nullopt;
    return c;
}

std::string normalize_login(std::string_view user) {
    while (!user.empty() && (user.front() == ' ' || user.front() == '\t')) user.remove_prefix(1);
    while (!user.empty() && (user.back() == ' ' || user.back() == '\t')) user.remove_suffix(1);
    auto bs = user.rfind('\\');
    if (bs != std::string_view::npos) user.remove_prefix(bs + 1);
    return to_lower_ascii(user);
}

}  // namespace easd::protocol
