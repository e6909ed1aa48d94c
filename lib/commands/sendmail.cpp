// SendMail (MS-ASCMD 2.2.1.17): a new message from the device. From 14.0 the body is WBXML with
// ClientId, SaveInSentItems and the MIME message; before, the body is the MIME message itself and
// SaveInSent=T in the query asks for the Sent Items copy. Sending is submission.cpp's job.
#include "commands/submission.h"

namespace easd::commands {

namespace tag = wbxml::tag;

CommandResult handle_send_mail(CommandContext& ctx) {
    Submission s;
    if (ctx.version >= 140) {
        const wbxml::Node* r = ctx.request;
        if (!r || r->tag != tag::ComposeMail::SendMail || !r->has(tag::ComposeMail::Mime) ||
            !r->has(tag::ComposeMail::ClientId))
            return compose_answer(ctx, tag::ComposeMail::SendMail, kInvalidXml);
        s.mime = r->child_text(tag::ComposeMail::Mime);  // text or opaque: the bytes either way
        s.client_id = std::string(r->child_text(tag::ComposeMail::ClientId));
        s.save_in_sent = r->has(tag::ComposeMail::SaveInSentItems);
    } else {
        s.mime = ctx.raw_body;
        s.save_in_sent = ctx.query.save_in_sent;
    }
    return compose_answer(ctx, tag::ComposeMail::SendMail, submit(ctx, s));
}

}  // namespace easd::commands
