// Ping (MS-ASCMD 2.2.1.13): wait until one of the given folders changes or the heartbeat ends.
// The waiting itself happens in lib/push: this answers at once when it can, else asks to park.
#include <algorithm>
#include <charconv>

#include "commands/command.h"
#include "common/text.h"
#include "store/pq.h"
#include "store/push_state.h"
#include "store/sync_state.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// Ping status codes (MS-ASCMD 2.2.3.177.12).
enum PingStatus {
    kExpired = 1,
    kChanges = 2,
    kMissingParameters = 3,
    kSyntaxError = 4,
    kBadHeartbeat = 5,
    kTooManyFolders = 6,
    kFolderSyncRequired = 7,
    kServerError = 8,
};

CommandResult status_with(int status, wbxml::Tag extra = 0, long long value = 0) {
    wbxml::Node root(tag::Ping::Ping);
    root.add(tag::Ping::Status, static_cast<long long>(status));
    if (extra) root.add(extra, value);
    return {200, std::move(root)};
}

std::string join(const std::vector<long long>& ids) {
    std::string s;
    for (long long id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s;
}

}  // namespace

std::string ping_response_body(int status, const std::vector<long long>& folders) {
    wbxml::Node root(tag::Ping::Ping);
    root.add(tag::Ping::Status, static_cast<long long>(status));
    if (!folders.empty()) {
        auto& f = root.add(tag::Ping::Folders);
        for (long long id : folders) f.add(tag::Ping::Folder, id);
    }
    return wbxml::encode(root);
}

CommandResult handle_ping(CommandContext& ctx) {
    if (ctx.request && ctx.request->tag != tag::Ping::Ping) return status_with(kSyntaxError);

    // What the request says, completed by the device's last Ping (an empty Ping, or one without
    // folders or heartbeat, repeats the last values).
    std::optional<long long> heartbeat;
    std::vector<long long> folders;
    bool folders_given = false;
    if (ctx.request) {
        if (const auto* hb = ctx.request->child(tag::Ping::HeartbeatInterval)) {
            heartbeat = parse_decimal(hb->text());
            if (!heartbeat) return status_with(kSyntaxError);
        }
        if (const auto* fs = ctx.request->child(tag::Ping::Folders)) {
            folders_given = true;
            for (const auto* f : fs->children_of(tag::Ping::Folder)) {
                auto id = parse_decimal(f->child_text(tag::Ping::Id));
                if (!id) return status_with(kSyntaxError);
                folders.push_back(*id);
            }
        }
    }
    store::PqResult last = store::pq_query(ctx.sql, "SELECT ping_folders, ping_heartbeat FROM devices WHERE id = $1",
                                           {std::to_string(ctx.device.id)});
    if (!heartbeat && last.rows() == 1 && !last.is_null(0, 1)) heartbeat = last.int64(0, 1);
    if (!folders_given && last.rows() == 1 && !last.is_null(0, 0)) {
        std::string_view list = last.text(0, 0);
        while (!list.empty()) {
            auto comma = list.find(',');
            if (auto id = parse_decimal(list.substr(0, comma))) folders.push_back(*id);
            list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        }
    }
    if (!heartbeat || folders.empty()) return status_with(kMissingParameters);
    if (*heartbeat < ctx.settings.heartbeat_min)
        return status_with(kBadHeartbeat, tag::Ping::HeartbeatInterval, ctx.settings.heartbeat_min);
    if (*heartbeat > ctx.settings.heartbeat_max)
        return status_with(kBadHeartbeat, tag::Ping::HeartbeatInterval, ctx.settings.heartbeat_max);
    if (static_cast<long long>(folders.size()) > ctx.settings.max_ping_folders)
        return status_with(kTooManyFolders, tag::Ping::MaxFolders, ctx.settings.max_ping_folders);

    push::ParkedWait wait;
    wait.user_id = ctx.user.id;
    wait.device_row = ctx.device.id;
    wait.folders = folders;
    wait.heartbeat = std::chrono::seconds(*heartbeat);
    wait.watch_hierarchy = true;

    // Every watched folder must be one of this user's: otherwise the device's hierarchy is stale.
    // One query for all of them (up to max_ping_folders).
    std::vector<long long> distinct = folders;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    store::PqResult owned = store::pq_query(ctx.sql, "SELECT count(*) FROM folders WHERE user_id = $1 AND id = ANY($2::bigint[])",
                                            {std::to_string(ctx.user.id), "{" + join(distinct) + "}"});
    if (owned.int64(0, 0) != static_cast<long long>(distinct.size())) return status_with(kFolderSyncRequired);

    wait.push_seq = store::announce_waiting_request(ctx.sql, ctx.device.id, std::make_pair(join(folders), *heartbeat));

    std::vector<long long> changed = parked_folders_with_changes(ctx.sql, {wait})[0];
    if (changed == std::vector<long long>{kHierarchyChangedMarker}) return status_with(kFolderSyncRequired);
    if (!changed.empty()) {
        auto decoded = wbxml::decode(ping_response_body(kChanges, changed));
        return {200, std::move(decoded.root)};
    }
    CommandResult parked;
    parked.park = std::move(wait);
    return parked;
}

}  // namespace easd::commands
