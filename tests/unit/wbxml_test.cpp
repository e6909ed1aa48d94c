// Unit tests for lib/wbxml: code page tables, decoder strictness, encoder canonical form, XML forms.
// The corpus in tests/data/wbxml/*.xml (one EAS request or response per file, in from_xml's form)
// drives the round-trip and robustness tests.
#include <catch2/catch.hpp>

#include "support/cluster.h"
#include "support/wbxml_corpus.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "wbxml/wbxml.h"

using namespace easd::wbxml;

namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b) s.push_back(static_cast<char>(c));
    return s;
}

const std::string kHeader = bytes({0x03, 0x01, 0x6A, 0x00});

std::string corpus_dir() { return easd::test::wbxml_corpus_dir(); }
std::vector<std::string> corpus_files() { return easd::test::wbxml_corpus_files(); }
std::string slurp(const std::string& path) { return easd::test::read_file(path); }

Node load(const std::string& file) {
    std::string err;
    auto n = from_xml(slurp(corpus_dir() + "/" + file), &err);
    INFO(file << ": " << err);
    REQUIRE(n);
    return *n;
}

bool is_empty_leaf(const Node& n) {
    return n.children.empty() && n.content.empty() && n.content_kind != Node::Content::Opaque;
}

// Structural equality; an empty text leaf equals a content-less element (encode writes <Tag/>).
bool same(const Node& a, const Node& b, std::string& where) {
    if (a.tag != b.tag) {
        where = std::string(tag_name(a.tag)) + " vs " + std::string(tag_name(b.tag));
        return false;
    }
    if (!(is_empty_leaf(a) && is_empty_leaf(b))) {
        if (a.content_kind != b.content_kind || a.content != b.content) {
            where = std::string(tag_name(a.tag)) + ": content differs";
            return false;
        }
    }
    if (a.children.size() != b.children.size()) {
        where = std::string(tag_name(a.tag)) + ": child count " + std::to_string(a.children.size()) + " vs " +
                std::to_string(b.children.size());
        return false;
    }
    for (std::size_t i = 0; i < a.children.size(); ++i)
        if (!same(a.children[i], b.children[i], where)) {
            where = std::string(tag_name(a.tag)) + "/" + where;
            return false;
        }
    return true;
}

void require_same(const Node& a, const Node& b) {
    std::string where;
    bool ok = same(a, b, where);
    INFO(where);
    REQUIRE(ok);
}

Node decode_ok(const std::string& wb) {
    auto r = decode(wb);
    INFO(r.error);
    REQUIRE(r);
    return *r.root;
}

std::string decode_error(const std::string& wb, const DecodeLimits& limits = {}) {
    auto r = decode(wb, limits);
    REQUIRE_FALSE(r);
    REQUIRE_FALSE(r.error.empty());
    return r.error;
}

struct TagRow {
    const char* page_ns;
    const char* name;
    int page;
    int token;
};

