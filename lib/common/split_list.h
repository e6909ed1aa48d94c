// Lists in config values ("a, b c"): the pieces, split at any of the separators, trimmed, the
// empty ones left out.
#pragma once

#include <string_view>
#include <vector>

#include "common/text.h"

namespace easd {

inline std::vector<std::string_view> split_list(std::string_view text, std::string_view separators) {
    std::vector<std::string_view> pieces;
    while (!text.empty()) {
        std::size_t end = text.find_first_of(separators);
        std::string_view piece = trim(text.substr(0, end));
        if (!piece.empty()) pieces.push_back(piece);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    return pieces;
}

}  // namespace easd
