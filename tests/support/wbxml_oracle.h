// libwbxml2's command-line tools as the independent WBXML implementation our output is checked
// against (DESIGN.md): wbxml2xml decodes what we encode, xml2wbxml encodes what we must decode.
#pragma once

#include <string>

namespace easd::test {

// Whether wbxml2xml and xml2wbxml are installed (libwbxml2-utils).
bool have_wbxml_tools();

// `wbxml2xml -k -l ACTIVESYNC -m 0`: the XML libwbxml2 reads in our bytes. Throws
// std::runtime_error with the tool's output when it fails.
std::string libwbxml_decode(const std::string& wbxml);

// `xml2wbxml -k -a -n -v 1.3`: libwbxml2's encoding of an ActiveSync XML document (DOCTYPE and
// namespaces as libwbxml2 wants them). Throws std::runtime_error when it fails.
std::string libwbxml_encode(const std::string& xml);

}  // namespace easd::test
