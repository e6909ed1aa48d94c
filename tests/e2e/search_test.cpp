// Search in the GAL through nginx: colleagues of the user's own domain by name or address, in the
// requested range; other domains are other organisations and never appear.
#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

struct GalResult {
    std::string store_status, range, total;
    std::vector<std::pair<std::string, std::string>> entries;  // (display name, address)
};

GalResult gal(EasClient& c, const std::string& query, const std::string& range = "", const std::string& store = "GAL") {
    std::string options = range.empty() ? "" : "<Options><Range>" + range + "</Range></Options>";
    auto body = xml("<Search xmlns='Search'><Store><Name>" + store + "</Name><Query>" + query + "</Query>" + options +
                    "</Store></Search>");
    auto r = c.command("Search", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    REQUIRE(text_of(*r.doc, tag::Search::Status) == "1");
    const auto* s = r.doc->child(tag::Search::Response)->child(tag::Search::Store);
    REQUIRE(s);
    GalResult out;
    out.store_status = text_of(*s, tag::Search::Status);
    out.range = text_of(*s, tag::Search::Range);
    out.total = text_of(*s, tag::Search::Total);
    for (const auto* result : s->children_of(tag::Search::Result))
        if (const auto* p = result->child(tag::Search::Properties))
            out.entries.emplace_back(text_of(*p, tag::GAL::DisplayName), text_of(*p, tag::GAL::EmailAddress));
    return out;
}

void add_user(const std::string& address, const std::string& name) {
    easd::test::create_user(cluster(), address, "secret");
    sql_one("UPDATE users SET display_name = '" + name + "' WHERE address = '" + address + "'");
}

}  // namespace

TEST_CASE("Search: the GAL of the user's domain by name, address and range", "[e2e][search]") {
    add_user("me@gal-one.test", "Me Myself");
    add_user("amy.pond@gal-one.test", "Amy Pond");
    add_user("rory@gal-one.test", "Rory Williams");
    add_user("river@gal-one.test", "River Song");
    add_user("amy@gal-two.test", "Amy Elsewhere");  // another organisation
    auto c = client("me@gal-one.test", "GAL");

    auto amy = gal(c, "amy");
    CHECK(amy.store_status == "1");
    REQUIRE(amy.entries.size() == 1);
    CHECK(amy.entries[0] == std::make_pair(std::string("Amy Pond"), std::string("amy.pond@gal-one.test")));
    CHECK(amy.range == "0-0");
    CHECK(amy.total == "1");

    // A word of the name, any case; a prefix of the address.
    auto williams = gal(c, "WILL");
    REQUIRE(williams.entries.size() == 1);
    CHECK(williams.entries[0].second == "rory@gal-one.test");
    auto r = gal(c, "r");  // River Song, Rory Williams (by name), ordered by name
    REQUIRE(r.entries.size() == 2);
    CHECK(r.entries[0].first == "River Song");
    CHECK(r.entries[1].first == "Rory Williams");

    // A range: the second of two, and the total of all.
    auto second = gal(c, "r", "1-1");
    REQUIRE(second.entries.size() == 1);
    CHECK(second.entries[0].first == "Rory Williams");
    CHECK(second.range == "1-1");
    CHECK(second.total == "2");

    // No match; LIKE's own characters match only themselves.
    auto none = gal(c, "zz");
    CHECK(none.entries.empty());
    CHECK(none.total == "0");
    CHECK(gal(c, "%").entries.empty());
    CHECK(gal(c, "_").entries.empty());

    // Bad requests and the stores this server does not offer.
    CHECK(gal(c, "amy", "5-1").store_status == "2");
    CHECK(gal(c, "", "").store_status == "2");
    CHECK(gal(c, "amy", "", "Mailbox").store_status == "3");
}
