// easctl's help text (easctl_help.cpp).
#pragma once

#include <string>

namespace easd::cli {

// The whole usage: commands, options, environment, exit status.
const char* easctl_usage();
// "usage: easctl ... user ...\n" and the entries of that command; "" for a word that is none.
std::string easctl_command_usage(const std::string& command);
// Whether `command` is one of easctl's commands (migrate, domain, user, ...).
bool easctl_knows(const std::string& command);

}  // namespace easd::cli
