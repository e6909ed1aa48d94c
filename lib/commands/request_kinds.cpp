#include "commands/request_kinds.h"

#include "commands/autodiscover_endpoint.h"
#include "commands/health_endpoint.h"
#include "commands/metrics_endpoint.h"
#include "commands/push_endpoint.h"
#include "protocol/request.h"

namespace easd::commands {

const std::vector<std::string_view>& request_kinds() {
    static const std::vector<std::string_view> kinds = [] {
        std::vector<std::string_view> v = protocol::command_names();
        for (std::string_view other : {"Autodiscover", "OPTIONS", "easd-health", "easd-metrics", "easd-notify", "easd-admin", "unknown"})
            v.push_back(other);
        return v;
    }();
    return kinds;
}

std::size_t request_kind(const HttpRequest& request) {
    const auto& kinds = request_kinds();
    auto index_of = [&kinds](std::string_view label) {
        for (std::size_t i = 0; i < kinds.size(); ++i)
            if (kinds[i] == label) return i;
        return kinds.size() - 1;  // "unknown"
    };
    if (is_health_request(request)) return index_of("easd-health");
    if (is_metrics_request(request)) return index_of("easd-metrics");
    if (is_push_notification_request(request)) return index_of("easd-notify");
    if (is_autodiscover_request(request)) return index_of("Autodiscover");
    {
        // The web console (lib/admin, which this library does not know): its pages are one kind.
        std::string_view path = request.request_uri.empty() ? std::string_view(request.script_name)
                                                            : std::string_view(request.request_uri);
        path = path.substr(0, path.find('?'));
        if (path == "/easd-admin" || path.substr(0, 12) == "/easd-admin/") return index_of("easd-admin");
    }
    if (request.method == "OPTIONS") return index_of("OPTIONS");
    auto command = protocol::command_of_query(request.query_string);
    return index_of(command ? *command : "unknown");
}

}  // namespace easd::commands
