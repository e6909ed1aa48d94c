// Turning stored RFC 5322 messages into what Sync needs: parsing once at delivery (GMime), HTML to
// readable text, and truncation that never splits a UTF-8 character.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content/message_limits.h"

namespace easd::content {

// Call once per process before any other function here (thread-safe, idempotent).
void init_mime();

// One attachment of a message: every leaf part that is not the chosen text or HTML body (and not
// an S/MIME signature), plus attached messages (message/rfc822, not descended into).
struct AttachmentInfo {
    std::string part_path;      // IMAP-style part number ("2", "1.3"): finds the part again later
    std::string file_name;      // decoded (RFC 2231 / RFC 2047) to UTF-8; may be empty
    std::string content_type;   // lower-case "type/subtype"
    std::string content_id;     // without angle brackets; empty when absent
    bool is_inline = false;     // not disposition "attachment" and has a Content-ID (e.g. multipart/related images)
    std::size_t size = 0;       // decoded bytes (EstimatedDataSize)
};

struct ParsedMessage {
    // Address headers decoded (RFC 2047) to UTF-8 and re-rendered as RFC 5322 address lists,
    // e.g. "\"Doe, Jane\" <jane@example.com>, bob@example.com". Empty when the header is absent.
    std::string from, to, cc, reply_to;
    std::string display_to;     // display names of the To recipients joined by "; " (address when no name)
    std::string subject;        // decoded to UTF-8
    std::string thread_topic;   // subject without reply/forward prefixes (Re:, Fwd:, AW:, ...)
    std::string message_id;     // Message-ID without angle brackets
    // Threading (content/conversation.h): Message-IDs without angle brackets, in header order
    // (References at most its first and its last 31), and the Thread-Index header as it came.
    std::vector<std::string> in_reply_to, references;
    std::string thread_index;
    std::string sender;         // the Sender header, rendered like `from`; empty when absent
    std::optional<int64_t> date;  // Date header, seconds since the epoch (UTC); nullopt if absent/invalid
    int importance = 1;         // 0 low, 1 normal, 2 high (Importance, X-Priority, Priority headers)
    bool has_attachments = false;
    // IPM.Note, IPM.Note.SMIME, IPM.Note.SMIME.MultipartSigned, IPM.Schedule.Meeting.Request,
    // IPM.Schedule.Meeting.Canceled, IPM.Schedule.Meeting.Resp.Pos/Neg/Tent, REPORT.IPM.Note.NDR,
    // REPORT.IPM.Note.DR, REPORT.IPM.Note.Delayed, REPORT.IPM.Note.IPNRN
    std::string message_class = "IPM.Note";
    std::string body_plain;     // UTF-8 text body, CRLF line ends; derived from the HTML when the message has only HTML
    std::string body_html;      // UTF-8 HTML body, empty when the message has none
    std::size_t size = 0;       // bytes of the original message
    std::vector<AttachmentInfo> attachments;  // in MIME order; has_attachments == !attachments.empty()
};

// Parses one message. nullopt and a one-line reason in *error when the bytes are not a message
// ("not a message: ..." for empty input, no header section, unparseable) or when the message is
// over a limit (more boundary lines than limits.max_boundary_lines, found before GMime parses;
// more attachments than limits.max_attachments): such a message is refused whole, the reason
// says which limit. A message it gives has every attachment it found.
std::optional<ParsedMessage> parse_message(std::string_view raw, std::string* error = nullptr,
                                           const MessageLimits& limits = MessageLimits());

// The Message-ID (without angle brackets) of a header section or of just its Message-ID line (IMAP
// BODY[HEADER.FIELDS (MESSAGE-ID)]), read as parse_message reads it, so the two compare equal;
// empty when there is none.
std::string message_id_of(std::string_view header_section);

// The parse a mail store files `raw` with: `*given` when the caller has parsed it already (a
// message sent from a phone, parsed once for all its copies), else parse_message(raw), kept in
// `parsed_here`. Throws std::runtime_error ("the message is refused: <reason>") when it is none.
const ParsedMessage& parse_unless_given(std::string_view raw, const ParsedMessage* given,
                                        std::optional<ParsedMessage>& parsed_here);

// The lower-case addresses of an RFC 5322 address list ("Jane <j@example.com>, b@example.com");
// groups contribute their members.
std::vector<std::string> addresses_in(std::string_view list);

// "Name <address>" as a header wants it: the name quoted as RFC 5322 needs, RFC 2047 for non-ASCII;
// just the address when there is no name.
std::string mailbox(const std::string& display_name, const std::string& address);

// The domain of an address ("localhost" when it has none), for Message-IDs and sender addresses.
std::string domain_of(std::string_view address);

// Readable text from HTML: text content with scripts and styles dropped, block elements and <br> as
// line breaks, entities decoded, runs of blank lines collapsed. Input is UTF-8 (a <meta> charset is
// ignored); output is UTF-8 with "\n" line ends.
std::string html_to_text(std::string_view html);

// The longest prefix of at most max_bytes bytes that ends on a UTF-8 character boundary.
std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace easd::content
