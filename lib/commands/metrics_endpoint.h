// GET /easd-metrics: the metrics of this process and of the other easd processes of the host
// (their snapshots: commands/metrics_snapshots.h) in Prometheus' text format
// (commands/server_metrics.h), for monitoring. No sign-in (Prometheus has no account), but only for the addresses of
// `metrics_allow` (default: this machine): the answer counts users' devices and requests. The
// web server restricts the location too (nginx/easd-locations.conf.in).
#pragma once

#include <optional>

#include "commands/request_handler.h"
#include "commands/server_metrics.h"
#include "common/address_list.h"

namespace easd::commands {

bool is_metrics_request(const HttpRequest& request);

// The answer when the request ends before its body is read: 403 for an address not allowed,
// 405 for a method other than GET or HEAD; nullopt when it may have the metrics.
std::optional<HttpResponse> refuse_metrics_request(const HttpRequest& request, const AddressList& allowed);

// 404 when this process serves no metrics (`metrics` null: the request path without a worker).
HttpResponse answer_metrics(const HttpRequest& request, const AddressList& allowed, ServerMetrics* metrics);

}  // namespace easd::commands
