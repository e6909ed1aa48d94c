// Automatic replies (Out of Office) as RFC 3834 wants them: who may be answered, and the reply.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content/message.h"

namespace easd::content {

// The address to answer a delivered message at, or nullopt (and why, in *why) when it must get no
// automatic reply: it has no sender or the null sender (a bounce), says it was sent automatically
// (Auto-Submitted other than "no"), comes from a list or bulk mailing (List-Id, List-Unsubscribe,
// List-Post, Precedence bulk/list/junk), asks for none (X-Auto-Response-Suppress OOF or All),
// comes from a robot (mailer-daemon, noreply, owner-*, *-request, ...) or from the recipient
// itself, or does not name the recipient in To or Cc (a list or a Bcc).
// `envelope_sender`: the SMTP MAIL FROM as the MTA passes it (nullopt: not given; then the
// Return-Path header, else From); "" is the null sender. The answer is lower case.
std::optional<std::string> auto_reply_address(std::string_view raw, const ParsedMessage& parsed,
                                              const std::optional<std::string>& envelope_sender,
                                              std::string_view recipient, std::string* why = nullptr);

// The reply: From the recipient (`from_mailbox`, "Name <address>"), To `to`, Subject "Automatic
// reply: " and the original subject, In-Reply-To and References the original, Auto-Submitted:
// auto-replied, X-Auto-Response-Suppress: All; the text as given (HTML or plain).
std::string build_auto_reply(std::string_view original_raw, const ParsedMessage& original,
                             const std::string& from_mailbox, const std::string& to, const std::string& text,
                             bool html, long long date_unix);

// The header section of a message, up to and with the empty line that ends it (all of `raw` when
// there is no body).
std::string_view header_section(std::string_view raw);

// The values of every header field `name` (case ignored) in the message's header section,
// unfolded, in order.
std::vector<std::string> header_values(std::string_view raw, std::string_view name);

}  // namespace easd::content
