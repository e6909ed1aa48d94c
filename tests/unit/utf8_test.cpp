// Which text is UTF-8 (common/text.h), which WBXML strings are not (wbxml::find_invalid_text), and
// MIME made safe for a WBXML string (content/mime_for_client.h).
#include <catch2/catch.hpp>

#include "common/text.h"
#include "content/mime_for_client.h"
#include "wbxml/wbxml.h"

using namespace easd;

TEST_CASE("UTF-8: well-formed sequences only", "[utf8]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x93\xa7"));
    CHECK_FALSE(is_valid_utf8("Ren\xe9"));            // Latin-1
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));           // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));       // a surrogate
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));   // past U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xe2\x82"));           // cut short
}

TEST_CASE("the first WBXML string that is not UTF-8, skipping what the caller checks itself", "[utf8][wbxml]") {
    namespace tag = wbxml::tag;
    wbxml::Node root(tag::AirSync::Sync);
    auto& commands = root.add(tag::AirSync::Collections).add(tag::AirSync::Collection).add(tag::AirSync::Commands);
    commands.add(tag::AirSync::Add).add(tag::AirSync::ClientId, std::string("\xff"));
    CHECK(wbxml::find_invalid_text(root) == &commands.children[0].children[0]);
    CHECK(wbxml::find_invalid_text(root, {tag::AirSync::Commands}) == nullptr);
    root.add_opaque(tag::AirSync::SyncKey, std::string("\xff\x00", 2));  // opaque is bytes
    CHECK(wbxml::find_invalid_text(root, {tag::AirSync::Commands}) == nullptr);
}

TEST_CASE("MIME for a WBXML string: as it is when safe, else transfer-encoded", "[utf8][mime]") {
    std::string safe = "Subject: Gr\xc3\xbc\xc3\x9f" "e\r\n\r\nHallo \xe2\x82\xac\r\n";
    CHECK(content::mime_for_client(safe) == safe);
    std::string latin1 = "Subject: Gr\xfc\xdf" "e\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                         "Content-Transfer-Encoding: 8bit\r\n\r\nSch\xf6n\r\n";
    std::string out = content::mime_for_client(latin1);
    CHECK(content::is_xml_safe_text(out));
    CHECK(out.find("Content-Transfer-Encoding: 8bit") == std::string::npos);
    std::string binary = std::string("Subject: x\r\nContent-Type: application/octet-stream\r\n"
                                     "Content-Transfer-Encoding: binary\r\n\r\n") +
                         std::string("\x00\x01\xff", 3) + "\r\n";
    out = content::mime_for_client(binary);
    CHECK(content::is_xml_safe_text(out));
    CHECK(out.find("base64") != std::string::npos);
    CHECK(content::is_xml_safe_text(content::mime_for_client(std::string("\x00\xff not a message", 17))));
}
