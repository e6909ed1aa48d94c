// Mail the server itself sends (notices, Out of Office replies): to an account the mail store
// delivers to itself (native) it is filed in that account's Inbox, like delivered mail, so every
// device of the account syncs it; to any other address, and to every address in the Dovecot store
// (where Dovecot's LMTP delivers, so Thunderbird sees it too), it goes through sendmail.
#pragma once

#include <soci/soci.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "mailstore/mail_backend.h"
#include "store/accounts.h"

namespace easd::commands {

// The sendmail command when the config names none (config key `sendmail`).
inline constexpr const char* kDefaultSendmailCommand = "/usr/sbin/sendmail";

// A message that cannot be stored where it should go (it does not parse, the folder is missing).
struct DeliveryError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Sends the RFC 5322 `message` to `recipient`. `envelope_from` is the sendmail -f address ("" for
// the null sender "<>", which automatic replies use so that nothing answers them in turn).
// Throws std::runtime_error when it cannot be stored or handed over.
void send_server_mail(soci::session& sql, mailstore::MailBackend& mail, const std::string& sendmail_command,
                      const std::string& envelope_from, const std::string& recipient, const std::string& message);

// Hands a message to `sendmail -i -f FROM -- RCPT...` (the command's words split on spaces; "" as
// FROM is the null sender; throws std::runtime_error).
void hand_to_sendmail(const std::string& sendmail_command, const std::string& envelope_from,
                      const std::vector<std::string>& recipients, const std::string& message);

}  // namespace easd::commands
