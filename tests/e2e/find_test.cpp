// Find (16.1) through nginx: the mailbox by words, folder, depth and range, with the summaries 16.1
// clients list; the GAL with the directory fields easctl sets; other versions refused with 138.
#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

EasResponse find(EasClient& c, const std::string& criterion) {
    auto body = xml("<Find xmlns='Find' xmlns:A='AirSync' xmlns:B='AirSyncBase'><SearchId>"
                    "9f2c1b1e-0d1c-4a7e-9a51-5e2d7b2b6a11</SearchId><ExecuteSearch>" + criterion +
                    "</ExecuteSearch></Find>");
    auto r = c.command("Find", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    REQUIRE(r.doc->tag == tag::Find::Find);
    return r;
}

std::string mailbox_criterion(const std::string& query, const std::string& options = "") {
    return "<MailBoxSearchCriterion><Query>" + query + "</Query>" + (options.empty() ? "" : "<Options>" + options + "</Options>") +
           "</MailBoxSearchCriterion>";
}

const easd::wbxml::Node& response_of(const EasResponse& r) {
    const auto* resp = r.doc->child(tag::Find::Response);
    REQUIRE(resp);
    return *resp;
}

void easctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {EASCTL_BIN, "--database", cluster().conninfo()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = easd::test::run_process(argv);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("Find: OPTIONS advertises it; other versions than 16.1 get Status 138", "[e2e][find]") {
    std::string user = new_user("findversion");
    auto c = client(user, "FINDV", "14.1");
    std::string commands = "," + c.options().header("ms-asprotocolcommands") + ",";
    CHECK(commands.find(",Find,") != std::string::npos);
    CHECK(commands.find(",Search,") != std::string::npos);

    const std::string criterion = mailbox_criterion("<A:Class>Email</A:Class><FreeText>x</FreeText>");
    for (const char* version : {"14.1", "16.0"}) {
        c.set_protocol_version(version);
        auto r = find(c, criterion);
        CHECK(text_of(*r.doc, tag::Find::Status) == "138");
        CHECK_FALSE(r.doc->has(tag::Find::Response));
    }
}

TEST_CASE("Find: the mailbox by words, folder and depth, in a range, as summaries", "[e2e][find]") {
    std::string user = new_user("findmail");
    deliver(user, "From: Billing <billing@shop.example>\r\nTo: Me <" + user + ">\r\nSubject: Invoice 1\r\n"
                  "Content-Type: text/plain\r\n\r\nPlease pay the invoice\r\nby Friday.\r\n");
    deliver(user, "From: Billing <billing@shop.example>\r\nTo: " + user + "\r\nSubject: Invoice 2\r\n\r\nSecond invoice.\r\n");
    deliver(user, "From: Billing <billing@shop.example>\r\nTo: " + user + "\r\nSubject: Invoice 3\r\n\r\nThird invoice.\r\n");
    deliver(user, simple_message("Unrelated", "nothing"));
    sql_one("UPDATE emails e SET date_received = ('2026-05-0' || substr(e.subject, 9, 1) || ' 09:00:00+00')::timestamptz "
            "FROM items i "
            "JOIN users u ON u.id = i.user_id WHERE i.id = e.item_id AND u.address = '" + user + "' AND e.subject LIKE 'Invoice _'");
    // Invoice 3 in a folder below the Inbox.
    std::string sub = sql_one("INSERT INTO folders (user_id, parent_id, name, type, item_class) SELECT u.id, f.id, "
                              "'Bills', 12, 'Email' FROM users u JOIN folders f ON f.user_id = u.id AND f.type = 2 "
                              "WHERE u.address = '" + user + "' RETURNING id");
    sql_one("UPDATE items i SET folder_id = " + sub + " FROM emails e WHERE e.item_id = i.id AND e.subject = 'Invoice 3' "
            "AND i.user_id = (SELECT id FROM users WHERE address = '" + user + "')");
    auto c = client(user, "FINDM", "16.1");
    auto h = folder_sync(c);
    const std::string inbox = h.ids["Inbox"];
    const std::string query = "<A:Class>Email</A:Class><A:CollectionId>" + inbox + "</A:CollectionId><FreeText>invoice"
                              "</FreeText>";

    // The Inbox and below, the first two, with a BodyPreference as clients send it beside Range.
    auto r = find(c, mailbox_criterion(query, "<Range>0-1</Range><DeepTraversal/><B:BodyPreference><B:Type>1</B:Type>"
                                              "<B:TruncationSize>20</B:TruncationSize></B:BodyPreference>"));
    CHECK(text_of(*r.doc, tag::Find::Status) == "1");
    const auto& resp = response_of(r);
    CHECK(text_of(resp, tag::ItemOperations::Store) == "Mailbox");
    CHECK(text_of(resp, tag::Find::Status) == "1");
    CHECK(text_of(resp, tag::Find::Range) == "0-1");
    CHECK(text_of(resp, tag::Find::Total) == "3");
    auto results = resp.children_of(tag::Find::Result);
    REQUIRE(results.size() == 2);
    CHECK(text_of(*results[0], tag::AirSync::Class) == "Email");
    CHECK(text_of(*results[0], tag::AirSync::CollectionId) == sub);  // newest first: Invoice 3, below the Inbox
    CHECK(text_of(*results[1], tag::AirSync::CollectionId) == inbox);
    const auto* p = results[1]->child(tag::Find::Properties);
    REQUIRE(p);
    CHECK(text_of(*p, tag::Email::Subject) == "Invoice 2");
    CHECK(text_of(*p, tag::Email::From) == "Billing <billing@shop.example>");
    CHECK(text_of(*p, tag::Email::DateReceived) == "2026-05-02T09:00:00.000Z");
    CHECK(text_of(*p, tag::Email::Read) == "0");
    CHECK(text_of(*p, tag::Email2::IsDraft) == "0");
    CHECK(text_of(*p, tag::Find::HasAttachments) == "0");
    CHECK(text_of(*p, tag::Find::Preview) == "Second invoice.");
    CHECK_FALSE(p->has(tag::AirSyncBase::Body));  // a summary: the body is fetched by ServerId
    // The ServerId is the one Sync and ItemOperations know.
    std::string server_id = text_of(*results[1], tag::AirSync::ServerId);
    CHECK(sql_one("SELECT subject FROM emails WHERE item_id = " + server_id) == "Invoice 2");

    // The Preview on one line, no longer than the TruncationSize asked for.
    auto first = find(c, mailbox_criterion(query, "<Range>2-2</Range><DeepTraversal/><B:BodyPreference><B:Type>1</B:Type>"
                                                  "<B:TruncationSize>20</B:TruncationSize></B:BodyPreference>"));
    auto last = response_of(first).children_of(tag::Find::Result);
    REQUIRE(last.size() == 1);
    CHECK(text_of(*last[0]->child(tag::Find::Properties), tag::Find::Preview) == "Please pay the invoi");
    CHECK(text_of(response_of(first), tag::Find::Range) == "2-2");
    // Without a range: up to 100, and without a BodyPreference the Preview is the whole short text.
    auto all = find(c, mailbox_criterion(query, "<DeepTraversal/>"));
    CHECK(response_of(all).children_of(tag::Find::Result).size() == 3);
    CHECK(text_of(*response_of(all).children_of(tag::Find::Result)[2]->child(tag::Find::Properties), tag::Find::Preview) ==
          "Please pay the invoice by Friday.");

    // Without DeepTraversal: the Inbox only. Without a folder: every mail folder. KQL's property
    // restriction is searched as its value.
    CHECK(text_of(response_of(find(c, mailbox_criterion(query))), tag::Find::Total) == "2");
    CHECK(text_of(response_of(find(c, mailbox_criterion("<A:Class>Email</A:Class><FreeText>invoice</FreeText>"))),
                  tag::Find::Total) == "3");
    CHECK(text_of(response_of(find(c, mailbox_criterion("<A:Class>Email</A:Class><FreeText>subject:third</FreeText>"))),
                  tag::Find::Total) == "1");
    // No match: no Result, no Range, Total 0.
    auto none = find(c, mailbox_criterion("<A:Class>Email</A:Class><FreeText>nomatchatall</FreeText>"));
    CHECK(response_of(none).children_of(tag::Find::Result).empty());
    CHECK_FALSE(response_of(none).has(tag::Find::Range));
    CHECK(text_of(response_of(none), tag::Find::Total) == "0");

    // Refusals: another class, a folder the client should not know (FolderSync required), another
    // user's folder alike, a bad range, no criterion.
    CHECK(text_of(*find(c, mailbox_criterion("<A:Class>Contacts</A:Class><FreeText>x</FreeText>")).doc, tag::Find::Status) == "2");
    CHECK(text_of(*find(c, mailbox_criterion("<A:Class>Email</A:Class><A:CollectionId>999999</A:CollectionId>"
                                             "<FreeText>x</FreeText>")).doc,
                  tag::Find::Status) == "3");
    std::string other = new_user("findother");
    std::string foreign = sql_one("SELECT f.id FROM folders f JOIN users u ON u.id = f.user_id WHERE u.address = '" + other +
                                  "' AND f.type = 2");
    CHECK(text_of(*find(c, mailbox_criterion("<A:Class>Email</A:Class><A:CollectionId>" + foreign +
                                             "</A:CollectionId><FreeText>x</FreeText>")).doc,
                  tag::Find::Status) == "3");
    CHECK(text_of(*find(c, mailbox_criterion(query, "<Range>5-1</Range>")).doc, tag::Find::Status) == "2");
    CHECK(text_of(*find(c, "").doc, tag::Find::Status) == "2");
}

TEST_CASE("Find: the GAL with phone, office, title and company as easctl sets them", "[e2e][find]") {
    easd::test::create_user(cluster(), "tess.ochoa@findgal.test", "secret-pw");
    easd::test::create_user(cluster(), "me@findgal.test", "secret-pw");
    easd::test::create_user(cluster(), "tess@elsewhere-findgal.test", "secret-pw");  // another organisation
    easctl({"user", "set", "tess.ochoa@findgal.test", "--name", "Tess Ochoa", "--phone", "+1 555 0100", "--mobile",
            "+1 555 0199", "--office", "Building 4", "--title", "Engineer", "--company", "Example Corp"});
    auto c = client("me@findgal.test", "FINDG", "16.1");

    auto r = find(c, "<GalSearchCriterion><Query>tess</Query><Options><Range>0-9</Range><Picture><MaxSize>2048</MaxSize>"
                     "<MaxPictures>1</MaxPictures></Picture></Options></GalSearchCriterion>");
    CHECK(text_of(*r.doc, tag::Find::Status) == "1");
    const auto& resp = response_of(r);
    CHECK(text_of(resp, tag::ItemOperations::Store) == "GAL");
    CHECK(text_of(resp, tag::Find::Total) == "1");
    CHECK(text_of(resp, tag::Find::Range) == "0-0");
    auto results = resp.children_of(tag::Find::Result);
    REQUIRE(results.size() == 1);
    const auto* p = results[0]->child(tag::Find::Properties);
    REQUIRE(p);
    CHECK(text_of(*p, tag::GAL::DisplayName) == "Tess Ochoa");
    CHECK(text_of(*p, tag::GAL::EmailAddress) == "tess.ochoa@findgal.test");
    CHECK(text_of(*p, tag::GAL::Alias) == "tess.ochoa");
    CHECK(text_of(*p, tag::GAL::Phone) == "+1 555 0100");
    CHECK(text_of(*p, tag::GAL::MobilePhone) == "+1 555 0199");
    CHECK(text_of(*p, tag::GAL::Office) == "Building 4");
    CHECK(text_of(*p, tag::GAL::Title) == "Engineer");
    CHECK(text_of(*p, tag::GAL::Company) == "Example Corp");
    REQUIRE(p->child(tag::GAL::Picture));
    CHECK(text_of(*p->child(tag::GAL::Picture), tag::GAL::Status) == "173");  // no pictures are kept

    // The query wrapped in FreeText, as some clients send it; a word of the name; Search's GAL
    // shows the same fields.
    auto wrapped = find(c, "<GalSearchCriterion><Query><FreeText>ochoa</FreeText></Query></GalSearchCriterion>");
    CHECK(text_of(response_of(wrapped), tag::Find::Total) == "1");
    CHECK_FALSE(response_of(wrapped).children_of(tag::Find::Result)[0]->child(tag::Find::Properties)->has(tag::GAL::Picture));
    c.set_protocol_version("14.1");
    auto body = xml("<Search xmlns='Search'><Store><Name>GAL</Name><Query>tess</Query></Store></Search>");
    auto s = c.command("Search", &body);
    REQUIRE(s.doc);
    const auto* props = s.doc->child(tag::Search::Response)->child(tag::Search::Store)->child(tag::Search::Result)->child(
        tag::Search::Properties);
    REQUIRE(props);
    CHECK(text_of(*props, tag::GAL::Title) == "Engineer");
    CHECK(text_of(*props, tag::GAL::Phone) == "+1 555 0100");

    // Clearing a field with "", and an unknown account.
    easctl({"user", "set", "tess.ochoa@findgal.test", "--title", ""});
    c.set_protocol_version("16.1");
    auto cleared = find(c, "<GalSearchCriterion><Query>tess</Query></GalSearchCriterion>");
    const auto* q = response_of(cleared).children_of(tag::Find::Result).at(0)->child(tag::Find::Properties);
    CHECK_FALSE(q->has(tag::GAL::Title));
    CHECK(text_of(*q, tag::GAL::Company) == "Example Corp");
    auto unknown = easd::test::run_process({EASCTL_BIN, "--database", cluster().conninfo(), "user", "set",
                                            "nobody@findgal.test", "--title", "x"});
    CHECK(unknown.exit_code != 0);
    CHECK(unknown.err.find("unknown user") != std::string::npos);
}
