// GetItemEstimate (MS-ASCMD 2.2.1.9): how many changes the next Sync of each collection would bring.
#include <charconv>
#include <ctime>

#include "commands/command.h"
#include "content/conversation.h"
#include "store/sync_state.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {
// GetItemEstimate status codes (MS-ASCMD 2.2.3.177.6).
enum EstimateStatus { kSuccess = 1, kInvalidCollection = 2, kNotPrimed = 3, kInvalidKey = 4 };
}  // namespace

CommandResult handle_get_item_estimate(CommandContext& ctx) {
    wbxml::Node root(tag::GetItemEstimate::GetItemEstimate);
    const wbxml::Node* cols = ctx.request && ctx.request->tag == tag::GetItemEstimate::GetItemEstimate
                                  ? ctx.request->child(tag::GetItemEstimate::Collections)
                                  : nullptr;
    if (!cols) {
        root.add(tag::GetItemEstimate::Status, static_cast<long long>(kInvalidCollection));
        return {200, std::move(root)};
    }
    for (const auto* c : cols->children_of(tag::GetItemEstimate::Collection)) {
        auto& response = root.add(tag::GetItemEstimate::Response);
        std::string collection_id(c->child_text(tag::GetItemEstimate::CollectionId));
        std::string key_text(c->child_text(tag::AirSync::SyncKey));
        long long folder_id = 0;
        auto [p, ec] = std::from_chars(collection_id.data(), collection_id.data() + collection_id.size(), folder_id);
        bool valid_id = ec == std::errc() && p == collection_id.data() + collection_id.size() && folder_id > 0;
        store::CollectionPeek peek;
        if (valid_id) peek = store::peek_collection(ctx.sql, ctx.user.id, ctx.device.id, folder_id);
        int status = kSuccess;
        long long estimate = 0;
        auto key = store::SyncKey::parse(key_text);
        if (!peek.folder_found) status = kInvalidCollection;
        else if (key_text == "0" || !peek.state) status = kNotPrimed;
        else if (!key || peek.state->keys.match(*key) == store::KeyedState::Match::None) status = kInvalidKey;
        else if (peek.state->stale(peek.state->keys.match(*key) == store::KeyedState::Match::Current
                                       ? peek.state->keys.current_mark
                                       : peek.state->keys.previous_mark,
                                   peek.horizon))
            status = kInvalidKey;  // pruned tombstones above its watermark: Sync answers 3 too
        else {
            long long mark = peek.state->keys.match(*key) == store::KeyedState::Match::Current
                                 ? peek.state->keys.current_mark
                                 : peek.state->keys.previous_mark;
            // The filter of the request: Options/FilterType (14.0+) or FilterType in the
            // Collection (12.x).
            const wbxml::Node* options = c->child(tag::AirSync::Options);
            std::string_view ft = options ? options->child_text(tag::AirSync::FilterType)
                                          : c->child_text(tag::AirSync::FilterType);
            int filter_type = 0;
            std::from_chars(ft.data(), ft.data() + ft.size(), filter_type);
            auto filter = store::make_filter(peek.item_class, filter_type, static_cast<long long>(std::time(nullptr)),
                                             content::conversation_mode(*c) ? folder_id : 0);
            estimate = store::count_pending_changes(ctx.sql, *peek.state, mark, filter);
        }
        response.add(tag::GetItemEstimate::Status, static_cast<long long>(status));
        auto& col = response.add(tag::GetItemEstimate::Collection);
        // Class in the response is 2.5's: from 12.0 on the Collection has CollectionId and
        // Estimate only (GetItemEstimateResponse.xsd; MS-ASCMD 2.2.3.27.2 names Class in requests).
        if (ctx.version < 120 && c->has(tag::GetItemEstimate::Class))
            col.add(tag::GetItemEstimate::Class, std::string(c->child_text(tag::GetItemEstimate::Class)));
        col.add(tag::GetItemEstimate::CollectionId, collection_id);
        if (status == kSuccess) col.add(tag::GetItemEstimate::Estimate, estimate);
    }
    return {200, std::move(root)};
}

}  // namespace easd::commands
