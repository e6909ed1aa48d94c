// libFuzzer target for the autodiscover request parser (untrusted XML from anyone who signed in)
// and the responses built from what it read.
#include "autodiscover/autodiscover.h"

#include <libxml/parser.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace easd::autodiscover;

namespace {

// Every response must be well-formed XML, whatever the request carried.
void check_well_formed(const std::string& xml) {
    xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "r.xml", nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) std::abort();
    xmlFreeDoc(doc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string error;
    auto request = parse_request(in, &error);
    if (!request) {
        if (error.empty() || error.find('\n') != std::string::npos) std::abort();  // a one-line reason
        return 0;
    }
    // What the request said goes back into the answers (the address, escaped).
    if (!xmlCheckUTF8(reinterpret_cast<const xmlChar*>(request->email.c_str()))) return 0;
    check_well_formed(settings_response("Name & <Co>", request->email, "https://mail.example.com/Microsoft-Server-ActiveSync"));
    check_well_formed(mobilesync_error(request->email, "not yours: " + request->email));
    check_well_formed(schema_error(601, request->schema));
    return 0;
}
