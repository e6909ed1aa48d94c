// The connection string as easctl backup/restore hand it to pg_dump and pg_restore: the password
// taken out for a password file, everything else kept (store/backup.h).
#include <catch2/catch.hpp>

#include "store/accounts.h"
#include "store/backup.h"

using namespace easd;

TEST_CASE("split_password keeps every option but the password, quoted so libpq reads it back", "[backup]") {
    auto s = store::split_password("host=/run/postgresql port=5433 dbname=easd user=easd password=s3cret");
    // In libpq's order of options, not the string's.
    for (const char* part : {"host='/run/postgresql'", "port='5433'", "dbname='easd'", "user='easd'"})
        CHECK(s.without_password.find(part) != std::string::npos);
    CHECK(s.without_password.find("s3cret") == std::string::npos);
    CHECK(s.without_password.find("password") == std::string::npos);
    REQUIRE(s.password);
    CHECK(*s.password == "s3cret");

    // URI form, a quoted value with a space and a quote, no password.
    s = store::split_password("postgresql://easd@db.example.com:5432/mail?sslmode=require&application_name=a%20b");
    CHECK(s.without_password.find("host='db.example.com'") != std::string::npos);
    CHECK(s.without_password.find("dbname='mail'") != std::string::npos);
    CHECK(s.without_password.find("sslmode='require'") != std::string::npos);
    CHECK(s.without_password.find("application_name='a b'") != std::string::npos);
    CHECK_FALSE(s.password);
    s = store::split_password("postgresql://easd:p%40ss@db/easd");
    REQUIRE(s.password);
    CHECK(*s.password == "p@ss");
    CHECK(s.without_password.find("p@ss") == std::string::npos);

    s = store::split_password("dbname='it\\'s' password='a b\\'c'");
    CHECK(s.without_password == "dbname='it\\'s'");
    CHECK(*s.password == "a b'c");

    CHECK_THROWS_AS(store::split_password("host=x password"), store::InvalidRequest);
}

TEST_CASE("passfile_line escapes what .pgpass would read as a separator", "[backup]") {
    CHECK(store::passfile_line("plain") == "*:*:*:*:plain");
    CHECK(store::passfile_line("a:b\\c") == "*:*:*:*:a\\:b\\\\c");
}
