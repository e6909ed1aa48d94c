// Mail the server itself sends (notices, Out of Office replies): to an account here it is stored
// in that account's Inbox, like delivered mail, so every device of the account syncs it; to any
// other address it goes through the configured sendmail command.
#pragma once

#include <soci/soci.h>

#include <stdexcept>
#include <string>
#include <vector>

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
void send_server_mail(soci::session& sql, const std::string& sendmail_command, const std::string& envelope_from,
                      const std::string& recipient, const std::string& message);

// The pieces: storing a message in a folder of a local account (inside the caller's transaction,
// if one is open; throws DeliveryError), and handing it to `sendmail -i -f FROM -- RCPT...` (the
// command's words split on spaces; "" as FROM is the null sender; throws std::runtime_error).
void store_in_folder(soci::session& sql, const store::User& user, const std::string& folder_name,
                     const std::string& message, bool read = false);
void hand_to_sendmail(const std::string& sendmail_command, const std::string& envelope_from,
                      const std::vector<std::string>& recipients, const std::string& message);

}  // namespace easd::commands
