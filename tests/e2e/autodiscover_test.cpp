// Autodiscover through nginx: a phone with only an address and a password learns the ActiveSync URL.
#include "e2e_support.h"
#include "support/text.h"

using namespace e2e;

namespace {

const std::string kMobileSync = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006";

std::string request_for(const std::string& email, const std::string& schema = kMobileSync) {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/"
           "autodiscover/mobilesync/requestschema/2006\"><Request><EMailAddress>" + email +
           "</EMailAddress><AcceptableResponseSchema>" + schema + "</AcceptableResponseSchema></Request></Autodiscover>";
}

EasResponse autodiscover(EasClient& c, const std::string& body, const std::string& path = "/autodiscover/autodiscover.xml",
                         bool with_credentials = true) {
    std::map<std::string, std::string> headers{{"Content-Type", "text/xml"}, {"User-Agent", "Apple-iPhone/1"}};
    if (with_credentials) headers["Authorization"] = c.auth_header();
    return c.raw("POST", path, body, headers);
}

using easd::test::has;

}  // namespace

TEST_CASE("autodiscover tells the signed-in account its ActiveSync URL", "[e2e][autodiscover]") {
    std::string user = new_user("auto");
    sql_one("UPDATE users SET display_name = 'Ann & Co' WHERE address = '" + user + "'");
    auto c = client(user, "AUTO");
    const std::string url = "http://127.0.0.1:" + std::to_string(server().http_port()) + "/Microsoft-Server-ActiveSync";

    // Phones use every casing of the path.
    for (std::string path : {"/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml", "/AUTODISCOVER/AUTODISCOVER.XML"}) {
        auto r = autodiscover(c, request_for(user), path);
        INFO(path << "\n" << r.body);
        CHECK(r.status == 200);
        CHECK(has(r.header("content-type"), "text/xml"));
        CHECK(has(r.body, "<Response xmlns=\"" + kMobileSync + "\">"));
        CHECK(has(r.body, "<DisplayName>Ann &amp; Co</DisplayName>"));
        CHECK(has(r.body, "<EMailAddress>" + user + "</EMailAddress>"));
        CHECK(has(r.body, "<Type>MobileSync</Type>"));
        CHECK(has(r.body, "<Url>" + url + "</Url>"));
        CHECK(has(r.body, "<Name>" + url + "</Name>"));
    }
    // The address in any case.
    std::string upper = user;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    CHECK(has(autodiscover(c, request_for(upper)).body, "<Url>" + url + "</Url>"));

    // And the URL works: the same client syncs there.
    auto h = folder_sync(c);
    CHECK_FALSE(h.ids["Inbox"].empty());
}

TEST_CASE("autodiscover: sign in first; only one's own address; the errors the protocol defines", "[e2e][autodiscover]") {
    std::string user = new_user("auto");
    std::string other = new_user("auto");
    auto c = client(user, "AUTO2");

    auto anonymous = autodiscover(c, request_for(user), "/autodiscover/autodiscover.xml", false);
    CHECK(anonymous.status == 401);
    CHECK(has(anonymous.header("www-authenticate"), "Basic"));
    auto wrong = client(user, "AUTO2", "14.1", "not-the-password");
    CHECK(autodiscover(wrong, request_for(user)).status == 401);

    // Someone else's address: no settings, nothing about that account.
    auto r = autodiscover(c, request_for(other));
    CHECK(r.status == 200);
    CHECK(has(r.body, "<Status>2</Status>"));
    CHECK_FALSE(has(r.body, "<Url>"));

    // Outlook's schema is not one easd speaks.
    r = autodiscover(c, request_for(user, "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"));
    CHECK(has(r.body, "<ErrorCode>601</ErrorCode>"));
    r = autodiscover(c, "not xml at all");
    CHECK(has(r.body, "<ErrorCode>600</ErrorCode>"));

    // An external entity is never read.
    r = autodiscover(c, "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                        "<Autodiscover><Request><EMailAddress>&e;</EMailAddress><AcceptableResponseSchema>" +
                            kMobileSync + "</AcceptableResponseSchema></Request></Autodiscover>");
    CHECK(r.status == 200);
    CHECK_FALSE(has(r.body, "root:"));
    CHECK(has(r.body, "<Status>2</Status>"));
}

namespace {

const std::string kOutlookResponse = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

// Outlook's request: its own request schema, and the response schema it can read.
std::string outlook_request_for(const std::string& email, const std::string& schema) {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?><Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/"
           "autodiscover/outlook/requestschema/2006\"><Request><EMailAddress>" + email +
           "</EMailAddress><AcceptableResponseSchema>" + schema + "</AcceptableResponseSchema></Request></Autodiscover>";
}

EasResponse autodiscover_get(EasClient& c, bool with_credentials, const std::string& path = "/autodiscover/autodiscover.xml") {
    std::map<std::string, std::string> headers{{"User-Agent", "Microsoft Office/16.0"}};
    if (with_credentials) headers["Authorization"] = c.auth_header();
    return c.raw("GET", path, "", headers);
}

}  // namespace

