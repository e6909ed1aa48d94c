// The folder store of the Dovecot mail store: FolderCreate, FolderUpdate and FolderDelete of mail
// folders change the mailbox on the IMAP server too (CREATE, RENAME, DELETE), inside the command's
// transaction: the rows are changed first, with the native store's checks (store/folder_store.h),
// then the server; when the server refuses, the answer is Unavailable and the caller's
// transaction rolls the rows back. Folders of other classes (contacts, calendar...) live only in
// the rows, as in the native store.
#pragma once

#include <functional>
#include <memory>

#include "imap/imap_client.h"
#include "store/accounts.h"
#include "store/folder_store.h"

namespace easd::dovecot {

// Runs work with an IMAP connection logged in as the user (DovecotBackend::with_connection).
using ConnectionRunner = std::function<void(const store::User&, const std::function<void(imap::Connection&)>&)>;

std::unique_ptr<store::FolderStore> open_imap_folder_store(soci::session& sql, ConnectionRunner run);

}  // namespace easd::dovecot
