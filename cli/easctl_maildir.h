// easctl export|import ADDRESS DIR: a user's mail between easd's own store and a Maildir as Dovecot
// reads it (maildir:DIR, Maildir++ layout), to move a site to easd in front of Dovecot and back.
// Only mail moves: contacts, calendar, tasks and notes stay in easd's store in both modes. The
// format itself (names, flags, keywords) is in content/maildir.h. The usage lines are part of
// easctl's usage text.
#pragma once

#include <soci/soci.h>

#include "cli_common.h"

namespace easd::cli {

// `export ADDRESS DIR` (args.words[0] is "export"): every mail folder of the user into a new
// Maildir at DIR (created when absent; refused when it already holds one). Returns the exit status.
// Throws UsageError for a malformed command line, store::InvalidRequest for an unknown user or an
// unusable DIR, std::runtime_error for a failed write (one line each).
int run_export(const Args& args, soci::session& sql);

// `import ADDRESS DIR`: the Maildir's folders and messages into the user's store, stored as
// easd-deliver stores a delivered message; a message already there is skipped, so it can be run
// again. Exit status 1 when some file was no message (the others are imported).
int run_import(const Args& args, soci::session& sql);

}  // namespace easd::cli
