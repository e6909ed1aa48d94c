// Validation of WBXML responses against Microsoft's EAS XSDs (../shared/schemas/eas), with libxml2.
//
// Namespaces: a decoded easd::wbxml::Node knows its code page; the XSDs name each namespace as the
// specification does ("AirSync", "Email", "FolderHierarchy", ...), which is page_name(page). libwbxml
// (wbxml2xml, see wbxml_oracle.h) writes the same namespaces with a trailing colon ("AirSync:",
// xmlns="AirSync:"); that form is NOT what the XSDs use, so the validator builds its XML from the
// tree itself: every element gets namespace page_name(tag_page(tag)) with no colon. Opaque content
// is written as base64 (as wbxml2xml shows it); the XSDs type the opaque elements (ConversationId,
// ItemOperations Data, ...) as strings.
//
// Versions: the XSDs describe the 14.0..16.1 shapes (the specification's appendix), and 12.0/12.1
// responses are a subset of them for every element the server sends; those are validated. 2.5 has
// shapes the XSDs do not describe (Sync's per-collection Class, GetItemEstimate's Class) and is not
// validated. See should_validate().
#pragma once

#include <string>

#include "wbxml/wbxml.h"

namespace easd::test {

struct XsdResult {
    bool valid = true;
    std::string errors;  // libxml2's messages, one per line, when !valid
    std::string xml;     // the document as validated
};

// Whether responses for this MS-ASProtocolVersion ("14.1", "12.1") are validated.
bool xsd_should_validate(const std::string& protocol_version);

// Benchmarks measure the server, not the client's validation (libxml2, one at a time): they turn
// validation off for their timed loops, after the set-up requests were validated. Tests never do.
void set_xsd_validation_enabled(bool enabled);

// Validates the tree against the XSDs (loaded once, on first use; thread-safe). Throws
// std::runtime_error when the XSDs themselves cannot be loaded.
XsdResult xsd_validate(const easd::wbxml::Node& root);

// The namespaced XML the validator checks (for messages).
std::string xsd_xml(const easd::wbxml::Node& root);

// Counts for the end-of-run report: responses validated, and those skipped by version.
void xsd_count(bool validated);
long xsd_validated_count();

}  // namespace easd::test
