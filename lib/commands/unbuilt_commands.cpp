// The MS-ASCMD commands this server does not carry out: a client that sends one gets the command's
// own WBXML answer with a status that says so, never a plain-text HTTP error. The table of built
// commands (command_table.cpp) is looked up first, so a command added there takes over from its
// entry here without touching this file.
//
// MS-ASCMD 2.2.1's commands: Autodiscover (its own URL), FolderCreate, FolderDelete, FolderSync,
// FolderUpdate, GetAttachment, GetHierarchy, GetItemEstimate, ItemOperations, MeetingResponse,
// MoveItems, Ping, Provision, ResolveRecipients, Search, SendMail, Settings, SmartForward,
// SmartReply, Sync, ValidateCert, Find. The ones not in command_table.cpp are answered below.
#include "commands/unbuilt_commands.h"

#include "store/folders.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// MS-ASCMD 2.2.2 common status codes, meaningful in every command's Status from 14.0 on.
constexpr long long kCommandNotSupported = 137;

// Before 14.0 each command's own table: FolderHierarchy's 6 "an error occurred on the server",
// ValidateCert's 17 (failure), MeetingResponse's 2 "invalid meeting request" (not transient: the
// client stops resending it).
constexpr long long kFolderServerError = 6;
constexpr long long kValidateCertFailure = 17;
constexpr long long kMeetingResponseInvalid = 2;

CommandResult status_root(wbxml::Tag root_tag, wbxml::Tag status_tag, long long status) {
    wbxml::Node root(root_tag);
    root.add(status_tag, status);
    return {200, std::move(root)};
}

CommandResult folder_create(CommandContext& ctx) {
    return status_root(tag::FolderHierarchy::FolderCreate, tag::FolderHierarchy::Status,
                       ctx.version >= 140 ? kCommandNotSupported : kFolderServerError);
}
CommandResult folder_update(CommandContext& ctx) {
    return status_root(tag::FolderHierarchy::FolderUpdate, tag::FolderHierarchy::Status,
                       ctx.version >= 140 ? kCommandNotSupported : kFolderServerError);
}
CommandResult folder_delete(CommandContext& ctx) {
    return status_root(tag::FolderHierarchy::FolderDelete, tag::FolderHierarchy::Status,
                       ctx.version >= 140 ? kCommandNotSupported : kFolderServerError);
}

// Find exists from 16.1 on, where the common codes apply.
CommandResult find(CommandContext&) {
    return status_root(tag::Find::Find, tag::Find::Status, kCommandNotSupported);
}

CommandResult validate_cert(CommandContext& ctx) {
    return status_root(tag::ValidateCert::ValidateCert, tag::ValidateCert::Status,
                       ctx.version >= 140 ? kCommandNotSupported : kValidateCertFailure);
}

// One Result per Request, with its RequestId, as the response's schema wants (one Result at least).
CommandResult meeting_response(CommandContext& ctx) {
    const long long status = ctx.version >= 140 ? kCommandNotSupported : kMeetingResponseInvalid;
    wbxml::Node root(tag::MeetingResponse::MeetingResponse);
    if (ctx.request && ctx.request->tag == tag::MeetingResponse::MeetingResponse) {
        for (const wbxml::Node* request : ctx.request->children_of(tag::MeetingResponse::Request)) {
            wbxml::Node& result = root.add(tag::MeetingResponse::Result);
            if (request->has(tag::MeetingResponse::RequestId))
                result.add(tag::MeetingResponse::RequestId,
                           std::string(request->child_text(tag::MeetingResponse::RequestId)));
            result.add(tag::MeetingResponse::Status, status);
        }
    }
    if (root.children.empty()) throw MalformedRequest("MeetingResponse without a Request");
    return {200, std::move(root)};
}

// GetHierarchy (2.5..12.1; Exchange 2010 still answers it at 14.0): the mail folders, no state.
CommandResult get_hierarchy(CommandContext& ctx) {
    wbxml::Node root(tag::FolderHierarchy::Folders);
    for (const store::Folder& f : store::list_folders(ctx.sql, ctx.user.id)) {
        if (f.item_class != "Email") continue;  // "includes only email folders" (MS-ASCMD 2.2.1.8)
        wbxml::Node& folder = root.add(tag::FolderHierarchy::Folder);
        folder.add(tag::FolderHierarchy::DisplayName, f.name);
        folder.add(tag::FolderHierarchy::ServerId, static_cast<long long>(f.id));
        folder.add(tag::FolderHierarchy::Type, static_cast<long long>(f.type));
        folder.add(tag::FolderHierarchy::ParentId, static_cast<long long>(f.parent_id));
    }
    return {200, std::move(root)};
}

}  // namespace

const CommandInfo* find_unbuilt_command(std::string_view name) {
    static const std::vector<CommandInfo> table = {
        {"FolderCreate", folder_create, true},
        {"FolderUpdate", folder_update, true},
        {"FolderDelete", folder_delete, true},
        {"Find", find, true},
        {"ValidateCert", validate_cert, true},
        {"MeetingResponse", meeting_response, true},
        {"GetHierarchy", get_hierarchy, false},  // no request body
    };
    for (const auto& c : table)
        if (c.name == name) return &c;
    return nullptr;
}

}  // namespace easd::commands
