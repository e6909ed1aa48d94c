// Parsing a message with GMime the one way the content library does everywhere (delivery,
// attachments, drafts, MIME for clients): tolerant of what real mail does wrong (loose RFC 2047,
// parameters and addresses; UTF-8, then windows-1252, for undeclared 8-bit text), so the parts a
// phone is told about at delivery are numbered the same when it asks for one later.
#pragma once

#include <string_view>

#include "content/gmime_raii.h"

namespace easd::content {

// The parser options above (nullptr only when out of memory).
ParserOptionsPtr loose_parser_options();

// The message in `raw`, or nullptr when GMime cannot make one of it. The caller has called
// init_mime() (not called here: init_mime's warm-up parses a message itself).
GPtr<GMimeMessage> parse_gmime_message(std::string_view raw);

}  // namespace easd::content
