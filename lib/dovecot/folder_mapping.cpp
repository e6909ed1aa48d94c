#include "dovecot/folder_mapping.h"

#include <array>
#include <utility>

#include "common/text.h"
#include "store/folders.h"

namespace easd::dovecot {

namespace {

struct RoleName {
    MailboxRole role;
    const char* attribute;               // RFC 6154
    std::array<const char*, 8> names;    // fallbacks, compared with the leaf (ASCII case ignored)
};

const RoleName kRoles[] = {
    {MailboxRole::Drafts, "\\drafts", {"drafts", "draft", "entwürfe", "brouillons", "borradores", "bozze", nullptr}},
    {MailboxRole::Sent,
     "\\sent",
     {"sent", "sent items", "sent messages", "sent mail", "gesendet", "gesendete objekte", "envoyés", "enviados"}},
    {MailboxRole::Trash,
     "\\trash",
     {"trash", "deleted items", "deleted messages", "papierkorb", "gelöschte elemente", "corbeille", "bin", nullptr}},
    {MailboxRole::Junk, "\\junk", {"junk", "spam", "junk e-mail", "junk email", "bulk mail", nullptr, nullptr, nullptr}},
};

bool is_inbox(std::string_view name) { return iequals(name, "INBOX"); }

}  // namespace

std::map<std::string, MailboxRole> assign_roles(const std::vector<imap::MailboxInfo>& mailboxes) {
    std::map<std::string, MailboxRole> roles;
    for (const auto& m : mailboxes)
        if (is_inbox(m.name)) roles[m.name] = MailboxRole::Inbox;
    for (const auto& r : kRoles) {
        // The attribute wins; a name only counts when no mailbox carries the attribute.
        const imap::MailboxInfo* chosen = nullptr;
        for (const auto& m : mailboxes)
            if (!roles.count(m.name) && m.has(r.attribute)) {
                chosen = &m;
                break;
            }
        if (!chosen) {
            for (const char* candidate : r.names) {
                if (!candidate) break;
                for (const auto& m : mailboxes) {
                    if (roles.count(m.name) || m.has("\\noselect") || m.has("\\nonexistent")) continue;
                    // Only top-level names or children of INBOX (Courier-style "INBOX.Sent").
                    std::string parent = parent_name(m.name, m.delimiter);
                    if (!parent.empty() && !is_inbox(parent)) continue;
                    if (iequals(leaf_name(m.name, m.delimiter), candidate)) {
                        chosen = &m;
                        break;
                    }
                }
                if (chosen) break;
            }
        }
        if (chosen) roles[chosen->name] = r.role;
    }
    return roles;
}

int folder_type_of(MailboxRole role) {
    switch (role) {
        case MailboxRole::Inbox: return store::kFolderInbox;
        case MailboxRole::Drafts: return store::kFolderDrafts;
        case MailboxRole::Trash: return store::kFolderDeleted;
        case MailboxRole::Sent: return store::kFolderSent;
        case MailboxRole::Junk:
        case MailboxRole::Plain: return store::kFolderUserMail;
    }
    return store::kFolderUserMail;
}

std::string leaf_name(std::string_view name, char delimiter) {
    if (delimiter == 0) return std::string(name);
    auto at = name.rfind(delimiter);
    return std::string(at == std::string_view::npos ? name : name.substr(at + 1));
}

std::string parent_name(std::string_view name, char delimiter) {
    if (delimiter == 0) return {};
    auto at = name.rfind(delimiter);
    return at == std::string_view::npos ? std::string() : std::string(name.substr(0, at));
}

}  // namespace easd::dovecot
