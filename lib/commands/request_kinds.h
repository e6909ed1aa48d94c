// What kind of request a request is, for easd_requests_total and its duration: the EAS command
// its query names, or which of easd's other URLs it is for. The labels are a fixed list (a
// client's words never become a label: a metric per made-up command name would grow without end).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "commands/request_handler.h"

namespace easd::commands {

// Every label, in index order: the EAS commands of MS-ASHTTP's table, then "Autodiscover",
// "OPTIONS", "easd-health", "easd-metrics", "easd-notify", and last "unknown" (no command, or
// one easd does not know).
const std::vector<std::string_view>& request_kinds();

// The index of `request`'s kind in request_kinds(); cheap enough for every request (no
// allocation, the query is not decoded beyond its command).
std::size_t request_kind(const HttpRequest& request);

}  // namespace easd::commands
