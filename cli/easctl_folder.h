// easctl folder add|rename|remove: the administrator's side of folder management, through the
// same folder store as the phone's FolderCreate/FolderUpdate/FolderDelete (store/folder_store.h).
// Folders are named by paths from the top level ("Inbox/Projects"). The usage lines are part of
// easctl's usage text.
#pragma once

#include <soci/soci.h>

#include "cli_common.h"

namespace easd::cli {

// Runs `folder add|rename|remove ...` (args.words[0] is "folder") and returns the exit status.
// Throws UsageError for a malformed command line, store::InvalidRequest for an unknown user or
// folder and for a change the store refuses (one line each; nothing is changed then).
int run_folder_change(const Args& args, soci::session& sql);

}  // namespace easd::cli
