// lib/protocol/request: MS-ASHTTP query forms, base64, versions, HTTP Basic.
#include <catch2/catch.hpp>

#include "common/text.h"
#include "protocol/request.h"

#include <random>

using namespace easd::protocol;

namespace {

// Builds the byte sequence of the base64 query form (MS-ASHTTP 2.2.1.1.1.1).
struct Blob {
    std::string b;
    Blob& byte(int v) { b.push_back(static_cast<char>(v)); return *this; }
    Blob& bytes(std::string_view s) { b.append(s); return *this; }
    Blob& lp(std::string_view s) { byte(static_cast<int>(s.size())); return bytes(s); }
    Blob& param(int tag, std::string_view v) { byte(tag); return lp(v); }
    std::string encoded() const { return base64_encode(b); }
};

Blob header(int version, int cmd, std::string_view dev, std::string_view type, std::optional<uint32_t> key = {}) {
    Blob x;
    x.byte(version).byte(cmd).byte(0x09).byte(0x04).lp(dev);
    if (key) {
        x.byte(4).byte(*key & 0xff).byte((*key >> 8) & 0xff).byte((*key >> 16) & 0xff).byte((*key >> 24) & 0xff);
    } else {
        x.byte(0);
    }
    x.lp(type);
    return x;
}

}  // namespace

TEST_CASE("base64 query: the example from MS-ASHTTP 2.2.1.1.1.1", "[protocol]") {
    std::string err;
    auto q = parse_query("jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l", &err);
    REQUIRE(q);
    CHECK(q->base64_form);
    CHECK(q->version == 140);
    CHECK(q->cmd == "Sync");
    CHECK(q->locale == "0409");
    CHECK(q->device_id == "v140Device");
    CHECK_FALSE(q->policy_key);
    CHECK(q->device_type == "SmartPhone");
    CHECK(q->user.empty());
}

TEST_CASE("plain query: the example from MS-ASHTTP 4 (equivalent to the base64 one)", "[protocol]") {
    auto q = parse_query("Cmd=Sync&User=rmjones&DeviceId=v140Device&DeviceType=SmartPhone");
    REQUIRE(q);
    CHECK_FALSE(q->base64_form);
    CHECK(q->cmd == "Sync");
    CHECK(q->user == "rmjones");
    CHECK(q->device_id == "v140Device");
    CHECK(q->device_type == "SmartPhone");
    CHECK_FALSE(q->version);
    CHECK_FALSE(q->policy_key);
    CHECK(q->locale.empty());
}

TEST_CASE("plain query: names case-insensitive, percent-decoding, '+' is a space", "[protocol]") {
    auto q = parse_query("cmd=sendmail&user=DOMAIN%5Cj.doe&deviceid=androidc123&devicetype=Android"
                         "&SAVEINSENT=t&collectionId=7%3A12&ItemId=a+b&AttachmentName=7%3a1%3A0&Occurrence=x"
                         "&LongId=RgAAAA%2B%2F&AcceptMultiPart=F&Extra=ignored");
    REQUIRE(q);
    CHECK(q->cmd == "SendMail");  // canonical spelling
    CHECK(q->user == "DOMAIN\\j.doe");
    CHECK(q->device_id == "androidc123");
    CHECK(q->save_in_sent);
    CHECK_FALSE(q->accept_multipart);
    CHECK(q->collection_id == "7:12");
    CHECK(q->item_id == "a b");
    CHECK(q->attachment_name == "7:1:0");
    CHECK(q->long_id == "RgAAAA+/");
    CHECK(q->occurrence == "x");
}

TEST_CASE("plain query: an unknown alphabetic command is kept as sent", "[protocol]") {
    auto q = parse_query("Cmd=GetHierarchy&User=a&DeviceId=d1&DeviceType=PPC");
    REQUIRE(q);
    CHECK(q->cmd == "GetHierarchy");
}

