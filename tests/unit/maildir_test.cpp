// The Maildir format of `easctl export|import` (content/maildir.h) and modified UTF-7
// (common/mutf7.h): what Dovecot must read exactly as we write it.
#include <catch2/catch.hpp>

#include "common/mutf7.h"
#include "content/maildir.h"
#include "wbxml/codepages.h"
#include "wbxml/wbxml.h"

namespace maildir = easd::content::maildir;
using easd::decode_mutf7;
using easd::encode_mutf7;

TEST_CASE("modified UTF-7: RFC 3501's examples and round trips", "[maildir][unit]") {
    CHECK(encode_mutf7("Entwürfe") == "Entw&APw-rfe");
    CHECK(encode_mutf7("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
    CHECK(encode_mutf7("Tom & Jerry") == "Tom &- Jerry");
    CHECK(encode_mutf7("plain") == "plain");
    CHECK(encode_mutf7("") == "");
    CHECK(encode_mutf7("😀") == "&2D3eAA-");  // a surrogate pair
    CHECK(encode_mutf7("\t") == "&AAk-");      // control characters are never raw
    CHECK(encode_mutf7("a b", " ") == "a&ACA-b");
    CHECK(encode_mutf7(std::string("a\xff") + "b") == "a&,,0-b");  // invalid UTF-8: U+FFFD

    for (const char* s : {"Entwürfe", "~peter/mail/台北/日本語", "Tom & Jerry", "😀 and ß", "&&", "Ärger-&-Ö"}) {
        INFO(s);
        auto back = decode_mutf7(encode_mutf7(s));
        REQUIRE(back);
        CHECK(*back == s);
    }
    CHECK(decode_mutf7("Entw&APw-rfe") == std::optional<std::string>("Entwürfe"));
    CHECK(decode_mutf7("a&ACA-b") == std::optional<std::string>("a b"));  // lenient: encoded ASCII
    for (const char* bad : {"&APw", "&A-", "&APx-", "&2D0-", "&3gA-", "a\tb", "\xc3\xbc", "&AP!-"}) {
        INFO(bad);
        CHECK_FALSE(decode_mutf7(bad));
    }
}

TEST_CASE("Maildir file names: flags in ASCII order, keywords as letters", "[maildir][unit]") {
    maildir::Flags f;
    CHECK(maildir::file_name("123.E1.host,S=10", f) == "123.E1.host,S=10:2,");
    f.seen = f.flagged = f.replied = f.draft = true;
    f.keywords = "ca";
    CHECK(maildir::file_name("u", f) == "u:2,DFRSac");

    auto parsed = maildir::parse_file_name("1700000000.M1P2.mx,S=42:2,FRSab");
    CHECK(parsed.unique == "1700000000.M1P2.mx,S=42");
    CHECK(parsed.flags.seen);
    CHECK(parsed.flags.flagged);
    CHECK(parsed.flags.replied);
    CHECK_FALSE(parsed.flags.draft);
    CHECK_FALSE(parsed.flags.trashed);
    CHECK(parsed.flags.keywords == "ab");

    // In new/: no info part, no flags. Unknown letters (P) are ignored, repeated ones counted once.
    auto fresh = maildir::parse_file_name("1700000000.M1P2.mx");
    CHECK(fresh.unique == "1700000000.M1P2.mx");
    CHECK(fresh.flags == maildir::Flags{});
    auto odd = maildir::parse_file_name("x:2,PTbab");
    CHECK(odd.flags.trashed);
    CHECK(odd.flags.keywords == "ab");

    for (const char* name : {"u:2,", "u:2,S", "u:2,DFRST", "u:2,Fabz"}) {
        auto p = maildir::parse_file_name(name);
        CHECK(maildir::file_name(p.unique, p.flags) == name);
    }
    CHECK(maildir::unique_name(1700000000, "E42", "mx/1:2", 1234) == "1700000000.E42.mx\\0571\\0722,S=1234");
}

TEST_CASE("Maildir++ directory names: nesting, modified UTF-7, escaped dots", "[maildir][unit]") {
    CHECK(maildir::dir_name({"INBOX"}) == "");
    CHECK(maildir::dir_name({"inbox"}) == "");
    CHECK(maildir::dir_name({"Projects", "2026"}) == ".Projects.2026");
    CHECK(maildir::dir_name({"INBOX", "Lists"}) == ".INBOX.Lists");
    CHECK(maildir::dir_name({"Entwürfe"}) == ".Entw&APw-rfe");
    CHECK(maildir::dir_name({"Sent", "Berichte Q1", "Ärger"}) == ".Sent.Berichte Q1.&AMQ-rger");
    // A '.' would be a level: escaped as Dovecot's listescape plugin does; '/', '\' and a leading
    // '~' too.
    CHECK(maildir::dir_name({"v1.2"}) == ".v1\\2e2");
    CHECK(maildir::encode_name("a/b\\c") == "a\\2fb\\5cc");
    CHECK(maildir::encode_name("~home") == "\\7ehome");
    CHECK(maildir::encode_name("x~") == "x~");

    using Path = std::vector<std::string>;
    CHECK(maildir::folder_path("") == std::optional<Path>(Path{"INBOX"}));
    CHECK(maildir::folder_path(".Projects.2026") == std::optional<Path>(Path{"Projects", "2026"}));
    CHECK(maildir::folder_path(".Entw&APw-rfe") == std::optional<Path>(Path{"Entwürfe"}));
    CHECK(maildir::folder_path(".v1\\2e2.~x") == std::optional<Path>(Path{"v1.2", "~x"}));
    for (const char* bad : {".", "..", "Projects", ".a..b", ".a.", ".&APw"}) {
        INFO(bad);
        CHECK_FALSE(maildir::folder_path(bad));
    }
    for (const Path& p : {Path{"Projects", "2026"}, Path{"v1.2", "a/b", "~home", "Entwürfe", "back\\slash"},
                          Path{"INBOX", "Lists"}}) {
        auto back = maildir::folder_path(maildir::dir_name(p));
        REQUIRE(back);
        CHECK(*back == p);
    }
}

TEST_CASE("Special-use names: easd's defaults as Dovecot's default configuration names them", "[maildir][unit]") {
    CHECK(maildir::maildir_top_name("Inbox", 2) == "INBOX");
    CHECK(maildir::maildir_top_name("Drafts", 3) == "Drafts");
    CHECK(maildir::maildir_top_name("Deleted Items", 4) == "Trash");
    CHECK(maildir::maildir_top_name("Sent Items", 5) == "Sent");
    CHECK(maildir::maildir_top_name("Junk E-mail", 12) == "Junk");
    CHECK(maildir::maildir_top_name("Outbox", 6) == "Outbox");
    CHECK(maildir::maildir_top_name("Projects", 12) == "Projects");
    CHECK(maildir::easd_top_name("INBOX") == "Inbox");
    CHECK(maildir::easd_top_name("inbox") == "Inbox");
    CHECK(maildir::easd_top_name("Sent") == "Sent Items");
    CHECK(maildir::easd_top_name("Trash") == "Deleted Items");
    CHECK(maildir::easd_top_name("Junk") == "Junk E-mail");
    CHECK(maildir::easd_top_name("Drafts") == "Drafts");
    CHECK(maildir::easd_top_name("Projects") == "Projects");

    CHECK(maildir::subscriptions_file({{"INBOX"}, {"Sent"}, {"Projects", "2026"}, {"Entwürfe"}}) ==
          "V\t2\n\nINBOX\nSent\nProjects\t2026\nEntw&APw-rfe\n");
}

TEST_CASE("Keywords: categories survive as IMAP atoms; dovecot-keywords", "[maildir][unit]") {
    CHECK(maildir::keyword_for_category("Business") == "Business");
    CHECK(maildir::keyword_for_category("Red Category") == "Red&ACA-Category");
    CHECK(maildir::keyword_for_category("Entwürfe") == "Entw&APw-rfe");
    CHECK(maildir::keyword_for_category("$money") == "&ACQ-money");
    for (const char* c : {"Business", "Red Category", "Entwürfe", "(x) {y} %z* \"q\" \\ ]", "$money", "Tom & Jerry"}) {
        INFO(c);
        std::string k = maildir::keyword_for_category(c);
        // An atom: printable ASCII without atom-specials.
        for (char ch : k)
            CHECK((ch > 0x20 && ch < 0x7f && std::string_view("(){%*\"\\]").find(ch) == std::string_view::npos));
        CHECK(maildir::category_for_keyword(k) == std::optional<std::string>(c));
    }
    CHECK_FALSE(maildir::category_for_keyword("$Forwarded"));
    CHECK_FALSE(maildir::category_for_keyword("$label1"));
    CHECK_FALSE(maildir::category_for_keyword("bad&"));

    CHECK(maildir::keywords_file({"Business", "Red&ACA-Category", "$Forwarded"}) ==
          "0 Business\n1 Red&ACA-Category\n2 $Forwarded\n");
    auto parsed = maildir::parse_keywords_file("0 Business\n2 $Forwarded\r\nnonsense\n30 Far\n1 Red&ACA-Category\n");
    REQUIRE(parsed.size() == 3);
    CHECK(parsed[0] == "Business");
    CHECK(parsed[1] == "Red&ACA-Category");
    CHECK(parsed[2] == "$Forwarded");
    CHECK(maildir::parse_keywords_file("").empty());
}

TEST_CASE("easd's stored flag and categories <-> \\Flagged and keywords", "[maildir][unit]") {
    CHECK(maildir::is_flagged(maildir::flagged_wbxml()));
    CHECK_FALSE(maildir::is_flagged(""));
    CHECK_FALSE(maildir::is_flagged("garbage"));
    namespace tag = easd::wbxml::tag;
    easd::wbxml::Node complete(tag::Email::Flag);
    complete.add(tag::Email::Status, "1");  // complete: not \Flagged
    CHECK_FALSE(maildir::is_flagged(easd::wbxml::encode(complete)));
    CHECK(maildir::categories_of(maildir::categories_wbxml({"Business", "Red Category"})) ==
          std::vector<std::string>{"Business", "Red Category"});
    CHECK(maildir::categories_wbxml({}).empty());
    CHECK(maildir::categories_of("").empty());
}
