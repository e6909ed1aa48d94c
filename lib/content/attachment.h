// Attachments: the FileReference that names one to a client, its bytes extracted from the stored
// original message (GMime), and the few derived properties Sync and ItemOperations send.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "content/message.h"
#include "store/mail.h"

namespace easd::content {

// A reference to one attachment: the item (email) id and the IMAP-style part number.
struct FileReference {
    long long item_id = 0;
    std::string part_path;  // "2", "1.2.2"

    bool operator==(const FileReference& o) const { return item_id == o.item_id && part_path == o.part_path; }
};

// "<item id>:<part path>", e.g. "42:1.2.2". The airsyncbase:FileReference (12.0+), the email:AttName
// (2.5) and the GetAttachment AttachmentName are all this string.
std::string format_file_reference(const FileReference& ref);

// Parses exactly what format_file_reference writes, nothing else: a positive decimal item id
// without sign or leading zeros (at most 18 digits), ':', then 1..64 dot-separated numbers
// 1..999999 without leading zeros; at most 512 bytes in all (the longest such is 466). nullopt
// for anything else.
std::optional<FileReference> parse_file_reference(std::string_view text);

// True for a part path as parse_file_reference accepts it ("2", "1.2.2").
bool valid_part_path(std::string_view path);

// MS-ASAIRS Method for an attachment found at delivery: 5 for an attached message
// (message/rfc822), else 1. (6, OLE, is never produced from MIME.)
int attachment_method(const AttachmentInfo& a);

// The name a client shows: the decoded file name; for an attached message the name ends in
// ".eml" (MS-ASAIRS Method 5); without a file name, "attachment" plus an extension from the
// content type.
std::string attachment_display_name(const store::EmailAttachment& a);

// The decoded bytes of the part at `part_path` of the message `mime` (transfer encoding undone;
// for an attached message, the message itself). nullopt when the message does not parse or has no
// leaf part there. Thread-safe; calls init_mime().
std::optional<std::string> extract_attachment(std::string_view mime, std::string_view part_path);

}  // namespace easd::content
