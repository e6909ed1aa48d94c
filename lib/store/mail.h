// Email items: storing a delivered message and reading what Sync sends.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace easd::store {

struct NewEmail {
    std::string mime;  // the original bytes, stored unchanged
    std::string from, to, cc, reply_to, display_to, subject, thread_topic, message_id;
    std::optional<long long> date_sent;  // seconds since the epoch
    int importance = 1;
    bool read = false;
    std::string message_class = "IPM.Note";
    bool has_attachments = false;
    std::string body_plain, body_html;
};

// Stores the message in the folder as one transaction (the caller's, if one is open). Returns the
// item id.
long long insert_email(soci::session& sql, long long user_id, long long folder_id, const NewEmail& email);

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
};

// The emails with these ids in that folder of that user (ids of other users or folders are
// skipped), in the order of `ids`.
std::vector<EmailRow> load_emails(soci::session& sql, long long user_id, const std::vector<long long>& ids,
                                  bool with_mime);

}  // namespace easd::store
