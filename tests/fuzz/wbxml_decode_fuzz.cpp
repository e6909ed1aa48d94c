// libFuzzer target for the WBXML decoder (lib/wbxml).
//
// Decodes the input, strictly and with trailing bytes allowed (the two must agree on the document
// before the trailing bytes). When the strict decode succeeds, the tree is encoded and decoded again, and the two trees must
// be equal, and re-encoding must reproduce the same bytes (the encoder's form is canonical). Any
// difference aborts. to_xml() is exercised too, and from_xml() must read its output back to the same
// tree whenever the texts are representable in XML 1.0 (control characters other than tab, CR and LF
// are not).
//
// Seeds: tests/fuzz/corpus/wbxml_decode/*.wbxml are a few small documents encoded with easd::wbxml::encode()
// from tests/data/wbxml/<same name>.xml (from_xml + encode, committed as binary files). Run:
//   mkdir -p /tmp/wbxml-fuzz && ./wbxml_decode_fuzz /tmp/wbxml-fuzz tests/fuzz/corpus/wbxml_decode -max_total_time=60
// (the first directory collects new inputs, the second only seeds).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wbxml/wbxml.h"

using easd::wbxml::Node;

namespace {

bool is_empty_leaf(const Node& n) {
    return n.children.empty() && n.content.empty() && n.content_kind != Node::Content::Opaque;
}

// Equality modulo the one documented normalisation: an empty text leaf is written as <Tag/>.
bool same(const Node& a, const Node& b) {
    if (a.tag != b.tag) return false;
    if (!(is_empty_leaf(a) && is_empty_leaf(b)) && (a.content_kind != b.content_kind || a.content != b.content))
        return false;
    if (a.children.size() != b.children.size()) return false;
    for (std::size_t i = 0; i < a.children.size(); ++i)
        if (!same(a.children[i], b.children[i])) return false;
    return true;
}

// Valid UTF-8 of XML 1.0 Chars only (no C0 controls but tab/LF/CR, no surrogates, no U+FFFE/U+FFFF).
bool xml_text(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        uint32_t cp;
        int len;
        if (c < 0x80) cp = c, len = 1;
        else if ((c & 0xE0) == 0xC0) cp = c & 0x1F, len = 2;
        else if ((c & 0xF0) == 0xE0) cp = c & 0x0F, len = 3;
        else if ((c & 0xF8) == 0xF0) cp = c & 0x07, len = 4;
        else return false;
        if (i + static_cast<std::size_t>(len) > s.size()) return false;
        for (int k = 1; k < len; ++k) {
            const unsigned char d = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
            return false;
        if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') return false;
        i += static_cast<std::size_t>(len);
    }
    return true;
}

bool xml_representable(const Node& n) {
    if (n.content_kind == Node::Content::Text && !xml_text(n.content)) return false;
    // from_xml reads an opaque-looking text back as opaque; skip texts that look like the marker
    if (n.content_kind == Node::Content::Text && n.content.rfind("[opaque ", 0) == 0) return false;
    for (const Node& c : n.children)
        if (!xml_representable(c)) return false;
    return true;
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "wbxml_decode_fuzz: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    easd::wbxml::DecodeLimits limits;
    limits.max_nodes = 100000;
    limits.max_string = 1u << 20;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto first = easd::wbxml::decode(input, limits);

    // The request path's tolerance: bytes after the root's END are ignored, nothing else changes.
    // A tolerant decode succeeds exactly when the strict one does on the bytes before the trailing
    // ones, with the same tree.
    easd::wbxml::DecodeLimits tolerant = limits;
    tolerant.allow_trailing_bytes = true;
    auto loose = easd::wbxml::decode(input, tolerant);
    if (first && (!loose || loose.trailing_bytes != 0 || !same(*first.root, *loose.root)))
        die("a strictly valid document decodes differently when trailing bytes are allowed");
    if (loose && loose.trailing_bytes > 0) {
        if (loose.trailing_bytes > size) die("more trailing bytes than input");
        auto prefix = easd::wbxml::decode(input.substr(0, size - loose.trailing_bytes), limits);
        if (!prefix || !same(*prefix.root, *loose.root)) die("the document before the trailing bytes differs");
    }

    if (!first) {
        if (first.error.empty()) die("decode failed without an error message");
        return 0;
    }
    const std::string wire = easd::wbxml::encode(*first.root);
    auto second = easd::wbxml::decode(wire, limits);
    if (!second) die(("re-encoded document does not decode: " + second.error).c_str());
    if (!same(*first.root, *second.root)) die("decode(encode(tree)) != tree");
    if (easd::wbxml::encode(*second.root) != wire) die("encoding is not canonical");

    const std::string xml = easd::wbxml::to_xml(*first.root);
    if (xml_representable(*first.root)) {
        std::string err;
        auto back = easd::wbxml::from_xml(xml, &err);
        if (!back) die(("from_xml(to_xml(tree)) failed: " + err).c_str());
        if (!same(*back, *first.root)) die("from_xml(to_xml(tree)) != tree");
    }
    return 0;
}