TEST_CASE("plain query: malformed input is rejected with a reason", "[protocol]") {
    struct Case { const char* q; const char* reason_part; };
    const Case cases[] = {
        {"", "empty"},
        {"User=a&DeviceId=d&DeviceType=t", "missing Cmd"},
        {"Cmd=Sync&User=a&DeviceType=t", "missing DeviceId"},
        {"Cmd=Sync&DeviceId=&DeviceType=t", "DeviceId is empty"},
        {"Cmd=Sync&DeviceId=123456789012345678901234567890123&DeviceType=t", "longer than 32"},
        {"Cmd=Sync&DeviceId=a%2Cb&DeviceType=t", "invalid character"},
        {"Cmd=Sync&DeviceId=a/b", "invalid character"},
        {"Cmd=Sync&DeviceId=ab&DeviceType=", "DeviceType is empty"},
        {"Cmd=Sync&DeviceId=ab&DeviceType=123456789012345678901234567890123", "DeviceType is longer"},
        {"Cmd=Sync&DeviceId=ab&DeviceType=a%01", "non-printable"},
        {"Cmd=Sy%6&DeviceId=ab", "percent"},
        {"Cmd=Sync&DeviceId=ab%", "percent"},
        {"Cmd=Sync&DeviceId=ab%zz", "percent"},
        {"Cmd=Sync1&DeviceId=ab", "non-letter"},
        {"Cmd=&DeviceId=ab", "Cmd is empty"},
        {"Cmd=Sync&Cmd=Ping&DeviceId=ab", "twice"},
        {"Cmd=Sync&DeviceId=ab&DeviceId=cd", "twice"},
        {"Cmd=Sync&DeviceId=ab&SaveInSent=yes", "T or F"},
        {"Cmd=Sync&DeviceId=ab&User=a%0Ab", "control"},
        {"Cmd=Sync&DeviceId=ab&ItemId=a%00b", "control"},
        {"Cmd=Sync&DeviceId=ab&junk", "without '='"},
    };
    for (const auto& c : cases) {
        INFO(c.q);
        std::string err;
        CHECK_FALSE(parse_query(c.q, &err));
        CHECK_THAT(err, Catch::Contains(c.reason_part));
        CHECK(err.find('\n') == std::string::npos);
    }
    // Error output is optional.
    CHECK_FALSE(parse_query("Cmd=Sync"));
}

TEST_CASE("plain query: empty segments and DeviceId with '-' '_' '.' are fine", "[protocol]") {
    auto q = parse_query("Cmd=Ping&&DeviceId=SEC-1A_2b.3&DeviceType=SAMSUNGSMG950F&");
    REQUIRE(q);
    CHECK(q->device_id == "SEC-1A_2b.3");
    CHECK(q->cmd == "Ping");
}

TEST_CASE("base64 query: policy key, parameters, options", "[protocol]") {
    auto blob = header(141, 3, "ApplDNPXXXXX", "iPhone", 0x12345678u)
                    .param(1, "5")
                    .param(3, "5:42")
                    .param(4, "RgAAAAx")
                    .param(6, "20240101T000000Z")
                    .param(0, "5:42:1")
                    .param(8, "jane@example.com")
                    .byte(7).byte(1).byte(0x03);
    std::string err;
    auto q = parse_query(blob.encoded(), &err);
    REQUIRE(q);
    CHECK(err.empty());
    CHECK(q->version == 141);
    CHECK(q->cmd == "SmartReply");
    CHECK(q->policy_key == 0x12345678u);
    CHECK(q->device_id == "ApplDNPXXXXX");
    CHECK(q->device_type == "iPhone");
    CHECK(q->collection_id == "5");
    CHECK(q->item_id == "5:42");
    CHECK(q->long_id == "RgAAAAx");
    CHECK(q->occurrence == "20240101T000000Z");
    CHECK(q->attachment_name == "5:42:1");
    CHECK(q->user == "jane@example.com");
    CHECK(q->save_in_sent);
    CHECK(q->accept_multipart);
}

TEST_CASE("base64 query: each command code maps to its name", "[protocol]") {
    const std::pair<int, const char*> table[] = {
        {0, "Sync"}, {1, "SendMail"}, {2, "SmartForward"}, {3, "SmartReply"}, {4, "GetAttachment"},
        {9, "FolderSync"}, {10, "FolderCreate"}, {11, "FolderDelete"}, {12, "FolderUpdate"},
        {13, "MoveItems"}, {14, "GetItemEstimate"}, {15, "MeetingResponse"}, {16, "Search"},
        {17, "Settings"}, {18, "Ping"}, {19, "ItemOperations"}, {20, "Provision"},
        {21, "ResolveRecipients"}, {22, "ValidateCert"}, {23, "Find"}};
    for (auto [code, name] : table) {
        INFO(code);
        CHECK(command_name_for_code(code) == std::string_view(name));
        CHECK(command_code_for_name(name) == code);
        auto q = parse_query(header(161, code, "dev", "t").encoded());
        REQUIRE(q);
        CHECK(q->cmd == name);
    }
    for (int code : {-1, 5, 6, 7, 8, 24, 255}) {
        INFO(code);
        CHECK_FALSE(command_name_for_code(code));
    }
    CHECK_FALSE(command_code_for_name("Nope"));
    std::string err;
    CHECK_FALSE(parse_query(header(161, 5, "dev", "t").encoded(), &err));
    CHECK_THAT(err, Catch::Contains("unknown command code 5"));
}

