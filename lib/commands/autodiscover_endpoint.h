// /autodiscover/autodiscover.xml on the request path: after the same authentication as ActiveSync,
// the answer that tells the signed-in account's phone its ActiveSync URL (autodiscover/).
#pragma once

#include <string_view>

#include "commands/command.h"
#include "commands/request_handler.h"

namespace easd::commands {

// True when the request is for the autodiscover path, in any letter case as phones vary, by
// SCRIPT_NAME (nginx) or REQUEST_URI's path (what Apache's mod_proxy_fcgi passes reliably).
bool is_autodiscover_request(const HttpRequest& request);

// The answer for `user`, who signed in: 200 with the XML. A GET gets the account's settings; a
// POST its settings for its own address, a redirect to it for one of its aliases (`db` is read
// only then), else the error the protocol defines (another account's address, a schema we do not
// answer in, a request that is not one).
HttpResponse answer_autodiscover(const HttpRequest& request, const store::User& user, const ServerSettings& settings,
                                 store::Database& db);

}  // namespace easd::commands
