// Cross-check of lib/wbxml against an independent implementation: libwbxml2's command-line tools
// (Debian package libwbxml2-utils), on the corpus tests/data/wbxml/*.xml (every EAS command's request
// and response, in from_xml's form).
//
//   ours -> libwbxml:  our encode() -> `wbxml2xml -k -l ACTIVESYNC -m 0 -o out.xml in.wbxml` must give
//                      the same elements (after the name table below), texts and opaque data.
//   libwbxml -> ours:  the same tree written as libwbxml-flavoured XML (DOCTYPE, default namespaces
//                      "Page:", libwbxml's tag names) -> `xml2wbxml -k -a -n -v 1.3` -> our decode()
//                      must give the same tree back. -k keeps significant whitespace in texts; the XML
//                      is written without indentation, so there is no ignorable whitespace to keep.
//
// libwbxml 0.11.8 lacks code page 25 (Find) and the 16.1 tags MeetingResponse:ProposedStartTime,
// MeetingResponse:ProposedEndTime and Provision:AccountOnlyRemoteWipe. It decodes them as <unknown>,
// which the first direction accepts at exactly those places (documents whose root is such a tag, i.e.
// Find, are skipped: libwbxml then loses track of the namespaces); the second direction skips
// documents that contain them (it cannot encode them).
//
// libwbxml writes opaque data as base64 text (raw text for AirSyncBase:Data), and encodes base64 text
// as opaque for the tags it knows to be opaque (ConversationId, ...); the comparison accepts both.
#include <catch2/catch.hpp>

#include "support/cluster.h"
#include "support/wbxml_corpus.h"
#include "support/wbxml_oracle.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "support/process.h"
#include "wbxml/wbxml.h"

using namespace easd::wbxml;

namespace {

// libwbxml's tag names where they differ from MS-ASWBXML's: {page, token} -> libwbxml name.
struct LibName {
    int page;
    int token;
    const char* name;
};
const LibName kLibwbxmlNames[] = {
    {1, 0x07, "AssistantTelephoneNumber"},
    {1, 0x0D, "BusinessCity"}, {1, 0x0E, "BusinessCountry"}, {1, 0x0F, "BusinessPostalCode"},
    {1, 0x10, "BusinessState"}, {1, 0x11, "BusinessStreet"},
    {1, 0x21, "HomeCity"}, {1, 0x22, "HomeCountry"}, {1, 0x23, "HomePostalCode"}, {1, 0x24, "HomeState"},
    {1, 0x25, "HomeStreet"},
    {1, 0x2D, "OtherCity"}, {1, 0x2E, "OtherCountry"}, {1, 0x2F, "OtherPostalCode"}, {1, 0x30, "OtherState"},
    {1, 0x31, "OtherStreet"},
    {2, 0x09, "AttOId"}, {2, 0x19, "Reply-To"}, {2, 0x1D, "DTStamp"},
    {2, 0x29, "Recurrence_Type"}, {2, 0x2A, "Recurrence_Until"}, {2, 0x2B, "Recurrence_Occurrences"},
    {2, 0x2C, "Recurrence_Interval"}, {2, 0x2D, "Recurrence_DayOfWeek"}, {2, 0x2E, "Recurrence_DayOfMonth"},
    {2, 0x2F, "Recurrence_WeekOfMonth"}, {2, 0x30, "Recurrence_MonthOfYear"}, {2, 0x3B, "FlagStatus"},
    {3, 0x08, "LifeTime"},
    {4, 0x09, "Attendee_Email"}, {4, 0x0A, "Attendee_Name"}, {4, 0x10, "Compressed_RTF"}, {4, 0x11, "DTStamp"},
    {4, 0x15, "Exception_Deleted"}, {4, 0x16, "Exception_StartTime"}, {4, 0x19, "Organizer_Email"},
    {4, 0x1A, "Organizer_Name"}, {4, 0x1C, "Recurrence_Type"}, {4, 0x1D, "Recurrence_Until"},
    {4, 0x1E, "Recurrence_Occurrences"}, {4, 0x1F, "Recurrence_Interval"}, {4, 0x20, "Recurrence_DayOfWeek"},
    {4, 0x21, "Recurrence_DayOfMonth"}, {4, 0x22, "Recurrence_WeekOfMonth"}, {4, 0x23, "Recurrence_MonthOfYear"},
    {4, 0x29, "Attendee_Status"}, {4, 0x2A, "Attendee_Type"},
    {9, 0x0D, "UTCDueDate"}, {9, 0x10, "Recurrence_Type"}, {9, 0x11, "Recurrence_Start"},
    {9, 0x12, "Recurrence_Until"}, {9, 0x13, "Recurrence_Occurrences"}, {9, 0x14, "Recurrence_Interval"},
    {9, 0x15, "Recurrence_DayOfMonth"}, {9, 0x16, "Recurrence_DayOfWeek"}, {9, 0x17, "Recurrence_WeekOfMonth"},
    {9, 0x18, "Recurrence_MonthOfYear"}, {9, 0x19, "Recurrence_Regenerate"}, {9, 0x1A, "Recurrence_DeadOccur"},
    {9, 0x1F, "UTCStartDate"},
    {14, 0x10, "DeviceEncryptionEnabled"},
    {18, 0x2B, "ihsManagementInformation"},  // sic: libwbxml 0.11.8's table misspells RightsManagementInformation
    {21, 0x10, "MIME"},
    {24, 0x12, "RMOwner"}, {24, 0x18, "RemoveRightsManagementDistribution"},
};

// libwbxml's namespace names: the same as MS-ASWBXML's page names except "Gal" for "GAL".
std::string lib_page_name(uint8_t page) { return page == 16 ? "Gal" : std::string(page_name(page)); }

bool libwbxml_lacks(Tag t) {
    return tag_page(t) == 25 || t == tag::MeetingResponse::ProposedStartTime ||
           t == tag::MeetingResponse::ProposedEndTime || t == tag::Provision::AccountOnlyRemoteWipe;
}

std::string lib_name(Tag t) {
    for (const auto& n : kLibwbxmlNames)
        if (make_tag(static_cast<uint8_t>(n.page), static_cast<uint8_t>(n.token)) == t) return n.name;
    return std::string(tag_name(t));
}

std::optional<Tag> tag_from_lib_name(uint8_t page, const std::string& name) {
    for (const auto& n : kLibwbxmlNames)
        if (n.page == page && name == n.name) return make_tag(page, static_cast<uint8_t>(n.token));
    return tag_by_name(page, name);
}

std::string corpus_dir() { return easd::test::wbxml_corpus_dir(); }
std::vector<std::string> corpus_files() { return easd::test::wbxml_corpus_files(); }
std::string slurp(const std::string& path) { return easd::test::read_file(path); }

// --- content comparison ----------------------------------------------------------------------------

std::string base64(const std::string& in) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        unsigned v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
        out += t[v >> 18], out += t[(v >> 12) & 63], out += t[(v >> 6) & 63], out += t[v & 63];
    }
    if (in.size() - i == 1) {
        unsigned v = uint8_t(in[i]) << 16;
        out += t[v >> 18], out += t[(v >> 12) & 63], out += "==";
    } else if (in.size() - i == 2) {
        unsigned v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
        out += t[v >> 18], out += t[(v >> 12) & 63], out += t[(v >> 6) & 63], out += '=';
    }
    return out;
}

