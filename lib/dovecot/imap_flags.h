// IMAP flags <-> the email state EAS carries: \Seen is Read, \Flagged is a follow-up flag
// (FlagStatus 2), keywords are categories. Pure functions, no IMAP or database.
#pragma once

#include <string>
#include <vector>

#include "content/maildir.h"

namespace easd::dovecot {

struct MailState {
    bool read = false;
    std::string flag;        // WBXML of <Flag>; empty: none
    std::string categories;  // WBXML of <Categories>; empty: none
    bool operator==(const MailState& o) const {
        return read == o.read && flag == o.flag && categories == o.categories;
    }
    bool operator!=(const MailState& o) const { return !(*this == o); }
};

// The state the server's flags stand for, keeping what IMAP cannot say from `stored`: a follow-up
// flag's dates and type while \Flagged stays, a completed flag (IMAP has no "complete"), and the
// stored categories' bytes when the keywords name the same set.
MailState state_from_flags(const std::vector<std::string>& flags, const MailState& stored);

// The keywords that are categories: not system flags (\...), not the $-keywords clients use for
// their own bookkeeping ($Forwarded, $MDNSent, $Junk, $label1, ...), not Junk/NonJunk.
std::vector<std::string> category_keywords(const std::vector<std::string>& flags);

// The IMAP keyword for a category name: an IMAP atom, so characters an atom cannot hold (space,
// parentheses, quotes, %, *, \, ], {, controls, non-ASCII) become '_'. Empty for an empty name.
std::string keyword_for_category(const std::string& name);

// Stored <Categories> WBXML to names and back: the one pair of content/maildir.h, which easctl
// export and import use too.
using content::maildir::categories_of;
using content::maildir::categories_wbxml;
// FlagStatus of a stored <Flag>: 0 none, 1 complete, 2 active.
int flag_status_of(const std::string& wbxml);
// <Flag> with FlagStatus 2 and FlagType "Flag for follow up" (WBXML), what \Flagged stands for.
std::string follow_up_flag_wbxml();

}  // namespace easd::dovecot
