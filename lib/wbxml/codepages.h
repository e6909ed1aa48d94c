// MS-ASWBXML code pages 0..25: page names and every tag token, including 16.1's.
// A Tag is (page << 8) | token, token being the tag's code without the content flag (0x05..0x3F).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace easd::wbxml {

using Tag = uint16_t;

constexpr Tag make_tag(uint8_t page, uint8_t token) { return static_cast<Tag>((page << 8) | token); }
constexpr uint8_t tag_page(Tag t) { return static_cast<uint8_t>(t >> 8); }
constexpr uint8_t tag_token(Tag t) { return static_cast<uint8_t>(t & 0x3F); }

// "AirSync", "Email", ... for pages 0..25; empty for an unknown page.
std::string_view page_name(uint8_t page);
std::optional<uint8_t> page_by_name(std::string_view name);
// The spec's tag name ("SyncKey"); empty when the token is not defined on that page.
std::string_view tag_name(Tag t);
std::optional<Tag> tag_by_name(uint8_t page, std::string_view name);

// Generated from MS-ASWBXML, one namespace per page. Names are the specification's.
namespace tag {
#define EASD_TAG(page_ns, name, page, token) namespace page_ns { constexpr Tag name = make_tag(page, token); }
#include "wbxml/codepages.inc"
#undef EASD_TAG
}  // namespace tag

}  // namespace easd::wbxml
