// MoveItems (MS-ASCMD 2.2.1.12): moves items between folders of the same class. The item keeps its
// ServerId. The moving device's sync state is updated too, so it is not told about its own move.
#include <charconv>

#include "commands/command.h"
#include "common/text.h"
#include "store/folders.h"
#include "store/items.h"
#include "store/sync_state.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {
// MoveItems status codes (MS-ASCMD 2.2.3.177.9). 7, "source or destination item was locked", is
// the transient failure a phone retries: the answer when the mail server cannot be reached.
enum MoveStatus { kInvalidSource = 1, kInvalidDestination = 2, kSuccess = 3, kSameFolder = 4, kItemLocked = 7 };

}  // namespace

CommandResult handle_move_items(CommandContext& ctx) {
    if (!ctx.request || ctx.request->tag != tag::Move::MoveItems) throw MalformedRequest("MoveItems expected");
    wbxml::Node root(tag::Move::MoveItems);
    for (const auto* move : ctx.request->children_of(tag::Move::Move)) {
        std::string src_msg(move->child_text(tag::Move::SrcMsgId));
        auto item_id = parse_id(src_msg);
        auto src_id = parse_id(move->child_text(tag::Move::SrcFldId));
        auto dst_id = parse_id(move->child_text(tag::Move::DstFldId));

        soci::transaction tr(ctx.sql);
        store::lock_user_writes(ctx.sql, ctx.user.id);  // the item as read here is the item moved
        auto item = item_id ? store::find_item(ctx.sql, ctx.user.id, *item_id) : std::nullopt;
        auto src = src_id ? store::find_folder(ctx.sql, ctx.user.id, *src_id) : std::nullopt;
        auto dst = dst_id ? store::find_folder(ctx.sql, ctx.user.id, *dst_id) : std::nullopt;
        int status = kSuccess;
        if (!item || !src || item->folder_id != src->id) status = kInvalidSource;
        else if (!dst) status = kInvalidDestination;
        else if (src->id == dst->id) status = kSameFolder;
        else if (src->item_class != dst->item_class) status = kInvalidDestination;

        // Through the mail store: the Dovecot store moves the message on the IMAP server first.
        long long moved_id = 0, moved_modseq = 0;
        if (status == kSuccess) {
            moved_id = item->id;
            moved_modseq = item->modseq;
            if (ctx.mail->move_item(ctx.sql, ctx.user, moved_id, dst->id) != mailstore::WriteOutcome::Done)
                status = kItemLocked;
        }

        auto& response = root.add(tag::Move::Response);
        response.add(tag::Move::SrcMsgId, src_msg);
        response.add(tag::Move::Status, static_cast<long long>(status));
        if (status != kSuccess) continue;  // the transaction rolls back: nothing was written

        // This device already moved it: it no longer holds it in the source, and holds it in the
        // destination (as of its current keys there). Both changes are its own: no echo, no Ping.
        if (auto s = store::load_collection_state(ctx.sql, ctx.device.id, src->id, true)) {
            store::mark_removed(ctx.sql, s->id, moved_id, s->keys.current_key);
            store::record_own_change(ctx.sql, *s, moved_id, moved_modseq);
        }
        if (auto d = store::load_collection_state(ctx.sql, ctx.device.id, dst->id, true)) {
            store::mark_held(ctx.sql, d->id, moved_id, d->keys.current_key);
            store::record_own_change(ctx.sql, *d, moved_id, moved_modseq);
        }
        tr.commit();
        response.add(tag::Move::DstMsgId, moved_id);
    }
    return {200, std::move(root)};
}

}  // namespace easd::commands
