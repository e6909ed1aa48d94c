#include "push/push_metrics.h"

namespace easd::push {

void write_push_metrics(const PushHub& hub, metrics::TextWriter& out) {
    out.family("easd_parked_requests", "gauge", "Ping and hanging Sync requests parked in this process now.");
    out.sample("easd_parked_requests", {}, static_cast<double>(hub.parked()));
    out.family("easd_parked_requests_max", "gauge",
               "The most requests this process parks at once (max_parked, or what its descriptors allow).");
    out.sample("easd_parked_requests_max", {}, static_cast<double>(hub.max_parked()));
    // Separate from easd_request_duration_seconds: a parked request waits by design (up to its
    // heartbeat, 30 minutes), and mixed with the work on requests it would drown every latency
    // that matters. By reason, since a wait that ends in changes is push working, one that expires
    // is a quiet mailbox, and crowded ones mean max_parked or the descriptor limit is too low.
    out.family("easd_parked_duration_seconds", "histogram",
               "How long parked requests waited (from their arrival) before they were answered, by why they "
               "were woken.");
    for (WakeReason reason : kWakeReasons)
        out.histogram("easd_parked_duration_seconds", {{"reason", wake_reason_name(reason)}},
                      hub.parked_durations(reason));
    out.family("easd_parked_abandoned_total", "counter",
               "Parked requests dropped because their client hung up.");
    out.sample("easd_parked_abandoned_total", {}, static_cast<double>(hub.abandoned()));
    out.family("easd_notifications_received_total", "counter",
               "PostgreSQL notifications the push listener received, by channel.");
    out.sample("easd_notifications_received_total", {{"channel", "easd_change"}},
               static_cast<double>(hub.changes_received()));
    out.sample("easd_notifications_received_total", {{"channel", "easd_supersede"}},
               static_cast<double>(hub.supersedes_received()));
}

}  // namespace easd::push
