#include "store/directory.h"

#include "common/text.h"
#include "store/pq.h"

namespace easd::store {

namespace {

// The query as a LIKE prefix pattern: its own % _ and \ match literally.
std::string like_prefix(const std::string& query) {
    std::string out;
    for (char c : query) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out + "%";
}

}  // namespace

DirectoryPage search_directory(soci::session& sql, const std::string& domain, const std::string& query, long long offset,
                               long long limit) {
    const std::string prefix = like_prefix(query);
    PqResult r = pq_query(sql,
        "SELECT u.address, u.display_name, count(*) OVER () FROM users u JOIN domains d ON d.id = u.domain_id "
        "WHERE d.name = $1 AND (u.address ILIKE $2 OR u.display_name ILIKE $2 OR u.display_name ILIKE '% ' || $2) "
        "ORDER BY lower(COALESCE(NULLIF(u.display_name, ''), u.address)), u.address OFFSET $3 LIMIT $4",
        {to_lower_ascii(domain), prefix, std::to_string(offset), std::to_string(limit)});
    DirectoryPage page;
    for (int i = 0; i < r.rows(); ++i) {
        page.entries.push_back({r.str(i, 0), r.str(i, 1)});
        page.total = r.int64(i, 2);
    }
    if (r.rows() == 0 && offset > 0) {
        // Past the end: the count still tells the client how many there are.
        PqResult c = pq_query(sql,
            "SELECT count(*) FROM users u JOIN domains d ON d.id = u.domain_id WHERE d.name = $1 AND "
            "(u.address ILIKE $2 OR u.display_name ILIKE $2 OR u.display_name ILIKE '% ' || $2)",
            {to_lower_ascii(domain), prefix});
        page.total = c.int64(0, 0);
    }
    return page;
}

}  // namespace easd::store
