// What Sync's two halves share (lib/commands/sync.cpp: keys, server changes and the response;
// sync_client_commands.cpp: the client's Add, Change, Delete and Fetch of one collection).
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "commands/command.h"
#include "content/email_item.h"
#include "content/pim_item.h"
#include "store/items.h"
#include "store/mail.h"
#include "store/sync_state.h"

namespace easd::commands::sync_detail {

namespace tag = wbxml::tag;
using content::ItemClass;

// Sync status codes (MS-ASCMD 2.2.3.177.16).
enum SyncStatus {
    kSuccess = 1,
    kInvalidKey = 3,
    kProtocolError = 4,
    kServerError = 5,
    kConversionError = 6,
    kObjectNotFound = 8,
    kHierarchyChanged = 12,
    kIncompleteRequest = 13,
    kInvalidWait = 14,
};

struct CollectionRequest {
    const wbxml::Node* node = nullptr;
    std::string sync_key;
    std::string collection_id;
    std::string class_name;  // 2.5 sends it
    bool get_changes = true;
    int window_size = 100;
    const wbxml::Node* options = nullptr;
    const wbxml::Node* commands = nullptr;
};

// Renders items of one class for this client: ServerId -> ApplicationData.
class ItemRenderer {
public:
    ItemRenderer(CommandContext& ctx, ItemClass cls, const wbxml::Node* options)
        : ctx_(ctx), cls_(cls), options_(content::parse_email_options(options)) {}

    std::unordered_map<long long, wbxml::Node> render(const std::vector<long long>& ids) {
        std::unordered_map<long long, wbxml::Node> out;
        if (ids.empty()) return out;
        if (cls_ == ItemClass::Email) {
            for (const auto& row : ctx_.mail->load_emails(ctx_.sql, ctx_.user, ids, options_.needs_mime())) {
                wbxml::Node data(tag::AirSync::ApplicationData);
                content::append_email_data(data, row, options_, ctx_.version);
                out.emplace(row.item_id, std::move(data));
            }
        } else {
            for (const auto& row : store::load_pim_items(ctx_.sql, ctx_.user.id, ids)) {
                auto stored = wbxml::decode(row.data);
                if (!stored.root) continue;  // cannot happen for data we wrote; skip rather than fail all
                wbxml::Node data(tag::AirSync::ApplicationData);
                content::append_pim_data(data, cls_, *stored.root, options_, ctx_.version);
                out.emplace(row.item_id, std::move(data));
            }
        }
        return out;
    }

private:
    CommandContext& ctx_;
    ItemClass cls_;
    content::EmailOptions options_;
};

// What the client's own commands did in this request, so they are not echoed back as changes.
struct ClientEdits {
    std::unordered_set<long long> own;  // items the client added or changed in this request
};

// Applies the client's commands of one collection (inside the collection's transaction): answers
// go to `responses`, the items it added or changed to `edits` (and to the store's record of the
// device's own changes). `response_key` is the key this response will carry, `from_mark` the
// watermark of the key the client presented.
void apply_client_commands(CommandContext& ctx, const CollectionRequest& req, const store::CollectionState& state,
                           ItemClass cls, int response_key, long long from_mark, wbxml::Node& responses,
                           ClientEdits& edits, ItemRenderer& renderer);

}  // namespace easd::commands::sync_detail
