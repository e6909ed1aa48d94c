// A stored message as a phone gets it inside a WBXML string (AirSyncBase Body of Type 4, Email
// MIMEData before 12.0). A WBXML string is UTF-8 text that becomes XML on many clients, so the
// bytes must be valid UTF-8 without NUL or other control characters XML refuses; real mail is
// not: 8-bit Latin-1 bodies, binary parts sent unencoded, raw 8-bit headers. Such a message is
// sent transfer-encoded (quoted-printable or base64 parts, RFC 2047 headers), as Exchange sends
// it; the message means the same, and every client can parse it.
#pragma once

#include <string>
#include <string_view>

namespace easd::content {

// Whether `text` can go in a WBXML string as it is: UTF-8, and no control characters but TAB,
// CR and LF.
bool is_xml_safe_text(std::string_view text);

// `mime` itself when it is safe, else the same message transfer-encoded so that it is.
std::string mime_for_client(std::string_view mime);

}  // namespace easd::content
