#include "commands/command.h"

namespace easd::commands {

const std::vector<CommandInfo>& implemented_commands() {
    static const std::vector<CommandInfo> table = {
        {"FolderSync", handle_folder_sync, true},
        {"FolderCreate", handle_folder_create, true},
        {"FolderUpdate", handle_folder_update, true},
        {"FolderDelete", handle_folder_delete, true},
        {"Sync", handle_sync, false},  // an empty Sync repeats the previous request (12.1+)
        {"GetItemEstimate", handle_get_item_estimate, true},
        {"MoveItems", handle_move_items, true},
        {"Ping", handle_ping, false},  // an empty Ping repeats the last one
        {"ItemOperations", handle_item_operations, true},
        {"GetAttachment", handle_get_attachment, false},  // AttachmentName in the query, no body
        {"Provision", handle_provision, false},  // the wipe acknowledgement may come as an empty request
        {"Settings", handle_settings, true},
        {"SendMail", handle_send_mail, true, true},
        {"SmartReply", handle_smart_reply, true, true},
        {"SmartForward", handle_smart_forward, true, true},
        {"Search", handle_search, true},
        {"ResolveRecipients", handle_resolve_recipients, true},
        {"Find", handle_find, true},  // 16.1 only: other versions get Status 138
    };
    return table;
}

const CommandInfo* find_command(std::string_view name) {
    for (const auto& c : implemented_commands())
        if (c.name == name) return &c;
    return nullptr;
}

}  // namespace easd::commands
