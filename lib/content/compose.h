// Mail a phone sends (SendMail, SmartReply, SmartForward): the message as it travels, the copy
// kept in Sent Items, and the original a smart reply or forward brings along.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "content/message.h"

namespace easd::content {

struct OutgoingMessage {
    std::string mime;  // what travels: From the account, Date and Message-ID present, no Bcc
    // For Sent Items: the same with its Bcc. Empty when that is `mime` byte for byte (no Bcc):
    // a message of tens of megabytes is held once, not twice.
    std::string sent_copy;
    std::vector<std::string> recipients;  // the envelope: To, Cc and Bcc addresses, lower case, each once
    // The message parsed, as parse_message(mime) reads it (and for_sent_items(): the Bcc that
    // differs is not among its fields). Filing the Sent Items copy or a local recipient's, and the
    // auto replies to it, take this instead of parsing a message of tens of megabytes again.
    ParsedMessage parsed;

    const std::string& for_sent_items() const { return sent_copy.empty() ? mime : sent_copy; }
};

// Prepares a message the phone composed, changing only header fields, so that the body (a
// signature, S/MIME) travels byte for byte: a From other than the account's address becomes the
// account (`address`, with `display_name`); a missing Date (`now`) or Message-ID is added; Bcc is
// taken out of what travels. nullopt and *error when the bytes are not a message; `recipients` is
// empty when it names none.
std::optional<OutgoingMessage> prepare_outgoing(std::string_view mime, const std::string& address,
                                                const std::string& display_name, long long now,
                                                std::string* error = nullptr);

// SmartReply / SmartForward without ReplaceMime: the composed message with the original below its
// text (a header block, then the original's text, or its HTML when the reply is HTML), and for a
// forward also the original's attachments. The composed message's own attachments, threading
// headers and Message-ID stay. nullopt and *error when either does not parse.
std::optional<std::string> add_original(std::string_view composed, std::string_view original, bool forward,
                                        long long now, std::string* error = nullptr);

}  // namespace easd::content
