#include "commands/health_endpoint.h"

#include <exception>

#include "common/log.h"

namespace easd::commands {

bool is_health_request(const HttpRequest& request) { return request_path_is(request, "/easd-health"); }

HttpResponse answer_health(const HttpRequest& request, store::Database& db) {
    if (request.method != "GET" && request.method != "HEAD") {
        HttpResponse r = plain_response(405, "use GET");
        r.headers.emplace_back("Allow", "GET, HEAD");
        return r;
    }
    std::string problem;
    try {
        store::Database::Lease sql(db);
        problem = store::schema_problem(*sql);
    } catch (const std::exception& e) {
        // The details (host, error) go to the log, not to whoever asks.
        EASD_LOG_WARN("health check: the database cannot be reached: %s", e.what());
        problem = "the database cannot be reached";
    }
    HttpResponse r = plain_response(problem.empty() ? 200 : 503, problem.empty() ? "ok" : problem);
    r.headers.emplace_back("Cache-Control", "no-store");
    if (!problem.empty()) r.headers.emplace_back("Retry-After", "10");
    return r;
}

}  // namespace easd::commands
