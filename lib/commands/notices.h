// Notices by email to a device's owner, with the administrator in Cc (server setting
// admin_address): the confirmation of a remote wipe, and why a device is refused (it declined the
// security policy, cannot support one, or is blocked or quarantined).
//
// A notice is an ordinary RFC 5322 message. Recipients who have an account here find it in their
// Inbox (stored like delivered mail, so every device syncs it); the others get it through the
// configured sendmail command (ServerSettings::sendmail_command). A notice that cannot be sent is
// logged, never an error for the request that caused it.
#pragma once

#include <soci/soci.h>

#include <string>

#include "commands/command.h"

namespace easd::commands {

struct Notice {
    std::string subject;
    std::string body;  // plain text, UTF-8
};

// Sends `notice` about `device` to its owner, with the administrator in Cc.
void send_notice(soci::session& sql, mailstore::MailBackend& mail, const ServerSettings& settings,
                 const store::User& owner, const Notice& notice);

// The notice that a device was refused for the security policy; `why` says how ("it declined the
// security policy").
Notice policy_refusal_notice(const store::Device& device, const store::User& owner, const std::string& why);

// "iPhone (DeviceId ABC123)": how a notice names a device.
std::string describe_device(const store::Device& device);

}  // namespace easd::commands
