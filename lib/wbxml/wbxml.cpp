// WBXML 1.3 codec for Exchange ActiveSync (MS-ASWBXML), plus an XML rendering for logs and tests.
//
// Wire format accepted by decode() (WBXML 1.3 as MS-ASWBXML profiles it):
//   header   version 0x03, public id mb_u_int32 == 1, charset mb_u_int32 == 106 (UTF-8),
//            string table length mb_u_int32 == 0
//   body     exactly one root element, then the end of the input
//   tokens   SWITCH_PAGE (0x00 page), END (0x01), STR_I (0x03 ... 0x00), OPAQUE (0xC3 mb_u_int32 bytes),
//            tags with or without the content flag 0x40
// Everything else WBXML allows is rejected with an error naming the byte offset: the attribute flag
// 0x80 on a tag, ENTITY, STR_T, LITERAL*, EXT_I_*, EXT_T_*, EXT_*, PI, unknown pages or tokens, a
// mb_u_int32 longer than 32 bits, truncated input, bytes after the root element, an element holding
// both text/opaque content and child elements, and anything beyond DecodeLimits.
//
// encode() writes the canonical form: SWITCH_PAGE only when the page changes (the initial page is 0),
// the content flag only on elements with children or content, one STR_I per text, OPAQUE for opaque
// content. An element whose text is empty is written as a content-less tag (<Tag/>): EAS clients and
// servers treat <Tag/> and <Tag></Tag> alike, and it is one byte instead of four. Decoding such a tag
// yields Content::None; code that reads text through child_text()/text() sees "" either way.
// encode() throws std::invalid_argument for a tag that is not in codepages.inc (a programming error:
// writing it would corrupt the document).
//
// Both directions are iterative (explicit stacks), allocation-light and free of virtual calls.
#include "wbxml/wbxml.h"

#include "common/text.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

namespace easd::wbxml {

// ---------------------------------------------------------------------------------------------------
// Node

Node& Node::add(Tag t) {
    children.emplace_back(t);
    return children.back();
}

Node& Node::add(Tag t, std::string text) {
    children.emplace_back(t, std::move(text));
    return children.back();
}

Node& Node::add_opaque(Tag t, std::string bytes) {
    Node& n = children.emplace_back(t);
    n.content_kind = Content::Opaque;
    n.content = std::move(bytes);
    return n;
}

const Node* Node::child(Tag t) const {
    for (const Node& c : children)
        if (c.tag == t) return &c;
    return nullptr;
}

Node* Node::child(Tag t) {
    for (Node& c : children)
        if (c.tag == t) return &c;
    return nullptr;
}

std::vector<const Node*> Node::children_of(Tag t) const {
    std::vector<const Node*> out;
    for (const Node& c : children)
        if (c.tag == t) out.push_back(&c);
    return out;
}

std::string_view Node::child_text(Tag t, std::string_view fallback) const {
    const Node* c = child(t);
    return c ? c->text() : fallback;
}

// ---------------------------------------------------------------------------------------------------
// Decoder

namespace {

// Global tokens (WBXML 1.3 section 7.1).
enum : uint8_t {
    kSwitchPage = 0x00,
    kEnd = 0x01,
    kEntity = 0x02,
    kStrI = 0x03,
    kLiteral = 0x04,
    kExtI0 = 0x40,
    kExtI1 = 0x41,
    kExtI2 = 0x42,
    kPi = 0x43,
    kLiteralC = 0x44,
    kExtT0 = 0x80,
    kExtT1 = 0x81,
    kExtT2 = 0x82,
    kStrT = 0x83,
    kLiteralA = 0x84,
    kExt0 = 0xC0,
    kExt1 = 0xC1,
    kExt2 = 0xC2,
    kOpaque = 0xC3,
    kLiteralAC = 0xC4,
};

constexpr uint8_t kContentFlag = 0x40;
constexpr uint8_t kAttributeFlag = 0x80;
constexpr uint8_t kNumPages = 26;

const char* global_token_name(uint8_t b) {
    switch (b) {
        case kEntity: return "ENTITY";
        case kLiteral: return "LITERAL";
        case kExtI0: return "EXT_I_0";
        case kExtI1: return "EXT_I_1";
        case kExtI2: return "EXT_I_2";
        case kPi: return "PI";
        case kLiteralC: return "LITERAL_C";
        case kExtT0: return "EXT_T_0";
        case kExtT1: return "EXT_T_1";
        case kExtT2: return "EXT_T_2";
        case kStrT: return "STR_T";
        case kLiteralA: return "LITERAL_A";
        case kExt0: return "EXT_0";
        case kExt1: return "EXT_1";
        case kExt2: return "EXT_2";
        case kLiteralAC: return "LITERAL_AC";
        default: return nullptr;
    }
}

std::string hex2(unsigned v) {
    static const char digits[] = "0123456789ABCDEF";
    std::string s = "0x";
    s += digits[(v >> 4) & 0xF];
    s += digits[v & 0xF];
    return s;
}

class Decoder {
public:
    Decoder(std::string_view in, const DecodeLimits& limits)
        : p_(reinterpret_cast<const uint8_t*>(in.data())), begin_(p_), end_(p_ + in.size()), limits_(limits) {}

