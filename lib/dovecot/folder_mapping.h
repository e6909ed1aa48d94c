// Which IMAP mailbox is which EAS default folder: SPECIAL-USE attributes (RFC 6154) first, then
// the names clients and servers commonly give them (English and a few localized ones), each role
// to at most one mailbox. Pure functions, no IMAP or database.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "imap/imap_client.h"

namespace easd::dovecot {

enum class MailboxRole { Plain, Inbox, Drafts, Trash, Sent, Junk };

// The role of each listed mailbox that has one, by full name. INBOX (any case) is the Inbox.
std::map<std::string, MailboxRole> assign_roles(const std::vector<imap::MailboxInfo>& mailboxes);

// The EAS folder type of a role's default folder (Junk has none: it is the default "Junk E-mail"
// user mail folder, type 12).
int folder_type_of(MailboxRole role);

// The last component of a mailbox name, and the name of its parent ("" at the top level).
std::string leaf_name(std::string_view name, char delimiter);
std::string parent_name(std::string_view name, char delimiter);

}  // namespace easd::dovecot
