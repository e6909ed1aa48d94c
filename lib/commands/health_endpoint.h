// GET /easd-health: whether this easd can serve, for load balancers and monitoring. No sign-in
// (a balancer has no account); it tells only "ok" or what is wrong. 200 when the database answers
// and its schema is the one this build needs (or newer); 503 with Retry-After otherwise. It reads
// the schema version, so each check costs one query on a pooled connection.
#pragma once

#include "commands/request_handler.h"
#include "store/db.h"

namespace easd::commands {

bool is_health_request(const HttpRequest& request);

HttpResponse answer_health(const HttpRequest& request, store::Database& db);

}  // namespace easd::commands