    DecodeResult run() {
        DecodeResult r;
        Node root;
        if (!header() || !body(root)) {
            r.error = std::move(error_);
            return r;
        }
        r.root = std::move(root);
        r.trailing_bytes = trailing_;
        return r;
    }

private:
    const uint8_t* p_;
    const uint8_t* const begin_;
    const uint8_t* const end_;
    const DecodeLimits& limits_;
    std::string error_;
    std::size_t trailing_ = 0;  // bytes after the root's END, when the limits allow them

    std::size_t offset(const uint8_t* at) const { return static_cast<std::size_t>(at - begin_); }

    bool fail(const uint8_t* at, std::string what) {
        error_ = "wbxml: " + std::move(what) + " at byte offset " + std::to_string(offset(at));
        return false;
    }

    // mb_u_int32: big-endian base-128, high bit = continuation, at most 32 significant bits.
    bool mb_u_int32(uint32_t& out, const char* what) {
        const uint8_t* start = p_;
        uint64_t v = 0;
        for (int i = 0; i < 5; ++i) {
            if (p_ == end_) return fail(start, std::string("truncated mb_u_int32 (") + what + ")");
            const uint8_t b = *p_++;
            v = (v << 7) | (b & 0x7F);
            if (!(b & 0x80)) {
                if (v > 0xFFFFFFFFu) return fail(start, std::string("mb_u_int32 overflow (") + what + ")");
                out = static_cast<uint32_t>(v);
                return true;
            }
        }
        return fail(start, std::string("mb_u_int32 longer than 5 bytes (") + what + ")");
    }

    bool header() {
        if (p_ == end_) return fail(p_, "empty document");
        if (*p_ != 0x03) return fail(p_, "unsupported WBXML version " + hex2(*p_) + " (expected 0x03)");
        ++p_;
        uint32_t v = 0;
        const uint8_t* at = p_;
        if (!mb_u_int32(v, "public id")) return false;
        if (v != 1) return fail(at, "public id " + std::to_string(v) + " (expected 1, unknown)");
        at = p_;
        if (!mb_u_int32(v, "charset")) return false;
        if (v != 106) return fail(at, "charset " + std::to_string(v) + " (expected 106, UTF-8)");
        at = p_;
        if (!mb_u_int32(v, "string table length")) return false;
        if (v != 0) return fail(at, "string table of " + std::to_string(v) + " bytes (expected none)");
        return true;
    }

