#include "commands/submission.h"

#include <ctime>
#include <vector>

#include "commands/out_of_office.h"
#include "commands/outgoing_mail.h"
#include "common/log.h"
#include "common/text.h"
#include "content/auto_reply.h"
#include "content/compose.h"
#include "content/message.h"
#include "store/accounts.h"
#include "store/folders.h"
#include "store/submissions.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// Files a message in one of the user's default folders through the mail store (the Dovecot store
// APPENDs it to the mailbox first). False when the mail server did not take it.
bool file_message(CommandContext& ctx, const store::User& user, const char* folder_name, const std::string& mime,
                  const content::ParsedMessage& parsed, bool read) {
    auto folder = store::find_folder_by_name(ctx.sql, user.id, folder_name);
    if (!folder) throw DeliveryError(std::string("no ") + folder_name + " folder for " + user.address);
    return ctx.mail->store_message(ctx.sql, user, folder->id, mime, read, &parsed) == mailstore::WriteOutcome::Done;
}

}  // namespace

std::vector<store::User> deliver_outgoing(CommandContext& ctx, const content::OutgoingMessage& out) {
    std::vector<store::User> local;
    std::vector<std::string> remote;
    for (const std::string& rcpt : out.recipients) {
        // Delivered here only when the mail store does that itself (the Dovecot store leaves it to
        // the MTA and Dovecot's LMTP); an alias reaches its account.
        if (auto user = ctx.mail->local_recipient(ctx.sql, rcpt)) {
            if (!file_message(ctx, *user, "Inbox", out.mime, out.parsed, false))
                throw SubmissionFailed("the message could not be filed in " + user->address + "'s Inbox");
            local.push_back(std::move(*user));
        } else {
            remote.push_back(rcpt);
        }
    }
    try {
        hand_to_sendmail(ctx.settings.sendmail_command, ctx.user.address, remote, out.mime);
    } catch (const std::exception& e) {
        EASD_LOG_WARN("mail from %s to %zu recipient(s) not submitted: %s", ctx.user.address.c_str(), remote.size(),
                      e.what());
        throw SubmissionFailed(e.what());
    }
    EASD_LOG_INFO("%s sent a message to %zu local and %zu other recipient(s)", ctx.user.address.c_str(), local.size(),
                  remote.size());
    return local;
}

void send_local_auto_replies(CommandContext& ctx, const content::OutgoingMessage& out,
                             const std::vector<store::User>& local) {
    if (local.empty()) return;
    std::string headers(content::header_section(out.mime));
    for (const auto& user : local)
        send_out_of_office_reply(ctx.sql, *ctx.mail, ctx.settings.sendmail_command, user, headers, out.parsed,
                                 ctx.user.address);
}

int submit(CommandContext& ctx, const Submission& s) {
    std::string error;
    auto out = content::prepare_outgoing(s.mime, ctx.user.address, ctx.user.display_name,
                                         static_cast<long long>(std::time(nullptr)), &error);
    if (!out) {
        // Not a message, or one over a limit (content/message_limits.h): the phone's to fix.
        EASD_LOG_INFO("%s sent a message easd refuses: %s", ctx.user.address.c_str(), error.c_str());
        return kInvalidMime;
    }
    if (out->recipients.empty()) return kMessageHasNoRecipient;
    // Every recipient must be an address sendmail and the store can take: a To of "bob" or a
    // group member without a domain is the phone's mistake to show the user, not a server error.
    for (const std::string& rcpt : out->recipients) {
        bool address = is_valid_utf8(rcpt);
        try {
            if (address) store::normalize_address(rcpt);
        } catch (const store::InvalidRequest&) {
            address = false;
        }
        if (!address) {
            EASD_LOG_INFO("%s sent a message to \"%s\", which is no address: not sent", ctx.user.address.c_str(),
                          rcpt.c_str());
            return kMessageRecipientUnresolved;
        }
    }

    std::vector<store::User> local;
    try {
        soci::transaction tr(ctx.sql);
        if (!s.client_id.empty() && !store::claim_client_id(ctx.sql, ctx.user.id, s.client_id)) {
            EASD_LOG_INFO("%s sent ClientId %s again: not sent twice", ctx.user.address.c_str(), s.client_id.c_str());
            return kMessagePreviouslySent;
        }
        local = deliver_outgoing(ctx, *out);
        // After sending: a mail server that does not take the copy must not make the phone send
        // the message again; it is sent, without its copy.
        if (s.save_in_sent && !file_message(ctx, ctx.user, "Sent Items", out->for_sent_items(), out->parsed, true))
            EASD_LOG_WARN("%s: message sent, but its Sent Items copy was not filed", ctx.user.address.c_str());
        tr.commit();
    } catch (const DeliveryError& e) {
        // A folder missing or a stored message that does not parse: nothing was sent.
        EASD_LOG_WARN("mail from %s not sent: %s", ctx.user.address.c_str(), e.what());
        return kComposeServerError;
    } catch (const SubmissionFailed&) {
        return kMailSubmissionFailed;  // the transaction rolled back: nothing was half sent
    }
    send_local_auto_replies(ctx, *out, local);
    return kComposeOk;
}

CommandResult compose_answer(const CommandContext& ctx, wbxml::Tag root, int status) {
    CommandResult result;  // 200, no body: sent
    if (status == kComposeOk) return result;
    if (ctx.version < 140) {
        // Before 14.0 there is no Status: HTTP says it. 500 only for the server's own failure.
        switch (status) {
            case kMessagePreviouslySent: return result;  // it was sent: success, once
            case kMailSubmissionFailed:                  // the MTA did not take it: try again later
                result.http_status = 503;
                result.retry_after_seconds = 60;
                return result;
            case kComposeServerError: result.http_status = 500; return result;
            default: result.http_status = 400; return result;  // the message, its recipients, its original
        }
    }
    wbxml::Node answer(root);
    answer.add(tag::ComposeMail::Status, static_cast<long long>(status));
    result.body = std::move(answer);
    return result;
}

}  // namespace easd::commands
