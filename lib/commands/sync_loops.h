// Sync loop detection and the items a device is not sent (issue 12, part 5).
//
// A device that cannot take a response (an item its parser chokes on, a response too large for
// it) presents its previous SyncKey again, and again: SmartSync answers the same thing each time
// and the phone's sync stops for good. After `sync_loop_repeats` presentations in a row, the
// window narrows to one item up to the end of the refused response; a one-item response refused
// again names the culprit, which is held back from that device (store/throttling.h: quarantine)
// while the rest goes on. An item that fails to render is held back at once. Either way the item
// is tried again when it changes, or at `easctl device retry`, and `easctl device show` lists it.
#pragma once

#include <string>

#include "commands/command.h"
#include "store/sync_state.h"
#include "store/throttling.h"

namespace easd::commands::sync_detail {

struct LoopGuard {
    int window = 0;  // the window to answer with
    // The device refused a one-item response again: the items this answer would send are the
    // ones it cannot take; hold them back instead.
    bool hold_back_items = false;
};

// For a collection whose key matched (`match`, Current or Previous) with `window` requested:
// updates the state's repeat count and narrowing (saved with its keys) and says what to do.
LoopGuard guard_against_loops(const CommandContext& ctx, store::CollectionState& state, store::KeyedState::Match match,
                              long long from_mark, int window);

// Holds `item_id` back from the device: quarantined until it changes, and not on the device's
// list of held items if this response (`response_key`) was to add it.
void hold_back_item(const CommandContext& ctx, const store::CollectionState& state, int response_key, long long item_id,
                    store::QuarantineReason reason, const std::string& detail);

}  // namespace easd::commands::sync_detail
