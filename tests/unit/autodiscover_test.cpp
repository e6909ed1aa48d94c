// The autodiscover documents (lib/autodiscover): requests in either request schema are read the
// same; every mobilesync answer is valid against Microsoft's AutodiscoverMobileSync.xsd.
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>

#include "autodiscover/autodiscover.h"
#include "support/text.h"

using easd::test::has;
namespace ad = easd::autodiscover;

namespace {

struct DocFree {
    void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
struct SchemaFree {
    void operator()(xmlSchema* s) const noexcept { xmlSchemaFree(s); }
};
struct ParserFree {
    void operator()(xmlSchemaParserCtxt* p) const noexcept { xmlSchemaFreeParserCtxt(p); }
};
struct ValidFree {
    void operator()(xmlSchemaValidCtxt* v) const noexcept { xmlSchemaFreeValidCtxt(v); }
};

// Where the XSD validator of the other tests looks (tests/support/xsd_validator.cpp): EASD_XSD_DIR,
// else next to the source tree (a worktree elsewhere has no ../shared and sets the variable).
const std::string kSchemaPath = [] {
    const char* dir = std::getenv("EASD_XSD_DIR");
    std::string base = dir && *dir ? std::string(dir) : std::string(EASD_SOURCE_DIR) + "/../shared/schemas/eas";
    return base + "/AutodiscoverMobileSync.xsd";
}();

// Parses the answer and validates its Response element (the mobilesync part inside Autodiscover)
// against the XSD. Returns "" when valid, else what is wrong.
std::string validate_mobilesync(const std::string& answer) {
    std::unique_ptr<xmlDoc, DocFree> doc(
        xmlReadMemory(answer.data(), static_cast<int>(answer.size()), "answer.xml", nullptr, XML_PARSE_NONET));
    if (!doc) return "not XML";
    xmlNode* root = xmlDocGetRootElement(doc.get());
    xmlNode* response = nullptr;
    for (xmlNode* c = root ? root->children : nullptr; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) response = c;
    if (!response) return "no Response";
    std::unique_ptr<xmlSchemaParserCtxt, ParserFree> parser(xmlSchemaNewParserCtxt(kSchemaPath.c_str()));
    std::unique_ptr<xmlSchema, SchemaFree> schema(parser ? xmlSchemaParse(parser.get()) : nullptr);
    if (!schema) return "cannot read " + kSchemaPath;
    std::unique_ptr<xmlSchemaValidCtxt, ValidFree> valid(xmlSchemaNewValidCtxt(schema.get()));
    // The verdict is the answer; libxml2's own message would only clutter the test output.
    xmlSchemaSetValidStructuredErrors(valid.get(), [](void*, xmlErrorPtr) {}, nullptr);
    return xmlSchemaValidateOneElement(valid.get(), response) == 0 ? "" : "invalid against the XSD";
}

}  // namespace

TEST_CASE("autodiscover requests in the mobilesync and in Outlook's request schema read the same", "[autodiscover]") {
    for (std::string ns : {"http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006",
                           "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"}) {
        auto r = ad::parse_request("<?xml version=\"1.0\"?><Autodiscover xmlns=\"" + ns +
                                   "\"><Request><EMailAddress> ann@example.com </EMailAddress>"
                                   "<AcceptableResponseSchema>" + std::string(ad::kOutlookSchema) +
                                   "</AcceptableResponseSchema></Request></Autodiscover>");
        REQUIRE(r);
        CHECK(r->email == "ann@example.com");
        CHECK(r->schema == ad::kOutlookSchema);
    }
}

TEST_CASE("autodiscover mobilesync answers are valid against the XSD", "[autodiscover]") {
    CHECK(validate_mobilesync(ad::settings_response("Ann & Co", "ann@example.com",
                                                    "https://mail.example.com/Microsoft-Server-ActiveSync")) == "");
    std::string redirect = ad::mobilesync_redirect("nick@example.com", "ann@example.com");
    CHECK(validate_mobilesync(redirect) == "");
    CHECK(has(redirect, "<Redirect>ann@example.com</Redirect>"));
    CHECK(validate_mobilesync(ad::mobilesync_error("x@example.com", "no <such> account")) == "");
    // The check itself can fail: an element the schema does not have.
    std::string bogus = redirect;
    bogus.replace(bogus.find("<Action>"), 8, "<Bogus/><Action>");
    CHECK(validate_mobilesync(bogus) == "invalid against the XSD");
}

TEST_CASE("autodiscover answers in Outlook's schema: a redirect, and the error form", "[autodiscover]") {
    std::string redirect = ad::outlook_redirect("ann@example.com");
    std::unique_ptr<xmlDoc, DocFree> doc(
        xmlReadMemory(redirect.data(), static_cast<int>(redirect.size()), "r.xml", nullptr, XML_PARSE_NONET));
    REQUIRE(doc);
    CHECK(has(redirect, "<Response xmlns=\"" + std::string(ad::kOutlookSchema) + "\">"));
    CHECK(has(redirect, "<Account>"));
    CHECK(has(redirect, "<Action>redirectAddr</Action>"));
    CHECK(has(redirect, "<RedirectAddr>ann@example.com</RedirectAddr>"));

    std::string error = ad::schema_error(601, "no provider");
    std::unique_ptr<xmlDoc, DocFree> error_doc(
        xmlReadMemory(error.data(), static_cast<int>(error.size()), "e.xml", nullptr, XML_PARSE_NONET));
    REQUIRE(error_doc);
    CHECK(has(error, "<ErrorCode>601</ErrorCode>"));
}
