// POST /easd-notify on the request path: the mail server (Dovecot's push script,
// dovecot/easd-push.lua) announces that a user's mailbox changed; the mail store catches that
// mailbox up before the answer, and the database triggers wake the parked Pings. No Basic
// authentication: the web server admits only loopback addresses, and the request must carry the
// shared token (X-Easd-Push-Token).
#pragma once

#include "commands/request_handler.h"
#include "mailstore/mail_backend.h"

namespace easd::commands {

bool is_push_notification_request(const HttpRequest& request);

// 204 when caught up (or nobody here syncs that user), 403 for a wrong token, 404 when the mail
// store takes no notifications (the native store), 400 for a malformed form, 503 when the mail
// server or the database cannot be reached (the script logs it; the next FolderSync catches up).
HttpResponse answer_push_notification(const HttpRequest& request, mailstore::MailBackend& mail, store::Database& db);

}  // namespace easd::commands
