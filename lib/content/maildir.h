// Maildir as Dovecot reads it (maildir:DIR, its default Maildir++ layout), for `easctl export` and
// `easctl import` (cli/easctl_maildir.cpp): file names and their flags, folder names <-> directory
// names, the dovecot-keywords and subscriptions files, and how easd's email state (read, flag,
// categories, last verb) maps to IMAP flags and keywords. No database and no file system here.
//
// Layout: the INBOX is DIR itself (DIR/cur, new, tmp); every other folder is DIR/.<path> with '.'
// between the levels ("Projects/2026" is DIR/.Projects.2026), each name in modified UTF-7.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace easd::content::maildir {

// --- message file names: "<unique>:2,<flags>" -------------------------------------------------

// The info part. The letters Dovecot uses: D draft, F flagged, R replied (\Answered), S seen,
// T trashed (\Deleted); 'a'..'z' are keywords 0..25 of the folder's dovecot-keywords.
struct Flags {
    bool draft = false, flagged = false, replied = false, seen = false, trashed = false;
    std::string keywords;  // keyword letters, sorted, each once
    bool operator==(const Flags& o) const {
        return draft == o.draft && flagged == o.flagged && replied == o.replied && seen == o.seen &&
               trashed == o.trashed && keywords == o.keywords;
    }
};

struct FileName {
    std::string unique;  // everything before ":2,"
    Flags flags;
};

// A name without ":2," (a message still in new/) has no flags; letters other than the known ones
// (P passed, and other agents' experiments) are ignored.
FileName parse_file_name(std::string_view name);

// "<unique>:2,<letters>", the letters in ASCII order (upper case before the keywords) as the
// Maildir specification asks.
std::string file_name(std::string_view unique, const Flags& flags);

// A unique part in Dovecot's style, "<seconds>.<id>.<host>,S=<size>": the seconds first because
// Dovecot numbers new files (their IMAP UIDs) in the order of that leading time, so give it the
// date received; `id` must be unique on this host (e.g. "P<pid>Q<n>"); S= lets Dovecot skip a
// stat(). '/' and ':' in the host name are written as "\057" and "\072" (Maildir specification).
std::string unique_name(long long seconds, std::string_view id, std::string_view host, std::size_t size);

// --- folders ------------------------------------------------------------------------------------

// One folder level's name on disk: first the characters Maildir++ cannot hold are escaped as
// Dovecot's listescape plugin escapes them ('.' "\2e", '/' "\2f", '\' "\5c", '~' at the start
// "\7e"), then modified UTF-7. Without that plugin Dovecot shows such a folder as "a\2eb"; with it
// (and a separator other than '.') as "a.b".
std::string encode_name(std::string_view utf8);
// nullopt: not modified UTF-7.
std::optional<std::string> decode_name(std::string_view on_disk);

// The directory of a folder under DIR from its names (UTF-8) from the top: {"INBOX"} (any case)
// is DIR itself, "" here; {"Projects", "2026"} is ".Projects.2026"; {"INBOX", "Lists"} is
// ".INBOX.Lists".
std::string dir_name(const std::vector<std::string>& path);
// The reverse: "" -> {"INBOX"}; ".Projects.2026" -> {"Projects", "2026"}. nullopt when the name is
// no folder directory (no leading '.', ".", "..", an empty level, bad modified UTF-7).
std::optional<std::vector<std::string>> folder_path(std::string_view dir);

// easd's default mail folders under the names Dovecot's default configuration gives the special
// uses (RFC 6154), at the top level: Inbox -> INBOX, Drafts -> Drafts, Sent Items -> Sent,
// Deleted Items -> Trash, Junk E-mail -> Junk. Any other name stays. `type` is the EAS folder
// type (Junk E-mail is an ordinary mail folder, type 12, known by its name).
std::string maildir_top_name(std::string_view easd_name, int type);
// The reverse, case ignored: INBOX -> Inbox, Sent -> Sent Items, Trash -> Deleted Items, Junk ->
// Junk E-mail, Drafts -> Drafts; other names stay.
std::string easd_top_name(std::string_view maildir_name);

// The `subscriptions` file at DIR's top (Dovecot's version 2 format: a header line, then one
// folder a line with its levels, as on disk, separated by tabs), listing these folders.
std::string subscriptions_file(const std::vector<std::vector<std::string>>& paths);

// --- keywords -----------------------------------------------------------------------------------

// dovecot-keywords: "<index> <keyword>" a line; the index is the letter ('a' + index).
std::string keywords_file(const std::vector<std::string>& keywords);
// Index -> keyword; gaps and malformed lines are left empty.
std::vector<std::string> parse_keywords_file(std::string_view text);

// A category as an IMAP keyword. Keywords are atoms (RFC 3501: no space, no ( ) { % * " \ ] and
// no control or non-ASCII characters), categories are any text ("Red Category", "Entwürfe"): what
// an atom cannot hold goes into modified UTF-7 runs ("Red&ACA-Category"), so it comes back exactly.
// A leading '$' is encoded too: '$' keywords are the system's ($Forwarded, $Junk), not categories.
std::string keyword_for_category(std::string_view category);
// nullopt for a keyword that is no category: a '$' keyword, or not modified UTF-7.
std::optional<std::string> category_for_keyword(std::string_view keyword);

// RFC 5788's keyword for a forwarded message (easd's LastVerbExecuted 3).
inline constexpr std::string_view kForwardedKeyword = "$Forwarded";

// --- easd's stored email state ------------------------------------------------------------------

// The stored follow-up flag (WBXML of email:Flag) says flagged: FlagStatus 2. 1 (complete) and 0
// (cleared) are not IMAP's \Flagged.
bool is_flagged(std::string_view flag_wbxml);
// The follow-up flag a \Flagged message gets (FlagStatus 2, FlagType "Follow up", as phones set it).
std::string flagged_wbxml();

// The category names in stored email:Categories WBXML; empty for none or undecodable.
std::vector<std::string> categories_of(std::string_view categories_wbxml);
// email:Categories WBXML for these names; "" for none (the column's "no categories").
std::string categories_wbxml(const std::vector<std::string>& categories);

}  // namespace easd::content::maildir