const std::vector<TagRow>& all_tags() {
    static const std::vector<TagRow> rows = {
#define EASD_TAG(page_ns, name, page, token) {#page_ns, #name, page, token},
#include "wbxml/codepages.inc"
#undef EASD_TAG
    };
    return rows;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Code pages

TEST_CASE("wbxml: code page table is sane", "[wbxml]") {
    const auto& rows = all_tags();
    REQUIRE(rows.size() > 600);
    std::map<int, std::set<int>> tokens;
    std::map<int, std::set<std::string>> names;
    std::set<int> pages;
    for (const auto& r : rows) {
        INFO(r.page_ns << "::" << r.name);
        REQUIRE(r.page >= 0);
        REQUIRE(r.page <= 25);
        REQUIRE(r.token >= 0x05);
        REQUIRE(r.token <= 0x3F);
        REQUIRE(tokens[r.page].insert(r.token).second);  // no duplicate token on a page
        REQUIRE(names[r.page].insert(r.name).second);    // no duplicate name on a page
        REQUIRE(page_name(static_cast<uint8_t>(r.page)) == r.page_ns);
        const Tag t = make_tag(static_cast<uint8_t>(r.page), static_cast<uint8_t>(r.token));
        REQUIRE(tag_name(t) == r.name);
        REQUIRE(tag_by_name(static_cast<uint8_t>(r.page), r.name) == std::optional<Tag>(t));
        REQUIRE(tag_page(t) == r.page);
        REQUIRE(tag_token(t) == r.token);
        pages.insert(r.page);
    }
    REQUIRE(pages.size() == 26);  // every page 0..25 has tags
    for (int p = 0; p < 26; ++p) {
        REQUIRE(page_by_name(page_name(static_cast<uint8_t>(p))) == std::optional<uint8_t>(static_cast<uint8_t>(p)));
        for (int tok = 0; tok < 64; ++tok)
            if (!tokens[p].count(tok))
                REQUIRE(tag_name(make_tag(static_cast<uint8_t>(p), static_cast<uint8_t>(tok))).empty());
    }
}

TEST_CASE("wbxml: page names and lookups", "[wbxml]") {
    REQUIRE(page_name(0) == "AirSync");
    REQUIRE(page_name(16) == "GAL");
    REQUIRE(page_name(25) == "Find");
    REQUIRE(page_name(26).empty());
    REQUIRE(page_name(255).empty());
    REQUIRE(page_by_name("Gal") == std::optional<uint8_t>(16));  // libwbxml's spelling
    REQUIRE(page_by_name("airsyncbase") == std::optional<uint8_t>(17));
    REQUIRE_FALSE(page_by_name("Nope"));
    REQUIRE_FALSE(page_by_name(""));
    REQUIRE_FALSE(tag_by_name(0, "Nope"));
    REQUIRE_FALSE(tag_by_name(26, "Sync"));
    REQUIRE(tag_name(make_tag(0, 0x00)).empty());
    REQUIRE(tag_name(0x1A05).empty());  // page 26
}

TEST_CASE("wbxml: well-known tokens", "[wbxml]") {
    // Spot checks against MS-ASWBXML, including the 16.0/16.1 additions.
    STATIC_REQUIRE(tag::AirSync::Sync == 0x0005);
    STATIC_REQUIRE(tag::AirSync::SyncKey == 0x000B);
    STATIC_REQUIRE(tag::AirSync::HeartbeatInterval == 0x0029);
    STATIC_REQUIRE(tag::Contacts::WeightedRank == 0x013E);
    STATIC_REQUIRE(tag::Email::DisallowNewTimeProposal == 0x023F);
    STATIC_REQUIRE(tag::Email::Status == 0x023B);
    STATIC_REQUIRE(tag::Calendar::ClientUid == 0x043C);
    STATIC_REQUIRE(tag::FolderHierarchy::FolderSync == 0x0716);
    STATIC_REQUIRE(tag::MeetingResponse::ProposedStartTime == 0x0810);
    STATIC_REQUIRE(tag::MeetingResponse::ProposedEndTime == 0x0811);
    STATIC_REQUIRE(tag::MeetingResponse::SendResponse == 0x0812);
    STATIC_REQUIRE(tag::Ping::MaxFolders == 0x0D0D);
    STATIC_REQUIRE(tag::Provision::AccountOnlyRemoteWipe == 0x0E3B);
    STATIC_REQUIRE(tag::GAL::Data == 0x1012);
    STATIC_REQUIRE(tag::AirSyncBase::Body == 0x110A);
    STATIC_REQUIRE(tag::AirSyncBase::InstanceId == 0x112D);
    STATIC_REQUIRE(tag::Settings::RightsManagementInformation == 0x122B);
    STATIC_REQUIRE(tag::ComposeMail::ForwardeeEmail == 0x1518);
    STATIC_REQUIRE(tag::Email2::Send == 0x1617);
    STATIC_REQUIRE(tag::RightsManagement::RemoveRightsManagementProtection == 0x1818);
    STATIC_REQUIRE(tag::Find::MailBoxSearchCriterion == 0x1908);
    STATIC_REQUIRE(tag::Find::Picture == 0x1922);
}

// ---------------------------------------------------------------------------------------------------
// Exact bytes

TEST_CASE("wbxml: decode and encode a FolderSync request byte for byte", "[wbxml]") {
    // <FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>
    const std::string wb = kHeader + bytes({0x00, 0x07, 0x56, 0x52, 0x03, '0', 0x00, 0x01, 0x01});
    Node n = decode_ok(wb);
    REQUIRE(n.tag == tag::FolderHierarchy::FolderSync);
    REQUIRE(n.children.size() == 1);
    REQUIRE(n.child_text(tag::FolderHierarchy::SyncKey) == "0");
    REQUIRE(encode(n) == wb);
}

TEST_CASE("wbxml: encoder switches pages only when the page changes", "[wbxml]") {
    Node sync(tag::AirSync::Sync);
    Node& coll = sync.add(tag::AirSync::Collections).add(tag::AirSync::Collection);
    coll.add(tag::AirSync::SyncKey, "1");
    Node& opts = coll.add(tag::AirSync::Options);
    Node& pref = opts.add(tag::AirSyncBase::BodyPreference);
    pref.add(tag::AirSyncBase::Type, 2LL);
    pref.add(tag::AirSyncBase::TruncationSize, "500");
    opts.add(tag::AirSync::MIMESupport, "0");
    const std::string expected =
        kHeader + bytes({0x45, 0x5C, 0x4F, 0x4B, 0x03, '1', 0x00, 0x01, 0x57,  // Sync Collections Collection SyncKey Options
                         0x00, 0x11, 0x45,                                     // page 17, BodyPreference
                         0x46, 0x03, '2', 0x00, 0x01,                          // Type
                         0x47, 0x03, '5', '0', '0', 0x00, 0x01,                // TruncationSize
                         0x01,                                                 // /BodyPreference
                         0x00, 0x00, 0x62, 0x03, '0', 0x00, 0x01,              // page 0, MIMESupport
                         0x01, 0x01, 0x01, 0x01});                             // /Options /Collection /Collections /Sync
    REQUIRE(encode(sync) == expected);
    require_same(decode_ok(expected), sync);
}

TEST_CASE("wbxml: empty text, content-less tags and NUL bytes", "[wbxml]") {
    Node root(tag::AirSync::Sync);
    root.add(tag::AirSync::GetChanges);           // None
    root.add(tag::AirSync::SyncKey, "");          // empty Text: written as <SyncKey/>
    root.add(tag::AirSync::Class, std::string("E\0mail", 6));  // NUL dropped
    const std::string wb = encode(root);
    REQUIRE(wb == kHeader + bytes({0x45, 0x13, 0x0B, 0x50, 0x03, 'E', 'm', 'a', 'i', 'l', 0x00, 0x01, 0x01}));
    Node back = decode_ok(wb);
    REQUIRE(back.children.size() == 3);
    REQUIRE(back.children[1].content_kind == Node::Content::None);
    REQUIRE(back.child_text(tag::AirSync::SyncKey, "x").empty());
    REQUIRE(back.child_text(tag::AirSync::Class) == "Email");

    // <SyncKey></SyncKey> with the content flag and no content, and an empty STR_I, both decode.
    Node a = decode_ok(kHeader + bytes({0x45, 0x4B, 0x01, 0x4B, 0x03, 0x00, 0x01, 0x01}));
    REQUIRE(a.children.size() == 2);
    REQUIRE(a.children[0].content_kind == Node::Content::None);
    REQUIRE(a.children[1].content_kind == Node::Content::Text);
    REQUIRE(a.children[1].content.empty());
}

TEST_CASE("wbxml: a single content-less root", "[wbxml]") {
    Node n = decode_ok(kHeader + bytes({0x00, 0x0D, 0x05}));  // <Ping/>
    REQUIRE(n.tag == tag::Ping::Ping);
    REQUIRE(n.children.empty());
    REQUIRE(encode(n) == kHeader + bytes({0x00, 0x0D, 0x05}));
}

TEST_CASE("wbxml: text in several STR_I pieces is concatenated", "[wbxml]") {
    Node n = decode_ok(kHeader + bytes({0x45, 0x4B, 0x03, 'a', 'b', 0x00, 0x03, 0x00, 0x03, 'c', 0x00, 0x01, 0x01}));
    REQUIRE(n.child_text(tag::AirSync::SyncKey) == "abc");
}

TEST_CASE("wbxml: opaque data round trips, with multi-byte lengths", "[wbxml]") {
    std::string blob;
    for (int i = 0; i < 300; ++i) blob.push_back(static_cast<char>(i & 0xFF));  // includes NULs
    Node root(tag::ComposeMail::SendMail);
    root.add(tag::ComposeMail::ClientId, "1");
    root.add_opaque(tag::ComposeMail::Mime, blob);
    root.add_opaque(tag::ComposeMail::AccountId, "");
    const std::string wb = encode(root);
    // 300 = 0b10'0101100 -> 0x82 0x2C
    REQUIRE(wb.find(bytes({0x50, 0xC3, 0x82, 0x2C, 0x00, 0x01, 0x02})) != std::string::npos);
    Node back = decode_ok(wb);
    require_same(back, root);
    REQUIRE(back.children[1].content_kind == Node::Content::Opaque);
    REQUIRE(back.children[1].content == blob);
    REQUIRE(back.children[2].content_kind == Node::Content::Opaque);

    // Several OPAQUE pieces concatenate as well.
    Node two = decode_ok(kHeader + bytes({0x00, 0x15, 0x45, 0x50, 0xC3, 0x01, 'x', 0xC3, 0x02, 'y', 'z', 0x01, 0x01}));
    REQUIRE(two.child_text(tag::ComposeMail::Mime) == "xyz");
}

TEST_CASE("wbxml: Node builders and lookups", "[wbxml]") {
    Node r(tag::Ping::Ping);
    r.add(tag::Ping::Status, 2LL);
    Node& folders = r.add(tag::Ping::Folders);
    folders.add(tag::Ping::Folder, "1");
    folders.add(tag::Ping::Folder, std::string_view("2"));
    REQUIRE(r.has(tag::Ping::Folders));
    REQUIRE_FALSE(r.has(tag::Ping::HeartbeatInterval));
    REQUIRE(r.child_text(tag::Ping::Status) == "2");
    REQUIRE(r.child_text(tag::Ping::HeartbeatInterval, "none") == "none");
    REQUIRE(r.child(tag::Ping::Folders)->children_of(tag::Ping::Folder).size() == 2);
    REQUIRE(r.child(tag::Ping::Folders)->text().empty());
    const Node& cr = r;
    REQUIRE(cr.child(tag::Ping::Status) == r.child(tag::Ping::Status));
}

TEST_CASE("wbxml: encode rejects undefined tags", "[wbxml]") {
    Node bad(make_tag(0, 0x3F));
    REQUIRE_THROWS_AS(encode(bad), std::invalid_argument);
    Node unset;  // tag 0 is SWITCH_PAGE on the wire, never a tag
    REQUIRE_THROWS_AS(encode(unset), std::invalid_argument);
    Node page26(make_tag(26, 0x05));
    REQUIRE_THROWS_AS(encode(page26), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------
// Decoder errors

TEST_CASE("wbxml: header is checked strictly", "[wbxml]") {
    const std::string body = bytes({0x45, 0x01});
    REQUIRE(decode_error("").find("empty") != std::string::npos);
    REQUIRE(decode_error(bytes({0x02, 0x01, 0x6A, 0x00}) + body).find("version") != std::string::npos);
    REQUIRE(decode_error(bytes({0x01, 0x01, 0x6A, 0x00}) + body).find("version") != std::string::npos);
    REQUIRE(decode_error(bytes({0x03, 0x00, 0x6A, 0x00}) + body).find("public id") != std::string::npos);
    REQUIRE(decode_error(bytes({0x03, 0x05, 0x6A, 0x00}) + body).find("public id") != std::string::npos);
    REQUIRE(decode_error(bytes({0x03, 0x01, 0x04, 0x00}) + body).find("charset") != std::string::npos);
    REQUIRE(decode_error(bytes({0x03, 0x01, 0x6A, 0x03, 'a', 'b', 0x00}) + body).find("string table") !=
            std::string::npos);
    REQUIRE(decode_error(bytes({0x03})).find("truncated") != std::string::npos);
    REQUIRE(decode_error(bytes({0x03, 0x01})).find("truncated") != std::string::npos);
    REQUIRE(decode_error(bytes({0x03, 0x01, 0x6A})).find("truncated") != std::string::npos);
    REQUIRE(decode_error(kHeader).find("no root") != std::string::npos);
    // A multi-byte but well-formed mb_u_int32 of the right value is fine.
    REQUIRE(decode(bytes({0x03, 0x80, 0x01, 0x80, 0x6A, 0x00}) + body));
}

TEST_CASE("wbxml: huge and overlong mb_u_int32", "[wbxml]") {
    // opaque length 2^32 (5 bytes, too big) and a 6-byte integer
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x4B, 0xC3, 0x90, 0x80, 0x80, 0x80, 0x00, 0x01, 0x01}))
                .find("overflow") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x4B, 0xC3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01, 0x01}))
                .find("longer than 5") != std::string::npos);
    // 0xFFFFFFFF: valid integer, but far more than the input
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x4B, 0xC3, 0x8F, 0xFF, 0xFF, 0xFF, 0x7F, 0x01, 0x01}))
                .find("truncated opaque") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x4B, 0xC3, 0x80})).find("truncated mb_u_int32") != std::string::npos);
    REQUIRE(decode_error(bytes({0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x6A, 0x00, 0x45, 0x01})).find("public id") !=
            std::string::npos);
}

