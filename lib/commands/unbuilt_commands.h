// The MS-ASCMD commands not in command_table.cpp, answered with their own WBXML and a status that
// says they are not supported (unbuilt_commands.cpp). The request path asks here only after
// find_command(), so a command built later takes over by its line in the table.
#pragma once

#include <string_view>

#include "commands/command.h"

namespace easd::commands {

// nullptr for a name that is no EAS command.
const CommandInfo* find_unbuilt_command(std::string_view name);

}  // namespace easd::commands
