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
    easd::test::create_user(cluster(), address, "secret-pw");
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

namespace {

// A Mailbox Search with `conditions` under And (and `options` beside the Range); the response.
EasResponse mailbox_search(EasClient& c, const std::string& conditions, const std::string& options = "",
                           const std::string& range = "0-9") {
    auto body = xml("<Search xmlns='Search' xmlns:A='AirSync' xmlns:B='AirSyncBase' xmlns:E='Email' "
                    "xmlns:D='DocumentLibrary'><Store><Name>Mailbox</Name><Query><And>" + conditions +
                    "</And></Query><Options><Range>" + range + "</Range>" + options + "</Options></Store></Search>");
    auto r = c.command("Search", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    REQUIRE(r.doc->child(tag::Search::Response));
    REQUIRE(r.doc->child(tag::Search::Response)->child(tag::Search::Store));
    return r;
}

const easd::wbxml::Node& store_in(const EasResponse& r) { return *r.doc->child(tag::Search::Response)->child(tag::Search::Store); }

// The subjects of a Mailbox Search's results, in order.
std::vector<std::string> subjects_in(const EasResponse& r) {
    std::vector<std::string> out;
    for (const auto* result : store_in(r).children_of(tag::Search::Result))
        if (const auto* p = result->child(tag::Search::Properties)) out.push_back(text_of(*p, tag::Email::Subject));
    return out;
}

using Subjects = std::vector<std::string>;

void set_received(const std::string& user, const std::string& subject, const std::string& when) {
    sql_one("UPDATE emails e SET date_received = '" + when + "' FROM items i JOIN users u ON u.id = i.user_id "
            "WHERE i.id = e.item_id AND u.address = '" + user + "' AND e.subject = '" + subject + "'");
}

}  // namespace

TEST_CASE("Search: a mailbox query of only Class, CollectionId and dates returns the matches; EqualTo; "
          "ConversationId read", "[e2e][search]") {
    std::string user = new_user("datesearch");
    for (const char* s : {"January", "February", "March"}) deliver(user, simple_message(s));
    set_received(user, "January", "2026-01-10 08:00:00+00");
    set_received(user, "February", "2026-02-10 08:00:00+00");
    set_received(user, "March", "2026-03-10 08:00:00+00");
    auto c = client(user, "DATES", "14.1");
    std::string inbox = folder_sync(c).ids["Inbox"];
    const std::string scope = "<A:Class>Email</A:Class><A:CollectionId>" + inbox + "</A:CollectionId>";
    auto after = [](const char* when) {
        return std::string("<GreaterThan><E:DateReceived/><Value>") + when + "</Value></GreaterThan>";
    };
    auto before = [](const char* when) {
        return std::string("<LessThan><E:DateReceived/><Value>") + when + "</Value></LessThan>";
    };

    // What iOS sends for mail older than the sync window: no FreeText, a date bound.
    auto r = mailbox_search(c, scope + after("2026-02-01T00:00:00.000Z"));
    CHECK(text_of(store_in(r), tag::Search::Status) == "1");
    CHECK(subjects_in(r) == Subjects{"March", "February"});
    CHECK(text_of(store_in(r), tag::Search::Total) == "2");
    CHECK(text_of(store_in(r), tag::Search::Range) == "0-1");
    CHECK(subjects_in(mailbox_search(c, scope + before("2026-02-01T00:00:00.000Z"))) == Subjects{"January"});
    CHECK(subjects_in(mailbox_search(c, scope + after("2026-01-11T00:00:00.000Z") + before("2026-03-01T00:00:00.000Z"))) ==
          Subjects{"February"});
    // Only a folder: all of it. RebuildResults is accepted (nothing is cached).
    CHECK(subjects_in(mailbox_search(c, scope, "<RebuildResults/>")) == Subjects{"March", "February", "January"});
    // EqualTo on the date: the message of that second.
    CHECK(subjects_in(mailbox_search(c, scope + "<EqualTo><E:DateReceived/><Value>2026-02-10T08:00:00.000Z</Value>"
                                            "</EqualTo>")) == Subjects{"February"});
    CHECK(text_of(store_in(mailbox_search(c, scope + "<EqualTo><E:DateReceived/><Value>2026-02-10T08:00:01.000Z"
                                                     "</Value></EqualTo>")),
                  tag::Search::Total) == "0");
    // An Or of one condition is that condition; of several kinds, too complex.
    CHECK(subjects_in(mailbox_search(c, scope + "<Or>" + after("2026-03-01T00:00:00.000Z") + "</Or>")) ==
          Subjects{"March"});
    CHECK(text_of(store_in(mailbox_search(c, "<Or><FreeText>x</FreeText>" + after("2026-03-01T00:00:00.000Z") + "</Or>")),
                  tag::Search::Status) == "8");
    // EqualTo on a document library link: not offered here. A bad date: refused.
    CHECK(text_of(store_in(mailbox_search(c, "<EqualTo><D:LinkId/><Value>\\\\srv\\share</Value></EqualTo>")),
                  tag::Search::Status) == "2");
    CHECK(text_of(store_in(mailbox_search(c, scope + after("yesterday"))), tag::Search::Status) == "2");
    // ConversationId is read, alone or in an EqualTo (conversation_test matches a real thread): a
    // conversation this mailbox does not have finds nothing; a value that is no id is refused.
    auto none = mailbox_search(c, scope + "<ConversationId>QUJDREVGR0hJSktMTU5PUA==</ConversationId>");
    CHECK(text_of(store_in(none), tag::Search::Status) == "1");
    CHECK(subjects_in(none).empty());
    CHECK(text_of(store_in(mailbox_search(c, "<EqualTo><ConversationId/><Value>x</Value></EqualTo>")),
                  tag::Search::Status) == "2");
}

TEST_CASE("Search: DeepTraversal takes in the folders below the named one", "[e2e][search]") {
    std::string user = new_user("deepsearch");
    deliver(user, simple_message("Report top", "quarterly numbers"));
    deliver(user, simple_message("Report nested", "quarterly numbers"));
    deliver(user, simple_message("Report deeper", "quarterly numbers"));
    // Inbox / Projects / Old, each holding one of the reports.
    std::string projects = sql_one("INSERT INTO folders (user_id, parent_id, name, type, item_class) SELECT u.id, f.id, "
                                   "'Projects', 12, 'Email' FROM users u JOIN folders f ON f.user_id = u.id AND f.type = 2 "
                                   "WHERE u.address = '" + user + "' RETURNING id");
    std::string old = sql_one("INSERT INTO folders (user_id, parent_id, name, type, item_class) SELECT user_id, id, "
                              "'Old', 12, 'Email' FROM folders WHERE id = " + projects + " RETURNING id");
    auto move = [&](const std::string& subject, const std::string& folder) {
        sql_one("UPDATE items i SET folder_id = " + folder + " FROM emails e WHERE e.item_id = i.id AND e.subject = '" +
                subject + "' AND i.user_id = (SELECT id FROM users WHERE address = '" + user + "')");
    };
    move("Report nested", projects);
    move("Report deeper", old);
    auto c = client(user, "DEEP", "14.1");
    std::string inbox = folder_sync(c).ids["Inbox"];
    const std::string query = "<A:Class>Email</A:Class><A:CollectionId>" + inbox + "</A:CollectionId><FreeText>quarterly"
                              "</FreeText>";

    CHECK(subjects_in(mailbox_search(c, query)) == Subjects{"Report top"});
    auto deep = subjects_in(mailbox_search(c, query, "<DeepTraversal/>"));
    std::sort(deep.begin(), deep.end());
    CHECK(deep == Subjects{"Report deeper", "Report nested", "Report top"});
    // From the middle: that folder and the one below, not the one above.
    auto middle = subjects_in(mailbox_search(c, "<A:CollectionId>" + projects + "</A:CollectionId><FreeText>quarterly"
                                                "</FreeText>", "<DeepTraversal/>"));
    std::sort(middle.begin(), middle.end());
    CHECK(middle == Subjects{"Report deeper", "Report nested"});
}

TEST_CASE("Search: words match the start of words in the subject, From, To, Cc and the text, through the index",
          "[e2e][search]") {
    std::string user = new_user("wordsearch");
    deliver(user, "From: Jörg Brandt <jb@shop.example>\r\nTo: " + user + "\r\nSubject: Quarterly statement\r\n\r\nNo text.\r\n");
    deliver(user, "From: zed@far.example\r\nTo: Ottilie <ottilie@dept.example>\r\nCc: Knut <knut@x.example>\r\n"
                  "Subject: Hello\r\n\r\nThe e-mail about the Zeppelin-Museum, 50% off.\r\n");
    auto c = client(user, "WORDS", "14.1");
    auto total = [&](const std::string& words) {
        return text_of(store_in(mailbox_search(c, "<FreeText>" + words + "</FreeText>")), tag::Search::Total);
    };
    CHECK(total("statement") == "1");   // subject
    CHECK(total("QUARTER") == "1");     // the start of a word, any case
    CHECK(total("Jörg") == "1");        // a name in From, not English
    CHECK(total("jb") == "1");          // an address's local part
    CHECK(total("shop.example") == "1");
    CHECK(total("zed@far.example") == "1");
    CHECK(total("ottilie") == "1");     // To
    CHECK(total("knut") == "1");        // Cc
    CHECK(total("zeppelin museum") == "1");  // the text; every word must appear
    CHECK(total("zeppelin statement") == "0");
    CHECK(total("e-mail") == "1");
    CHECK(total("50%") == "1");
    CHECK(total("tatement") == "0");    // inside a word: no
    CHECK(total("%") == "0");           // nothing to look for
}