TEST_CASE("base64 query: a binary DeviceId (GUID) becomes upper-case hex", "[protocol]") {
    std::string guid("\x01\x23\x45\x67\x89\xab\xcd\xef\x00\x11\x22\x33\x44\x55\x66\x77", 16);
    auto q = parse_query(header(121, 9, guid, "PocketPC").encoded());
    REQUIRE(q);
    CHECK(q->device_id == "0123456789ABCDEF0011223344556677");
}

TEST_CASE("base64 query: percent-encoded base64 characters", "[protocol]") {
    auto enc = header(140, 18, "dev", "t").param(8, "\xfb\xff").encoded();
    REQUIRE((enc.find('+') != std::string::npos || enc.find('/') != std::string::npos));
    std::string escaped;
    for (char c : enc) {
        if (c == '+') escaped += "%2B";
        else if (c == '/') escaped += "%2F";
        else if (c == '=') escaped += "%3D";
        else escaped += c;
    }
    auto q = parse_query(escaped);
    REQUIRE(q);
    CHECK(q->cmd == "Ping");
    CHECK(q->user == "\xfb\xff");
}

TEST_CASE("base64 query: malformed blobs are rejected, never read out of bounds", "[protocol]") {
    const auto full = header(140, 0, "v140Device", "SmartPhone", 7u).param(1, "abc").b;
    // Every strict prefix that cuts a field short is an error; the ones that end at a field
    // boundary after DeviceType parse.
    for (std::size_t n = 0; n < full.size(); ++n) {
        std::string err;
        auto q = parse_query(base64_encode(full.substr(0, n)), &err);
        bool ends_at_boundary = n == full.size() - 5;  // before the CollectionId parameter
        INFO(n);
        CHECK(bool(q) == ends_at_boundary);
        if (!q) CHECK_FALSE(err.empty());
    }
    std::string err;
    CHECK_FALSE(parse_query(header(140, 0, "", "t").encoded(), &err));
    CHECK_THAT(err, Catch::Contains("DeviceId is empty"));
    // Policy key length 3
    Blob bad;
    bad.byte(140).byte(0).byte(9).byte(4).lp("dev").byte(3).bytes("abc").lp("t");
    CHECK_FALSE(parse_query(bad.encoded(), &err));
    CHECK_THAT(err, Catch::Contains("PolicyKey length"));
    // Options of two bytes
    CHECK_FALSE(parse_query(header(140, 1, "dev", "t").byte(7).byte(2).byte(1).byte(0).encoded(), &err));
    CHECK_THAT(err, Catch::Contains("Options"));
    // Parameter length running past the end
    CHECK_FALSE(parse_query(header(140, 1, "dev", "t").byte(3).byte(200).bytes("x").encoded(), &err));
    CHECK_THAT(err, Catch::Contains("truncated"));
    // Control character inside a parameter
    CHECK_FALSE(parse_query(header(140, 1, "dev", "t").param(3, std::string("a\0b", 3)).encoded(), &err));
    // Unassigned tags are skipped
    auto q = parse_query(header(140, 1, "dev", "t").param(2, "x").param(5, "y").encoded());
    REQUIRE(q);
    CHECK(q->cmd == "SendMail");
    // Not base64 at all
    CHECK_FALSE(parse_query("!!!!", &err));
    CHECK_THAT(err, Catch::Contains("base64"));
    CHECK_FALSE(parse_query("jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25", &err));  // 1 char too few: 4n+1... or bad tail
}

TEST_CASE("parse_query survives random bytes", "[protocol]") {
    std::mt19937 rng(12345);
    for (int i = 0; i < 20000; ++i) {
        std::string s(rng() % 64, '\0');
        for (auto& c : s) c = static_cast<char>(rng());
        std::string err;
        (void)parse_query(s, &err);
        std::string b = base64_encode(s);
        (void)parse_query(b, &err);
    }
    SUCCEED();
}

