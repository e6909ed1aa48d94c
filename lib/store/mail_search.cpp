#include "store/mail_search.h"

#include "store/db.h"
#include "store/pq.h"

namespace easd::store {

MailSearchPage search_mail(soci::session& sql, long long user_id, const MailQuery& q, long long offset,
                           long long limit) {
    std::vector<std::string> patterns;  // each word anywhere
    for (const auto& w : q.words) patterns.push_back("%" + like_literal(w) + "%");
    // Every word must match one of the columns: "no word fails to match".
    const char* const matching =
        "FROM items i JOIN emails e ON e.item_id = i.id "
        "JOIN folders f ON f.id = i.folder_id AND f.item_class = 'Email' "
        "WHERE i.user_id = $1 AND (cardinality($2::bigint[]) = 0 OR i.folder_id = ANY($2::bigint[])) "
        "AND NOT EXISTS (SELECT 1 FROM unnest($3::text[]) w WHERE NOT (e.subject ILIKE w OR e.from_addr ILIKE w "
        "  OR e.to_addr ILIKE w OR e.cc_addr ILIKE w OR e.body_plain ILIKE w)) "
        "AND ($4 = '' OR e.date_received > to_timestamp(NULLIF($4, '')::bigint)) "
        "AND ($5 = '' OR e.date_received < to_timestamp(NULLIF($5, '')::bigint)) "
        "AND ($6 = '' OR e.conversation_id = decode($6, 'hex')) ";
    std::vector<std::string> params{std::to_string(user_id), id_array(q.folder_ids), text_array(patterns),
                                    q.received_after ? std::to_string(*q.received_after) : "",
                                    q.received_before ? std::to_string(*q.received_before) : "",
                                    bytea_to_hex_literal(q.conversation_id).substr(2)};
    std::vector<std::string> page_params = params;
    page_params.push_back(std::to_string(offset));
    page_params.push_back(std::to_string(limit));
    PqResult r = pq_query(sql,
        (std::string("SELECT i.id, i.folder_id, count(*) OVER () ") + matching +
         "ORDER BY e.date_received DESC, i.id DESC OFFSET $7 LIMIT $8").c_str(),
        page_params);
    MailSearchPage page;
    for (int i = 0; i < r.rows(); ++i) {
        page.hits.push_back({r.int64(i, 0), r.int64(i, 1)});
        page.total = r.int64(i, 2);
    }
    // Past the end the window has no row to count on: the total still tells the client how many.
    if (r.rows() == 0 && offset > 0)
        page.total = pq_query(sql, (std::string("SELECT count(*) ") + matching).c_str(), params).int64(0, 0);
    return page;
}

}  // namespace easd::store
