// Command-line arguments of the benchmarks: numbers (`--name N`, with a default) and flags (`--name`).
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace easd::bench {

inline int arg_int(int argc, char** argv, const char* name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
    return fallback;
}

inline bool arg_flag(int argc, char** argv, const char* name) {
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return true;
    return false;
}

// Every value of a repeatable `--name VALUE` (e.g. `--config "live_stats_ms = 0"`), in order.
inline std::vector<std::string> arg_all(int argc, char** argv, const char* name) {
    std::vector<std::string> values;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) values.emplace_back(argv[++i]);
    return values;
}

}  // namespace easd::bench
