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

    // An item that cannot be rendered (its stored data is damaged, a converter throws).
    struct Failure {
        long long item_id;
        std::string reason;
    };
    // Items that vanished meanwhile are simply absent. One that fails to render is absent too,
    // and named in `failures` when given (else skipped): one bad item never fails the whole
    // response. The database or mail server out of reach still fails it (the phone retries).
    std::unordered_map<long long, wbxml::Node> render(const std::vector<long long>& ids,
                                                      std::vector<Failure>* failures = nullptr);

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
