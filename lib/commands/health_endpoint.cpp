#include "commands/health_endpoint.h"

#include <exception>

#include "common/log.h"

namespace easd::commands {

namespace {
constexpr std::string_view kPath = "/easd-health";
}  // namespace

bool is_health_request(const HttpRequest& request) {
    std::string_view uri = request.request_uri;
    return request.script_name == kPath || uri.substr(0, uri.find('?')) == kPath;
}

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
