#include "support/xsd_validator.h"

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace easd::test {

namespace fs = std::filesystem;

namespace {

const char* const kXsdNamespace = "http://www.w3.org/2001/XMLSchema";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("xsd_validator: cannot write " + p.string());
}

// The values of every attribute `name="..."` in the text (a schema file's start tag and its
// xmlns:prefix declarations; the XSDs are plain enough for this).
std::vector<std::string> attribute_values(const std::string& text, const std::string& name_start) {
    // The published files put blanks and line breaks around '=' (`xmlns:airsyncbase=\n "AirSyncBase"`).
    auto blank = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
    std::vector<std::string> out;
    for (size_t at = text.find(name_start); at != std::string::npos; at = text.find(name_start, at + 1)) {
        if (at > 0 && !blank(text[at - 1])) continue;
        size_t eq = text.find('=', at);
        if (eq == std::string::npos) break;
        size_t quote = eq + 1;
        while (quote < text.size() && blank(text[quote])) ++quote;
        if (quote >= text.size() || (text[quote] != '"' && text[quote] != '\'')) continue;
        size_t end = text.find(text[quote], quote + 1);
        if (end == std::string::npos) break;
        out.push_back(text.substr(quote + 1, end - quote - 1));
    }
    return out;
}

void ignore_generic_error(void*, const char*, ...) {}

// libxml2's error callback takes xmlError* before 2.12 and const xmlError* after: deduce which.
template <typename Error>
void collect_error(void* user, Error* error) {
    auto* out = static_cast<std::string*>(user);
    if (!error || !error->message) return;
    if (error->node) {
        // The element's path in the document, e.g. /Settings:Settings/Settings:UserInformation.
        xmlChar* path = xmlGetNodePath(static_cast<xmlNodePtr>(error->node));
        if (path) *out += std::string(reinterpret_cast<const char*>(path)) + ": ";
        xmlFree(path);
    }
    *out += error->message;
    if (out->empty() || out->back() != '\n') *out += '\n';
}

std::string schema_dir() {
    if (const char* dir = std::getenv("EASD_XSD_DIR"); dir && *dir) return dir;
    return std::string(EASD_SOURCE_DIR) + "/../shared/schemas/eas";
}

// Where a published XSD and MS-ASCMD disagree, the specification wins (shared/schemas/eas/README).
// Each amendment names the section that says so; a file that no longer has the text fails loudly,
// so an updated XSD is looked at again rather than silently validated differently.
void amend_where_the_specification_differs(const std::string& file, std::string& text) {
    if (file != "SyncResponse.xsd") return;
    // MS-ASCMD 2.2.3.24: a Change in Responses carries ServerId, InstanceId, Class, ApplicationData
    // and Status (16.x answers a draft Change that added attachments with their new
    // FileReferences); the XSD's Responses/Change stops at InstanceId and Status. The class
    // elements inside are still checked against their own global declarations.
    const std::string change_tail =
        "<xs:element ref=\"airsyncbase:InstanceId\" minOccurs=\"0\"/>";
    auto at = text.find("<xs:element name=\"Responses\"");
    if (at != std::string::npos) at = text.find(change_tail, at);
    if (at == std::string::npos)
        throw std::runtime_error("xsd_validator: SyncResponse.xsd changed; look at the Responses/Change amendment again");
    text.insert(at + change_tail.size(),
                "<xs:element name=\"ApplicationData\" minOccurs=\"0\"><xs:complexType><xs:sequence>"
                "<xs:any namespace=\"##other\" processContents=\"strict\" minOccurs=\"0\" maxOccurs=\"unbounded\"/>"
                "</xs:sequence></xs:complexType></xs:element>");
    // MS-ASAIRS 2.2.2.7: a 16.x Add in Responses answers a draft's new attachments with their
    // FileReferences in ApplicationData/airsyncbase:Attachments; the XSD's Add offers no Attachments.
    const std::string add_location = "ref=\"airsyncbase:Location\"/>";
    auto add = text.find("<xs:element name=\"Add\"", text.find("<xs:element name=\"Responses\""));
    if (add != std::string::npos) add = text.find(add_location, add);
    if (add == std::string::npos)
        throw std::runtime_error("xsd_validator: SyncResponse.xsd changed; look at the Responses/Add amendment again");
    text.insert(add + add_location.size(), "<xs:element ref=\"airsyncbase:Attachments\"/>");
    // MS-ASCMD 2.2.3.11: ApplicationData in Responses carries any content class's elements; the
    // XSD's Commands list the Notes elements, its Responses (Add, Fetch) forgot them.
    const std::string tasks = "<xs:group ref=\"tasks:AllProps\"/>";
    const std::string notes = "<xs:element ref=\"notes:Subject\"/><xs:element ref=\"notes:MessageClass\"/>"
                              "<xs:element ref=\"notes:LastModifiedDate\"/><xs:element ref=\"notes:Categories\"/>";
    for (auto at_tasks = text.find(tasks, text.find("<xs:element name=\"Responses\"")); at_tasks != std::string::npos;
         at_tasks = text.find(tasks, at_tasks + tasks.size() + notes.size()))
        text.insert(at_tasks + tasks.size(), notes);
    // MS-ASCMD 2.2.3.42.2 and 2.2.3.67.2: Responses holds 0...N Delete and Fetch answers (several
    // failed Deletes, several Fetches in one request); the XSD allows one of each.
    for (const char* answer : {"<xs:element name=\"Delete\" minOccurs=\"0\"", "<xs:element name=\"Fetch\" minOccurs=\"0\""}) {
        auto pos = text.find(answer, text.find("<xs:element name=\"Responses\""));
        if (pos == std::string::npos)
            throw std::runtime_error("xsd_validator: SyncResponse.xsd changed; look at the Delete/Fetch amendment again");
        text.insert(pos + std::string(answer).size(), " maxOccurs=\"unbounded\"");
    }
}

// The XSDs as published refer to other namespaces without <xs:import> (.NET tolerates that;
// libxml2 does not), and several namespaces span files (FolderHierarchy.xsd + FolderSyncResponse.xsd
// + ...). So: copy each file into a temporary directory with an <xs:import> of every foreign
// namespace it declares; give each namespace one file that <xs:include>s all of its files; and
// make one root schema that imports every namespace. The elements of one namespace do not clash
// across its files (requests' shared elements vs. responses' roots), so one schema serves all.
class Schemas {
public:
    Schemas() {
        const fs::path source = schema_dir();
        if (!fs::is_directory(source))
            throw std::runtime_error("xsd_validator: no XSD directory at " + source.string());

        char tmpl[] = "/tmp/easd-xsd-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("xsd_validator: mkdtemp failed");
        const fs::path dir = tmpl;
        struct RemoveDir {  // the copies are needed only while libxml2 parses them
            fs::path p;
            ~RemoveDir() {
                std::error_code ignored;
                fs::remove_all(p, ignored);
            }
        } remove_dir{dir};

        std::map<std::string, std::vector<std::string>> files_of;  // namespace -> file names
        std::map<std::string, std::string> text_of;                // file name -> contents
        std::map<std::string, std::string> namespace_of;           // file name -> namespace
        for (const auto& entry : fs::directory_iterator(source)) {
            if (entry.path().extension() != ".xsd") continue;
            std::string text = read_file(entry.path());
            auto target = attribute_values(text, "targetNamespace");
            // Autodiscover's schemas (plain XML, http: namespaces) are not WBXML's.
            if (target.empty() || target.front().find(':') != std::string::npos) continue;
            std::string name = entry.path().filename().string();
            files_of[target.front()].push_back(name);
            namespace_of[name] = target.front();
            text_of[name] = std::move(text);
        }
        for (auto& [name, text] : text_of) {
            std::set<std::string> foreign;
            for (const auto& ns : attribute_values(text, "xmlns:")) {
                if (ns != kXsdNamespace && ns != namespace_of[name] && files_of.count(ns)) foreign.insert(ns);
            }
            std::string imports;
            for (const auto& ns : foreign)
                imports += "<xs:import namespace=\"" + ns + "\" schemaLocation=\"ns-" + ns + ".xsd\"/>";
            // After the start tag of <xs:schema ...>: imports come first in a schema.
            auto start = text.find("<xs:schema");
            auto close = start == std::string::npos ? start : text.find('>', start);
            if (close == std::string::npos) throw std::runtime_error("xsd_validator: no <xs:schema> in " + name);
            text.insert(close + 1, imports);
            amend_where_the_specification_differs(name, text);
            write_file(dir / name, text);
        }
        std::string root = std::string("<xs:schema xmlns:xs=\"") + kXsdNamespace + "\">";
        for (const auto& [ns, files] : files_of) {
            std::string wrapper = std::string("<xs:schema xmlns:xs=\"") + kXsdNamespace + "\" targetNamespace=\"" + ns +
                                  "\" elementFormDefault=\"qualified\">";
            for (const auto& f : files) wrapper += "<xs:include schemaLocation=\"" + f + "\"/>";
            wrapper += "</xs:schema>";
            write_file(dir / ("ns-" + ns + ".xsd"), wrapper);
            root += "<xs:import namespace=\"" + ns + "\" schemaLocation=\"ns-" + ns + ".xsd\"/>";
        }
        root += "</xs:schema>";
        write_file(dir / "all.xsd", root);

        std::string errors;
        // The XSDs' namespaces are not absolute URIs ("AirSync"): libxml2's parser warns about each
        // on the generic channel. Quiet while parsing; real schema errors come through `errors`.
        xmlSetGenericErrorFunc(nullptr, &ignore_generic_error);
        xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt((dir / "all.xsd").c_str());
        xmlSchemaSetParserStructuredErrors(parser, &collect_error, &errors);
        schema_ = xmlSchemaParse(parser);
        xmlSchemaFreeParserCtxt(parser);
        xmlSetGenericErrorFunc(nullptr, nullptr);  // libxml2's default again
        if (!schema_) throw std::runtime_error("xsd_validator: the XSDs in " + source.string() +
                                               " do not load:\n" + errors);
    }
    ~Schemas() { xmlSchemaFree(schema_); }
    Schemas(const Schemas&) = delete;
    Schemas& operator=(const Schemas&) = delete;

    xmlSchemaPtr get() const { return schema_; }

private:
    xmlSchemaPtr schema_ = nullptr;
};

std::string base64(const std::string& bytes) {
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                     static_cast<unsigned char>(bytes[i + 2]);
        for (int shift = 18; shift >= 0; shift -= 6) out += table[(v >> shift) & 63];
    }
    if (size_t rest = bytes.size() - i; rest > 0) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += rest == 2 ? table[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

const xmlChar* xc(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocFree>;

// Where MS-ASWBXML's token name (ours) and the XSD's element name are spelled differently.
std::string xsd_name(wbxml::Tag tag) {
    if (tag == wbxml::tag::Settings::SmtpAddress) return "SMTPAddress";
    if (tag == wbxml::tag::Calendar::TimeZone || tag == wbxml::tag::Email::TimeZone) return "Timezone";
    return std::string(wbxml::tag_name(tag));
}

// One xmlNs per code page used, all declared on the root with the page's name as prefix.
xmlNodePtr build(const wbxml::Node& n, xmlNodePtr root, std::map<uint8_t, xmlNsPtr>& ns, xmlDocPtr doc,
                 xmlNodePtr parent) {
    const uint8_t page = wbxml::tag_page(n.tag);
    std::string name = xsd_name(n.tag);
    if (name.empty()) name = "UnknownTag" + std::to_string(n.tag);
    xmlNodePtr node = xmlNewDocNode(doc, nullptr, xc(name.c_str()), nullptr);
    if (parent) xmlAddChild(parent, node);
    else xmlDocSetRootElement(doc, node);
    if (!root) root = node;
    auto it = ns.find(page);
    if (it == ns.end()) {
        std::string uri(wbxml::page_name(page));
        if (uri.empty()) uri = "page" + std::to_string(page);
        it = ns.emplace(page, xmlNewNs(root, xc(uri.c_str()), xc(uri.c_str()))).first;
    }
    xmlSetNs(node, it->second);
    if (n.content_kind == wbxml::Node::Content::Text) {
        xmlNodeAddContentLen(node, xc(n.content.c_str()), static_cast<int>(n.content.size()));
    } else if (n.content_kind == wbxml::Node::Content::Opaque) {
        std::string b64 = base64(n.content);
        xmlNodeAddContentLen(node, xc(b64.c_str()), static_cast<int>(b64.size()));
    }
    for (const auto& child : n.children) build(child, root, ns, doc, node);
    return node;
}

DocPtr to_doc(const wbxml::Node& root) {
    DocPtr doc(xmlNewDoc(xc("1.0")));
    std::map<uint8_t, xmlNsPtr> ns;
    build(root, nullptr, ns, doc.get(), nullptr);
    return doc;
}

std::string dump(xmlDocPtr doc) {
    xmlChar* mem = nullptr;
    int size = 0;
    xmlDocDumpFormatMemory(doc, &mem, &size, 1);
    std::string out(reinterpret_cast<const char*>(mem), static_cast<size_t>(size));
    xmlFree(mem);
    return out;
}

std::atomic<long> validated{0};
std::atomic<long> skipped{0};

// The figure for the report, once at the end of the run.
struct Report {
    ~Report() {
        if (validated > 0 || skipped > 0)
            std::fprintf(stderr, "XSD validation: %ld WBXML responses validated against the EAS XSDs, %ld not (2.5, or no version given)\n",
                         validated.load(), skipped.load());
    }
} report;

}  // namespace

namespace {
std::atomic<bool> validation_enabled{true};
}

void set_xsd_validation_enabled(bool enabled) { validation_enabled = enabled; }

bool xsd_should_validate(const std::string& protocol_version) {
    if (!validation_enabled) return false;
    // 12.0 and later; 2.5 (and anything unparsable) is not described by the XSDs.
    return protocol_version.rfind("12.", 0) == 0 || protocol_version.rfind("14.", 0) == 0 ||
           protocol_version.rfind("16.", 0) == 0;
}

std::string xsd_xml(const wbxml::Node& root) { return dump(to_doc(root).get()); }

XsdResult xsd_validate(const wbxml::Node& root) {
    static std::mutex mutex;  // one validation context at a time; the schema is built once
    std::lock_guard<std::mutex> lock(mutex);
    static Schemas schemas;
    DocPtr doc = to_doc(root);
    XsdResult result;
    xmlSchemaValidCtxtPtr ctxt = xmlSchemaNewValidCtxt(schemas.get());
    xmlSchemaSetValidStructuredErrors(ctxt, &collect_error, &result.errors);
    int rc = xmlSchemaValidateDoc(ctxt, doc.get());
    xmlSchemaFreeValidCtxt(ctxt);
    result.valid = rc == 0;
    if (!result.valid) {
        if (result.errors.empty()) result.errors = "libxml2 could not validate (rc " + std::to_string(rc) + ")\n";
        result.xml = dump(doc.get());
    }
    return result;
}

void xsd_count(bool was_validated) { (was_validated ? validated : skipped)++; }
long xsd_validated_count() { return validated.load(); }

}  // namespace easd::test
