// The mailbox search goes through the full-text index of schema 010, not a scan, once a mailbox is
// large; and the index is kept as mail changes.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>

#include "store/accounts.h"
#include "store/db.h"
#include "store/folders.h"
#include "store/mail.h"
#include "store/mail_search.h"
#include "support/cluster.h"

using namespace easd;
using easd::test::shared_cluster;

namespace {

store::User make_user(soci::session& sql) {
    static std::atomic<int> n{0};
    try {
        store::add_domain(sql, "index.test");
    } catch (const store::InvalidRequest&) {
    }
    return store::add_user(sql, "u" + std::to_string(++n) + "-" + std::to_string(getpid()) + "@index.test", "pw");
}

}  // namespace

TEST_CASE("mailbox search uses the full-text index on a large mailbox, and finds what was stored and changed",
          "[store][search]") {
    auto sql = store::open_session(shared_cluster().conninfo());
    store::User user = make_user(*sql);
    store::User other = make_user(*sql);
    // 100,000 messages between two users, words w0..w1999 spread over them and one word of its own
    // in each; then what the planner knows of the table is brought up to date, as autovacuum would.
    for (const auto* u : {&user, &other})
        shared_cluster().psql(
            "WITH f AS (SELECT id, user_id FROM folders WHERE user_id = " + std::to_string(u->id) + " AND type = 2), "
            "i AS (INSERT INTO items (user_id, folder_id) SELECT f.user_id, f.id FROM f, generate_series(1, 50000) "
            "RETURNING id) "
            "INSERT INTO emails (item_id, mime, subject, body_plain) SELECT id, '\\x00', 'note ' || (id % 97), "
            "'text w' || (id % 2000) || ' and more words, ' || md5(id::text) FROM i");
    shared_cluster().psql("ANALYZE emails; ANALYZE items; ANALYZE folders");

    // A word of one message, as a prefix: the index finds it; not a scan of 100,000 rows.
    store::MailQuery one;
    one.words = {shared_cluster().psql("SELECT substr(md5(max(id)::text), 1, 12) FROM items WHERE user_id = " +
                                       std::to_string(user.id))};
    std::string plan = store::explain_search_mail(*sql, user.id, one);
    INFO(plan);
    CHECK(plan.find("emails_search") != std::string::npos);
    CHECK(plan.find("Seq Scan on emails") == std::string::npos);
    CHECK(store::search_mail(*sql, user.id, one, 0, 10).total == 1);
    CHECK(store::search_mail(*sql, other.id, one, 0, 10).total == 0);

    store::MailQuery q;
    q.words = {"W17"};

    // Prefixes, case ignored: w17 also begins w170..w179 and w1700..w1799.
    auto page = store::search_mail(*sql, user.id, q, 0, 10);
    CHECK(page.total == 111 * 25);  // w17, w170..w179, w1700..w1799: 111 words, 25 messages each
    CHECK(page.hits.size() == 10);

    // A changed subject is found at once (the vector is a generated column).
    long long id = page.hits[0].item_id;
    shared_cluster().psql("UPDATE emails SET subject = 'Überraschung' WHERE item_id = " + std::to_string(id));
    store::MailQuery changed;
    changed.words = {"Überraschung"};
    auto found = store::search_mail(*sql, user.id, changed, 0, 10);
    REQUIRE(found.hits.size() == 1);
    CHECK(found.hits[0].item_id == id);
    CHECK(store::search_mail(*sql, other.id, changed, 0, 10).total == 0);  // never another user's mail
}
