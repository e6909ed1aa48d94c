#include "store/mail_search.h"

#include "store/db.h"
#include "store/pq.h"

namespace easd::store {

namespace {

// The WHERE clause of a search, one condition per line of code: each condition names its
// parameters through param(), which numbers them ($1, $2, ...) in the order they are added.
struct Conditions {
    std::vector<std::string> params;
    std::string where;

    std::string param(std::string value) {
        params.push_back(std::move(value));
        return "$" + std::to_string(params.size());
    }
    void add(const std::string& condition) { where += (where.empty() ? "WHERE " : " AND ") + condition; }
};

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

}  // namespace

namespace {

// The FROM and WHERE of a search, and its parameters.
struct Matching {
    std::string sql;
    std::vector<std::string> params;
};

Matching matching(long long user_id, const MailQuery& q) {
    Conditions c;
    // Through the user's folders: the planner can start from them (an index on folders.user_id,
    // then items by folder) when there are no words to look up in the full-text index.
    c.add("f.user_id = " + c.param(std::to_string(user_id)) + " AND i.user_id = f.user_id AND f.item_class = 'Email'");
    if (!q.folder_ids.empty()) c.add("f.id = ANY(" + c.param(id_array(q.folder_ids)) + "::bigint[])");
    // The index of schema 010; easd_search_query is NULL for words without a letter or digit, and
    // then nothing matches.
    if (!q.words.empty()) c.add("e.search_vector @@ easd_search_query(" + c.param(joined(q.words)) + ")");
    if (q.received_after)
        c.add("e.date_received > to_timestamp(" + c.param(std::to_string(*q.received_after)) + "::bigint)");
    if (q.received_before)
        c.add("e.date_received < to_timestamp(" + c.param(std::to_string(*q.received_before)) + "::bigint)");
    if (q.received_at) {
        std::string at = c.param(std::to_string(*q.received_at));
        c.add("e.date_received >= to_timestamp(" + at + "::bigint) AND e.date_received < to_timestamp(" + at +
              "::bigint + 1)");
    }
    if (q.conversation_id)
        c.add("e.conversation_id = decode(" + c.param(bytea_to_hex_literal(*q.conversation_id).substr(2)) + ", 'hex')");
    return {"FROM folders f JOIN items i ON i.folder_id = f.id JOIN emails e ON e.item_id = i.id " + c.where,
            std::move(c.params)};
}

// The page query: the matches newest first, from `offset` on, at most `limit`, with the count of all.
Matching page_query(long long user_id, const MailQuery& q, long long offset, long long limit) {
    Matching m = matching(user_id, q);
    m.params.push_back(std::to_string(offset));
    m.params.push_back(std::to_string(limit));
    m.sql = "SELECT i.id, i.folder_id, f.type, count(*) OVER () " + m.sql +
            " ORDER BY e.date_received DESC, i.id DESC OFFSET $" + std::to_string(m.params.size() - 1) + " LIMIT $" +
            std::to_string(m.params.size());
    return m;
}

}  // namespace

MailSearchPage search_mail(soci::session& sql, long long user_id, const MailQuery& q, long long offset,
                           long long limit) {
    Matching m = page_query(user_id, q, offset, limit);
    PqResult r = pq_query(sql, m.sql.c_str(), m.params);
    MailSearchPage page;
    for (int i = 0; i < r.rows(); ++i) {
        page.hits.push_back({r.int64(i, 0), r.int64(i, 1), r.int32(i, 2)});
        page.total = r.int64(i, 3);
    }
    // Past the end the window has no row to count on: the total still tells the client how many.
    if (r.rows() == 0 && offset > 0) {
        Matching all = matching(user_id, q);
        page.total = pq_query(sql, ("SELECT count(*) " + all.sql).c_str(), all.params).int64(0, 0);
    }
    return page;
}

std::string explain_search_mail(soci::session& sql, long long user_id, const MailQuery& q) {
    Matching m = page_query(user_id, q, 0, 100);
    PqResult r = pq_query(sql, ("EXPLAIN " + m.sql).c_str(), m.params);
    std::string plan;
    for (int i = 0; i < r.rows(); ++i) plan += r.str(i, 0) + "\n";
    return plan;
}

std::vector<long long> with_subfolders(soci::session& sql, long long user_id, const std::vector<long long>& folder_ids) {
    if (folder_ids.empty()) return {};
    // Through folders of any class (a mail folder may sit below another), keeping the mail ones.
    PqResult r = pq_query(sql,
        "WITH RECURSIVE tree AS ("
        "  SELECT id, item_class FROM folders WHERE user_id = $1 AND id = ANY($2::bigint[])"
        "  UNION SELECT f.id, f.item_class FROM folders f JOIN tree t ON f.parent_id = t.id WHERE f.user_id = $1) "
        "SELECT id FROM tree WHERE item_class = 'Email' ORDER BY id",
        {std::to_string(user_id), id_array(folder_ids)});
    return r.int64_column();
}

}  // namespace easd::store
