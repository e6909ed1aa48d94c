// SmartReply and SmartForward (MS-ASCMD 2.2.1.19, 2.2.1.20): a reply or forward the device wrote
// without the original's body or attachments, which the server adds (content/compose.h) unless the
// device says ReplaceMime (it included them itself). The original is an email of the user, named
// by FolderId and ItemId (from 14.0, in Source), by the LongId of a mailbox search result (the item
// id, search.cpp), or by CollectionId and ItemId in the query (before 14.0). Once sent, the
// original records the reply or forward (email2:LastVerbExecuted, MS-ASEMAIL 2.2.2.46): a change
// of the item, so every device of the user, the sending one included, shows it replied/forwarded.
#include <algorithm>
#include <ctime>

#include "commands/submission.h"
#include "common/log.h"
#include "common/text.h"
#include "content/compose.h"
#include "content/email_item.h"
#include "content/message.h"
#include "store/items.h"
#include "store/mail.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// The stored original, or nullopt when the user has no such email (in that folder, if named), or
// the mail server no longer has its original (expunged since the phone synced it).
std::optional<store::EmailRow> find_original(CommandContext& ctx, std::string_view folder_id, std::string_view item_id) {
    auto id = parse_id(item_id);
    auto ref = id ? store::find_item(ctx.sql, ctx.user.id, *id) : std::nullopt;
    if (!ref) return std::nullopt;
    if (!folder_id.empty() && parse_id(folder_id) != ref->folder_id) return std::nullopt;
    auto rows = ctx.mail->load_emails(ctx.sql, ctx.user, {ref->id}, content::BodyNeed::everything());
    if (rows.empty() || rows[0].mime.empty()) return std::nullopt;
    return std::move(rows[0]);
}

// LastVerbExecuted of a reply: 2 (reply to all) when it goes to anyone but the original's sender
// (From, Reply-To) and the user, else 1.
int reply_verb(std::string_view composed, const store::EmailRow& original, const std::string& self) {
    auto parsed = content::parse_message(composed);
    if (!parsed) return 1;
    auto senders = content::addresses_in(original.from + ", " + original.reply_to);
    for (const auto& r : content::addresses_in(parsed->to + ", " + parsed->cc))
        if (r != self && std::find(senders.begin(), senders.end(), r) == senders.end()) return 2;
    return 1;
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
        s.mime = r->child_text(tag::ComposeMail::Mime);
        s.client_id = std::string(r->child_text(tag::ComposeMail::ClientId));
        s.save_in_sent = r->has(tag::ComposeMail::SaveInSentItems);
        replace_mime = r->has(tag::ComposeMail::ReplaceMime);
    } else {
        folder_id = ctx.query.collection_id;
        item_id = ctx.query.item_id;
        s.mime = ctx.raw_body;
        s.save_in_sent = ctx.query.save_in_sent;
    }
    if (item_id.empty()) return compose_answer(ctx, root, kInvalidXml);
    auto original = find_original(ctx, folder_id, item_id);
    if (!original) return compose_answer(ctx, root, kComposeItemNotFound);
    const int verb = forward ? 3 : reply_verb(s.mime, *original, ctx.user.address);
    if (!replace_mime) {
        std::string error;
        auto combined = content::add_original(s.mime, original->mime, forward, static_cast<long long>(std::time(nullptr)), &error);
        if (!combined) {
            EASD_LOG_INFO("%s of %s: %s", forward ? "SmartForward" : "SmartReply", ctx.user.address.c_str(), error.c_str());
            return compose_answer(ctx, root, kInvalidMime);
        }
        s.composed = std::move(*combined);
        s.mime = s.composed;
    }
    int status = submit(ctx, s);
    // The message is out: a failure to mark the original must not make the phone send it again.
    if (status == kComposeOk) {
        try {
            store::set_last_verb(ctx.sql, ctx.user.id, original->item_id, verb);
        } catch (const std::exception& e) {
            EASD_LOG_WARN("%s: original %lld not marked as answered: %s", ctx.user.address.c_str(),
                          original->item_id, e.what());
        }
    }
    return compose_answer(ctx, root, status);
}

}  // namespace

CommandResult handle_smart_reply(CommandContext& ctx) { return handle_smart(ctx, false); }
CommandResult handle_smart_forward(CommandContext& ctx) { return handle_smart(ctx, true); }

}  // namespace easd::commands
