// Parsing a message with GMime the one way the content library does everywhere (delivery,
// attachments, drafts, MIME for clients): tolerant of what real mail does wrong (loose RFC 2047,
// parameters and addresses; UTF-8, then windows-1252, for undeclared 8-bit text), so the parts a
// phone is told about at delivery are numbered the same when it asks for one later.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "content/gmime_raii.h"
#include "content/message_limits.h"

namespace easd::content {

// The parser options above (nullptr only when out of memory).
ParserOptionsPtr loose_parser_options();

// The message in `raw`, or nullptr when GMime cannot make one of it, or when it has more than
// `max_boundary_lines` boundary lines (then GMime is never called, and *error says so). The
// caller has called init_mime() (not called here: init_mime's warm-up parses a message itself).
GPtr<GMimeMessage> parse_gmime_message(std::string_view raw, std::string* error = nullptr,
                                       std::size_t max_boundary_lines = kMaxBoundaryLines);

// The lines of `raw` that begin with "--" and a boundary declared anywhere in `raw` (each
// `boundary` parameter, quoted or not, also in RFC 2231's `boundary*0=` and `boundary*=` forms),
// counted up to the first beyond `stop_after`. A boundary matches as a prefix of the rest of the
// line, and only its first 72 bytes are compared (RFC 2046 allows 70), so the count can only be
// too high, never too low, for what GMime takes as boundaries: a cheap bound on the parts GMime
// would make. "--" lines of a body (a signature separator, an SQL dump's comments) do not count.
std::size_t count_boundary_lines(std::string_view raw, std::size_t stop_after);

}  // namespace easd::content
