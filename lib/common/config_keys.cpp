#include "common/config_keys.h"

#include <algorithm>
#include <vector>

#include "common/config.h"
#include "common/text.h"

namespace easd {
namespace {

// Levenshtein distance (insertions, deletions, substitutions) of two short ASCII names,
// ignoring case: a swapped pair of letters costs 2, still within the suggestion's reach.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];  // row[i-1][j-1]
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitute = diagonal + (ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// Lower case without underscores (or dashes, as the command-line options spell the keys):
// "HeartbeatMax", "heartbeat-max" and "heartbeat_max" are the same name to an administrator.
std::string squeezed(std::string_view name) {
    std::string out;
    for (char c : name)
        if (c != '_' && c != '-') out += ascii_lower(c);
    return out;
}

constexpr std::size_t kMaxSuggestionDistance = 2;

}  // namespace

std::optional<std::string_view> closest_config_key(std::string_view unknown) {
    const std::string unknown_squeezed = squeezed(unknown);
    std::optional<std::string_view> best;
    std::size_t best_distance = kMaxSuggestionDistance + 1;
    for (const ConfigKey& key : kConfigKeys) {
        // The same name but for case and underscores is the best answer there is.
        const std::size_t distance = squeezed(key.name) == unknown_squeezed ? 0 : edit_distance(unknown, key.name);
        if (distance < best_distance) {
            best = key.name;
            best_distance = distance;
        }
    }
    return best;
}

std::vector<std::string> unknown_config_key_warnings(const Config& config) {
    std::vector<std::string> lines;
    for (const auto& [key, value] : config.entries()) {
        if (is_config_key(key)) continue;
        std::string line = "config " + config.source() + ": unknown key '" + key + "' (ignored)";
        if (auto suggestion = closest_config_key(key)) line += "; did you mean '" + std::string(*suggestion) + "'?";
        lines.push_back(std::move(line));
    }
    return lines;
}

}  // namespace easd
