// Drafts written on the phone (EAS 16.0+, MS-ASEMAIL "Drafts"): a Sync Add or Change of an email
// in the Drafts folder carries To, Cc, Bcc, Subject, Importance, airsyncbase:Body and
// airsyncbase:Attachments Add/Delete. The server turns that into an RFC 5322 message (GMime) and
// stores it like a delivered one, so every other device, and every other command, sees an
// ordinary email. A Change parses the stored message back into a Draft, applies what the Change
// carries (absent elements stay as they are) and builds the message again.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "content/message.h"
#include "store/mail.h"
#include "wbxml/wbxml.h"

namespace easd::content {

struct DraftAttachment {
    std::string file_name;         // UTF-8 (written with RFC 2231 when not ASCII)
    std::string content_type;      // "type/subtype"; empty: application/octet-stream
    std::string content_id;        // without angle brackets; may be empty
    std::string content_location;  // may be empty
    bool is_inline = false;
    std::string bytes;             // the decoded content
    // Set for an attachment the current request adds: answered with its FileReference.
    std::string client_id;
    // Where the attachment is in the stored message (drafts read back by draft_from_message).
    std::string part_path;
};

// A draft as the builder needs it: every field, none optional.
struct Draft {
    std::string from;           // the owner, an RFC 5322 mailbox ("Name <a@b>"), UTF-8
    std::string to, cc, bcc;    // address lists as UTF-8 text ("Jörg <j@example.com>, b@example.com")
    std::string subject;        // UTF-8
    int importance = 1;         // 0 low, 1 normal, 2 high
    int body_type = 1;          // 1 plain text, 2 HTML (AirSyncBase Type)
    std::string body;           // UTF-8
    std::string message_id;     // without angle brackets; empty: the builder makes one
    std::vector<DraftAttachment> attachments;  // in MIME order
    // Further header fields, as name and unencoded ASCII value (In-Reply-To, Auto-Submitted, ...).
    std::vector<std::pair<std::string, std::string>> headers;
};

// What one Sync Add or Change carries for a draft. nullopt: the element was absent (the draft's
// value stays); an empty string: the element was present and empty (the value is cleared).
struct DraftEdit {
    std::optional<std::string> to, cc, bcc, subject;
    std::optional<int> importance;
    std::optional<int> body_type;
    std::optional<std::string> body;
    std::vector<DraftAttachment> added;            // airsyncbase:Attachments/Add, in request order
    std::vector<std::string> deleted;              // airsyncbase:Attachments/Delete FileReferences
    // A body of Type 4 (MIME): the whole RFC 822 message, which replaces recipients, subject,
    // importance, body and attachments (the other elements of the edit still apply over it).
    std::optional<std::string> mime;
    // True when the edit touches what the message is made of (anything above).
    bool touches_message() const;
};

// Reads the draft elements of an <ApplicationData> (Email, Email2 and AirSyncBase pages). nullopt
// and a reason in *error for what cannot be a draft: a body type other than 1 (plain), 2 (HTML) or
// 4 (MIME, as Exchange accepts it from 16.x clients),
// an Importance outside 0..2, an attachment Add without ClientId or Content, or text that is not
// UTF-8.
std::optional<DraftEdit> parse_draft_edit(const wbxml::Node& application_data, std::string* error = nullptr);

// Applies an edit: present fields replace, deleted attachments (FileReferences "<item_id>:<part>"
// of this item) are removed, a MIME body replaces the message's content (not its From or
// Message-ID), added ones are appended. False (and *error) when a Delete names an attachment the
// draft does not have, or the MIME body is not a message.
bool apply_draft_edit(Draft& draft, const DraftEdit& edit, long long item_id, std::string* error = nullptr);

// A stored message read back as a draft: addresses, subject, importance, the body (HTML when the
// message has an HTML body, else plain text), the Message-ID and the attachments with their bytes.
std::optional<Draft> draft_from_message(std::string_view mime, std::string* error = nullptr);

// The RFC 5322 message of a draft: From, To, Cc, Bcc (kept: the message is not sent), Subject
// (RFC 2047 when not ASCII), Date (`date_unix`), Message-ID (made with `domain` when the draft has
// none), MIME-Version, Importance when not normal; a UTF-8 text/plain or text/html part, inside a
// multipart/mixed with the attachments when there are any. CRLF line ends, 7-bit clean.
std::string build_draft_message(const Draft& draft, long long date_unix, const std::string& domain);

// The row to store for a message: the columns as parse_message found them (so that they match the
// bytes exactly), every attachment with its part path and method. Throws MessageRefused
// (content/message_limits.h) rather than leave one out: more than kMaxAttachments, or a part path
// no FileReference could name.
store::NewEmail email_from_parsed(std::string mime, const ParsedMessage& parsed);

}  // namespace easd::content
