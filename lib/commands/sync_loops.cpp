#include "commands/sync_loops.h"

#include <algorithm>

#include "common/log.h"

namespace easd::commands::sync_detail {

LoopGuard guard_against_loops(const CommandContext& ctx, store::CollectionState& state, store::KeyedState::Match match,
                              long long from_mark, int window) {
    LoopGuard g;
    g.window = window;
    if (ctx.settings.sync_loop_repeats <= 0) return g;
    if (match == store::KeyedState::Match::Current) {
        // The device took our last response: no loop. While narrowed, go on one item at a time up
        // to the end of the response it refused; past it, full windows again.
        state.repeats = 0;
        if (state.narrow_until_mark) {
            if (from_mark >= *state.narrow_until_mark) state.narrow_until_mark.reset();
            else g.window = 1;
        }
        return g;
    }
    ++state.repeats;
    if (state.narrow_until_mark) {
        // The refused response was one item wide: that item is what the device cannot take.
        g.window = 1;
        g.hold_back_items = true;
        state.repeats = 0;
        return g;
    }
    if (state.repeats >= ctx.settings.sync_loop_repeats) {
        EASD_LOG_WARN("device %s of %s repeated sync key %d of folder %lld %d times: narrowing the window to find "
                      "the item it cannot take",
                      ctx.device.device_id.c_str(), ctx.user.address.c_str(), state.keys.previous_key.value_or(0),
                      state.folder_id, state.repeats);
        state.narrow_until_mark = std::max(state.keys.current_mark, from_mark);
        g.window = 1;
    }
    return g;
}

void hold_back_item(const CommandContext& ctx, const store::CollectionState& state, int response_key, long long item_id,
                    store::QuarantineReason reason, const std::string& detail) {
    EASD_LOG_WARN("item %lld of folder %lld held back from device %s of %s (%s): %s", item_id, state.folder_id,
                  ctx.device.device_id.c_str(), ctx.user.address.c_str(), store::to_string(reason), detail.c_str());
    store::quarantine_item(ctx.sql, ctx.device.id, state.folder_id, item_id, reason, detail);
    store::forget_unsent_add(ctx.sql, state, item_id, response_key);
}

}  // namespace easd::commands::sync_detail
