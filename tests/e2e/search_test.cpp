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
    CHECK(gal(c, "amy", "", "DocumentLibrary").store_status == "3");
    CHECK(gal(c, "amy", "", "Mailbox").store_status == "2");  // a Mailbox query is not plain text
}

TEST_CASE("Search: the user's mailbox by words, folder and date; results fetched and answered by LongId",
          "[e2e][search][sendmail]") {
    std::string user = new_user("mailsearch");
    std::string other = new_user("mailsearch");
    deliver(user, "From: Billing <billing@shop.example>\r\nTo: " + user + "\r\nSubject: Invoice March\r\n"
                  "Message-ID: <inv@shop.example>\r\n\r\nPlease pay.\r\n");
    deliver(user, "From: Ann <ann@far.example>\r\nTo: " + user + "\r\nSubject: Lunch\r\n\r\nBring the INVOICE "
                  "for the 50% discount.\r\n");
    deliver(user, simple_message("Other", "nothing here"));
    deliver(other, simple_message("Invoice for someone else"));
    auto c = client(user, "MSEARCH", "16.1");
    auto h = folder_sync(c);
    std::string inbox = h.ids["Inbox"];

    auto search = [&](const std::string& conditions, const std::string& range = "0-9") {
        auto body = xml("<Search xmlns='Search' xmlns:A='AirSync' xmlns:B='AirSyncBase' xmlns:E='Email'><Store>"
                        "<Name>Mailbox</Name><Query><And>" + conditions + "</And></Query><Options><Range>" + range +
                        "</Range><B:BodyPreference><B:Type>1</B:Type><B:TruncationSize>100</B:TruncationSize>"
                        "</B:BodyPreference></Options></Store></Search>");
        return c.command("Search", &body);
    };
    // The Store of a response; the pointer is into `r`, which must outlive it.
    auto store_of = [](const EasResponse& r) {
        REQUIRE(r.doc);
        const auto* s = r.doc->child(tag::Search::Response)->child(tag::Search::Store);
        REQUIRE(s);
        return s;
    };

    auto r = search("<A:Class>Email</A:Class><A:CollectionId>" + inbox + "</A:CollectionId><FreeText>invoice</FreeText>");
    const auto* s = store_of(r);
    CHECK(text_of(*s, tag::Search::Status) == "1");
    auto results = s->children_of(tag::Search::Result);
    REQUIRE(results.size() == 2);  // the subject and the text match, in any case; newest first
    CHECK(text_of(*results[0]->child(tag::Search::Properties), tag::Email::Subject) == "Lunch");
    CHECK(text_of(*results[1]->child(tag::Search::Properties), tag::Email::Subject) == "Invoice March");
    CHECK(text_of(*results[0], tag::AirSync::Class) == "Email");
    CHECK(text_of(*results[0], tag::AirSync::CollectionId) == inbox);
    CHECK(results[0]->child(tag::Search::Properties)->has(tag::AirSyncBase::Body));
    std::string invoice = text_of(*results[1], tag::Search::LongId);
    CHECK(text_of(*s, tag::Search::Range) == "0-1");
    CHECK(text_of(*s, tag::Search::Total) == "2");

    // Every word must match; % is only a character; a date bound; no folder means every mail folder.
    CHECK(store_of(search("<FreeText>invoice march</FreeText>"))->children_of(tag::Search::Result).size() == 1);
    CHECK(store_of(search("<FreeText>50%</FreeText>"))->children_of(tag::Search::Result).size() == 1);
    CHECK(text_of(*store_of(search("<FreeText>invoice</FreeText><LessThan><E:DateReceived/><Value>"
                                   "2000-01-01T00:00:00.000Z</Value></LessThan>")),
                  tag::Search::Total) == "0");
    // The second of two.
    auto second_response = search("<FreeText>invoice</FreeText>", "1-1");  // store_of points into it
    const auto* second = store_of(second_response);
    CHECK(second->children_of(tag::Search::Result).size() == 1);
    CHECK(text_of(*second, tag::Search::Range) == "1-1");
    // Past the end: no results, but the total still says how many there are.
    auto past_response = search("<FreeText>invoice</FreeText>", "5-9");
    CHECK(text_of(*store_of(past_response), tag::Search::Total) == "2");
    // Another user's folder, another class, no words: refused.
    std::string foreign_folder = sql_one("SELECT f.id FROM folders f JOIN users u ON u.id = f.user_id WHERE u.address = '" +
                                         other + "' AND f.name = 'Inbox'");
    CHECK(text_of(*store_of(search("<A:CollectionId>" + foreign_folder + "</A:CollectionId><FreeText>invoice</FreeText>")),
                  tag::Search::Status) == "2");
    CHECK(text_of(*store_of(search("<A:Class>Contacts</A:Class><FreeText>ann</FreeText>")), tag::Search::Status) == "2");
    CHECK(text_of(*store_of(search("<A:Class>Email</A:Class>")), tag::Search::Status) == "2");

    // ItemOperations fetches a result by its LongId; another user's item is not found that way.
    auto fetch = [&](const std::string& long_id) {
        auto body = xml("<ItemOperations xmlns='ItemOperations' xmlns:S='Search'><Fetch><Store>Mailbox</Store><S:LongId>" +
                        long_id + "</S:LongId></Fetch></ItemOperations>");
        auto resp = c.command("ItemOperations", &body);
        REQUIRE(resp.doc);
        const auto* f = resp.doc->child(tag::ItemOperations::Response)->child(tag::ItemOperations::Fetch);
        REQUIRE(f);
        return std::make_pair(text_of(*f, tag::ItemOperations::Status),
                              f->child(tag::ItemOperations::Properties)
                                  ? text_of(*f->child(tag::ItemOperations::Properties), tag::Email::Subject)
                                  : std::string());
    };
    CHECK(fetch(invoice) == std::make_pair(std::string("1"), std::string("Invoice March")));
    std::string foreign_item = sql_one("SELECT i.id FROM items i JOIN users u ON u.id = i.user_id WHERE u.address = '" +
                                       other + "' LIMIT 1");
    CHECK(fetch(foreign_item).first == "6");

    // And SmartReply answers it by LongId.
    const std::size_t before = fake_sendmail().calls().size();
    easd::wbxml::Node reply(tag::ComposeMail::SmartReply);
    reply.add(tag::ComposeMail::ClientId, "search-reply-1");
    reply.add(tag::ComposeMail::Source).add(tag::ComposeMail::LongId, invoice);
    reply.add(tag::ComposeMail::Mime, "To: billing@shop.example\r\nSubject: Re: Invoice March\r\n\r\nPaid.\r\n");
    auto sent = c.command("SmartReply", &reply);
    CHECK(sent.status == 200);
    CHECK_FALSE(sent.doc);
    auto calls = fake_sendmail().calls_since(before);
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].second.find("Please pay.") != std::string::npos);
}

