// Domain names and addresses a new domain, account or alias may have (common/names.h).
#include <catch2/catch.hpp>

#include <string>

#include "common/names.h"

using namespace easd;

namespace {

std::string domain(const std::string& name) {
    std::string why;
    auto d = normalize_domain_name(name, &why);
    INFO(name << ": " << why);
    REQUIRE(d);
    CHECK(why.empty());
    return *d;
}

std::string refused_domain(const std::string& name) {
    std::string why;
    auto d = normalize_domain_name(name, &why);
    INFO(name << " -> " << d.value_or(""));
    CHECK_FALSE(d);
    CHECK_FALSE(why.empty());
    return why;
}

std::string refused_address(const std::string& address) {
    std::string why;
    auto a = normalize_new_address(address, &why);
    INFO(address << " -> " << a.value_or(""));
    CHECK_FALSE(a);
    CHECK_FALSE(why.empty());
    return why;
}

}  // namespace

TEST_CASE("domain names: letters, digits and hyphens in two labels or more, lower case", "[names]") {
    CHECK(domain("example.com") == "example.com");
    CHECK(domain("Example.COM") == "example.com");
    CHECK(domain("mail-1.sub.example.co.uk") == "mail-1.sub.example.co.uk");
    CHECK(domain("123.example") == "123.example");          // a label may be all digits (RFC 1123)
    CHECK(domain("xn--bcher-kva.example") == "xn--bcher-kva.example");
    CHECK(domain(std::string(63, 'a') + ".test") == std::string(63, 'a') + ".test");
    // 253 characters in all: 63 + 1 + 63 + 1 + 63 + 1 + 61.
    std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                          std::string(61, 'd');
    REQUIRE(longest.size() == 253);
    CHECK(domain(longest) == longest);

    // What easctl domain add took before.
    CHECK(refused_domain("-x") == "a label beginning or ending with '-'");
    CHECK(refused_domain("--") == "a label beginning or ending with '-'");
    CHECK(refused_domain(".com") == "begins with a dot");
    CHECK(refused_domain("example..com") == "two dots in a row");
    CHECK(refused_domain("a_b.test") == "'_' in a label (letters, digits and '-' only)");
    // And more.
    CHECK(refused_domain("") == "empty");
    CHECK(refused_domain("example.com.") == "ends with a dot");
    CHECK(refused_domain("localhost").find("a single label") == 0);
    CHECK(refused_domain("a-.test") == "a label beginning or ending with '-'");
    CHECK(refused_domain("-a.test") == "a label beginning or ending with '-'");
    CHECK(refused_domain("exa mple.com") == "a space or control character in a label (letters, digits and '-' only)");
    CHECK(refused_domain("exa\nmple.com").find("control character") != std::string::npos);
    CHECK(refused_domain("user@example.com") == "'@' in a label (letters, digits and '-' only)");
    CHECK(refused_domain("192.0.2.7") == "an IP address");
    CHECK(refused_domain(std::string(64, 'a') + ".test") == "a label longer than 63 characters");
    CHECK(refused_domain(longest + "e") == "longer than 253 characters");
}

TEST_CASE("domain names in Unicode are stored as A-labels (IDNA2008, libidn2)", "[names]") {
    CHECK(domain("b\xc3\xbc" "cher.example") == "xn--bcher-kva.example");       // bücher.example
    CHECK(domain("B\xc3\x9c" "CHER.Example") == "xn--bcher-kva.example");       // BÜCHER.Example: mapped to lower case
    CHECK(domain("\xe4\xbe\x8b\xe3\x81\x88.test") == "xn--r8jz45g.test");       // 例え.test
    CHECK(domain("fa\xc3\x9f.de") == "xn--fa-hia.de");                          // faß.de: nontransitional
    CHECK(refused_domain("b\xfc" "cher.example") == "not UTF-8");               // Latin-1
    CHECK(refused_domain("\xe2\x98\x83.example").find("no internationalized domain name") == 0);  // ☃ is not allowed
    CHECK(refused_domain("b\xc3\xbc" "cher_x.example").size() > 0);
}

TEST_CASE("local parts: dot-atoms, not beginning with '-'", "[names]") {
    std::string why;
    CHECK(valid_local_part("alice", &why));
    CHECK(valid_local_part("first.last+tag", &why));
    CHECK(valid_local_part("a!#$%&'*+-/=?^_`{|}~z", &why));
    CHECK(valid_local_part("j\xc3\xb6rg", &why));  // UTF-8 (RFC 6532)
    CHECK(valid_local_part(std::string(64, 'x'), &why));

    auto refused = [](const std::string& local) {
        std::string reason;
        INFO(local);
        CHECK_FALSE(valid_local_part(local, &reason));
        return reason;
    };
    CHECK(refused("") == "the local part is empty");
    CHECK(refused("-z") == "the local part begins with '-'");
    CHECK(refused(".alice") == "the local part begins or ends with a dot");
    CHECK(refused("alice.") == "the local part begins or ends with a dot");
    CHECK(refused("a..b") == "the local part has two dots in a row");
    CHECK(refused("a b") == "the local part holds a space");
    CHECK(refused(std::string("a\x01" "b")) == "the local part holds a control character");
    CHECK(refused("a\tb") == "the local part holds a control character");
    CHECK(refused("a\x7f" "b") == "the local part holds a control character");
    CHECK(refused("\"quoted\"") == "the local part holds '\"'");
    CHECK(refused("a,b") == "the local part holds ','");
    CHECK(refused("a(b)") == "the local part holds '('");
    CHECK(refused("j\xf6rg") == "the local part is not UTF-8");
    CHECK(refused(std::string(65, 'x')) == "the local part is longer than 64 octets");
}

TEST_CASE("new addresses: the local part checked, the domain normalized", "[names]") {
    std::string why;
    CHECK(normalize_new_address("Alice@Example.COM", &why) == "alice@example.com");
    CHECK(normalize_new_address("anna@b\xc3\xbc" "cher.example", &why) == "anna@xn--bcher-kva.example");
    CHECK(refused_address("-z@example.com") == "the local part begins with '-'");
    CHECK(refused_address("not-an-address") == "no '@'");
    CHECK(refused_address("@example.com") == "the local part is empty");
    CHECK(refused_address("a@b@example.com") == "more than one '@'");
    CHECK(refused_address("alice@") == "the domain: empty");
    CHECK(refused_address("alice@localhost").find("the domain: a single label") == 0);
    CHECK(refused_address("alice@a_b.test") == "the domain: '_' in a label (letters, digits and '-' only)");
    CHECK(refused_address("al ice@example.com") == "the local part holds a space");
}
