#include "store/mail.h"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

#include <functional>
#include <unordered_map>

#include "common/conversation_index.h"
#include "common/text.h"
#include "store/db.h"
#include "store/pq.h"

namespace easd::store {

namespace {

// Delivery and draft edits, not the hot path: one prepared statement, executed per attachment.
void insert_attachments(soci::session& sql, long long item_id, const std::vector<EmailAttachment>& list) {
    if (list.empty()) return;
    EmailAttachment a;
    int position = 0, is_inline = 0;
    soci::statement st =
        (sql.prepare << "INSERT INTO email_attachments (item_id, part_path, position, file_name, content_type, "
                        "content_id, is_inline, size, method) VALUES (:id, :p, :pos, :fn, :ct, :cid, :inl = 1, "
                        ":sz, :m)",
         soci::use(item_id), soci::use(a.part_path), soci::use(position), soci::use(a.file_name),
         soci::use(a.content_type), soci::use(a.content_id), soci::use(is_inline), soci::use(a.size),
         soci::use(a.method));
    for (const auto& each : list) {
        a = each;
        is_inline = a.is_inline ? 1 : 0;
        st.execute(true);
        ++position;
    }
}

// The conversation as stored: a message answering one of the user's emails joins that email's
// conversation (whatever its own Thread-Index says, so a thread that began without one stays one),
// and, lacking a Thread-Index, extends that email's index by one response level. Otherwise what
// parsing derived stands.
EmailConversation resolve_conversation(soci::session& sql, long long user_id, const NewEmail& e) {
    EmailConversation c = e.conversation;
    if (c.parents.empty() && !(c.by_topic && !e.thread_topic.empty())) return c;
    PqResult r = !c.parents.empty()
        ? pq_query(sql,
                   "SELECT e.conversation_id, e.conversation_index FROM emails e JOIN items i ON i.id = e.item_id "
                   "WHERE i.user_id = $1 AND e.message_id = ANY($2::text[]) AND e.message_id <> '' "
                   "AND e.conversation_id IS NOT NULL "
                   "ORDER BY array_position($2::text[], e.message_id), i.id LIMIT 1",
                   {std::to_string(user_id), text_array(c.parents)})
        : pq_query(sql,
                   "SELECT e.conversation_id, e.conversation_index FROM emails e JOIN items i ON i.id = e.item_id "
                   "WHERE i.user_id = $1 AND lower(e.thread_topic) = lower($2) AND e.conversation_id IS NOT NULL "
                   "ORDER BY e.date_received DESC, i.id DESC LIMIT 1",
                   {std::to_string(user_id), e.thread_topic});
    if (r.rows() != 1) return c;
    c.id = bytea_from_text(r.text(0, 0));
    if (!c.from_thread_index && !r.is_null(0, 1)) {
        std::string parent_index = bytea_from_text(r.text(0, 1));
        if (parent_index.size() >= 5) {
            auto salt = static_cast<unsigned char>(std::hash<std::string>{}(e.message_id) & 0xff);
            c.index = append_response_level(parent_index, e.date_sent.value_or(0), salt);
        }
    }
    return c;
}

// `address` appears in the rendered address list as a whole address (not inside a longer one).
bool names_address(std::string_view list, std::string_view address) {
    if (address.empty()) return false;
    std::string lower = to_lower_ascii(list);
    auto is_edge = [](char c) { return c == '<' || c == '>' || c == ',' || c == ' ' || c == '"' || c == ';' || c == ':'; };
    for (std::size_t at = lower.find(address); at != std::string::npos; at = lower.find(address, at + 1)) {
        bool before = at == 0 || is_edge(lower[at - 1]);
        std::size_t end = at + address.size();
        bool after = end == lower.size() || is_edge(lower[end]);
        if (before && after) return true;
    }
    return false;
}

// MS-ASEMAIL ReceivedAsBcc: the user got the message without being named in To or Cc, and did not
// write it (a Sent Items copy or a draft names others).
bool received_as_bcc(soci::session& sql, long long user_id, const NewEmail& e) {
    PqResult r = pq_query(sql, "SELECT address FROM users WHERE id = $1", {std::to_string(user_id)});
    if (r.rows() != 1) return false;
    std::string address = r.str(0, 0);
    if (e.to.empty() && e.cc.empty()) return false;  // nothing says who it was for
    return !names_address(e.from, address) && !names_address(e.to, address) && !names_address(e.cc, address);
}

// Parameters of the emails row. Bytes go as they are (no hex copy of a message of tens of MB).
PqParam bytes_or_null(const std::string& bytes) { return bytes.empty() ? PqParam::null() : PqParam::bytes(bytes); }
PqParam mime_param(const NewEmail& e) {
    return PqParam::bytes(e.keep_original ? std::string_view(e.mime) : std::string_view());
}
PqParam time_param(const std::optional<long long>& unix_time) {
    return unix_time ? PqParam(std::to_string(*unix_time)) : PqParam::null();
}
PqParam bool_param(bool value) { return PqParam(value ? "t" : "f"); }
PqParam size_param(const std::optional<long long>& size) {
    return size ? PqParam(std::to_string(std::min<long long>(*size, 0x7fffffff))) : PqParam::null();
}
int stored_size(const NewEmail& e) { return static_cast<int>(std::min<std::size_t>(e.mime.size(), 0x7fffffff)); }

}  // namespace

long long insert_email(soci::session& sql, long long user_id, long long folder_id, const NewEmail& e) {
    EmailConversation c = resolve_conversation(sql, user_id, e);
    if (!c.id.empty() && e.follow_conversation_moves) {
        PqResult rule = pq_query(sql,
                                 "SELECT m.folder_id FROM conversation_moves m JOIN folders t ON t.id = $3 "
                                 "AND t.user_id = $1 AND t.type = 2 WHERE m.user_id = $1 AND m.conversation_id = "
                                 "decode($2, 'hex')",
                                 {std::to_string(user_id), bytea_to_hex_literal(c.id).substr(2), std::to_string(folder_id)});
        if (rule.rows() == 1) folder_id = rule.int64(0, 0);
    }
    long long item_id = 0;
    sql << "INSERT INTO items (user_id, folder_id) VALUES (:u, :f) RETURNING id", soci::use(user_id),
        soci::use(folder_id), soci::into(item_id);
    pq_query_params(sql,
        "INSERT INTO emails (item_id, mime, from_addr, to_addr, cc_addr, reply_to, display_to, subject, "
        "thread_topic, message_id, date_sent, importance, read, message_class, size, has_attachments, "
        "body_plain, body_html, conversation_id, conversation_index, received_as_bcc, sender, flag, categories, "
        "date_received, body_plain_size, body_html_size) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, to_timestamp($11), $12, $13, $14, $15, $16, $17, $18, "
        "$19, $20, $21, $22, $23, $24, COALESCE(to_timestamp($25), now()), $26, $27)",
        {std::to_string(item_id), mime_param(e), e.from, e.to, e.cc, e.reply_to, e.display_to, e.subject,
         e.thread_topic, e.message_id, time_param(e.date_sent), std::to_string(e.importance), bool_param(e.read),
         e.message_class, std::to_string(stored_size(e)), bool_param(e.has_attachments), e.body_plain, e.body_html,
         bytes_or_null(c.id), bytes_or_null(c.index), bool_param(received_as_bcc(sql, user_id, e)), e.sender,
         bytes_or_null(e.flag), bytes_or_null(e.categories), time_param(e.date_received),
         size_param(e.body_plain_size), size_param(e.body_html_size)});
    insert_attachments(sql, item_id, e.attachments);
    return item_id;
}

bool replace_email_message(soci::session& sql, long long user_id, long long item_id, const NewEmail& e) {
    long long owned = 0;
    sql << "SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id WHERE i.user_id = :u AND e.item_id = :i",
        soci::use(user_id), soci::use(item_id), soci::into(owned);
    if (owned != 1) return false;
    EmailConversation c = resolve_conversation(sql, user_id, e);
    pq_query_params(sql,
        "UPDATE emails SET mime = $1, from_addr = $2, to_addr = $3, cc_addr = $4, reply_to = $5, display_to = $6, "
        "subject = $7, thread_topic = $8, message_id = $9, date_sent = to_timestamp($10), importance = $11, "
        "message_class = $12, size = $13, has_attachments = $14, body_plain = $15, body_html = $16, "
        "conversation_id = $17, conversation_index = $18, received_as_bcc = $19, sender = $20, "
        "body_plain_size = $22, body_html_size = $23 WHERE item_id = $21",
        {mime_param(e), e.from, e.to, e.cc, e.reply_to, e.display_to, e.subject, e.thread_topic, e.message_id,
         time_param(e.date_sent), std::to_string(e.importance), e.message_class, std::to_string(stored_size(e)),
         bool_param(e.has_attachments), e.body_plain, e.body_html, bytes_or_null(c.id), bytes_or_null(c.index),
         bool_param(received_as_bcc(sql, user_id, e)), e.sender, std::to_string(item_id), size_param(e.body_plain_size),
         size_param(e.body_html_size)});
    sql << "DELETE FROM email_attachments WHERE item_id = :id", soci::use(item_id);
    insert_attachments(sql, item_id, e.attachments);
    return true;
}

namespace {

// Columns 0..6 of `first` onwards: part_path, file_name, content_type, content_id, is_inline, size, method.
EmailAttachment attachment_of(const PqResult& r, int row, int first) {
    EmailAttachment a;
    a.part_path = r.str(row, first);
    a.file_name = r.str(row, first + 1);
    a.content_type = r.str(row, first + 2);
    a.content_id = r.str(row, first + 3);
    a.is_inline = r.boolean(row, first + 4);
    a.size = r.int64(row, first + 5);
    a.method = r.int32(row, first + 6);
    return a;
}

// The stored originals (emails.mime) of these items of the user, by item id; an item without one
// (the Dovecot store keeps it on the IMAP server) is absent. Read as bytes, in slices of
// kOriginalSlice through pq_for_each_row, into one string per message: the process holds each
// message once, plus a slice in libpq. Read whole in one text result, a message of 60 MB was hex
// (120 MB) in libpq's input buffer and again in the result, then 60 MB decoded; and the input buffer
// of every pooled connection kept the size of the largest message it ever read. A slice is a
// compromise: PostgreSQL fetches a slice of an uncompressed value (what attachments of compressed
// data, most large mail, are stored as) without reading the rest, but decompresses a compressed
// value from its start for every slice.
std::unordered_map<long long, std::string> load_originals(soci::session& sql, long long user_id,
                                                          const std::vector<long long>& ids) {
    constexpr int kOriginalSlice = 2 << 20;
    std::unordered_map<long long, std::string> out;
    if (ids.empty()) return out;
    pq_for_each_row(sql,
                    "SELECT e.item_id, octet_length(e.mime), s.at, substring(e.mime FROM s.at FOR $3::integer) "
                    "FROM emails e JOIN items i ON i.id = e.item_id "
                    "CROSS JOIN LATERAL generate_series(1, octet_length(e.mime), $3::integer) AS s(at) "
                    "WHERE i.user_id = $1 AND e.item_id = ANY($2::bigint[])",
                    {std::to_string(user_id), id_array(ids), std::to_string(kOriginalSlice)},
                    [&](const PqResult& row) {
                        std::string& mime = out[row.int64(0, 0)];
                        const auto size = static_cast<std::size_t>(row.int64(0, 1));
                        // Sized at the first slice that arrives; each slice goes where it begins, so
                        // the order the server sends them in does not matter.
                        if (mime.size() != size) mime.resize(size);
                        const auto at = static_cast<std::size_t>(row.int64(0, 2) - 1);
                        std::string_view slice = row.bytes(0, 3);
                        if (at > size || slice.size() > size - at)
                            throw std::runtime_error("a slice of a stored message lies outside it");
                        std::copy(slice.begin(), slice.end(), mime.begin() + static_cast<std::ptrdiff_t>(at));
                    });
    return out;
}

}  // namespace

std::unordered_map<long long, std::vector<EmailAttachment>> load_attachments(soci::session& sql, long long user_id,
                                                                            const std::vector<long long>& ids) {
    std::unordered_map<long long, std::vector<EmailAttachment>> out;
    if (ids.empty()) return out;
    PqResult r = pq_query(sql,
                          "SELECT a.item_id, a.part_path, a.file_name, a.content_type, a.content_id, a.is_inline, "
                          "a.size, a.method FROM email_attachments a JOIN items i ON i.id = a.item_id "
                          "WHERE i.user_id = $1 AND a.item_id = ANY($2::bigint[]) ORDER BY a.item_id, a.position",
                          {std::to_string(user_id), id_array(ids)});
    for (int n = 0; n < r.rows(); ++n) out[r.int64(n, 0)].push_back(attachment_of(r, n, 1));
    return out;
}

std::optional<FoundAttachment> find_attachment(soci::session& sql, long long user_id, long long item_id,
                                               const std::string& part_path) {
    PqResult r = pq_query(sql,
                          "SELECT i.folder_id, a.part_path, a.file_name, a.content_type, a.content_id, a.is_inline, "
                          "a.size, a.method FROM email_attachments a JOIN items i ON i.id = a.item_id "
                          "WHERE i.user_id = $1 AND a.item_id = $2 AND a.part_path = $3",
                          {std::to_string(user_id), std::to_string(item_id), part_path});
    if (r.rows() != 1) return std::nullopt;
    FoundAttachment f;
    f.item_id = item_id;
    f.folder_id = r.int64(0, 0);
    f.attachment = attachment_of(r, 0, 1);
    auto originals = load_originals(sql, user_id, {item_id});
    if (auto it = originals.find(item_id); it != originals.end()) f.mime = std::move(it->second);
    return f;
}

bool set_last_verb(soci::session& sql, long long user_id, long long item_id, int verb) {
    PqResult r = pq_query(sql,
                          "UPDATE emails e SET last_verb = $3, last_verb_time = now() FROM items i "
                          "WHERE i.id = e.item_id AND i.user_id = $1 AND e.item_id = $2 RETURNING e.item_id",
                          {std::to_string(user_id), std::to_string(item_id), std::to_string(verb)});
    return r.rows() == 1;
}

std::vector<long long> conversation_items(soci::session& sql, long long user_id, const std::string& conversation_id,
                                          long long folder_id) {
    if (conversation_id.empty()) return {};
    std::string hex = bytea_to_hex_literal(conversation_id).substr(2);
    PqResult r = pq_query(sql,
                          "SELECT i.id FROM items i JOIN emails e ON e.item_id = i.id "
                          "WHERE i.user_id = $1 AND e.conversation_id = decode($2, 'hex') "
                          "AND ($3::bigint = 0 OR i.folder_id = $3::bigint) ORDER BY e.date_received, i.id",
                          {std::to_string(user_id), hex, std::to_string(folder_id)});
    return r.int64_column();
}

int move_conversation(soci::session& sql, long long user_id, const std::string& conversation_id, long long folder_id,
                      bool always) {
    if (conversation_id.empty()) return 0;
    std::string hex = bytea_to_hex_literal(conversation_id).substr(2);
    // Folder types (MS-ASCMD 2.2.3.186.3): 3 Drafts, 4 Deleted Items, 5 Sent Items, 6 Outbox.
    PqResult r = pq_query(sql,
                          "UPDATE items i SET folder_id = $3 FROM emails e, folders f, folders d "
                          "WHERE e.item_id = i.id AND f.id = i.folder_id AND d.id = $3 AND d.user_id = $1 "
                          "AND i.user_id = $1 AND e.conversation_id = decode($2, 'hex') AND i.folder_id <> $3 "
                          "AND f.type NOT IN (3, 6) AND (d.type = 4 OR f.type NOT IN (4, 5)) RETURNING i.id",
                          {std::to_string(user_id), hex, std::to_string(folder_id)});
    if (always)
        pq_query(sql,
                 "INSERT INTO conversation_moves (user_id, conversation_id, folder_id) VALUES ($1, decode($2, 'hex'), $3) "
                 "ON CONFLICT (user_id, conversation_id) DO UPDATE SET folder_id = EXCLUDED.folder_id, created_at = now()",
                 {std::to_string(user_id), hex, std::to_string(folder_id)});
    return r.rows();
}

std::vector<EmailRow> load_emails(soci::session& sql, long long user_id, const std::vector<long long>& ids,
                                  bool with_mime) {
    std::vector<EmailRow> out;
    if (ids.empty()) return out;
    PqResult r = pq_query(
        sql,
        "SELECT e.item_id, e.from_addr, e.to_addr, e.cc_addr, e.reply_to, e.display_to, e.subject, e.thread_topic, "
        "extract(epoch FROM e.date_received)::bigint, e.importance, e.read, e.message_class, "
        "e.has_attachments, e.body_plain, e.body_html, e.flag, e.categories, "
        "e.conversation_id, e.conversation_index, e.last_verb, extract(epoch FROM e.last_verb_time)::bigint, "
        "e.received_as_bcc, e.sender, f.type = 3, e.body_plain_size, e.body_html_size"
        " FROM emails e JOIN items i ON i.id = e.item_id JOIN folders f ON f.id = i.folder_id"
        " WHERE i.user_id = $1 AND e.item_id = ANY($2::bigint[])",
        {std::to_string(user_id), id_array(ids)});
    std::unordered_map<long long, EmailRow> by_id;
    std::vector<long long> with_attachments;
    for (int n = 0; n < r.rows(); ++n) {
        EmailRow row;
        row.item_id = r.int64(n, 0);
        row.from = r.str(n, 1);
        row.to = r.str(n, 2);
        row.cc = r.str(n, 3);
        row.reply_to = r.str(n, 4);
        row.display_to = r.str(n, 5);
        row.subject = r.str(n, 6);
        row.thread_topic = r.str(n, 7);
        row.date_received = r.int64(n, 8);
        row.importance = r.int32(n, 9);
        row.read = r.boolean(n, 10);
        row.message_class = r.str(n, 11);
        row.has_attachments = r.boolean(n, 12);
        row.body_plain = r.str(n, 13);
        row.body_html = r.str(n, 14);
        if (!r.is_null(n, 15)) row.flag = bytea_from_text(r.text(n, 15));
        if (!r.is_null(n, 16)) row.categories = bytea_from_text(r.text(n, 16));
        if (!r.is_null(n, 17)) row.conversation_id = bytea_from_text(r.text(n, 17));
        if (!r.is_null(n, 18)) row.conversation_index = bytea_from_text(r.text(n, 18));
        row.last_verb = r.int32(n, 19);
        if (!r.is_null(n, 20)) row.last_verb_time = r.int64(n, 20);
        row.received_as_bcc = r.boolean(n, 21);
        row.sender = r.str(n, 22);
        row.is_draft = r.boolean(n, 23);
        if (!r.is_null(n, 24)) row.body_plain_size = r.int64(n, 24);
        if (!r.is_null(n, 25)) row.body_html_size = r.int64(n, 25);
        if (row.has_attachments) with_attachments.push_back(row.item_id);
        by_id.emplace(row.item_id, std::move(row));
    }
    if (!with_attachments.empty())
        for (auto& [id, list] : load_attachments(sql, user_id, with_attachments)) {
            auto it = by_id.find(id);
            if (it != by_id.end()) it->second.attachments = std::move(list);
        }
    // The originals after the rows, each moved into its row as it is: one copy of each message.
    if (with_mime)
        for (auto& [id, mime] : load_originals(sql, user_id, ids)) {
            auto it = by_id.find(id);
            if (it != by_id.end()) it->second.mime = std::move(mime);
        }
    for (long long id : ids) {
        auto it = by_id.find(id);
        if (it != by_id.end()) out.push_back(std::move(it->second));
    }
    return out;
}

std::vector<long long> email_ids_in_folder(soci::session& sql, long long user_id, long long folder_id) {
    PqResult r = pq_query(sql,
                          "SELECT i.id FROM items i JOIN emails e ON e.item_id = i.id "
                          "WHERE i.user_id = $1 AND i.folder_id = $2 ORDER BY e.date_received, i.id",
                          {std::to_string(user_id), std::to_string(folder_id)});
    return r.int64_column();
}

std::string message_digest(std::string_view mime) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(mime.data(), mime.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return bytea_to_hex_literal(std::string_view(reinterpret_cast<const char*>(digest), length)).substr(2);
}

std::unordered_set<std::string> message_digests_in_folder(soci::session& sql, long long user_id, long long folder_id) {
    PqResult r = pq_query(sql,
                          "SELECT encode(sha256(e.mime), 'hex') FROM emails e JOIN items i ON i.id = e.item_id "
                          "WHERE i.user_id = $1 AND i.folder_id = $2",
                          {std::to_string(user_id), std::to_string(folder_id)});
    std::unordered_set<std::string> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int n = 0; n < r.rows(); ++n) out.insert(r.str(n, 0));
    return out;
}

}  // namespace easd::store
