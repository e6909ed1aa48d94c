// Email items: storing a delivered message and reading what Sync sends.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <unordered_map>
#include <vector>

namespace easd::store {

// One attachment of an email as delivery found it (MIME order). The bytes stay in the stored
// original; `part_path` finds them again (content::extract_attachment).
struct EmailAttachment {
    std::string part_path;     // IMAP-style part number: "2", "1.2.2"
    std::string file_name;     // decoded; may be empty
    std::string content_type;  // lower-case "type/subtype"
    std::string content_id;    // without angle brackets; empty when none
    bool is_inline = false;
    long long size = 0;        // decoded bytes
    int method = 1;            // MS-ASAIRS Method: 1 normal attachment, 5 embedded message, 6 OLE
};

// Where a message belongs in its conversation (MS-ASCON), as delivery parsing found it
// (content/conversation.h). insert_email finishes it: a message that answers one the user already
// has joins that one's conversation, and without a Thread-Index of its own extends its index.
struct EmailConversation {
    std::string id;     // email2:ConversationId, 16 bytes; empty: none
    std::string index;  // email2:ConversationIndex: 5-byte header, then 5 bytes per response level
    bool from_thread_index = false;    // id and index are the message's own Thread-Index
    std::vector<std::string> parents;  // Message-IDs it answers, nearest first (In-Reply-To, References)
    // A reply that names no message it answers (a "Re:" subject only): it joins the user's newest
    // email of the same thread topic, if any.
    bool by_topic = false;
};

struct NewEmail {
    std::string mime;  // the original bytes, stored unchanged
    std::string from, to, cc, reply_to, display_to, subject, thread_topic, message_id;
    std::optional<long long> date_sent;  // seconds since the epoch
    int importance = 1;
    bool read = false;
    std::string message_class = "IPM.Note";
    bool has_attachments = false;
    std::string body_plain, body_html;
    std::vector<EmailAttachment> attachments;  // stored with the message, in this order
    EmailConversation conversation;
    std::string sender;  // the Sender header (who sent it on behalf of From); empty when absent
    // Set by the IMAP mirror, which stores a message that already has a place and a state: its
    // INTERNALDATE as the arrival time (else now), its flag and categories (WBXML, empty: none),
    // and its folder as given (a MoveAlways rule moves only mail delivered here).
    std::optional<long long> date_received;
    std::string flag, categories;
    bool follow_conversation_moves = true;
    // False for a message whose original stays on the IMAP server (the Dovecot store): the rows
    // keep what Sync reads (envelope, body text, attachment list, size) and emails.mime stays
    // empty; the mail store fetches the original when a phone asks for it (MailBackend::load_emails).
    bool keep_original = true;
    // Set when body_plain and body_html are a preview, cut to a bound (the Dovecot store keeps the
    // rest on the IMAP server): the whole texts' sizes, plain and as HTML (the message's HTML, or
    // its plain text as HTML), so a phone is told the real size.
    std::optional<long long> body_plain_size, body_html_size;
};

// Stores the message in the folder as one transaction (the caller's, if one is open); mail for the
// Inbox of a conversation the user moved with MoveAlways goes to that folder. Returns the
// item id. Also decides ReceivedAsBcc: the user is neither the sender nor named in To or Cc.
long long insert_email(soci::session& sql, long long user_id, long long folder_id, const NewEmail& email);

// Replaces the message of an existing email (a draft edited on the phone): the original bytes, every
// column parsed from them and the attachment rows. Read state, flag, categories and the arrival
// time stay. The trigger on emails makes it a change of the item. Call inside a transaction.
// False when the user has no such email.
bool replace_email_message(soci::session& sql, long long user_id, long long item_id, const NewEmail& email);

struct EmailRow {
    long long item_id = 0;
    std::string from, to, cc, reply_to, display_to, subject, thread_topic;
    long long date_received = 0;  // seconds since the epoch
    int importance = 1;
    bool read = false;
    std::string message_class;
    bool has_attachments = false;
    std::string body_plain, body_html;
    std::string flag;        // WBXML of <Flag>, empty when none
    std::string categories;  // WBXML of <Categories>, empty when none
    std::string mime;        // only when asked for
    std::vector<EmailAttachment> attachments;  // in MIME order
    // Email2 (14.0+): conversation, the last reply or forward sent from a phone, Bcc, on behalf of.
    std::string conversation_id, conversation_index;  // bytes; empty when unknown
    int last_verb = 0;                 // MS-ASEMAIL LastVerbExecuted: 0 none, 1 reply, 2 reply all, 3 forward
    long long last_verb_time = 0;      // seconds since the epoch, when last_verb > 0
    bool received_as_bcc = false;
    std::string sender;
    bool is_draft = false;             // in the Drafts folder (email2:IsDraft, 16.0+)
    // Set when body_plain and body_html are only the first part of the body (NewEmail::body_plain_size).
    std::optional<long long> body_plain_size, body_html_size;
    bool body_cut() const { return body_plain_size.has_value(); }
};

// The emails with these ids of that user (ids of other users are skipped), in the order of `ids`,
// with their attachments (one more query, only when some of them have attachments).
std::vector<EmailRow> load_emails(soci::session& sql, long long user_id, const std::vector<long long>& ids,
                                  bool with_mime);

// The attachments of these items of that user (one query), by item id, each list in MIME order.
// Items of other users, and items without attachments, are absent.
std::unordered_map<long long, std::vector<EmailAttachment>> load_attachments(soci::session& sql, long long user_id,
                                                                            const std::vector<long long>& ids);

// One attachment of one of the user's emails, with the original message it is in; nullopt when
// there is no such item, the item belongs to another user, or it has no attachment at that part.
// Records that the user replied to (1 sender, 2 all) or forwarded (3) one of their emails, now:
// a change of the item every device of the user gets (MS-ASEMAIL LastVerbExecuted). False when
// the user has no such email.
bool set_last_verb(soci::session& sql, long long user_id, long long item_id, int verb);

// The user's emails of one conversation in one folder (every folder when folder_id is 0), oldest
// first.
std::vector<long long> conversation_items(soci::session& sql, long long user_id, const std::string& conversation_id,
                                          long long folder_id = 0);

// Moves the user's emails of a conversation to a mail folder (ItemOperations Move): those in
// Drafts and the Outbox stay, and so do those in Sent Items and Deleted Items unless the
// destination is Deleted Items. With `always`, mail of the conversation delivered to the Inbox
// later goes there too. Returns how many moved; the triggers make each move a change.
int move_conversation(soci::session& sql, long long user_id, const std::string& conversation_id, long long folder_id,
                      bool always);

struct FoundAttachment {
    long long item_id = 0;
    long long folder_id = 0;
    EmailAttachment attachment;
    std::string mime;  // the whole stored message
};
std::optional<FoundAttachment> find_attachment(soci::session& sql, long long user_id, long long item_id,
                                               const std::string& part_path);

// The user's emails in one folder, oldest (date received) first: `easctl export` walks a folder
// with these, loading one message at a time.
std::vector<long long> email_ids_in_folder(soci::session& sql, long long user_id, long long folder_id);

// A digest of a stored message's bytes (hex SHA-256, as PostgreSQL's encode(sha256(mime), 'hex')
// writes it), and those of every email of the user in one folder (one query). `easctl import`
// skips a message whose digest the folder already has, so importing the same Maildir twice stores
// nothing twice; one set per folder keeps that a lookup per message, whatever the folder's size,
// for about 100 bytes per message held.
std::string message_digest(std::string_view mime);
std::unordered_set<std::string> message_digests_in_folder(soci::session& sql, long long user_id, long long folder_id);

}  // namespace easd::store
