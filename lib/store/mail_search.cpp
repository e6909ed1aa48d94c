#include "store/mail_search.h"

#include "store/pq.h"

namespace easd::store {

namespace {

// A PostgreSQL array literal of texts ({"a","b"}), each element quoted.
std::string text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : items[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

// Each word as an ILIKE pattern matching it anywhere, its own % _ \ literally.
std::vector<std::string> contains_patterns(const std::vector<std::string>& words) {
    std::vector<std::string> out;
    for (const auto& w : words) {
        std::string p = "%";
        for (char c : w) {
            if (c == '%' || c == '_' || c == '\\') p += '\\';
            p += c;
        }
        out.push_back(p + "%");
    }
    return out;
}

std::string id_array(const std::vector<long long>& ids) {
    std::string out = "{";
    for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "}";
}

}  // namespace

MailSearchPage search_mail(soci::session& sql, long long user_id, const MailQuery& q, long long offset,
                           long long limit) {
    // Every word must match one of the columns: "no word fails to match".
    PqResult r = pq_query(sql,
        "SELECT i.id, i.folder_id, count(*) OVER () FROM items i JOIN emails e ON e.item_id = i.id "
        "JOIN folders f ON f.id = i.folder_id AND f.item_class = 'Email' "
        "WHERE i.user_id = $1 AND (cardinality($2::bigint[]) = 0 OR i.folder_id = ANY($2::bigint[])) "
        "AND NOT EXISTS (SELECT 1 FROM unnest($3::text[]) w WHERE NOT (e.subject ILIKE w OR e.from_addr ILIKE w "
        "  OR e.to_addr ILIKE w OR e.cc_addr ILIKE w OR e.body_plain ILIKE w)) "
        "AND ($4 = '' OR e.date_received > to_timestamp(NULLIF($4, '')::bigint)) "
        "AND ($5 = '' OR e.date_received < to_timestamp(NULLIF($5, '')::bigint)) "
        "ORDER BY e.date_received DESC, i.id DESC OFFSET $6 LIMIT $7",
        {std::to_string(user_id), id_array(q.folder_ids), text_array(contains_patterns(q.words)),
         q.received_after ? std::to_string(*q.received_after) : "",
         q.received_before ? std::to_string(*q.received_before) : "", std::to_string(offset), std::to_string(limit)});
    MailSearchPage page;
    for (int i = 0; i < r.rows(); ++i) {
        page.hits.push_back({r.int64(i, 0), r.int64(i, 1)});
        page.total = r.int64(i, 2);
    }
    return page;
}

}  // namespace easd::store