TEST_CASE("wbxml: unsupported global tokens and attributes", "[wbxml]") {
    for (int g : {0x02, 0x04, 0x40, 0x41, 0x42, 0x43, 0x44, 0x80, 0x81, 0x82, 0x83, 0x84, 0xC0, 0xC1, 0xC2, 0xC4}) {
        INFO("token " << g);
        const std::string e = decode_error(kHeader + bytes({0x45, g, 0x00, 0x00, 0x01, 0x01}));
        REQUIRE(e.find("unsupported global token") != std::string::npos);
        REQUIRE(e.find("offset 5") != std::string::npos);
    }
    REQUIRE(decode_error(kHeader + bytes({0xC5, 0x01, 0x01})).find("attributes") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x8B, 0x01, 0x01})).find("attributes") != std::string::npos);
}

TEST_CASE("wbxml: unknown pages and tokens", "[wbxml]") {
    REQUIRE(decode_error(kHeader + bytes({0x00, 26, 0x45, 0x01})).find("unknown code page 26") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x00, 0xFF, 0x45, 0x01})).find("unknown code page") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x7F, 0x01})).find("unknown token 0x3F") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x2A, 0x01})).find("unknown token 0x2A on code page 0") !=
            std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x00, 0x11, 0x49, 0x01})).find("AirSyncBase") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x00})).find("truncated SWITCH_PAGE") != std::string::npos);
}

