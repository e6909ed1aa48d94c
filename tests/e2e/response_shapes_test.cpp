// What real clients expect (issue 10, parts 6 and 7): responses in the order and per-version shape
// the XSDs and MS-ASCMD give, requests with Android's trailing bytes answered, and every EAS
// command a client can send answered in EAS (WBXML with the command's status), never in plain text.
// The checks here name each shape; tests/support/xsd_validator.h checks whole documents.
#include <tuple>

#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

std::vector<easd::wbxml::Tag> child_tags(const easd::wbxml::Node& n) {
    std::vector<easd::wbxml::Tag> out;
    for (const auto& c : n.children) out.push_back(c.tag);
    return out;
}

}  // namespace

TEST_CASE("Settings UserInformation (14.1+): SMTPAddress before PrimarySmtpAddress", "[e2e][settings][xsd]") {
    std::string user = new_user("uiorder");
    for (const char* version : {"14.1", "16.1"}) {
        auto c = client(user, std::string("UIO") + version, version);
        auto body = xml("<Settings xmlns='Settings'><UserInformation><Get/></UserInformation></Settings>");
        auto r = c.command("Settings", &body);
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        const auto* addresses = r.doc->child(tag::Settings::UserInformation)
                                    ->child(tag::Settings::Get)
                                    ->child(tag::Settings::Accounts)
                                    ->child(tag::Settings::Account)
                                    ->child(tag::Settings::EmailAddresses);
        REQUIRE(addresses);
        CHECK(child_tags(*addresses) ==
              std::vector<easd::wbxml::Tag>{tag::Settings::SmtpAddress, tag::Settings::PrimarySmtpAddress});
    }
}

