// Sending mail a device composed (SendMail, SmartReply, SmartForward). The message is prepared
// (content/compose.h: From the account, Bcc out of what travels), then in one transaction: the
// ClientId is recorded (a repeat sends nothing), recipients with an account here get it in their
// Inbox, the sender's copy goes to Sent Items when asked, and the other recipients are handed to
// sendmail, last before the commit. If sendmail fails, nothing of it stays and the device is told
// to try again later. (Should the commit itself fail after sendmail took the message, the remote
// recipients have it and the device's retry sends it again: sendmail cannot take a message back.)
// Out of Office replies of local recipients follow the commit.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "content/compose.h"

namespace easd::commands {

// ComposeMail Status values (MS-ASCMD 2.2.2: the common status codes these commands use).
enum ComposeStatus {
    kComposeOk = 0,
    kInvalidXml = 103,
    kInvalidMime = 107,
    kComposeServerError = 110,
    kMessageRecipientUnresolved = 116,  // a recipient that is no address (no domain, a bare name)
    kMessagePreviouslySent = 118,
    kMessageHasNoRecipient = 119,
    kMailSubmissionFailed = 120,
    kComposeItemNotFound = 150,
};

// sendmail refused the message (deliver_outgoing): nothing may stay of the attempt.
struct SubmissionFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Submission {
    // The message as composed: the request's own bytes (the request outlives the command), or
    // `composed` when easd built it (a smart reply's original added). Not copied: a message may
    // be tens of megabytes.
    std::string_view mime;
    std::string composed;
    std::string client_id;  // "" when the request has none (before 14.0)
    bool save_in_sent = false;
};

// kComposeOk, or the status to answer.
int submit(CommandContext& ctx, const Submission& submission);

// The pieces submit() and a draft sent from Sync (sync.cpp) share. deliver_outgoing runs inside
// the caller's transaction: recipients with an account here get the message in their Inbox, the
// others are handed to sendmail (std::runtime_error when that fails: the caller rolls back;
// DeliveryError when a message cannot be stored). It returns the local recipients, whose Out of
// Office replies follow the commit (send_local_auto_replies).
std::vector<store::User> deliver_outgoing(CommandContext& ctx, const content::OutgoingMessage& out);
void send_local_auto_replies(CommandContext& ctx, const content::OutgoingMessage& out,
                             const std::vector<store::User>& local);

// The answer: from 14.0 an empty 200 on success, else <root><Status>; before 14.0 an HTTP status
// (200, 400 for a message that is not one, 500 when it could not be sent).
CommandResult compose_answer(const CommandContext& ctx, wbxml::Tag root, int status);

}  // namespace easd::commands
