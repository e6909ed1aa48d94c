// WBXML codec for Exchange ActiveSync (MS-ASWBXML): a small tree type, a strict decoder and an
// encoder. Tag identities come from codepages.h (wbxml::tag::<Page>::<Name>).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wbxml/codepages.h"

namespace easd::wbxml {

// One element. A leaf carries text (STR_I on the wire) or opaque bytes (OPAQUE); an element with
// children carries no content. Elements are values: copy and move freely.
struct Node {
    enum class Content : uint8_t { None, Text, Opaque };

    Tag tag{};
    Content content_kind = Content::None;
    std::string content;  // the text or the opaque bytes, per content_kind
    std::vector<Node> children;

    Node() = default;
    explicit Node(Tag t) : tag(t) {}
    Node(Tag t, std::string text) : tag(t), content_kind(Content::Text), content(std::move(text)) {}

    // Builders: append a child and return it, so trees read top-down in the code that makes them.
    Node& add(Tag t);
    Node& add(Tag t, std::string text);
    Node& add(Tag t, std::string_view text) { return add(t, std::string(text)); }
    Node& add(Tag t, const char* text) { return add(t, std::string(text)); }
    Node& add(Tag t, long long number) { return add(t, std::to_string(number)); }
    Node& add_opaque(Tag t, std::string bytes);

    // Lookups (first match among direct children; nullptr / fallback when absent).
    const Node* child(Tag t) const;
    Node* child(Tag t);
    std::vector<const Node*> children_of(Tag t) const;
    std::string_view child_text(Tag t, std::string_view fallback = {}) const;
    bool has(Tag t) const { return child(t) != nullptr; }
    // The content as text; empty for an element with children.
    std::string_view text() const { return content; }
};

struct DecodeLimits {
    std::size_t max_depth = 64;              // nesting depth
    std::size_t max_nodes = 1'000'000;       // elements in one document
    std::size_t max_string = 64u << 20;      // one inline string or opaque block, bytes
    // Bytes after the root element's END: an error unless allowed. Real Android devices send some
    // (a stray END or NUL) after a complete request; the request path allows them and ignores them.
    bool allow_trailing_bytes = false;
};

struct DecodeResult {
    std::optional<Node> root;  // set on success
    std::string error;         // set on failure: what was wrong and at which byte offset
    std::size_t trailing_bytes = 0;  // on success with allow_trailing_bytes: how many were ignored
    explicit operator bool() const { return root.has_value(); }
};

// Decodes a whole WBXML 1.3 document (version 0x03, public id 1, charset UTF-8 (106), empty string
// table, as MS-ASWBXML requires). Fails, never crashes, on truncated input, unknown pages or tokens,
// attributes, entities or extensions, trailing bytes (unless limits allow them), or anything beyond
// the limits.
DecodeResult decode(std::string_view bytes, const DecodeLimits& limits = {});

// The first Text leaf (depth first) whose content is not UTF-8, or nullptr. MS-ASWBXML strings are
// UTF-8, but a device may send any bytes; the decoder keeps them, and the request path answers
// them (400, or Sync's per-item status) before they reach the database. Subtrees whose root has
// one of the tags in `skip` are not looked into (the caller checks them itself, or they are bytes).
const Node* find_invalid_text(const Node& root, const std::vector<Tag>& skip = {});

// Encodes the tree as WBXML 1.3. Text goes out as STR_I (a NUL in text is dropped), opaque as OPAQUE.
std::string encode(const Node& root);

// Renders the tree as indented XML with EAS namespace names ("AirSync", "Email", ...): xmlns
// declarations at the root for each page used; opaque content is shown as base64 and marked with a
// comment-free attribute-free form `<Tag>[opaque N bytes: base64]</Tag>`. For logs and tests.
std::string to_xml(const Node& root);

// Parses XML in the form to_xml writes (namespaces by EAS name, with or without a trailing ':',
// prefixed or default) back into a tree. Elements without children and with non-empty text become
// Text leaves. Returns nullopt and sets *error on malformed XML or an unknown element.
std::optional<Node> from_xml(std::string_view xml, std::string* error = nullptr);

}  // namespace easd::wbxml