TEST_CASE("GetItemEstimate 12.1: no Class in the response's Collection", "[e2e][estimate][xsd]") {
    std::string user = new_user("gie121");
    deliver(user, simple_message("one"));
    auto c = client(user, "GIE121", "12.1");
    auto h = folder_sync(c);
    EasResponse keep;
    std::string key = sync(c, h.ids["Inbox"], "0", keep).key;
    // 12.1's request: Class and FilterType in the Collection, as iOS 4-era clients send it.
    auto body = xml("<GetItemEstimate xmlns='GetItemEstimate' xmlns:A='AirSync'><Collections><Collection>"
                    "<Class>Email</Class><A:SyncKey>" + key + "</A:SyncKey><CollectionId>" + h.ids["Inbox"] +
                    "</CollectionId><A:FilterType>0</A:FilterType></Collection></Collections></GetItemEstimate>");
    auto r = c.command("GetItemEstimate", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    const auto* col = r.doc->child(tag::GetItemEstimate::Response)->child(tag::GetItemEstimate::Collection);
    REQUIRE(col);
    CHECK_FALSE(col->has(tag::GetItemEstimate::Class));
    CHECK(text_of(*col, tag::GetItemEstimate::CollectionId) == h.ids["Inbox"]);
    CHECK(text_of(*col, tag::GetItemEstimate::Estimate) == "1");
}

TEST_CASE("A request with bytes after the root element's END is answered as the document it holds",
          "[e2e][wbxml][tolerance]") {
    std::string user = new_user("trailing");
    auto c = client(user, "ANDROID1", "14.1");
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    const std::string wbxml = easd::wbxml::encode(body);
    // What Android devices append: a stray END, NULs, a repeated END.
    for (const std::string& tail : {std::string("\x01", 1), std::string("\x00\x00", 2), std::string("\x01\x01", 2)}) {
        auto r = c.command_bytes("FolderSync", wbxml + tail);
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        CHECK(text_of(*r.doc, tag::FolderHierarchy::Status) == "1");
        CHECK(r.doc->has(tag::FolderHierarchy::Changes));
    }
    // Still strict about the document itself: one cut short is refused.
    CHECK(c.command_bytes("FolderSync", wbxml.substr(0, wbxml.size() - 1)).status == 400);
}

TEST_CASE("MeetingResponse and ValidateCert, not carried out, answer in EAS with their status",
          "[e2e][unbuilt]") {
    std::string user = new_user("unbuilt");
    auto body = xml("<MeetingResponse xmlns='MeetingResponse'>"
                    "<Request><UserResponse>1</UserResponse><CollectionId>5</CollectionId><RequestId>r-1</RequestId></Request>"
                    "<Request><UserResponse>3</UserResponse><CollectionId>5</CollectionId><RequestId>r-2</RequestId></Request>"
                    "</MeetingResponse>");
    auto cert = xml("<ValidateCert xmlns='ValidateCert'><Certificates><Certificate>MIIB</Certificate></Certificates>"
                    "</ValidateCert>");
    // 14.0 on: the common status 137 (command not supported); before: each command's own failure.
    for (auto [version, meeting_status, cert_status] :
         {std::tuple<const char*, const char*, const char*>{"14.1", "137", "137"}, {"12.1", "2", "17"}}) {
        INFO(version);
        auto c = client(user, std::string("UB") + version, version);
        auto r = c.command("MeetingResponse", &body);
        REQUIRE(r.status == 200);
        CHECK(r.header("content-type") == "application/vnd.ms-sync.wbxml");
        REQUIRE(r.doc);
        auto results = r.doc->children_of(tag::MeetingResponse::Result);
        REQUIRE(results.size() == 2);
        CHECK(text_of(*results[0], tag::MeetingResponse::RequestId) == "r-1");
        CHECK(text_of(*results[1], tag::MeetingResponse::RequestId) == "r-2");
        for (const auto* res : results) CHECK(text_of(*res, tag::MeetingResponse::Status) == meeting_status);

        auto v = c.command("ValidateCert", &cert);
        REQUIRE(v.status == 200);
        REQUIRE(v.doc);
        CHECK(v.doc->tag == tag::ValidateCert::ValidateCert);
        CHECK(text_of(*v.doc, tag::ValidateCert::Status) == cert_status);
    }
    // A name that is no EAS command is still an HTTP error.
    auto c = client(user, "UBX");
    CHECK(c.command("Frobnicate", &body).status == 501);
}

TEST_CASE("Folder commands and Find always answer in EAS, built or not", "[e2e][unbuilt]") {
    // Whether command_table.cpp carries them out or unbuilt_commands.cpp answers for them, a
    // client gets the command's own root element with a Status (here: for a folder that does not
    // exist or a name it cannot have, so no folder is made either way).
    std::string user = new_user("folderunbuilt");
    auto c = client(user, "FU1", "14.1");
    auto h = folder_sync(c);
    struct Case {
        const char* cmd;
        std::string body;
        easd::wbxml::Tag root, status;
    };
    for (const Case& k : {Case{"FolderCreate",
                               "<FolderCreate xmlns='FolderHierarchy'><SyncKey>bogus</SyncKey><ParentId>0</ParentId>"
                               "<DisplayName>New</DisplayName><Type>12</Type></FolderCreate>",
                               tag::FolderHierarchy::FolderCreate, tag::FolderHierarchy::Status},
                          Case{"FolderUpdate",
                               "<FolderUpdate xmlns='FolderHierarchy'><SyncKey>bogus</SyncKey><ServerId>999999</ServerId>"
                               "<ParentId>0</ParentId><DisplayName>X</DisplayName></FolderUpdate>",
                               tag::FolderHierarchy::FolderUpdate, tag::FolderHierarchy::Status},
                          Case{"FolderDelete",
                               "<FolderDelete xmlns='FolderHierarchy'><SyncKey>bogus</SyncKey><ServerId>999999</ServerId>"
                               "</FolderDelete>",
                               tag::FolderHierarchy::FolderDelete, tag::FolderHierarchy::Status}}) {
        INFO(k.cmd);
        auto b = xml(k.body);
        auto r = c.command(k.cmd, &b);
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        CHECK(r.doc->tag == k.root);
        CHECK_FALSE(text_of(*r.doc, k.status).empty());
        CHECK(text_of(*r.doc, k.status) != "1");
    }
    CHECK(sql_one("SELECT count(*) FROM folders f JOIN users u ON u.id = f.user_id WHERE u.address = '" + user +
                  "'") == std::to_string(h.ids.size()));

    auto find_client = client(user, "FU2", "16.1");
    auto find = xml("<Find xmlns='Find'><SearchId>1</SearchId><ExecuteSearch><MailBoxSearchCriterion><Query>"
                    "<FreeText>nothing-matches-this</FreeText></Query><Options><Range>0-9</Range></Options>"
                    "</MailBoxSearchCriterion></ExecuteSearch></Find>");
    auto f = find_client.command("Find", &find);
    REQUIRE(f.status == 200);
    REQUIRE(f.doc);
    CHECK(f.doc->tag == tag::Find::Find);
    CHECK_FALSE(text_of(*f.doc, tag::Find::Status).empty());
}

TEST_CASE("GetHierarchy (12.1): the mail folders, no others", "[e2e][unbuilt][foldersync]") {
    std::string user = new_user("gethier");
    auto c = client(user, "GH121", "12.1");
    auto r = c.command("GetHierarchy", nullptr);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    CHECK(r.doc->tag == tag::FolderHierarchy::Folders);
    std::map<std::string, std::string> types;
    for (const auto* f : r.doc->children_of(tag::FolderHierarchy::Folder))
        types[text_of(*f, tag::FolderHierarchy::DisplayName)] = text_of(*f, tag::FolderHierarchy::Type);
    CHECK(types.at("Inbox") == "2");
    CHECK(types.at("Sent Items") == "5");
    CHECK(types.count("Contacts") == 0);
    CHECK(types.count("Calendar") == 0);
}
