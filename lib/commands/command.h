// What every EAS command handler gets and returns, and the table that dispatches Cmd= to them.
// One file per command (foldersync.cpp, sync.cpp, ...), as in the specification's chapters.
#pragma once

#include <chrono>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "auth/login_limits.h"
#include "commands/outgoing_mail.h"
#include "common/address_list.h"
#include "mailstore/mail_backend.h"
#include "protocol/request.h"
#include "push/push_hub.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/devices.h"
#include "store/policies.h"
#include "throttle/throttle_limits.h"
#include "wbxml/wbxml.h"

namespace easd::commands {

struct ServerSettings {
    int max_window_size = 512;   // cap on a client's WindowSize
    int default_window_size = 100;
    std::string protocol_log_dir;  // empty: protocol logging is unavailable
    int auth_cache_seconds = 900;  // how long a verified login is trusted without a new hash check
                                   // (the access mode: at most 30 s of it)
    auth::LoginLimits login_limits;  // failed sign-ins: delays, lockouts, password checks at once
    // Request bodies: SendMail, SmartReply, SmartForward and Sync carry messages; every other
    // request is small WBXML, so a large body there is refused before it is read.
    std::size_t max_body_bytes = 64u << 20;
    std::size_t max_small_body_bytes = 1u << 20;
    int heartbeat_min = 60;        // Ping HeartbeatInterval bounds, seconds
    int heartbeat_max = 1800;
    int max_ping_folders = 300;
    // How notices (wipe confirmations, refusals) reach recipients without an account here.
    std::string sendmail_command = kDefaultSendmailCommand;
    // The ActiveSync URL autodiscover hands out (config key activesync_url); empty: the scheme and
    // Host of the autodiscover request itself, with /Microsoft-Server-ActiveSync.
    std::string activesync_url;
    // Device types known to send a new DeviceId after a restart (config key rotating_device_types):
    // a new id of such a type is recognised as the earlier device when the evidence says so
    // (commands/admission.h: identify_device). Empty: every new id is a new device.
    std::vector<std::string> rotating_device_types = {"WindowsOutlook15"};
    // Request budgets and autoblock (throttle/throttle_limits.h).
    throttle::ThrottleLimits throttle_limits;
    // Presentations of a collection's previous SyncKey in a row before the window narrows to find
    // the item the device cannot take (commands/sync_loops.h). 0: no loop detection.
    int sync_loop_repeats = 3;
    // Who may read GET /easd-metrics (config key metrics_allow): this machine unless configured.
    AddressList metrics_allow = AddressList::loopback();
};

// Status codes every command's Status element may carry from 14.0 on (MS-ASCMD 2.2.2); before
// 14.0 the same conditions are HTTP statuses (403, 449).
enum CommonStatus {
    kDeviceNotFullyProvisionable = 139,
    kDeviceIsBlockedForThisUser = 129,
    kRemoteWipeRequested = 140,
    kDeviceNotProvisioned = 142,
    kPolicyRefresh = 143,
    kInvalidPolicyKey = 144,
};

struct CommandContext {
    soci::session& sql;
    const ServerSettings& settings;
    const store::User& user;
    const store::Device& device;
    const protocol::EasQuery& query;
    protocol::ProtocolVersion version;
    const wbxml::Node* request;  // the decoded body; nullptr when the request had none
    // The body as sent, for commands whose body is not WBXML before 14.0 (SendMail, SmartReply,
    // SmartForward carry the MIME message itself).
    std::string_view raw_body = {};
    // A hanging Sync run again after it woke: its wait ends then, not a full interval from now.
    std::optional<std::chrono::steady_clock::time_point> wait_deadline = std::nullopt;
    // The mail store (native or Dovecot): what differs between them (mailstore/mail_backend.h).
    mailstore::MailBackend* mail = nullptr;
    // The worker's copy of each device's policy levels (nullptr: read them from the database).
    store::PolicyLevelsCache* policy_levels = nullptr;
};

struct CommandResult {
    CommandResult() = default;
    CommandResult(int status, std::optional<wbxml::Node> wbxml_body = std::nullopt)
        : http_status(status), body(std::move(wbxml_body)) {}

    int http_status = 200;
    std::optional<wbxml::Node> body;  // sent as WBXML when set (and raw_body is not)
    // Sent as is, with content_type, instead of `body` (GetAttachment's bytes, a multipart
    // ItemOperations response). `body` may still be set: the protocol log shows it.
    std::optional<std::string> raw_body;
    std::string content_type;
    // With a 503: how long the client should wait before it tries again (Retry-After).
    int retry_after_seconds = 0;
    // Set when the request waits (Ping, hanging Sync): no answer now; the worker parks it with
    // the push hub.
    std::optional<push::ParkedWait> park;
};

using CommandHandler = CommandResult (*)(CommandContext&);

struct CommandInfo {
    std::string_view name;
    CommandHandler handler;
    bool needs_body;  // a request without a body is malformed (400)
    bool mime_body_before_140 = false;  // before 14.0 the body is a MIME message, not WBXML
};

// The commands this server implements; OPTIONS advertises exactly these.
const std::vector<CommandInfo>& implemented_commands();
const CommandInfo* find_command(std::string_view name);

// Command handlers.
CommandResult handle_folder_sync(CommandContext& ctx);
CommandResult handle_folder_create(CommandContext& ctx);  // folder_management.cpp
CommandResult handle_folder_update(CommandContext& ctx);
CommandResult handle_folder_delete(CommandContext& ctx);
CommandResult handle_sync(CommandContext& ctx);
CommandResult handle_get_item_estimate(CommandContext& ctx);
CommandResult handle_ping(CommandContext& ctx);

// For the push hub: which of the folders a parked Ping or hanging Sync watches have something for
// the device (changes after its sync state, no sync state yet, or the folder is gone).
std::vector<std::vector<long long>> parked_folders_with_changes(soci::session& sql,
                                                                const std::vector<push::ParkedWait>& waits);
// In a result of parked_folders_with_changes: the device's folder hierarchy changed (for waits
// that watch it, i.e. Ping: status 7).
constexpr long long kHierarchyChangedMarker = -1;
// The Ping response body for a status (2 with the folders).
std::string ping_response_body(int status, const std::vector<long long>& folders);
CommandResult handle_move_items(CommandContext& ctx);
CommandResult handle_item_operations(CommandContext& ctx);
CommandResult handle_get_attachment(CommandContext& ctx);
CommandResult handle_provision(CommandContext& ctx);
CommandResult handle_settings(CommandContext& ctx);
CommandResult handle_send_mail(CommandContext& ctx);
CommandResult handle_search(CommandContext& ctx);
CommandResult handle_find(CommandContext& ctx);
CommandResult handle_resolve_recipients(CommandContext& ctx);
CommandResult handle_smart_reply(CommandContext& ctx);
CommandResult handle_smart_forward(CommandContext& ctx);

// Thrown by a handler for a request that is not valid for its command: answered with HTTP 400
// (or the command's own protocol-error status, if the handler prefers to build one).
struct MalformedRequest : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace easd::commands
