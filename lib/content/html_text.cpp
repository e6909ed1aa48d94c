// HTML to readable plain text with libxml2's error-tolerant HTML parser: text as a browser lays
// it out (whitespace collapsed, block elements on their own lines), scripts and styles dropped.
#include "content/message.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <climits>
#include <cstring>
#include <memory>
#include <mutex>

namespace easd::content {

namespace {

struct DocFree {
    void operator()(xmlDoc* d) const noexcept {
        if (d) xmlFreeDoc(d);
    }
};

bool name_is(const xmlNode* n, const char* name) {
    return n->name && xmlStrcasecmp(n->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

bool name_in(const xmlNode* n, std::initializer_list<const char*> names) {
    for (const char* s : names)
        if (name_is(n, s)) return true;
    return false;
}

class TextBuilder {
public:
    // Text content; collapses whitespace unless inside <pre>.
    void text(const char* s, std::size_t len, bool pre) {
        for (std::size_t i = 0; i < len; ++i) {
            unsigned char c = static_cast<unsigned char>(s[i]);
            if (pre) {
                if (c == '\r') continue;
                if (c == '\n') { hard_newline(); continue; }
                emit_char(static_cast<char>(c));
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                space_ = true;
                continue;
            }
            if (c == 0xC2 && i + 1 < len && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
                // &nbsp;: a space that does not collapse
                flush_pending();
                out_.push_back(' ');
                ++i;
                continue;
            }
            if (space_) {
                flush_pending();
                if (!out_.empty() && out_.back() != '\n' && out_.back() != ' ') out_.push_back(' ');
                space_ = false;
            }
            emit_char(static_cast<char>(c));
        }
    }
    // A block boundary: at least `lines` line breaks before the next text (1 = new line, 2 = blank line).
    void block(int lines) {
        space_ = false;
        if (lines > pending_) pending_ = lines;
    }
    // <br>: adds a line break even when one is pending.
    void hard_newline() {
        space_ = false;
        if (out_.empty() && pending_ == 0) { return; }
        ++pending_;
    }
    void cell_separator() { space_ = true; }

    std::string finish() {
        while (!out_.empty() && (out_.back() == ' ' || out_.back() == '\n')) out_.pop_back();
        return std::move(out_);
    }

private:
    void flush_pending() {
        if (pending_ > 0 && !out_.empty()) {
            while (!out_.empty() && out_.back() == ' ') out_.pop_back();
            int have = 0;
            for (auto it = out_.rbegin(); it != out_.rend() && *it == '\n'; ++it) ++have;
            int want = pending_ > 2 ? 2 : pending_;  // runs of blank lines collapse to one
            for (int i = have; i < want; ++i) out_.push_back('\n');
        }
        pending_ = 0;
    }
    void emit_char(char c) {
        flush_pending();
        out_.push_back(c);
    }

    std::string out_;
    bool space_ = false;
    int pending_ = 0;
};

void walk(const xmlNode* node, TextBuilder& tb, bool pre, int depth) {
    if (depth > 512) return;  // libxml2 caps nesting too; never recurse without bound
    for (const xmlNode* n = node; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content) {
                const char* s = reinterpret_cast<const char*>(n->content);
                tb.text(s, std::strlen(s), pre);
            }
            continue;
        }
        if (n->type != XML_ELEMENT_NODE) continue;  // comments, processing instructions, DTD
        if (name_in(n, {"script", "style", "head", "title", "template", "noscript", "object", "iframe"}))
            continue;
        if (name_is(n, "br")) { tb.hard_newline(); continue; }
        if (name_is(n, "hr")) { tb.block(2); continue; }
        const bool paragraph = name_in(n, {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
                                           "ul", "ol", "dl", "table"});
        const bool line = name_in(n, {"div", "tr", "li", "dt", "dd", "address", "section", "article",
                                      "header", "footer", "nav", "aside", "form", "fieldset", "center",
                                      "caption", "figure", "figcaption", "main", "body"});
        const bool cell = name_in(n, {"td", "th"});
        if (paragraph) tb.block(2);
        else if (line) tb.block(1);
        else if (cell) tb.cell_separator();
        walk(n->children, tb, pre || name_is(n, "pre"), depth + 1);
        if (paragraph) tb.block(2);
        else if (line) tb.block(1);
        else if (cell) tb.cell_separator();
    }
}

}  // namespace

std::string html_to_text(std::string_view html) {
    // Not init_mime(): that warms up by calling this function inside its call_once.
    static std::once_flag xml_once;
    std::call_once(xml_once, [] { xmlInitParser(); });
    if (html.empty()) return {};
    if (html.size() > static_cast<std::size_t>(INT_MAX)) html = html.substr(0, INT_MAX);
    const int options = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING;
    std::unique_ptr<xmlDoc, DocFree> doc(
        htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8", options));
    if (!doc) return {};
    TextBuilder tb;
    walk(xmlDocGetRootElement(doc.get()), tb, false, 0);
    return tb.finish();
}

}  // namespace easd::content
