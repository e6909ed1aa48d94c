// Out of Office replies at delivery: easd-deliver calls this after it stored a message. The phone
// sets Out of Office with Settings (settings.cpp); this decides whether the sender gets a reply
// (RFC 3834, content/auto_reply.h), which of the three messages (internal: a sender of a domain
// served here; external known: in the recipient's contacts; external unknown), and sends it once
// per sender per absence (store/oof.h) from the null sender.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <string_view>

#include "content/message.h"
#include "mailstore/mail_backend.h"
#include "store/accounts.h"

namespace easd::commands {

// Sends the reply the message is due, if any. Never throws: delivery has already succeeded, and a
// reply that cannot be sent is logged. Returns the address answered, or "" when none was.
std::string send_out_of_office_reply(soci::session& sql, mailstore::MailBackend& mail,
                                     const std::string& sendmail_command, const store::User& recipient,
                                     std::string_view raw, const content::ParsedMessage& parsed,
                                     const std::optional<std::string>& envelope_sender);

}  // namespace easd::commands
