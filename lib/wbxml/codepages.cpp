// Name <-> token lookups for the MS-ASWBXML code pages listed in codepages.inc.
//
// tag_name() is a plain two-dimensional array lookup (26 pages x 64 tokens), built at compile time
// from the X-macro table, so the decoder can call it per element at no cost. The by-name lookups use
// one hash map per page, built once on first use (thread-safe static initialisation).
#include "wbxml/codepages.h"

#include <array>
#include <string>
#include <unordered_map>

namespace easd::wbxml {
namespace {

constexpr std::size_t kPages = 26;
constexpr std::size_t kTokens = 64;

// Page names as MS-ASWBXML section 2.1.2.1 gives them. They double as the XML namespace names
// ("AirSync:" etc. in libwbxml's form).
constexpr std::array<std::string_view, kPages> kPageNames = {
    "AirSync",          "Contacts",       "Email",       "AirNotify",        "Calendar",
    "Move",             "GetItemEstimate", "FolderHierarchy", "MeetingResponse", "Tasks",
    "ResolveRecipients", "ValidateCert",  "Contacts2",   "Ping",             "Provision",
    "Search",           "GAL",            "AirSyncBase", "Settings",         "DocumentLibrary",
    "ItemOperations",   "ComposeMail",    "Email2",      "Notes",            "RightsManagement",
    "Find",
};

using NameTable = std::array<std::array<std::string_view, kTokens>, kPages>;

constexpr NameTable build_names() {
    NameTable t{};
#define EASD_TAG(page_ns, name, page, token) t[page][token] = #name;
#include "wbxml/codepages.inc"
#undef EASD_TAG
    return t;
}

constexpr NameTable kNames = build_names();

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

using ByName = std::array<std::unordered_map<std::string_view, uint8_t>, kPages>;

const ByName& by_name() {
    static const ByName maps = [] {
        ByName m;
        for (std::size_t p = 0; p < kPages; ++p)
            for (std::size_t tok = 0; tok < kTokens; ++tok)
                if (!kNames[p][tok].empty()) m[p].emplace(kNames[p][tok], static_cast<uint8_t>(tok));
        return m;
    }();
    return maps;
}

}  // namespace

std::string_view page_name(uint8_t page) {
    return page < kPages ? kPageNames[page] : std::string_view{};
}

// Exact match first; then case-insensitively, so that libwbxml's "Gal" finds page 16 ("GAL").
std::optional<uint8_t> page_by_name(std::string_view name) {
    for (std::size_t p = 0; p < kPages; ++p)
        if (kPageNames[p] == name) return static_cast<uint8_t>(p);
    for (std::size_t p = 0; p < kPages; ++p)
        if (iequals(kPageNames[p], name)) return static_cast<uint8_t>(p);
    return std::nullopt;
}

std::string_view tag_name(Tag t) {
    const unsigned page = t >> 8;
    const unsigned token = t & 0xFF;
    if (page >= kPages || token >= kTokens) return {};
    return kNames[page][token];
}

std::optional<Tag> tag_by_name(uint8_t page, std::string_view name) {
    if (page >= kPages) return std::nullopt;
    const auto& m = by_name()[page];
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return make_tag(page, it->second);
}

}  // namespace easd::wbxml