TEST_CASE("wbxml: trailing bytes after the root are ignored only when allowed", "[wbxml]") {
    // What Android devices send: a complete document, then a stray END, NUL or more.
    DecodeLimits tolerant;
    tolerant.allow_trailing_bytes = true;
    for (const std::string& tail : {bytes({0x01}), bytes({0x00, 0x00}), bytes({0x45, 0x01}), bytes({0xFF})}) {
        auto strict = decode(kHeader + bytes({0x45, 0x4B, 0x03, '1', 0x00, 0x01, 0x01}) + tail);
        REQUIRE_FALSE(strict);
        REQUIRE(strict.error.find("trailing") != std::string::npos);
        auto r = decode(kHeader + bytes({0x45, 0x4B, 0x03, '1', 0x00, 0x01, 0x01}) + tail, tolerant);
        REQUIRE(r);
        CHECK(r.trailing_bytes == tail.size());
        CHECK(r.root->tag == tag::AirSync::Sync);
        CHECK(r.root->child_text(tag::AirSync::SyncKey) == "1");
    }
    // A content-less root, and nothing after it: nothing ignored.
    auto single = decode(kHeader + bytes({0x05, 0x05}), tolerant);
    REQUIRE(single);
    CHECK(single.trailing_bytes == 1);
    auto exact = decode(kHeader + bytes({0x45, 0x01}), tolerant);
    REQUIRE(exact);
    CHECK(exact.trailing_bytes == 0);
    // Everything else stays strict: an unclosed root is still truncated.
    CHECK_FALSE(decode(kHeader + bytes({0x45, 0x4B, 0x01}), tolerant));
}

