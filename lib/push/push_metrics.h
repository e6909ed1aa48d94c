// The push hub's part of /easd-metrics: requests parked now, how long they were parked, the
// notifications received.
#pragma once

#include "metrics/exposition.h"
#include "push/push_hub.h"

namespace easd::push {

void write_push_metrics(const PushHub& hub, metrics::TextWriter& out);

}  // namespace easd::push
