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
