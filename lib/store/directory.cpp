#include "store/directory.h"

#include "common/text.h"
#include "store/accounts.h"
#include "store/pq.h"

namespace easd::store {

namespace {

constexpr const char* kColumns = "u.id, u.address, u.display_name, u.phone, u.mobile_phone, u.office, u.title, u.company";

DirectoryEntry entry_of(const PqResult& r, int row) {
    DirectoryEntry e;
    e.id = r.int64(row, 0);
    e.address = r.str(row, 1);
    e.display_name = r.str(row, 2);
    e.fields = {r.str(row, 3), r.str(row, 4), r.str(row, 5), r.str(row, 6), r.str(row, 7)};
    return e;
}

}  // namespace

DirectoryPage search_directory(soci::session& sql, const std::string& domain, const std::string& query, long long offset,
                               long long limit) {
    const char* const matching =
        "FROM users u JOIN domains d ON d.id = u.domain_id WHERE d.name = $1 AND "
        "(u.address ILIKE $2 OR u.display_name ILIKE $2 OR u.display_name ILIKE '% ' || $2) ";
    const std::vector<std::string> params{to_lower_ascii(domain), like_literal(query) + "%"};
    PqResult r = pq_query(sql,
        (std::string("SELECT ") + kColumns + ", count(*) OVER () " + matching +
         "ORDER BY lower(COALESCE(NULLIF(u.display_name, ''), u.address)), u.address OFFSET " +
         std::to_string(offset) + " LIMIT " + std::to_string(limit)).c_str(),
        params);
    DirectoryPage page;
    for (int i = 0; i < r.rows(); ++i) {
        page.entries.push_back(entry_of(r, i));
        page.total = r.int64(i, 8);
    }
    // Past the end the window has no row to count on: the total still tells the client how many.
    if (r.rows() == 0 && offset > 0)
        page.total = pq_query(sql, (std::string("SELECT count(*) ") + matching).c_str(), params).int64(0, 0);
    return page;
}

void set_directory_fields(soci::session& sql, const std::string& address, const DirectoryChange& change) {
    std::string normalized = normalize_address(address);
    // A field not given goes in as NULL, and COALESCE keeps what is there.
    std::string values[6];
    soci::indicator given[6];
    const std::optional<std::string>* fields[] = {&change.display_name, &change.phone, &change.mobile_phone,
                                                  &change.office,       &change.title, &change.company};
    for (int i = 0; i < 6; ++i) {
        values[i] = fields[i]->value_or("");
        given[i] = *fields[i] ? soci::i_ok : soci::i_null;
    }
    long long id = 0;
    soci::indicator found = soci::i_null;
    sql << "UPDATE users SET display_name = COALESCE(:n, display_name), phone = COALESCE(:p, phone), "
           "mobile_phone = COALESCE(:m, mobile_phone), office = COALESCE(:o, office), title = COALESCE(:t, title), "
           "company = COALESCE(:c, company) WHERE address = :a RETURNING id",
        soci::use(values[0], given[0]), soci::use(values[1], given[1]), soci::use(values[2], given[2]),
        soci::use(values[3], given[3]), soci::use(values[4], given[4]), soci::use(values[5], given[5]),
        soci::use(normalized), soci::into(id, found);
    if (found != soci::i_ok) throw InvalidRequest("unknown user " + normalized);
}

std::optional<DirectoryEntry> directory_entry(soci::session& sql, const std::string& address) {
    PqResult r = pq_query(sql, (std::string("SELECT ") + kColumns + " FROM users u WHERE u.address = $1").c_str(),
                          {normalize_address(address)});
    if (r.rows() == 0) return std::nullopt;
    return entry_of(r, 0);
}

}  // namespace easd::store
