// Email <-> Sync ApplicationData (MS-ASEMAIL), with the body chosen and truncated as the client's
// options ask (MS-ASAIRS BodyPreference for 12.0+, Truncation/MIMESupport for 2.5).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "store/mail.h"
#include "wbxml/wbxml.h"

namespace easd::content {

// AirSyncBase body types.
enum BodyType : int { kBodyPlain = 1, kBodyHtml = 2, kBodyRtf = 3, kBodyMime = 4 };

struct BodyPreference {
    int type = kBodyPlain;
    std::optional<uint32_t> truncation_size;  // bytes; absent = no truncation
    bool all_or_none = false;
    std::optional<int> preview;  // characters of plain-text preview (14.0+), 0..255
};

// What a render of an email (append_email_data) reads beyond its envelope: the original, and how
// many bytes of its body text (plain, or HTML for Type 2 and BodyPart). A mail store whose rows
// keep only a preview of long bodies (the Dovecot store) fetches the original for a row whose
// preview is shorter than that (preview_suffices).
struct BodyNeed {
    bool mime = false;
    std::optional<std::size_t> text_bytes;  // nullopt: all of it
    // The whole message: an original being replied to, forwarded or edited.
    static BodyNeed everything() { return {true, std::nullopt}; }
};

struct EmailOptions {
    std::vector<BodyPreference> body_preferences;  // 12.0+
    // airsyncbase:BodyPartPreference (14.1+, MS-ASAIRS 2.2.2.11): asks for airsyncbase:BodyPart,
    // the message part of an email, beside Body. Only Type 2 (HTML) is defined for it.
    std::vector<BodyPreference> body_part_preferences;
    std::optional<int> truncation;       // 2.5 AirSync:Truncation code 0..9
    int mime_support = 0;                // 0 never, 1 S/MIME only, 2 always
    std::optional<int> mime_truncation;  // 2.5 AirSync:MIMETruncation code 0..8
    bool needs_mime() const;
    BodyNeed body_need() const;
};

// Cuts the body texts of a message about to be stored to at most `keep_bytes` each (at a UTF-8
// boundary), recording the whole texts' sizes (NewEmail::body_plain_size); a body within the
// bound stays whole and unmarked.
void keep_body_preview(store::NewEmail& email, std::size_t keep_bytes);
// Whether the row's texts are enough for a render that needs `need`: whole, or cut after more
// bytes than it reads.
bool preview_suffices(const store::EmailRow& email, const BodyNeed& need);
// The row's texts made whole again from the parse of its original.
void restore_whole_body(store::EmailRow& email, std::string body_plain, std::string body_html);

// Reads the email-relevant children of a Sync <Options> element (nullptr: defaults).
EmailOptions parse_email_options(const wbxml::Node* options);

// Appends the email's properties to <ApplicationData> for protocol version `version` (25..161).
void append_email_data(wbxml::Node& application_data, const store::EmailRow& email, const EmailOptions& options,
                       int version);

// "2026-11-25T07:50:00.000Z" (MS-ASDTYPE dateTime).
std::string format_eas_datetime(long long unix_seconds);

// Escapes text as HTML, keeping line breaks, for clients that want HTML of a plain-text message.
std::string plain_to_html(std::string_view text);

}  // namespace easd::content
