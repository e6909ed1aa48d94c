// SmartReply and SmartForward (MS-ASCMD 2.2.1.19, 2.2.1.20): a reply or forward the device wrote
// without the original's body or attachments, which the server adds (content/compose.h) unless the
// device says ReplaceMime (it included them itself). The original is an email of the user, named
// by FolderId and ItemId (from 14.0, in Source), by the LongId of a mailbox search result (the item
// id, search.cpp), or by CollectionId and ItemId in the query (before 14.0).
#include <ctime>

#include "commands/submission.h"
#include "common/log.h"
#include "common/text.h"
#include "content/compose.h"
#include "store/items.h"
#include "store/mail.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// The stored original, or nullopt when the user has no such email (in that folder, if named).
std::optional<std::string> original_mime(CommandContext& ctx, std::string_view folder_id, std::string_view item_id) {
    auto id = parse_id(item_id);
    auto ref = id ? store::find_item(ctx.sql, ctx.user.id, *id) : std::nullopt;
    if (!ref) return std::nullopt;
    if (!folder_id.empty() && parse_id(folder_id) != ref->folder_id) return std::nullopt;
    auto rows = store::load_emails(ctx.sql, ctx.user.id, {ref->id}, true);
    if (rows.empty()) return std::nullopt;
    return std::move(rows[0].mime);
}

CommandResult handle_smart(CommandContext& ctx, bool forward) {
    const wbxml::Tag root = forward ? tag::ComposeMail::SmartForward : tag::ComposeMail::SmartReply;
    Submission s;
    std::string folder_id, item_id;
    bool replace_mime = false;
    if (ctx.version >= 140) {
        const wbxml::Node* r = ctx.request;
        const wbxml::Node* source = r ? r->child(tag::ComposeMail::Source) : nullptr;
        if (!r || r->tag != root || !source || !r->has(tag::ComposeMail::Mime) || !r->has(tag::ComposeMail::ClientId))
            return compose_answer(ctx, root, kInvalidXml);
        if (source->has(tag::ComposeMail::LongId)) {
            item_id = std::string(source->child_text(tag::ComposeMail::LongId));  // a mailbox search result
        } else {
            folder_id = std::string(source->child_text(tag::ComposeMail::FolderId));
            item_id = std::string(source->child_text(tag::ComposeMail::ItemId));
        }
        s.mime = std::string(r->child_text(tag::ComposeMail::Mime));
        s.client_id = std::string(r->child_text(tag::ComposeMail::ClientId));
        s.save_in_sent = r->has(tag::ComposeMail::SaveInSentItems);
        replace_mime = r->has(tag::ComposeMail::ReplaceMime);
    } else {
        folder_id = ctx.query.collection_id;
        item_id = ctx.query.item_id;
        s.mime = std::string(ctx.raw_body);
        s.save_in_sent = ctx.query.save_in_sent;
    }
    if (item_id.empty()) return compose_answer(ctx, root, kInvalidXml);
    auto original = original_mime(ctx, folder_id, item_id);
    if (!original) return compose_answer(ctx, root, kComposeItemNotFound);
    if (!replace_mime) {
        std::string error;
        auto combined = content::add_original(s.mime, *original, forward, static_cast<long long>(std::time(nullptr)), &error);
        if (!combined) {
            EASD_LOG_INFO("%s of %s: %s", forward ? "SmartForward" : "SmartReply", ctx.user.address.c_str(), error.c_str());
            return compose_answer(ctx, root, kInvalidMime);
        }
        s.mime = std::move(*combined);
    }
    return compose_answer(ctx, root, submit(ctx, s));
}

}  // namespace

CommandResult handle_smart_reply(CommandContext& ctx) { return handle_smart(ctx, false); }
CommandResult handle_smart_forward(CommandContext& ctx) { return handle_smart(ctx, true); }

}  // namespace easd::commands
