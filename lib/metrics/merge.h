// Several processes' expositions (metrics/exposition.h) as one: what GET /easd-metrics answers on a
// host where several easd processes serve one nginx upstream. A scrape reaches one of them; it
// answers its own samples and the other processes' snapshots (commands/metrics_snapshots.h), each
// sample already labelled with the pid of its process when it was written (TextWriter's
// every-sample labels), so that Prometheus' sum() over pid counts every
// request of the host whichever process answered.
//
// The text format wants each family's HELP and TYPE once with all its samples after them
// (https://prometheus.io/docs/instrumenting/exposition_formats/): the samples of one family from
// several texts are gathered under the first text's HELP and TYPE, histogram _bucket, _sum and
// _count lines included (a sample belongs to the family whose HELP or TYPE came last before it
// when its name starts with that family's name, else to a family of its own name).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace easd::metrics {

// The texts as one: families in the order they first appear, each with its HELP and TYPE from the
// first text that has them, then the samples of every text in order. Other comments are dropped.
std::string merge_expositions(const std::vector<std::string_view>& texts);

}  // namespace easd::metrics
