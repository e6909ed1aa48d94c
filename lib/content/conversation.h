// Conversations (MS-ASCON, MS-ASEMAIL email2:ConversationId / ConversationIndex): which thread a
// message belongs to, decided once when it is stored.
//
// How (the same for delivered mail, local delivery of mail sent here, Sent Items copies, drafts):
//  1. The message answers one the user already has (In-Reply-To, then References from the last
//     to the first, found by Message-ID in the user's mail): it joins that conversation
//     (store::insert_email does this lookup; see store::EmailConversation).
//  2. Else a valid Thread-Index header (Outlook, Exchange: base64 of a 22-byte header — 1
//     reserved byte, 5 bytes of FILETIME, a 16-byte GUID — and 5-byte child blocks): the
//     ConversationId is the GUID; the ConversationIndex is the FILETIME bytes and the child
//     blocks, i.e. the Thread-Index without the reserved byte and the GUID (MS-ASCON 2.2.2.4).
//  3. Else a stable id derived from the thread's root, so that copies of a thread in different
//     mailboxes agree: the first Message-ID of References, else In-Reply-To, else the message's
//     own Message-ID ("ref:" + id); the first 16 bytes of SHA-256 of that key. A reply that names
//     nothing it answers (only a "Re:" subject) joins the user's newest email of the same thread
//     topic (step 1's lookup, by topic), else gets "topic:" + the lower-case topic (also when a
//     message has no Message-ID). The index is a header from the message's Date, and, when step 1
//     found the original, the original's index with one response level added.
// Schema 011 fills rows stored before it by step 3's topic rule (the same hash).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "content/message.h"
#include "store/mail.h"
#include "wbxml/wbxml.h"

namespace easd::content {

// A Thread-Index header, decoded.
struct ThreadIndex {
    std::string time;      // the 5 FILETIME bytes after the reserved byte
    std::string guid;      // 16 bytes
    std::string children;  // the 5-byte child blocks, in order
};

// nullopt when the value is not base64 of 22 + 5n bytes.
std::optional<ThreadIndex> parse_thread_index(std::string_view header_value);

// The 16-byte id for a thread key ("ref:<message-id>" or "topic:<lower-case topic>").
std::string derived_conversation_id(std::string_view key);

// What parsing says about the message's conversation (steps 2 and 3 above, with the parents
// step 1 looks up).
store::EmailConversation conversation_of(const ParsedMessage& message);

// A ConversationId as a client sends it back (Search, ItemOperations Move): the 16 bytes as
// opaque data or an inline string, or written as 32 hex digits, a GUID with dashes (and braces),
// or base64. nullopt when it is none of these.
std::optional<std::string> parse_conversation_id(std::string_view value);

// airsync:ConversationMode of a Sync or GetItemEstimate Collection (MS-ASCMD 2.2.3.36): "1".
bool conversation_mode(const wbxml::Node& collection);

}  // namespace easd::content
