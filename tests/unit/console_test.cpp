// The web console's pieces that need no database: escaping, links, the session cookie.
#include <catch2/catch.hpp>

#include "admin/html.h"
#include "admin/http.h"
#include "admin/session_token.h"

using namespace easd::admin;

TEST_CASE("console: every value is escaped for HTML text and attributes", "[unit][console]") {
    CHECK(text("<script>alert('x')</script> & \"q\"") ==
          "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    CHECK(text_or_dash("") == "-");
    CHECK(url_value("a b@c.test/&?=") == "a%20b%40c.test%2F%26%3F%3D");
    CHECK(query_href("/easd-admin/device", {{"user", "a&b@x.test"}, {"id", ""}, {"page", "2"}}) ==
          "/easd-admin/device?user=a%26b%40x.test&amp;page=2");
    std::string button = action_button("/easd-admin/me", "tok\"en", {{"id", "<DEV>"}}, "action", "wipe", "Wipe <now>");
    CHECK(button.find("<DEV>") == std::string::npos);
    CHECK(button.find("value=\"&lt;DEV&gt;\"") != std::string::npos);
    CHECK(button.find("tok&quot;en") != std::string::npos);
}

TEST_CASE("console: paths, cookies and tokens", "[unit][console]") {
    CHECK(is_console_path("/easd-admin"));
    CHECK(is_console_path("/easd-admin/"));
    CHECK(is_console_path("/easd-admin/me"));
    CHECK_FALSE(is_console_path("/easd-administrator"));
    CHECK_FALSE(is_console_path("/Microsoft-Server-ActiveSync"));

    std::string token = new_random_token();
    CHECK(token.size() == 64);
    CHECK(token != new_random_token());
    CHECK(token_hash(token).size() == 32);
    CHECK(session_token_from("a=1; easd_console=" + token + "; b=2") == token);
    CHECK(session_token_from("easd_console=" + token) == token);
    CHECK_FALSE(session_token_from("easd_console=short"));
    CHECK_FALSE(session_token_from("easd_console=" + token + "'"));
    CHECK_FALSE(session_token_from("other=" + token));
    std::string set = session_cookie(token);
    for (const char* part : {"Path=/easd-admin", "Secure", "HttpOnly", "SameSite=Strict"})
        CHECK(set.find(part) != std::string::npos);
    CHECK(session_cookie("").find("Max-Age=0") != std::string::npos);
    CHECK(same_secret(token, token));
    CHECK_FALSE(same_secret(token, new_random_token()));
    CHECK_FALSE(same_secret("", ""));
}
