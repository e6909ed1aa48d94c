// Whether a device may run a command now (MS-ASPROV 3.2.5.2, MS-ASCMD 2.2.2), decided after
// authentication and before the command touches any data:
//   0. DeviceInformation in a Provision or Settings request is stored first, so that it counts;
//   1. a wipe is waiting (or was done and the device came back): only Provision, which carries it;
//   2. access (store/access.h): blocked or quarantined devices get nothing; the owner and the
//      administrator are told once, when the decision changes;
//   3. provisioning: the device must hold the policy key of the effective policy it acknowledged,
//      renewed within the refresh interval. A device that sends no X-MS-PolicyKey at all cannot be
//      provisioned: it syncs when nothing is enforced or the policy allows such devices.
// Refusals are HTTP 449 / 403 before 14.0, and from 14.0 the command's own response with the
// common status (140, 129, 142, 143, 144).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "commands/command.h"

namespace easd::commands {

// The device of this request: found or registered (store/devices.h), and — for device types that
// change their DeviceId (ServerSettings::rotating_device_types) — recognised as the earlier device
// it is, by the policy key it sends or the DeviceInformation of a Provision or Settings request.
// The policy key is the header's, else the base64 query's.
store::Device identify_device(soci::session& sql, const ServerSettings& settings, long long user_id,
                              const protocol::EasQuery& query, const std::string& user_agent,
                              protocol::ProtocolVersion version, const std::string& policy_key_header,
                              const wbxml::Node* body);

// nullopt: go on. Else the answer to send instead of running the command.
std::optional<CommandResult> refuse_admission(CommandContext& ctx, std::string_view command,
                                              const std::string& policy_key_header);

// The answer carrying a common status for `command` (or the HTTP status before 14.0, or for
// commands whose response has no top-level Status).
CommandResult common_status_answer(const CommandContext& ctx, std::string_view command, int status);

}  // namespace easd::commands
