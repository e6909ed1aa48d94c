#include "autodiscover/autodiscover.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <ctime>
#include <memory>

#include "common/text.h"

namespace easd::autodiscover {

namespace {

struct DocFree {
    void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
struct XmlFree {
    void operator()(xmlChar* p) const noexcept { xmlFree(p); }
};

bool named(const xmlNode* n, const char* name) {
    return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

const xmlNode* child(const xmlNode* parent, const char* name) {
    for (const xmlNode* c = parent ? parent->children : nullptr; c; c = c->next)
        if (named(c, name)) return c;
    return nullptr;
}

std::string text_of(const xmlNode* n) {
    if (!n) return {};
    std::unique_ptr<xmlChar, XmlFree> content(xmlNodeGetContent(n));
    return content ? std::string(trim(reinterpret_cast<const char*>(content.get()))) : std::string();
}

const char* const kHead =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
    "<Autodiscover xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\r\n";

std::string mobilesync_open() {
    return std::string(kHead) + "  <Response xmlns=\"" + std::string(kMobileSyncSchema) + "\">\r\n" +
           "    <Culture>en:us</Culture>\r\n";
}

const char* const kClose = "  </Response>\r\n</Autodiscover>\r\n";

}  // namespace

std::optional<Request> parse_request(std::string_view xml, std::string* error) {
    // No entity substitution, no DTD loading, no network: a request cannot make us read files or
    // expand entities without bound.
    std::unique_ptr<xmlDoc, DocFree> doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "autodiscover.xml",
                                                       nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    if (!doc) {
        if (error) *error = "the request is not XML";
        return std::nullopt;
    }
    const xmlNode* root = xmlDocGetRootElement(doc.get());
    const xmlNode* request = root && named(root, "Autodiscover") ? child(root, "Request") : nullptr;
    if (!request) {
        if (error) *error = "the request has no Autodiscover/Request element";
        return std::nullopt;
    }
    Request r;
    r.email = text_of(child(request, "EMailAddress"));
    r.schema = text_of(child(request, "AcceptableResponseSchema"));
    return r;
}

std::string settings_response(const std::string& display_name, const std::string& email, const std::string& url) {
    std::string out = mobilesync_open();
    out += "    <User>\r\n";
    if (!display_name.empty()) out += "      <DisplayName>" + escape_markup(display_name) + "</DisplayName>\r\n";
    out += "      <EMailAddress>" + escape_markup(email) + "</EMailAddress>\r\n";
    out += "    </User>\r\n";
    out += "    <Action>\r\n      <Settings>\r\n        <Server>\r\n";
    out += "          <Type>MobileSync</Type>\r\n";
    out += "          <Url>" + escape_markup(url) + "</Url>\r\n";
    out += "          <Name>" + escape_markup(url) + "</Name>\r\n";
    out += "        </Server>\r\n      </Settings>\r\n    </Action>\r\n";
    return out + kClose;
}

std::string mobilesync_redirect(const std::string& email, const std::string& address) {
    std::string out = mobilesync_open();
    out += "    <User>\r\n      <EMailAddress>" + escape_markup(email) + "</EMailAddress>\r\n    </User>\r\n";
    out += "    <Action>\r\n      <Redirect>" + escape_markup(address) + "</Redirect>\r\n    </Action>\r\n";
    return out + kClose;
}

std::string outlook_redirect(const std::string& address) {
    std::string out = kHead;
    out += "  <Response xmlns=\"" + std::string(kOutlookSchema) + "\">\r\n    <Account>\r\n";
    out += "      <Action>redirectAddr</Action>\r\n";
    out += "      <RedirectAddr>" + escape_markup(address) + "</RedirectAddr>\r\n";
    out += "    </Account>\r\n";
    return out + kClose;
}

std::string mobilesync_error(const std::string& email, const std::string& message) {
    std::string out = mobilesync_open();
    out += "    <User>\r\n      <EMailAddress>" + escape_markup(email) + "</EMailAddress>\r\n    </User>\r\n";
    out += "    <Action>\r\n      <Error>\r\n        <Status>2</Status>\r\n";
    out += "        <Message>" + escape_markup(message) + "</Message>\r\n";
    out += "        <DebugData>MailUser</DebugData>\r\n";
    out += "      </Error>\r\n    </Action>\r\n";
    return out + kClose;
}

std::string schema_error(int code, const std::string& message) {
    std::string out = kHead;
    // Time is the server's time of day (UTC), as Exchange writes it; Id names the server, and we
    // have one name only.
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char time_of_day[16];
    std::strftime(time_of_day, sizeof time_of_day, "%H:%M:%S", &utc);
    out += "  <Response>\r\n    <Error Time=\"" + std::string(time_of_day) + "\" Id=\"0\">\r\n";
    out += "      <ErrorCode>" + std::to_string(code) + "</ErrorCode>\r\n";
    out += "      <Message>" + escape_markup(message) + "</Message>\r\n";
    out += "      <DebugData />\r\n    </Error>\r\n  </Response>\r\n</Autodiscover>\r\n";
    return out;
}

}  // namespace easd::autodiscover
