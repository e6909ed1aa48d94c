// Modified UTF-7 (RFC 3501 5.1.3) <-> UTF-8: how IMAP names mailboxes on the wire and how Dovecot's
// Maildir++ layout names folder directories on disk. Here in common because both the Maildir
// migration (content/maildir.h) and the IMAP client (imap/imap_client.h) need it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace easd {

// Printable ASCII stands for itself ('&' as "&-"); everything else goes as UTF-16 in modified
// base64 between '&' and '-'. Characters in `also_encode` (printable ASCII) are put in the base64
// runs too: RFC 3501 forbids that for mailbox names, but it lets other IMAP strings (keywords,
// which cannot hold spaces) carry any text and still decode with decode_mutf7. Invalid UTF-8
// bytes become U+FFFD.
std::string encode_mutf7(std::string_view utf8, std::string_view also_encode = {});

// nullopt for malformed input: a raw byte outside printable ASCII, a bad or unterminated base64
// run, an odd UTF-16 length, an unpaired surrogate. Printable ASCII inside a run is accepted (see
// also_encode above).
std::optional<std::string> decode_mutf7(std::string_view mutf7);

}  // namespace easd
