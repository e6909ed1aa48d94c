#include "store/mail.h"

#include <unordered_map>

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

}  // namespace

long long insert_email(soci::session& sql, long long user_id, long long folder_id, const NewEmail& e) {
    long long item_id = 0;
    sql << "INSERT INTO items (user_id, folder_id) VALUES (:u, :f) RETURNING id", soci::use(user_id),
        soci::use(folder_id), soci::into(item_id);
    std::string mime_hex = bytea_to_hex_literal(e.mime);
    long long date = e.date_sent.value_or(0);
    soci::indicator date_ind = e.date_sent ? soci::i_ok : soci::i_null;
    int size = static_cast<int>(std::min<std::size_t>(e.mime.size(), 0x7fffffff));
    int read = e.read ? 1 : 0, attach = e.has_attachments ? 1 : 0;
    sql << "INSERT INTO emails (item_id, mime, from_addr, to_addr, cc_addr, reply_to, display_to, subject, "
           "thread_topic, message_id, date_sent, importance, read, message_class, size, has_attachments, "
           "body_plain, body_html) VALUES (:id, :mime::bytea, :fr, :to, :cc, :rt, :dt, :s, :tt, :mid, "
           "to_timestamp(:ds), :imp, :rd = 1, :mc, :sz, :att = 1, :bp, :bh)",
        soci::use(item_id), soci::use(mime_hex), soci::use(e.from), soci::use(e.to), soci::use(e.cc),
        soci::use(e.reply_to), soci::use(e.display_to), soci::use(e.subject), soci::use(e.thread_topic),
        soci::use(e.message_id), soci::use(date, date_ind), soci::use(e.importance), soci::use(read),
        soci::use(e.message_class), soci::use(size), soci::use(attach), soci::use(e.body_plain),
        soci::use(e.body_html);
    insert_attachments(sql, item_id, e.attachments);
    return item_id;
}

bool replace_email_message(soci::session& sql, long long user_id, long long item_id, const NewEmail& e) {
    long long owned = 0;
    sql << "SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id WHERE i.user_id = :u AND e.item_id = :i",
        soci::use(user_id), soci::use(item_id), soci::into(owned);
    if (owned != 1) return false;
    std::string mime_hex = bytea_to_hex_literal(e.mime);
    long long date = e.date_sent.value_or(0);
    soci::indicator date_ind = e.date_sent ? soci::i_ok : soci::i_null;
    int size = static_cast<int>(std::min<std::size_t>(e.mime.size(), 0x7fffffff));
    int attach = e.has_attachments ? 1 : 0;
    sql << "UPDATE emails SET mime = :mime::bytea, from_addr = :fr, to_addr = :to, cc_addr = :cc, reply_to = :rt, "
           "display_to = :dt, subject = :s, thread_topic = :tt, message_id = :mid, date_sent = to_timestamp(:ds), "
           "importance = :imp, message_class = :mc, size = :sz, has_attachments = :att = 1, body_plain = :bp, "
           "body_html = :bh WHERE item_id = :id",
        soci::use(mime_hex), soci::use(e.from), soci::use(e.to), soci::use(e.cc), soci::use(e.reply_to),
        soci::use(e.display_to), soci::use(e.subject), soci::use(e.thread_topic), soci::use(e.message_id),
        soci::use(date, date_ind), soci::use(e.importance), soci::use(e.message_class), soci::use(size),
        soci::use(attach), soci::use(e.body_plain), soci::use(e.body_html), soci::use(item_id);
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
                          "a.size, a.method, e.mime FROM email_attachments a JOIN items i ON i.id = a.item_id "
                          "JOIN emails e ON e.item_id = a.item_id "
                          "WHERE i.user_id = $1 AND a.item_id = $2 AND a.part_path = $3",
                          {std::to_string(user_id), std::to_string(item_id), part_path});
    if (r.rows() != 1) return std::nullopt;
    FoundAttachment f;
    f.item_id = item_id;
    f.folder_id = r.int64(0, 0);
    f.attachment = attachment_of(r, 0, 1);
    f.mime = bytea_from_text(r.text(0, 8));
    return f;
}

std::vector<EmailRow> load_emails(soci::session& sql, long long user_id, const std::vector<long long>& ids,
                                  bool with_mime) {
    std::vector<EmailRow> out;
    if (ids.empty()) return out;
    std::string array = id_array(ids);
    std::string query =
        "SELECT e.item_id, e.from_addr, e.to_addr, e.cc_addr, e.reply_to, e.display_to, e.subject, e.thread_topic, "
        "extract(epoch FROM e.date_received)::bigint, e.importance, e.read, e.message_class, "
        "e.has_attachments, e.body_plain, e.body_html, e.flag, e.categories, " +
        std::string(with_mime ? "e.mime" : "''::bytea") +
        " FROM emails e JOIN items i ON i.id = e.item_id WHERE i.user_id = $1 AND e.item_id = ANY($2::bigint[])";
    PqResult r = pq_query(sql, query.c_str(), {std::to_string(user_id), array});
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
        if (with_mime) row.mime = bytea_from_text(r.text(n, 17));
        if (row.has_attachments) with_attachments.push_back(row.item_id);
        by_id.emplace(row.item_id, std::move(row));
    }
    if (!with_attachments.empty())
        for (auto& [id, list] : load_attachments(sql, user_id, with_attachments)) {
            auto it = by_id.find(id);
            if (it != by_id.end()) it->second.attachments = std::move(list);
        }
    for (long long id : ids) {
        auto it = by_id.find(id);
        if (it != by_id.end()) out.push_back(std::move(it->second));
    }
    return out;
}

}  // namespace easd::store
