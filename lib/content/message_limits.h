// Hard limits on what one message may be made of (issue 12, resource limits). A message over one
// is refused whole, wherever it comes from (easd-deliver, a phone's SendMail, SmartReply or
// SmartForward, a draft, the Dovecot mirror, easctl import): never stored with part of its
// attachments.
#pragma once

#include <cstddef>
#include <stdexcept>

namespace easd::content {

// Attachments of one message. Each is a row (email_attachments) and a FileReference a phone may
// ask for; no mail program writes anywhere near this many, a message that has them is made by a
// tool or an attacker.
constexpr std::size_t kMaxAttachments = 50'000;

// Lines that may be MIME boundaries ("--" and a declared boundary), counted by a cheap scan before
// GMime parses (content/gmime_parse.h): GMime makes an object with its headers for every part, and
// a 1,000,000-part message took 1.3 GB to parse. Twice kMaxAttachments, as nested multiparts and
// body parts need boundaries of their own.
constexpr std::size_t kMaxBoundaryLines = 100'000;

// The limits a parse applies: the constants above. Tests lower them to exercise the edge without
// building 50,000-part messages; nothing else changes them.
struct MessageLimits {
    std::size_t max_attachments = kMaxAttachments;
    std::size_t max_boundary_lines = kMaxBoundaryLines;
};

// A message refused whole for what it is made of: thrown by email_from_parsed (content/draft.h)
// rather than storing the message without an attachment it cannot describe.
class MessageRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace easd::content