TEST_CASE("base64: RFC 4648 test vectors and round trips", "[protocol]") {
    const std::pair<const char*, const char*> v[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (auto [plain, enc] : v) {
        CHECK(base64_encode(plain) == enc);
        CHECK(base64_decode(enc) == std::string(plain));
    }
    // Padding optional
    CHECK(base64_decode("Zg") == std::string("f"));
    CHECK(base64_decode("Zm8") == std::string("fo"));
    // Invalid
    for (const char* bad : {"Z", "Zg=", "Zg===", "Z===", "Zm9v Yg==", "Zm9v\nYg==", "Zm9-", "Zm9_", "=Zg=",
                            "Zg==Zg==", "Zm9vY"}) {
        INFO(bad);
        CHECK_FALSE(base64_decode(bad));
    }
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        std::string s(rng() % 300, '\0');
        for (auto& c : s) c = static_cast<char>(rng());
        auto e = base64_encode(s);
        CHECK(e.size() == (s.size() + 2) / 3 * 4);
        auto d = base64_decode(e);
        REQUIRE(d);
        CHECK(*d == s);
        // and without padding
        while (!e.empty() && e.back() == '=') e.pop_back();
        CHECK(base64_decode(e) == s);
    }
}

TEST_CASE("HTTP Basic credentials", "[protocol]") {
    auto c = parse_basic_auth("Basic " + base64_encode("jane@example.com:s3cr:et"));
    REQUIRE(c);
    CHECK(c->user == "jane@example.com");
    CHECK(c->password == "s3cr:et");
    c = parse_basic_auth("basic   " + base64_encode("DOMAIN\\jane:") + "  ");
    REQUIRE(c);
    CHECK(c->user == "DOMAIN\\jane");
    CHECK(c->password.empty());
    // UTF-8 passwords pass through
    c = parse_basic_auth("Basic " + base64_encode("j\xc3\xb6rg:p\xc3\xa4ss"));
    REQUIRE(c);
    CHECK(c->password == "p\xc3\xa4ss");
    CHECK_FALSE(parse_basic_auth(""));
    CHECK_FALSE(parse_basic_auth("Basic"));
    CHECK_FALSE(parse_basic_auth("Basic "));
    CHECK_FALSE(parse_basic_auth("Bearer abc"));
    CHECK_FALSE(parse_basic_auth("BasicamFuZTpw"));
    CHECK_FALSE(parse_basic_auth("Basic !!!"));
    CHECK_FALSE(parse_basic_auth("Basic " + base64_encode("nocolon")));
    CHECK_FALSE(parse_basic_auth("Basic " + base64_encode(":password")));
    CHECK_FALSE(parse_basic_auth("Basic " + base64_encode("ja\nne:pw")));
}

TEST_CASE("login normalisation", "[protocol]") {
    CHECK(normalize_login("DOMAIN\\Jane") == "jane");
    CHECK(normalize_login("Jane@Example.COM") == "jane@example.com");
    CHECK(normalize_login("  jane ") == "jane");
    CHECK(normalize_login("a\\b\\C") == "c");
    CHECK(normalize_login("") == "");
    CHECK(easd::to_lower_ascii("ÄBC") == "\xc3\x84" "bc");  // non-ASCII bytes untouched
}

TEST_CASE("protocol versions", "[protocol]") {
    CHECK(supported_versions() == std::vector<ProtocolVersion>{25, 120, 121, 140, 141, 160, 161});
    std::string joined;
    for (auto v : supported_versions()) joined += (joined.empty() ? "" : ",") + version_string(v);
    CHECK(joined == "2.5,12.0,12.1,14.0,14.1,16.0,16.1");
    for (auto v : supported_versions()) {
        CHECK(is_supported(v));
        CHECK(parse_version(version_string(v)) == v);
    }
    CHECK(parse_version(" 14.1 ") == 141);
    for (const char* bad : {"", "14", "14.", ".1", "15.0", "1.0", "2.0", "14.10", "141", "a.b", "16.1.0", "014.1"}) {
        INFO(bad);
        CHECK_FALSE(parse_version(bad));
    }
    CHECK_FALSE(is_supported(150));
    CHECK(version_string(25) == "2.5");
    CHECK(version_string(160) == "16.0");
}

TEST_CASE("the DeviceId of a query without Cmd (an OPTIONS as iOS sends it)", "[protocol][query]") {
    using easd::protocol::device_id_of_incomplete_query;
    CHECK(device_id_of_incomplete_query("User=a%40b.test&DeviceId=ApplF17X&DeviceType=iPhone") == "ApplF17X");
    CHECK(device_id_of_incomplete_query("deviceid=abc") == "abc");
    CHECK(device_id_of_incomplete_query("User=a&DeviceType=iPhone").empty());
    CHECK(device_id_of_incomplete_query("DeviceId=" + std::string(40, 'x')).empty());  // too long
    CHECK(device_id_of_incomplete_query("DeviceId=a%00b").empty());
    CHECK(device_id_of_incomplete_query("").empty());
}
