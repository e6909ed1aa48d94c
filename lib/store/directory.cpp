#include "store/directory.h"

#include "common/text.h"
#include "store/pq.h"

namespace easd::store {

DirectoryPage search_directory(soci::session& sql, const std::string& domain, const std::string& query, long long offset,
                               long long limit) {
    const char* const matching =
        "FROM users u JOIN domains d ON d.id = u.domain_id WHERE d.name = $1 AND "
        "(u.address ILIKE $2 OR u.display_name ILIKE $2 OR u.display_name ILIKE '% ' || $2) ";
    const std::vector<std::string> params{to_lower_ascii(domain), like_literal(query) + "%"};
    PqResult r = pq_query(sql,
        (std::string("SELECT u.address, u.display_name, count(*) OVER () ") + matching +
         "ORDER BY lower(COALESCE(NULLIF(u.display_name, ''), u.address)), u.address OFFSET " +
         std::to_string(offset) + " LIMIT " + std::to_string(limit)).c_str(),
        params);
    DirectoryPage page;
    for (int i = 0; i < r.rows(); ++i) {
        page.entries.push_back({r.str(i, 0), r.str(i, 1)});
        page.total = r.int64(i, 2);
    }
    // Past the end the window has no row to count on: the total still tells the client how many.
    if (r.rows() == 0 && offset > 0)
        page.total = pq_query(sql, (std::string("SELECT count(*) ") + matching).c_str(), params).int64(0, 0);
    return page;
}

}  // namespace easd::store