TEST_CASE("ResolveRecipients: names and addresses from the GAL and the user's contacts", "[e2e][search]") {
    add_user("me@resolve.test", "Me Myself");
    add_user("dana.scully@resolve.test", "Dana Scully");
    add_user("fox@resolve.test", "Fox Mulder");
    add_user("fran@resolve.test", "Fran Drescher");
    add_user("dana@elsewhere.test", "Dana Elsewhere");  // another organisation
    auto c = client("me@resolve.test", "RESOLVE", "14.1");
    // A contact of the user.
    auto h = folder_sync(c);
    EasResponse keep;
    std::string key = sync(c, h.ids["Contacts"], "0", keep).key;
    auto added = sync(c, h.ids["Contacts"], key, keep,
                      "<Commands><Add><ClientId>k1</ClientId><ApplicationData xmlns='AirSync' xmlns:C='Contacts'>"
                      "<C:FileAs>Skinner, Walter</C:FileAs><C:FirstName>Walter</C:FirstName><C:LastName>Skinner"
                      "</C:LastName><C:Email1Address>walter@fbi.example</C:Email1Address></ApplicationData></Add>"
                      "</Commands>");
    REQUIRE(added.status == "1");

    auto resolve = [&](const std::string& tos, const std::string& options = "") {
        auto body = xml("<ResolveRecipients xmlns='ResolveRecipients'>" + tos + options + "</ResolveRecipients>");
        auto r = c.command("ResolveRecipients", &body);
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        return r;
    };
    struct One {
        std::string status, count;
        std::vector<std::tuple<std::string, std::string, std::string>> recipients;  // type, name, address
        std::vector<const easd::wbxml::Node*> nodes;  // into the response responses() read
    };
    auto responses = [](const EasResponse& r) {
        std::vector<One> out;
        for (const auto* resp : r.doc->children_of(tag::ResolveRecipients::Response)) {
            One o;
            o.status = text_of(*resp, tag::ResolveRecipients::Status);
            o.count = text_of(*resp, tag::ResolveRecipients::RecipientCount);
            for (const auto* rec : resp->children_of(tag::ResolveRecipients::Recipient)) {
                o.recipients.emplace_back(text_of(*rec, tag::ResolveRecipients::Type),
                                          text_of(*rec, tag::ResolveRecipients::DisplayName),
                                          text_of(*rec, tag::ResolveRecipients::EmailAddress));
                o.nodes.push_back(rec);
            }
            out.push_back(o);
        }
        return out;
    };

    auto r = resolve("<To>fox@resolve.test</To><To>scully</To><To>Walter</To><To>nobody@far.example</To><To>f</To>"
                     "<To>dana</To>");
    CHECK(text_of(*r.doc, tag::ResolveRecipients::Status) == "1");
    auto all = responses(r);
    REQUIRE(all.size() == 6);
    // An address, exactly; a word of a name; a contact; nothing; two matches; never another domain.
    CHECK(all[0].status == "1");
    CHECK(all[0].recipients == decltype(all[0].recipients){{"1", "Fox Mulder", "fox@resolve.test"}});
    CHECK(all[1].status == "1");
    CHECK(std::get<2>(all[1].recipients.at(0)) == "dana.scully@resolve.test");
    CHECK(all[2].status == "1");
    CHECK(all[2].recipients == decltype(all[2].recipients){{"2", "Skinner, Walter", "walter@fbi.example"}});
    CHECK(all[3].status == "4");
    CHECK(all[3].recipients.empty());
    CHECK(all[4].status == "2");  // Fox and Fran
    CHECK(all[4].count == "2");
    CHECK(all[4].recipients.size() == 2);
    CHECK(all[5].status == "1");
    CHECK(std::get<2>(all[5].recipients.at(0)) == "dana.scully@resolve.test");

    // MaxAmbiguousRecipients cuts the suggestions: 3 and the full count.
    auto cut_response = resolve("<To>f</To>", "<Options><MaxAmbiguousRecipients>1</MaxAmbiguousRecipients></Options>");
    auto cut = responses(cut_response);
    REQUIRE(cut.size() == 1);
    CHECK(cut[0].status == "3");
    CHECK(cut[0].recipients.size() == 1);
    CHECK(cut[0].count == "2");

    // Certificates, free/busy and pictures are asked for: none kept here, said so. (`nodes` point
    // into the response, which must outlive them.)
    auto with_options = resolve("<To>fox@resolve.test</To>",
                                "<Options><CertificateRetrieval>2</CertificateRetrieval><Availability><StartTime>"
                                "2026-12-01T08:00:00.000Z</StartTime><EndTime>2026-12-01T18:00:00.000Z</EndTime>"
                                "</Availability></Options>");
    auto opts = responses(with_options);
    REQUIRE(opts.at(0).nodes.size() == 1);
    const auto* rec = opts[0].nodes[0];
    CHECK(text_of(*rec->child(tag::ResolveRecipients::Certificates), tag::ResolveRecipients::Status) == "7");
    CHECK(text_of(*rec->child(tag::ResolveRecipients::Availability), tag::ResolveRecipients::Status) == "163");

    // Malformed requests.
    CHECK(text_of(*resolve("", "").doc, tag::ResolveRecipients::Status) == "5");
    CHECK(text_of(*resolve("<To>x</To>", "<Options><CertificateRetrieval>9</CertificateRetrieval></Options>").doc,
                  tag::ResolveRecipients::Status) == "5");
}
