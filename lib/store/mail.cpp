#include "store/mail.h"

#include <unordered_map>

#include "store/db.h"
#include "store/pq.h"

namespace easd::store {

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
    return item_id;
}

std::vector<EmailRow> load_emails(soci::session& sql, long long user_id, const std::vector<long long>& ids,
                                  bool with_mime) {
    std::vector<EmailRow> out;
    if (ids.empty()) return out;
    std::string array = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i) array += ',';
        array += std::to_string(ids[i]);
    }
    array += '}';
    std::string query =
        "SELECT e.item_id, e.from_addr, e.to_addr, e.cc_addr, e.reply_to, e.display_to, e.subject, e.thread_topic, "
        "extract(epoch FROM e.date_received)::bigint, e.importance, e.read, e.message_class, "
        "e.has_attachments, e.body_plain, e.body_html, e.flag, e.categories, " +
        std::string(with_mime ? "e.mime" : "''::bytea") +
        " FROM emails e JOIN items i ON i.id = e.item_id WHERE i.user_id = $1 AND e.item_id = ANY($2::bigint[])";
    PqResult r = pq_query(sql, query.c_str(), {std::to_string(user_id), array});
    std::unordered_map<long long, EmailRow> by_id;
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
        by_id.emplace(row.item_id, std::move(row));
    }
    for (long long id : ids) {
        auto it = by_id.find(id);
        if (it != by_id.end()) out.push_back(std::move(it->second));
    }
    return out;
}

}  // namespace easd::store