    bool body(Node& root) {
        uint8_t page = 0;
        std::size_t nodes = 0;
        bool have_root = false;
        std::vector<Node*> stack;  // open elements (content flag set, END not yet seen)
        stack.reserve(limits_.max_depth < 256 ? limits_.max_depth + 1 : 256);

        while (p_ != end_) {
            const uint8_t* at = p_;
            const uint8_t b = *p_++;
            switch (b) {
                case kSwitchPage: {
                    if (p_ == end_) return fail(at, "truncated SWITCH_PAGE");
                    const uint8_t np = *p_++;
                    if (np >= kNumPages) return fail(at, "unknown code page " + std::to_string(np));
                    page = np;
                    continue;
                }
                case kEnd: {
                    if (stack.empty()) return fail(at, "END without an open element");
                    stack.pop_back();
                    if (stack.empty()) return finish(p_);
                    continue;
                }
                case kStrI: {
                    if (stack.empty()) return fail(at, "text outside of any element");
                    Node* n = stack.back();
                    const void* nul = std::memchr(p_, 0, static_cast<std::size_t>(end_ - p_));
                    if (!nul) return fail(at, "unterminated inline string");
                    const auto* term = static_cast<const uint8_t*>(nul);
                    const std::size_t len = static_cast<std::size_t>(term - p_);
                    if (!n->children.empty())
                        return fail(at, "text in element " + std::string(tag_name(n->tag)) + " that has child elements");
                    if (n->content_kind == Node::Content::Opaque)
                        return fail(at, "text after opaque data in element " + std::string(tag_name(n->tag)));
                    if (n->content.size() + len > limits_.max_string)
                        return fail(at, "string longer than the limit of " + std::to_string(limits_.max_string) + " bytes");
                    n->content_kind = Node::Content::Text;
                    n->content.append(reinterpret_cast<const char*>(p_), len);
                    p_ = term + 1;
                    continue;
                }
                case kOpaque: {
                    if (stack.empty()) return fail(at, "opaque data outside of any element");
                    Node* n = stack.back();
                    uint32_t len = 0;
                    if (!mb_u_int32(len, "opaque length")) return false;
                    if (len > static_cast<std::size_t>(end_ - p_)) return fail(at, "truncated opaque data");
                    if (!n->children.empty())
                        return fail(at, "opaque data in element " + std::string(tag_name(n->tag)) + " that has child elements");
                    if (n->content_kind == Node::Content::Text)
                        return fail(at, "opaque data after text in element " + std::string(tag_name(n->tag)));
                    if (n->content.size() + len > limits_.max_string)
                        return fail(at, "opaque data longer than the limit of " + std::to_string(limits_.max_string) + " bytes");
                    n->content_kind = Node::Content::Opaque;
                    n->content.append(reinterpret_cast<const char*>(p_), len);
                    p_ += len;
                    continue;
                }
                default:
                    break;
            }
            if (const char* g = global_token_name(b)) return fail(at, std::string("unsupported global token ") + g);
            if (b & kAttributeFlag) return fail(at, "attributes are not allowed (tag byte " + hex2(b) + ")");

            const uint8_t token = b & 0x3F;
            const Tag tag = make_tag(page, token);
            if (tag_name(tag).empty())
                return fail(at, "unknown token " + hex2(token) + " on code page " + std::to_string(page) + " (" +
                                    std::string(page_name(page)) + ")");
            if (++nodes > limits_.max_nodes)
                return fail(at, "more than " + std::to_string(limits_.max_nodes) + " elements");

            Node* n;
            if (!have_root) {
                have_root = true;
                root.tag = tag;
                n = &root;
            } else {
                Node* parent = stack.back();  // non-empty: an empty stack after the root returned above
                if (parent->content_kind != Node::Content::None)
                    return fail(at, "child element " + std::string(tag_name(tag)) + " in element " +
                                        std::string(tag_name(parent->tag)) + " that has content");
                parent->children.emplace_back(tag);
                n = &parent->children.back();
            }
            if (b & kContentFlag) {
                if (stack.size() >= limits_.max_depth)
                    return fail(at, "nesting deeper than " + std::to_string(limits_.max_depth));
                stack.push_back(n);
            } else if (stack.empty()) {
                return finish(p_);  // the root element is a single content-less tag
            }
        }
        if (!have_root) return fail(p_, "no root element");
        return fail(p_, "truncated document: " + std::to_string(stack.size()) + " element(s) not closed");
    }

