// Mailbox names in modified UTF-7 (RFC 3501 5.1.3) and UID sets.
#include <algorithm>

#include "common/mutf7.h"
#include "imap/imap_client.h"

namespace easd::imap {

// Mailbox names use the project's one modified UTF-7 codec (common/mutf7.h, shared with the
// Maildir migration). A name that does not decode (raw 8-bit bytes from a lenient server) is kept
// as sent by the caller (Connection::list).
std::string encode_mailbox_name(std::string_view utf8) { return encode_mutf7(utf8); }

std::optional<std::string> decode_mailbox_name(std::string_view mutf7) { return decode_mutf7(mutf7); }

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
