// Mail the server itself sends (notices, Out of Office replies): to an account here it is stored
// in that account's Inbox, like delivered mail, so every device of the account syncs it; to any
// other address it goes through the configured sendmail command.
#pragma once

#include <soci/soci.h>

#include <string>

namespace easd::commands {

// The sendmail command when the config names none (config key `sendmail`).
inline constexpr const char* kDefaultSendmailCommand = "/usr/sbin/sendmail";

// Sends the RFC 5322 `message` to `recipient`. `envelope_from` is the sendmail -f address ("" for
// the null sender "<>", which automatic replies use so that nothing answers them in turn).
// Throws std::runtime_error when it cannot be stored or handed over.
void send_server_mail(soci::session& sql, const std::string& sendmail_command, const std::string& envelope_from,
                      const std::string& recipient, const std::string& message);

}  // namespace easd::commands