TEST_CASE("wbxml: structural errors", "[wbxml]") {
    // trailing garbage after the root
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x01, 0x01})).find("trailing") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x01, 0x00, 0x00})).find("trailing") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x05, 0x05})).find("trailing") != std::string::npos);
    // END or content with nothing open
    REQUIRE(decode_error(kHeader + bytes({0x01})).find("END without") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x03, 'a', 0x00})).find("outside") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0xC3, 0x00})).find("outside") != std::string::npos);
    // text and child elements mixed, in both orders, and text mixed with opaque
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x03, 'a', 0x00, 0x4B, 0x01, 0x01})).find("has content") !=
            std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x0B, 0x03, 'a', 0x00, 0x01})).find("child elements") !=
            std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x0B, 0xC3, 0x01, 'a', 0x01})).find("child elements") !=
            std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x4B, 0x03, 'a', 0x00, 0xC3, 0x01, 'b', 0x01})).find("after text") !=
            std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x4B, 0xC3, 0x01, 'b', 0x03, 'a', 0x00, 0x01})).find("after opaque") !=
            std::string::npos);
    // truncation
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x4B, 0x03, 'a'})).find("unterminated") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x4B, 0x01})).find("not closed") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x4B, 0xC3, 0x05, 'a', 'b'})).find("truncated opaque") !=
            std::string::npos);
}

