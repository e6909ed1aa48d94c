#include "commands/metrics_endpoint.h"

#include "common/log.h"
#include "metrics/exposition.h"

namespace easd::commands {

bool is_metrics_request(const HttpRequest& request) { return request_path_is(request, "/easd-metrics"); }

std::optional<HttpResponse> refuse_metrics_request(const HttpRequest& request, const AddressList& allowed) {
    // The address first: a stranger learns nothing, not even which methods there are.
    if (!allowed.contains(request.remote_addr)) {
        EASD_LOG_INFO("metrics refused to %s (not in metrics_allow)",
                      request.remote_addr.empty() ? "an unknown address" : request.remote_addr.c_str());
        return plain_response(403, "metrics are not served to this address (metrics_allow)");
    }
    if (request.method != "GET" && request.method != "HEAD") {
        HttpResponse r = plain_response(405, "use GET");
        r.headers.emplace_back("Allow", "GET, HEAD");
        return r;
    }
    return std::nullopt;
}

HttpResponse answer_metrics(const HttpRequest& request, const AddressList& allowed, ServerMetrics* metrics) {
    if (auto refusal = refuse_metrics_request(request, allowed)) return std::move(*refusal);
    if (!metrics) return plain_response(404, "this process serves no metrics");
    HttpResponse r;
    r.headers.emplace_back("Content-Type", metrics::kContentType);
    r.headers.emplace_back("Cache-Control", "no-store");
    r.body = metrics->render();
    return r;
}

}  // namespace easd::commands
