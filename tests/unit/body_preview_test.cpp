// A body preview in the rows (the Dovecot store, content/email_item): what is kept of a long body,
// when that is enough for a render, and how a render from it tells the whole body's size.
#include <catch2/catch.hpp>

#include "content/email_item.h"
#include "wbxml/codepages.h"

using namespace easd;
using namespace easd::content;
namespace tag = easd::wbxml::tag;

namespace {

EmailOptions options_with(int type, std::optional<std::uint32_t> truncation) {
    EmailOptions o;
    BodyPreference p;
    p.type = type;
    p.truncation_size = truncation;
    o.body_preferences.push_back(p);
    return o;
}

// The row the store reads back of what keep_body_preview kept.
store::EmailRow row_of(const store::NewEmail& e) {
    store::EmailRow r;
    r.item_id = 7;
    r.body_plain = e.body_plain;
    r.body_html = e.body_html;
    r.body_plain_size = e.body_plain_size;
    r.body_html_size = e.body_html_size;
    return r;
}

const wbxml::Node& body_of(const wbxml::Node& data) {
    const auto* b = data.child(tag::AirSyncBase::Body);
    REQUIRE(b);
    return *b;
}

}  // namespace

TEST_CASE("body preview: a short body stays whole; a long one is cut at a character with its sizes kept",
          "[content][preview]") {
    store::NewEmail short_one;
    short_one.body_plain = "Hello";
    keep_body_preview(short_one, 1024);
    CHECK(short_one.body_plain == "Hello");
    CHECK(!short_one.body_plain_size);

    store::NewEmail long_one;
    for (int i = 0; i < 1000; ++i) long_one.body_plain += "\xc3\xa4<b>";  // "ä<b>": 2 bytes, then markup
    keep_body_preview(long_one, 1001);
    CHECK(long_one.body_plain.size() == 1000);  // not half of an "ä"
    REQUIRE(long_one.body_plain_size);
    CHECK(*long_one.body_plain_size == 5000);
    // Without an HTML part the HTML a phone gets is the plain text as HTML: its whole size.
    std::string whole;
    for (int i = 0; i < 1000; ++i) whole += "\xc3\xa4<b>";
    REQUIRE(long_one.body_html_size);
    CHECK(*long_one.body_html_size == static_cast<long long>(plain_to_html(whole).size()));
}

TEST_CASE("body preview: what each client shape needs of the text", "[content][preview]") {
    CHECK(options_with(kBodyPlain, 32768).body_need().text_bytes == std::optional<std::size_t>(32768));
    CHECK(!options_with(kBodyHtml, std::nullopt).body_need().text_bytes);  // all of it
    auto mime = options_with(kBodyMime, 200000).body_need();
    CHECK(mime.mime);
    CHECK(mime.text_bytes == std::optional<std::size_t>(0));  // iOS: the original, not the texts
    CHECK(!EmailOptions{}.body_need().text_bytes);  // no options: the whole plain text
    EmailOptions old;
    old.truncation = 4;  // 2.5: 5,120 characters
    CHECK(old.body_need().text_bytes == std::optional<std::size_t>(5120));
    auto with_preview = options_with(kBodyPlain, 100);
    with_preview.body_preferences[0].preview = 255;
    CHECK(with_preview.body_need().text_bytes == std::optional<std::size_t>(255 * 4));
}

TEST_CASE("body preview: served from the rows up to what they keep, with the whole size", "[content][preview]") {
    store::NewEmail e;
    e.body_plain = std::string(10000, 'x');
    keep_body_preview(e, 4096);
    store::EmailRow row = row_of(e);
    CHECK(row.body_cut());
    CHECK(preview_suffices(row, options_with(kBodyPlain, 4096).body_need()));
    CHECK(!preview_suffices(row, options_with(kBodyPlain, 4097).body_need()));
    CHECK(!preview_suffices(row, options_with(kBodyPlain, std::nullopt).body_need()));

    wbxml::Node data(tag::AirSync::ApplicationData);
    append_email_data(data, row, options_with(kBodyPlain, 1000), 141);
    const auto& b = body_of(data);
    CHECK(b.child_text(tag::AirSyncBase::EstimatedDataSize) == "10000");
    CHECK(b.child_text(tag::AirSyncBase::Truncated) == "1");
    CHECK(b.child_text(tag::AirSyncBase::Data) == std::string(1000, 'x'));

    // Made whole again (from the original), the same render sends all of it.
    restore_whole_body(row, std::string(10000, 'x'), "");
    CHECK(!row.body_cut());
    wbxml::Node whole(tag::AirSync::ApplicationData);
    append_email_data(whole, row, options_with(kBodyPlain, std::nullopt), 141);
    CHECK(body_of(whole).child_text(tag::AirSyncBase::Data).size() == 10000);
    CHECK(!body_of(whole).has(tag::AirSyncBase::Truncated));
}