TEST_CASE("autodiscover GET: credentials first, then the signed-in account's settings", "[e2e][autodiscover]") {
    std::string user = new_user("autoget");
    auto c = client(user, "AUTOGET");
    const std::string url = "http://127.0.0.1:" + std::to_string(server().http_port()) + "/Microsoft-Server-ActiveSync";

    auto anonymous = autodiscover_get(c, false);
    CHECK(anonymous.status == 401);
    CHECK(has(anonymous.header("www-authenticate"), "Basic"));
    auto wrong = client(user, "AUTOGET", "14.1", "not-the-password");
    CHECK(autodiscover_get(wrong, true).status == 401);

    for (std::string path : {"/autodiscover/autodiscover.xml", "/AutoDiscover/AutoDiscover.xml"}) {
        auto r = autodiscover_get(c, true, path);
        INFO(path << "\n" << r.body);
        CHECK(r.status == 200);
        CHECK(has(r.header("content-type"), "text/xml"));
        CHECK(has(r.body, "<Response xmlns=\"" + kMobileSync + "\">"));
        CHECK(has(r.body, "<EMailAddress>" + user + "</EMailAddress>"));
        CHECK(has(r.body, "<Url>" + url + "</Url>"));
    }

    // Every other method keeps its answer: GET on the ActiveSync URL is still not served, and
    // OPTIONS on autodiscover says what is.
    auto active_sync_get = c.raw("GET", "/Microsoft-Server-ActiveSync", "", {{"Authorization", c.auth_header()}});
    CHECK(active_sync_get.status == 405);
    auto options = c.raw("OPTIONS", "/autodiscover/autodiscover.xml", "", {{"Authorization", c.auth_header()}});
    CHECK(options.status == 405);
    CHECK(has(options.header("allow"), "GET"));
}

TEST_CASE("autodiscover in Outlook's request schema: MobileSync where it accepts it, else 601", "[e2e][autodiscover]") {
    std::string user = new_user("autool");
    auto c = client(user, "AUTOOL");
    auto r = autodiscover(c, outlook_request_for(user, kMobileSync));
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(has(r.body, "<Response xmlns=\"" + kMobileSync + "\">"));
    CHECK(has(r.body, "<Type>MobileSync</Type>"));
    CHECK_FALSE(has(r.body, "ErrorCode"));

    // Outlook's own response schema describes Exchange's services (EXCH, EXPR), which easd has not.
    r = autodiscover(c, outlook_request_for(user, kOutlookResponse));
    CHECK(r.status == 200);
    CHECK(has(r.body, "<ErrorCode>601</ErrorCode>"));
    CHECK_FALSE(has(r.body, "EXCH"));
}

TEST_CASE("aliases: mail to one lands in the account; autodiscover redirects to the account's address",
          "[e2e][autodiscover][aliases]") {
    std::string user = new_user("alias");
    std::string other = new_user("alias");
    std::string alias = "nick." + user;
    std::string others_alias = "nick." + other;
    auto run = [](std::vector<std::string> args) { return easd::test::run_easctl(cluster(), args); };
    REQUIRE(run({"user", "alias", "add", user, alias}).exit_code == 0);
    REQUIRE(run({"user", "alias", "add", other, others_alias}).exit_code == 0);
    CHECK(has(run({"user", "alias", "list", user}).out, alias));
    // An address is an account or an alias, once; the domain must be served here.
    CHECK(run({"user", "alias", "add", user, other}).exit_code != 0);
    CHECK(run({"user", "alias", "add", user, others_alias}).exit_code != 0);
    CHECK(run({"user", "alias", "add", user, "nick@not-served.example"}).exit_code != 0);
    CHECK(run({"user", "alias", "remove", user, others_alias}).exit_code != 0);

    // Delivery to the alias lands in the account, and so does mail a phone here sends to it
    // (never handed to sendmail as if it were outside).
    deliver(alias, simple_message("to the alias"));
    CHECK(inbox_subjects(user) == "to the alias");
    const std::size_t sendmail_calls = fake_sendmail().calls().size();
    auto sender = client(other, "ALIASSEND", "16.1");
    easd::wbxml::Node mail(easd::wbxml::tag::ComposeMail::SendMail);
    mail.add(easd::wbxml::tag::ComposeMail::ClientId, "alias-1");
    mail.add_opaque(easd::wbxml::tag::ComposeMail::Mime,
                    "To: <" + alias + ">\r\nSubject: sent to the alias\r\nContent-Type: text/plain\r\n\r\nHi\r\n");
    auto sent = sender.command("SendMail", &mail);
    CHECK(sent.status == 200);
    CHECK(sent.body.empty());
    CHECK(inbox_subjects(user) == "to the alias|sent to the alias");
    CHECK(fake_sendmail().calls().size() == sendmail_calls);

    auto c = client(user, "AUTOALIAS");
    auto r = autodiscover(c, request_for(alias));
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(has(r.body, "<Response xmlns=\"" + kMobileSync + "\">"));
    CHECK(has(r.body, "<Redirect>" + user + "</Redirect>"));
    CHECK_FALSE(has(r.body, "<Url>"));
    // Outlook's schema has its own form of it.
    r = autodiscover(c, outlook_request_for(alias, kOutlookResponse));
    CHECK(has(r.body, "<Response xmlns=\"" + kOutlookResponse + "\">"));
    CHECK(has(r.body, "<Action>redirectAddr</Action>"));
    CHECK(has(r.body, "<RedirectAddr>" + user + "</RedirectAddr>"));

    // Another account's alias says nothing about that account.
    r = autodiscover(c, request_for(others_alias));
    CHECK(has(r.body, "<Status>2</Status>"));
    CHECK_FALSE(has(r.body, ">" + other + "<"));
    CHECK_FALSE(has(r.body, "<Redirect>"));

    // Removed: no longer an address of the account.
    REQUIRE(run({"user", "alias", "remove", user, alias}).exit_code == 0);
    CHECK(has(autodiscover(c, request_for(alias)).body, "<Status>2</Status>"));
    auto gone = easd::test::run_process({EASD_DELIVER_BIN, "--database", cluster().conninfo(), "--recipient", alias},
                                        simple_message("too late"));
    CHECK(gone.exit_code != 0);
}