std::string crlf_to_lf(std::string s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) out += s[i];
    return out;
}

// Our content against libwbxml's (which turns opaque into base64 or raw text, and may turn base64 text
// into opaque when encoding; for tags it types as opaque, such as ResolveRecipients:Data, it prints
// even an inline string as base64).
bool content_matches(const Node& ours, const Node& theirs) {
    if (ours.content == theirs.content) return true;
    if (theirs.content == base64(ours.content) || ours.content == base64(theirs.content)) return true;
    const bool o_op = ours.content_kind == Node::Content::Opaque;
    return o_op && crlf_to_lf(theirs.content) == crlf_to_lf(ours.content);  // AirSyncBase:Data, raw
}

bool same(const Node& ours, const Node& theirs, bool allow_unknown, std::string& where) {
    if (ours.tag != theirs.tag) {
        if (!(allow_unknown && theirs.tag == 0xFFFF && libwbxml_lacks(ours.tag))) {
            where = std::string(tag_name(ours.tag)) + " vs " +
                    (theirs.tag == 0xFFFF ? std::string("<unknown>") : std::string(tag_name(theirs.tag)));
            return false;
        }
    }
    const bool ours_empty = ours.children.empty() && ours.content.empty();
    const bool theirs_empty = theirs.children.empty() && theirs.content.empty();
    if (!(ours_empty && theirs_empty) && ours.children.empty() && !content_matches(ours, theirs)) {
        where = std::string(tag_name(ours.tag)) + ": \"" + ours.content + "\" vs \"" + theirs.content + "\"";
        return false;
    }
    if (ours.children.size() != theirs.children.size()) {
        where = std::string(tag_name(ours.tag)) + ": " + std::to_string(ours.children.size()) + " vs " +
                std::to_string(theirs.children.size()) + " children";
        return false;
    }
    for (std::size_t i = 0; i < ours.children.size(); ++i)
        if (!same(ours.children[i], theirs.children[i], allow_unknown, where)) {
            where = std::string(tag_name(ours.tag)) + "/" + where;
            return false;
        }
    return true;
}

bool contains_lacking(const Node& n) {
    if (libwbxml_lacks(n.tag)) return true;
    for (const Node& c : n.children)
        if (contains_lacking(c)) return true;
    return false;
}

// --- libwbxml's XML <-> tree -------------------------------------------------------------------------

struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

