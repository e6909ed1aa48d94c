// What Search (MS-ASCMD 2.2.1.16) and Find (2.2.1.2) share: the Range a client asks for, and the
// GAL entry as both render it.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "common/text.h"
#include "store/directory.h"
#include "wbxml/wbxml.h"

namespace easd::commands {

constexpr long long kMaxSearchResults = 100;  // the GAL's largest range (0-99); mailbox results alike

// A zero-based, inclusive range of results ("0-9").
struct SearchRange {
    long long first = 0, last = kMaxSearchResults - 1;
    // How many results to return: the range's size, at most kMaxSearchResults.
    long long limit() const { return std::min(last - first + 1, kMaxSearchResults); }
};

// "m-n" with 0 <= m <= n; nullopt otherwise.
inline std::optional<SearchRange> parse_search_range(std::string_view text) {
    text = trim(text);
    auto dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto first = parse_decimal(text.substr(0, dash));
    auto last = parse_decimal(text.substr(dash + 1));
    if (!first || !last || *first < 0 || *last < *first) return std::nullopt;
    return SearchRange{*first, *last};
}

// The GAL properties of a directory entry (gal:TopLevelSchemaProps): the name (the address when
// there is none), the fields the administrator set, the alias and the address. `picture`: the
// client asked for pictures, and is told there is none (GAL Picture Status 173).
inline void append_gal_properties(wbxml::Node& properties, const store::DirectoryEntry& e, bool picture) {
    namespace tag = wbxml::tag;
    properties.add(tag::GAL::DisplayName, e.display_name.empty() ? e.address : e.display_name);
    auto optional = [&](wbxml::Tag t, const std::string& value) {
        if (!value.empty()) properties.add(t, value);
    };
    optional(tag::GAL::Phone, e.fields.phone);
    optional(tag::GAL::Office, e.fields.office);
    optional(tag::GAL::Title, e.fields.title);
    optional(tag::GAL::Company, e.fields.company);
    properties.add(tag::GAL::Alias, e.address.substr(0, e.address.find('@')));
    optional(tag::GAL::MobilePhone, e.fields.mobile_phone);
    properties.add(tag::GAL::EmailAddress, e.address);
    if (picture) properties.add(tag::GAL::Picture).add(tag::GAL::Status, 173LL);  // no pictures are kept
}

}  // namespace easd::commands