    bool finish(const uint8_t* after_root) {
        if (after_root == end_) return true;
        if (!limits_.allow_trailing_bytes) return fail(after_root, "trailing bytes after the root element");
        trailing_ = static_cast<std::size_t>(end_ - after_root);
        return true;
    }
};

}  // namespace

DecodeResult decode(std::string_view bytes, const DecodeLimits& limits) {
    return Decoder(bytes, limits).run();
}

// ---------------------------------------------------------------------------------------------------
// Encoder

namespace {

void check_tag(Tag t) {
    if (tag_name(t).empty())
        throw std::invalid_argument("wbxml::encode: tag " + std::to_string(t >> 8) + "/" + hex2(t & 0xFF) +
                                    " is not defined in MS-ASWBXML");
}

void put_mb_u_int32(std::string& out, uint32_t v) {
    char buf[5];
    int n = 0;
    buf[4 - n++] = static_cast<char>(v & 0x7F);
    while (v >>= 7) buf[4 - n++] = static_cast<char>(0x80 | (v & 0x7F));
    out.append(buf + 5 - n, static_cast<std::size_t>(n));
}

// Upper bound of the encoded size, so that the output is allocated once.
std::size_t estimate(const Node& root) {
    std::size_t total = 4;
    std::vector<const Node*> todo{&root};
    while (!todo.empty()) {
        const Node* n = todo.back();
        todo.pop_back();
        total += 2 /*switch*/ + 1 /*tag*/ + 1 /*end*/ + n->content.size() + 6 /*STR_I/NUL or OPAQUE+len*/;
        for (const Node& c : n->children) todo.push_back(&c);
    }
    return total;
}

}  // namespace

const Node* find_invalid_text(const Node& root, const std::vector<Tag>& skip) {
    for (Tag t : skip)
        if (root.tag == t) return nullptr;
    if (root.content_kind == Node::Content::Text && !is_valid_utf8(root.content)) return &root;
    for (const auto& child : root.children)
        if (const Node* bad = find_invalid_text(child, skip)) return bad;
    return nullptr;
}

std::string encode(const Node& root) {
    std::string out;
    out.reserve(estimate(root));
    out.append("\x03\x01\x6A\x00", 4);
    uint8_t page = 0;

    struct Frame {
        const Node* node;
        std::size_t next_child;
    };
    std::vector<Frame> stack;
    stack.reserve(32);

    // Writes the start of n; returns true when n was left open (has children) and must be pushed.
    auto open = [&](const Node& n) -> bool {
        check_tag(n.tag);
        const uint8_t np = tag_page(n.tag);
        if (np != page) {
            out.push_back(static_cast<char>(kSwitchPage));
            out.push_back(static_cast<char>(np));
            page = np;
        }
        const char token = static_cast<char>(n.tag & 0x3F);
        if (!n.children.empty()) {
            out.push_back(static_cast<char>(token | kContentFlag));
            return true;
        }
        switch (n.content_kind) {
            case Node::Content::Text: {
                if (n.content.empty()) {
                    out.push_back(token);
                    break;
                }
                const char* s = n.content.data();
                const std::size_t len = n.content.size();
                out.push_back(static_cast<char>(token | kContentFlag));
                out.push_back(static_cast<char>(kStrI));
                if (std::memchr(s, 0, len) == nullptr) {
                    out.append(s, len);
                } else {
                    for (std::size_t i = 0; i < len; ++i)
                        if (s[i] != '\0') out.push_back(s[i]);
                }
                out.push_back('\0');
                out.push_back(static_cast<char>(kEnd));
                break;
            }
            case Node::Content::Opaque:
                if (n.content.size() > 0xFFFFFFFFu) throw std::length_error("wbxml::encode: opaque data too large");
                out.push_back(static_cast<char>(token | kContentFlag));
                out.push_back(static_cast<char>(kOpaque));
                put_mb_u_int32(out, static_cast<uint32_t>(n.content.size()));
                out.append(n.content);
                out.push_back(static_cast<char>(kEnd));
                break;
            case Node::Content::None:
                out.push_back(token);
                break;
        }
        return false;
    };

    if (open(root)) stack.push_back({&root, 0});
    while (!stack.empty()) {
        Frame& f = stack.back();
        if (f.next_child == f.node->children.size()) {
            out.push_back(static_cast<char>(kEnd));
            stack.pop_back();
            continue;
        }
        const Node& c = f.node->children[f.next_child++];
        if (open(c)) stack.push_back({&c, 0});  // may invalidate f; not used after this point
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// XML rendering

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto* d = reinterpret_cast<const uint8_t*>(in.data());
    for (; i + 3 <= in.size(); i += 3) {
        const uint32_t v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
        out += kB64[v >> 18];
        out += kB64[(v >> 12) & 63];
        out += kB64[(v >> 6) & 63];
        out += kB64[v & 63];
    }
    if (i + 1 == in.size()) {
        const uint32_t v = d[i] << 16;
        out += kB64[v >> 18];
        out += kB64[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const uint32_t v = (d[i] << 16) | (d[i + 1] << 8);
        out += kB64[v >> 18];
        out += kB64[(v >> 12) & 63];
        out += kB64[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

bool unbase64(std::string_view in, std::string& out) {
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    if (in.size() % 4 != 0) return false;
    out.clear();
    out.reserve(in.size() / 4 * 3);
    for (std::size_t i = 0; i < in.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = in[i + k];
            if (c == '=' && i + 4 == in.size() && k >= 2) {
                v[k] = 0;
                ++pad;
            } else {
                if (pad) return false;
                v[k] = val(c);
                if (v[k] < 0) return false;
            }
        }
        const uint32_t w = (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
        out += static_cast<char>(w >> 16);
        if (pad < 2) out += static_cast<char>((w >> 8) & 0xFF);
        if (pad < 1) out += static_cast<char>(w & 0xFF);
    }
    return true;
}

void escape_into(std::string& out, std::string_view s) {
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\r': out += "&#13;"; break;  // an XML parser would turn a raw CR into LF
            default: out += c;
        }
    }
}

// "[opaque N bytes: BASE64]" as to_xml writes it.
bool parse_opaque_marker(std::string_view s, std::string& bytes) {
    constexpr std::string_view head = "[opaque ";
    if (s.size() < head.size() + 1 || s.substr(0, head.size()) != head || s.back() != ']') return false;
    s.remove_prefix(head.size());
    s.remove_suffix(1);
    std::size_t n = 0, i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        n = n * 10 + static_cast<std::size_t>(s[i] - '0');
        if (n > (std::size_t{1} << 40)) return false;
        ++i;
    }
    if (i == 0) return false;
    s.remove_prefix(i);
    constexpr std::string_view mid = " bytes: ";
    if (s.substr(0, mid.size()) != mid) return false;
    s.remove_prefix(mid.size());
    return unbase64(s, bytes) && bytes.size() == n;
}

}  // namespace

std::string to_xml(const Node& root) {
    // Pages used, to declare each namespace once at the root.
    bool used[kNumPages] = {};
    {
        std::vector<const Node*> todo{&root};
        while (!todo.empty()) {
            const Node* n = todo.back();
            todo.pop_back();
            if (tag_page(n->tag) < kNumPages) used[tag_page(n->tag)] = true;
            for (const Node& c : n->children) todo.push_back(&c);
        }
    }
    const uint8_t root_page = tag_page(root.tag);

    std::string out;
    auto name_of = [&](Tag t) {
        std::string s;
        const uint8_t p = tag_page(t);
        std::string_view tn = tag_name(t);
        if (p != root_page) {
            s += page_name(p);
            s += ':';
        }
        if (tn.empty())
            s += "Unknown_" + hex2(t & 0xFF);
        else
            s += tn;
        return s;
    };

    struct Frame {
        const Node* node;
        std::size_t next_child;
    };
    std::vector<Frame> stack;
    auto open = [&](const Node& n, std::size_t depth) -> bool {
        out.append(depth * 2, ' ');
        out += '<';
        out += name_of(n.tag);
        if (&n == &root) {
            out += " xmlns=\"";
            out += page_name(root_page);
            out += ":\"";
            for (uint8_t p = 0; p < kNumPages; ++p) {
                if (!used[p] || p == root_page) continue;
                out += " xmlns:";
                out += page_name(p);
                out += "=\"";
                out += page_name(p);
                out += ":\"";
            }
        }
        if (!n.children.empty()) {
            out += ">\n";
            return true;
        }
        if (n.content_kind == Node::Content::None || (n.content_kind == Node::Content::Text && n.content.empty())) {
            out += "/>\n";
            return false;
        }
        out += '>';
        if (n.content_kind == Node::Content::Text) {
            escape_into(out, n.content);
        } else {
            out += "[opaque ";
            out += std::to_string(n.content.size());
            out += " bytes: ";
            out += base64(n.content);
            out += ']';
        }
        out += "</";
        out += name_of(n.tag);
        out += ">\n";
        return false;
    };

    if (open(root, 0)) stack.push_back({&root, 0});
    while (!stack.empty()) {
        Frame& f = stack.back();
        if (f.next_child == f.node->children.size()) {
            out.append((stack.size() - 1) * 2, ' ');
            out += "</";
            out += name_of(f.node->tag);
            out += ">\n";
            stack.pop_back();
            continue;
        }
        const Node& c = f.node->children[f.next_child++];
        const std::size_t depth = stack.size();
        if (open(c, depth)) stack.push_back({&c, 0});
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// XML parsing (libxml2)

namespace {

struct XmlDocDeleter {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

std::string_view xs(const xmlChar* s) {
    return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view{};
}

std::optional<uint8_t> page_of_namespace(std::string_view ns) {
    if (!ns.empty() && ns.back() == ':') ns.remove_suffix(1);
    if (ns.empty()) return std::nullopt;
    return page_by_name(ns);
}

class XmlReader {
public:
    std::string error;

    bool element(xmlNode* x, std::optional<uint8_t> inherited_page, Node& out, std::size_t depth) {
        if (depth > 1000) return fail("XML nested too deeply");
        std::optional<uint8_t> page;
        std::string_view local = xs(x->name);
        if (x->ns) {
            page = page_of_namespace(xs(x->ns->href));
            if (!page && x->ns->prefix) page = page_of_namespace(xs(x->ns->prefix));
            if (!page)
                return fail("element <" + std::string(local) + ">: namespace \"" + std::string(xs(x->ns->href)) +
                            "\" is not an EAS code page");
        } else if (auto colon = local.find(':'); colon != std::string_view::npos) {
            // Undeclared prefix: libxml2 keeps "Prefix:Name" as the name.
            page = page_of_namespace(local.substr(0, colon));
            local = local.substr(colon + 1);
            if (!page) return fail("element <" + std::string(xs(x->name)) + ">: unknown namespace prefix");
        } else {
            page = inherited_page;
            if (!page) return fail("element <" + std::string(local) + "> has no namespace");
        }
        auto tag = tag_by_name(*page, local);
        if (!tag)
            return fail("unknown element <" + std::string(local) + "> in code page " + std::string(page_name(*page)));
        out.tag = *tag;

        std::string text;
        bool has_text = false;
        for (xmlNode* c = x->children; c; c = c->next) {
            if (c->type == XML_ELEMENT_NODE) {
                Node& child = out.children.emplace_back();
                if (!element(c, page, child, depth + 1)) return false;
            } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
                has_text = true;
                text += xs(c->content);
            } else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
                // Entity references (an undefined entity survives when no DTD is loaded) and the like.
                // Comments and processing instructions are ignored.
                return fail("element <" + std::string(local) + "> has unsupported XML content (node type " +
                            std::to_string(static_cast<int>(c->type)) + ")");
            }
        }
        if (!out.children.empty()) {
            if (has_text && text.find_first_not_of(" \t\r\n") != std::string::npos)
                return fail("element <" + std::string(local) + "> has both text and child elements");
            return true;
        }
        if (!text.empty()) {
            std::string bytes;
            if (parse_opaque_marker(text, bytes)) {
                out.content_kind = Node::Content::Opaque;
                out.content = std::move(bytes);
            } else {
                out.content_kind = Node::Content::Text;
                out.content = std::move(text);
            }
        }
        return true;
    }

private:
    bool fail(std::string what) {
        error = "xml: " + std::move(what);
        return false;
    }
};

}  // namespace

std::optional<Node> from_xml(std::string_view xml, std::string* error) {
    auto set_error = [&](std::string e) {
        if (error) *error = std::move(e);
    };
    // libxml2 wants its global state initialised once before threads use it concurrently.
    static const bool libxml_ready = (xmlInitParser(), true);
    (void)libxml_ready;
    if (xml.size() > static_cast<std::size_t>(INT32_MAX)) {
        set_error("xml: document too large");
        return std::nullopt;
    }
    std::unique_ptr<xmlDoc, XmlDocDeleter> doc(
        xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "eas.xml", "UTF-8",
                      XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    if (!doc) {
        const xmlError* e = xmlGetLastError();
        std::string msg = "xml: malformed document";
        if (e && e->message) {
            msg += ": ";
            msg += e->message;
            while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
            msg += " (line " + std::to_string(e->line) + ")";
        }
        set_error(std::move(msg));
        return std::nullopt;
    }
    xmlNode* root = xmlDocGetRootElement(doc.get());
    if (!root) {
        set_error("xml: no root element");
        return std::nullopt;
    }
    XmlReader reader;
    Node out;
    if (!reader.element(root, std::nullopt, out, 0)) {
        set_error(std::move(reader.error));
        return std::nullopt;
    }
    return out;
}

}  // namespace easd::wbxml