// Reads wbxml2xml's output. An <unknown> element gets tag 0xFFFF.
bool read_lib_element(xmlNode* x, Node& out, std::string& err) {
    std::string ns = x->ns && x->ns->href ? reinterpret_cast<const char*>(x->ns->href) : "";
    if (!ns.empty() && ns.back() == ':') ns.pop_back();
    const std::string name = reinterpret_cast<const char*>(x->name);
    auto page = page_by_name(ns);
    if (name == "unknown") {
        out.tag = 0xFFFF;
    } else {
        if (!page) {
            err = "unknown namespace '" + ns + "' for <" + name + ">";
            return false;
        }
        auto t = tag_from_lib_name(*page, name);
        if (!t) {
            err = "unknown libwbxml tag " + ns + ":" + name;
            return false;
        }
        out.tag = *t;
    }
    for (xmlNode* c = x->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            if (!read_lib_element(c, out.children.emplace_back(), err)) return false;
        } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            out.content_kind = Node::Content::Text;
            out.content += reinterpret_cast<const char*>(c->content);
        }
    }
    if (!out.children.empty()) {
        out.content.clear();
        out.content_kind = Node::Content::None;
    }
    return true;
}

bool parse_lib_xml(const std::string& xml, Node& out, std::string& err) {
    std::unique_ptr<xmlDoc, DocFree> doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "lib.xml", "UTF-8",
                                                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    if (!doc) {
        err = "libxml2 could not parse wbxml2xml's output";
        return false;
    }
    return read_lib_element(xmlDocGetRootElement(doc.get()), out, err);
}

void escape_into(std::string& out, const std::string& s) {
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '\r': out += "&#13;"; break;
            default: out += c;
        }
    }
}

// Tags whose XML text libwbxml's encoder reads as base64 and writes as OPAQUE (found by running it):
// their text, opaque or not, is handed to xml2wbxml as base64. Any other text goes as it is.
bool libwbxml_reads_base64(Tag t) {
    return t == tag::ComposeMail::Mime || t == tag::ItemOperations::ConversationId ||
           t == tag::Email2::ConversationId || t == tag::Email2::ConversationIndex;
}

void write_lib_element(const Node& n, int parent_page, std::string& out) {
    const std::string name = lib_name(n.tag);
    out += '<';
    out += name;
    if (tag_page(n.tag) != parent_page) {
        out += " xmlns=\"";
        out += lib_page_name(tag_page(n.tag));
        out += ":\"";
    }
    if (n.children.empty() && n.content.empty()) {
        out += "/>";
        return;
    }
    out += '>';
    if (n.children.empty()) {
        const bool b64 = n.content_kind == Node::Content::Opaque || libwbxml_reads_base64(n.tag);
        escape_into(out, b64 ? base64(n.content) : n.content);
    }
    for (const Node& c : n.children) write_lib_element(c, tag_page(n.tag), out);
    out += "</";
    out += name;
    out += '>';
}

std::string lib_xml(const Node& root) {
    std::string out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE ActiveSync PUBLIC \"-//MICROSOFT//DTD ActiveSync//EN\" \"http://www.microsoft.com/\">\n";
    write_lib_element(root, -1, out);
    out += '\n';
    return out;
}

Node load(const std::string& file) {
    std::string err;
    auto n = from_xml(slurp(corpus_dir() + "/" + file), &err);
    INFO(file << ": " << err);
    REQUIRE(n);
    return *n;
}

}  // namespace

TEST_CASE("wbxml oracle: libwbxml decodes what we encode", "[wbxml][oracle]") {
    if (!easd::test::have_wbxml_tools()) {
        WARN("libwbxml2-utils (wbxml2xml, xml2wbxml) not installed: oracle test skipped");
        return;
    }
    const auto files = corpus_files();
    REQUIRE(files.size() >= 40);
    for (const auto& f : files) {
        INFO(f);
        const Node ours = load(f);
        // A document whose root libwbxml does not know (Find, page 25) comes back as nested <unknown>
        // elements whose namespaces are wrong: nothing to compare.
        if (libwbxml_lacks(ours.tag)) continue;
        const std::string xml = easd::test::libwbxml_decode(encode(ours));
        Node theirs;
        std::string err;
        INFO(xml);
        REQUIRE(parse_lib_xml(xml, theirs, err));
        std::string where;
        const bool ok = same(ours, theirs, /*allow_unknown=*/true, where);
        INFO(where);
        REQUIRE(ok);
    }
}

TEST_CASE("wbxml oracle: we decode what libwbxml encodes", "[wbxml][oracle]") {
    if (!easd::test::have_wbxml_tools()) {
        WARN("libwbxml2-utils (wbxml2xml, xml2wbxml) not installed: oracle test skipped");
        return;
    }
    int checked = 0;
    for (const auto& f : corpus_files()) {
        INFO(f);
        const Node ours = load(f);
        if (contains_lacking(ours)) continue;  // Find (page 25) and the 16.1 tags libwbxml lacks
        auto d = decode(easd::test::libwbxml_encode(lib_xml(ours)));
        INFO(d.error);
        REQUIRE(d);
        std::string where;
        const bool ok = same(ours, *d.root, /*allow_unknown=*/false, where);
        INFO(where);
        REQUIRE(ok);
        ++checked;
    }
    REQUIRE(checked >= 35);
}
