// Command-line numbers of the benchmarks: `--name N`, with a default.
#pragma once

#include <cstdlib>
#include <cstring>

namespace easd::bench {

inline int arg_int(int argc, char** argv, const char* name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
    return fallback;
}

}  // namespace easd::bench