TEST_CASE("wbxml: limits", "[wbxml]") {
    DecodeLimits lim;
    lim.max_depth = 4;
    std::string ok = kHeader, deep = kHeader;
    for (int i = 0; i < 4; ++i) ok += bytes({0x45});
    for (int i = 0; i < 4; ++i) ok += bytes({0x01});
    REQUIRE(decode(ok, lim));
    for (int i = 0; i < 5; ++i) deep += bytes({0x45});
    for (int i = 0; i < 5; ++i) deep += bytes({0x01});
    REQUIRE(decode_error(deep, lim).find("nesting deeper than 4") != std::string::npos);
    // default depth limit: 64, and a very deep document fails quickly without recursion
    std::string very_deep = kHeader + std::string(100000, '\x45') + std::string(100000, '\x01');
    REQUIRE(decode_error(very_deep).find("nesting deeper than 64") != std::string::npos);

    DecodeLimits nodes;
    nodes.max_nodes = 3;
    REQUIRE(decode(kHeader + bytes({0x45, 0x0B, 0x0B, 0x01}), nodes));
    REQUIRE(decode_error(kHeader + bytes({0x45, 0x0B, 0x0B, 0x0B, 0x01}), nodes).find("more than 3 elements") !=
            std::string::npos);

    DecodeLimits str;
    str.max_string = 4;
    REQUIRE(decode(kHeader + bytes({0x4B, 0x03, 'a', 'b', 'c', 'd', 0x00, 0x01}), str));
    REQUIRE(decode_error(kHeader + bytes({0x4B, 0x03, 'a', 'b', 'c', 'd', 'e', 0x00, 0x01}), str).find("limit") !=
            std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x4B, 0x03, 'a', 'b', 'c', 0x00, 0x03, 'd', 'e', 0x00, 0x01}), str)
                .find("limit") != std::string::npos);
    REQUIRE(decode_error(kHeader + bytes({0x4B, 0xC3, 0x05, 'a', 'b', 'c', 'd', 'e', 0x01}), str).find("limit") !=
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------------
// Corpus round trips and robustness

TEST_CASE("wbxml: corpus round trips through encode/decode and to_xml/from_xml", "[wbxml]") {
    const auto files = corpus_files();
    REQUIRE(files.size() >= 40);
    for (const auto& f : files) {
        INFO(f);
        Node n = load(f);
        const std::string wb = encode(n);
        Node back = decode_ok(wb);
        require_same(back, n);
        REQUIRE(encode(back) == wb);  // canonical: re-encoding is stable

        std::string err;
        auto again = from_xml(to_xml(n), &err);
        INFO(err);
        REQUIRE(again);
        require_same(*again, n);
    }
}

TEST_CASE("wbxml: every truncation of every corpus document fails cleanly", "[wbxml]") {
    for (const auto& f : corpus_files()) {
        INFO(f);
        const std::string wb = encode(load(f));
        for (std::size_t len = 0; len < wb.size(); ++len) {
            auto r = decode(std::string_view(wb.data(), len));
            INFO("length " << len);
            REQUIRE_FALSE(r);  // the root is only closed by the last byte
            REQUIRE_FALSE(r.error.empty());
        }
    }
}

TEST_CASE("wbxml: corrupted documents never crash and decode canonically when accepted", "[wbxml]") {
    uint32_t seed = 12345;
    auto rnd = [&] {
        seed = seed * 1103515245u + 12345u;
        return seed >> 8;
    };
    for (const auto& f : corpus_files()) {
        const std::string wb = encode(load(f));
        for (int round = 0; round < 200; ++round) {
            std::string m = wb;
            const int edits = 1 + static_cast<int>(rnd() % 3);
            for (int e = 0; e < edits; ++e) {
                const std::size_t at = rnd() % m.size();
                switch (rnd() % 3) {
                    case 0: m[at] = static_cast<char>(rnd() & 0xFF); break;
                    case 1: m.erase(at, 1 + rnd() % 4); break;
                    default: m.insert(at, 1, static_cast<char>(rnd() & 0xFF)); break;
                }
                if (m.empty()) m = wb;
            }
            auto r = decode(m);
            if (!r) {
                REQUIRE_FALSE(r.error.empty());
                continue;
            }
            const std::string re = encode(*r.root);
            Node again = decode_ok(re);
            require_same(again, *r.root);
            REQUIRE(encode(again) == re);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// XML

TEST_CASE("wbxml: to_xml renders namespaces, escapes and opaque", "[wbxml]") {
    Node root(tag::AirSync::Sync);
    Node& c = root.add(tag::AirSync::Collections).add(tag::AirSync::Collection);
    c.add(tag::AirSync::SyncKey, "a<b>&\"c\"\r\n");
    c.add(tag::AirSyncBase::Type, "1");
    c.add_opaque(tag::AirSyncBase::Data, "Hi!");
    c.add(tag::AirSync::GetChanges);
    const std::string xml = to_xml(root);
    REQUIRE(xml.find("<Sync xmlns=\"AirSync:\" xmlns:AirSyncBase=\"AirSyncBase:\">") == 0);
    REQUIRE(xml.find("<SyncKey>a&lt;b&gt;&amp;&quot;c&quot;&#13;\n</SyncKey>") != std::string::npos);
    REQUIRE(xml.find("    <Collection>\n") != std::string::npos);
    REQUIRE(xml.find("<AirSyncBase:Type>1</AirSyncBase:Type>") != std::string::npos);
    REQUIRE(xml.find("<AirSyncBase:Data>[opaque 3 bytes: SGkh]</AirSyncBase:Data>") != std::string::npos);
    REQUIRE(xml.find("<GetChanges/>") != std::string::npos);
    auto back = from_xml(xml);
    REQUIRE(back);
    require_same(*back, root);
}

TEST_CASE("wbxml: from_xml accepts the namespace spellings in use", "[wbxml]") {
    const char* forms[] = {
        // default namespaces with and without the trailing colon, libwbxml's form with a DOCTYPE
        R"(<Sync xmlns="AirSync:"><Collections><Collection><SyncKey>0</SyncKey>)"
        R"(<Body xmlns="AirSyncBase:"><Type>1</Type></Body></Collection></Collections></Sync>)",
        R"(<Sync xmlns="AirSync"><Collections><Collection><SyncKey>0</SyncKey>)"
        R"(<Body xmlns="AirSyncBase"><Type>1</Type></Body></Collection></Collections></Sync>)",
        R"(<?xml version="1.0"?><!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">)"
        R"(<Sync xmlns="AirSync:"><Collections><Collection><SyncKey>0</SyncKey>)"
        R"(<Body xmlns="AirSyncBase:"><Type>1</Type></Body></Collection></Collections></Sync>)",
        // prefixes, as MS-ASCMD examples write them
        R"(<airsync:Sync xmlns:airsync="AirSync:" xmlns:airsyncbase="AirSyncBase:"><airsync:Collections>)"
        R"(<airsync:Collection><airsync:SyncKey>0</airsync:SyncKey><airsyncbase:Body><airsyncbase:Type>1</airsyncbase:Type>)"
        R"(</airsyncbase:Body></airsync:Collection></airsync:Collections></airsync:Sync>)",
        // whitespace between elements and comments are ignored
        "<Sync xmlns='AirSync'>\n <!-- c -->\n <Collections>\n  <Collection>\n   <SyncKey>0</SyncKey>\n"
        "   <Body xmlns='AirSyncBase'>\n    <Type>1</Type>\n   </Body>\n  </Collection>\n </Collections>\n</Sync>\n",
    };
    Node expected(tag::AirSync::Sync);
    Node& c = expected.add(tag::AirSync::Collections).add(tag::AirSync::Collection);
    c.add(tag::AirSync::SyncKey, "0");
    c.add(tag::AirSyncBase::Body).add(tag::AirSyncBase::Type, "1");
    for (const char* x : forms) {
        INFO(x);
        std::string err;
        auto n = from_xml(x, &err);
        INFO(err);
        REQUIRE(n);
        require_same(*n, expected);
    }
    auto cdata = from_xml("<Ping xmlns='Ping:'><Status><![CDATA[a<b]]></Status></Ping>");
    REQUIRE(cdata);
    REQUIRE(cdata->child_text(tag::Ping::Status) == "a<b");
}

TEST_CASE("wbxml: from_xml errors", "[wbxml]") {
    auto err_of = [](const char* x) {
        std::string e;
        REQUIRE_FALSE(from_xml(x, &e));
        REQUIRE_FALSE(e.empty());
        return e;
    };
    REQUIRE(err_of("<Sync xmlns='AirSync:'>").find("malformed") != std::string::npos);
    REQUIRE(err_of("").find("malformed") != std::string::npos);
    REQUIRE(err_of("<Sync xmlns='AirSync:'><Nope/></Sync>").find("unknown element <Nope>") != std::string::npos);
    REQUIRE(err_of("<Sync xmlns='urn:other'/>").find("not an EAS code page") != std::string::npos);
    REQUIRE(err_of("<Sync/>").find("no namespace") != std::string::npos);
    REQUIRE(err_of("<Sync xmlns='AirSync:'>text<SyncKey/></Sync>").find("both text and child") != std::string::npos);
    REQUIRE_FALSE(from_xml("<!DOCTYPE x SYSTEM 'http://example.com/x.dtd'><Sync xmlns='AirSync:'>&ext;</Sync>"));
    REQUIRE_FALSE(from_xml("<Sync xmlns='AirSync:'/>", nullptr) == std::nullopt);  // nullptr error is fine
}

TEST_CASE("wbxml: opaque marker that does not match its length stays text", "[wbxml]") {
    auto n = from_xml("<Ping xmlns='Ping:'><Status>[opaque 2 bytes: SGkh]</Status></Ping>");
    REQUIRE(n);
    REQUIRE(n->children[0].content_kind == Node::Content::Text);
    auto o = from_xml("<Ping xmlns='Ping:'><Status>[opaque 3 bytes: SGkh]</Status></Ping>");
    REQUIRE(o);
    REQUIRE(o->children[0].content_kind == Node::Content::Opaque);
    REQUIRE(o->children[0].content == "Hi!");
}
