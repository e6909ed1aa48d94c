// Running a child process from tests: argv (no shell), optional stdin, captured stdout/stderr.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace easd::test {

struct ProcessResult {
    int exit_code = -1;  // exit status, or 128+signal when killed by a signal
    std::string out;
    std::string err;
};

// Runs argv[0] (searched in PATH) with the given stdin and extra environment variables, waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                          const std::map<std::string, std::string>& env = {});

}  // namespace easd::test
