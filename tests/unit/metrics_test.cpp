// The Prometheus text format (metrics/exposition.h), the instruments and request counters behind
// GET /easd-metrics, who may read it (common/address_list.h), and the kind a request counts as.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "commands/request_kinds.h"
#include "common/address_list.h"
#include "metrics/exposition.h"
#include "metrics/instruments.h"
#include "metrics/request_metrics.h"
#include "protocol/request.h"

using namespace easd;
using namespace std::chrono_literals;

TEST_CASE("metrics: label values escape backslash, double quote and newline; HELP escapes backslash and newline",
          "[metrics]") {
    CHECK(metrics::escape_label_value(R"(a\b"c)" "\nd") == R"(a\\b\"c\nd)");
    CHECK(metrics::escape_label_value("plain 14.1 ü") == "plain 14.1 ü");
    CHECK(metrics::escape_help("say \"x\"\\\n") == "say \"x\"\\\\\\n");

    metrics::TextWriter w;
    w.family("easd_x", "gauge", "Line one\nline two \\ done");
    w.sample("easd_x", {{"a", "q\"uote"}, {"b", "back\\slash"}}, 3);
    w.sample("easd_y", {}, 0.25);
    CHECK(w.text() ==
          "# HELP easd_x Line one\\nline two \\\\ done\n"
          "# TYPE easd_x gauge\n"
          "easd_x{a=\"q\\\"uote\",b=\"back\\\\slash\"} 3\n"
          "easd_y 0.25\n");
}

TEST_CASE("metrics: values as the format spells them", "[metrics]") {
    CHECK(metrics::format_value(0) == "0");
    CHECK(metrics::format_value(42) == "42");
    CHECK(metrics::format_value(-7) == "-7");
    CHECK(metrics::format_value(1e15) == "1000000000000000");  // a counter, exactly, no exponent
    CHECK(metrics::format_value(0.005) == "0.005");
    CHECK(metrics::format_value(1.0 / 3) == "0.3333333333333333");  // the shortest that reads back
    CHECK(std::stod(metrics::format_value(1.0 / 3)) == 1.0 / 3);
    CHECK(metrics::format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(metrics::format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(metrics::format_value(std::nan("")) == "NaN");
}

TEST_CASE("metrics: a histogram is cumulative _bucket lines ending in le=\"+Inf\", then _sum and _count",
          "[metrics]") {
    metrics::Histogram h({0.01, 0.1, 1});
    h.observe(5ms);     // 0.005: every bucket
    h.observe(10ms);    // exactly on a bound: le is "less or equal"
    h.observe(500ms);
    h.observe(3s);      // only +Inf
    metrics::HistogramSnapshot s = h.snapshot();
    CHECK(s.cumulative == std::vector<std::uint64_t>{2, 2, 3, 4});
    CHECK(s.count() == 4);
    CHECK(s.sum == Approx(3.515));

    metrics::TextWriter w;
    w.family("easd_t_seconds", "histogram", "T.");
    w.histogram("easd_t_seconds", {{"command", "Sync"}}, s);
    CHECK(w.text() ==
          "# HELP easd_t_seconds T.\n"
          "# TYPE easd_t_seconds histogram\n"
          "easd_t_seconds_bucket{command=\"Sync\",le=\"0.01\"} 2\n"
          "easd_t_seconds_bucket{command=\"Sync\",le=\"0.1\"} 2\n"
          "easd_t_seconds_bucket{command=\"Sync\",le=\"1\"} 3\n"
          "easd_t_seconds_bucket{command=\"Sync\",le=\"+Inf\"} 4\n"
          "easd_t_seconds_sum{command=\"Sync\"} 3.515\n"
          "easd_t_seconds_count{command=\"Sync\"} 4\n");

    // Without labels, le is the only one; an empty histogram still has its +Inf bucket.
    metrics::TextWriter empty;
    empty.histogram("easd_e", {}, metrics::Histogram({1}).snapshot());
    CHECK(empty.text() == "easd_e_bucket{le=\"1\"} 0\neasd_e_bucket{le=\"+Inf\"} 0\neasd_e_sum 0\neasd_e_count 0\n");
}

TEST_CASE("metrics: requests by kind and status from many threads at once, none lost", "[metrics]") {
    metrics::RequestMetrics m({"Sync", "Ping", "unknown"});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&m] {
            for (int i = 0; i < 10000; ++i) m.record(0, 200, 1ms);
        });
    for (auto& t : threads) t.join();
    m.record(1, 200, 2s);
    m.record(1, 503, 1ms);
    m.record(7, 401, 1ms);  // out of range: the last kind
    m.record(2, 42, 1ms);   // no HTTP status: "other"
    CHECK(m.count(0, 200) == 40000);
    CHECK(m.count(1, 503) == 1);
    CHECK(m.count(2, 401) == 1);

    metrics::TextWriter w;
    m.write(w);
    const std::string& text = w.text();
    CHECK(text.find("easd_requests_total{command=\"Sync\",status=\"200\"} 40000\n") != std::string::npos);
    CHECK(text.find("easd_requests_total{command=\"Ping\",status=\"503\"} 1\n") != std::string::npos);
    CHECK(text.find("easd_requests_total{command=\"unknown\",status=\"other\"} 1\n") != std::string::npos);
    CHECK(text.find("status=\"404\"") == std::string::npos);  // slots never used are not written
    CHECK(text.find("easd_request_duration_seconds_count{command=\"Sync\"} 40000\n") != std::string::npos);
    CHECK(text.find("easd_request_duration_seconds_bucket{command=\"Ping\",le=\"2.5\"} 2\n") != std::string::npos);
    CHECK(text.find("easd_request_duration_seconds_bucket{command=\"Ping\",le=\"1\"} 1\n") != std::string::npos);
}

TEST_CASE("metrics_allow: addresses and networks, IPv4 and IPv6, loopback by default", "[metrics]") {
    AddressList loopback = AddressList::loopback();
    CHECK(loopback.contains("127.0.0.1"));
    CHECK(loopback.contains("127.0.0.2"));
    CHECK(loopback.contains("::1"));
    CHECK(loopback.contains("::ffff:127.0.0.1"));  // IPv4 through an IPv6 socket
    CHECK_FALSE(loopback.contains("10.0.0.1"));
    CHECK_FALSE(loopback.contains("::2"));
    CHECK_FALSE(loopback.contains(""));
    CHECK_FALSE(loopback.contains("localhost"));

    std::string error;
    auto list = AddressList::parse("192.0.2.7, 10.0.0.0/8 2001:db8::/32,198.51.100.0/25", &error);
    REQUIRE(list);
    CHECK(list->contains("192.0.2.7"));
    CHECK_FALSE(list->contains("192.0.2.8"));
    CHECK(list->contains("10.255.1.2"));
    CHECK_FALSE(list->contains("11.0.0.1"));
    CHECK(list->contains("2001:db8:1::5"));
    CHECK_FALSE(list->contains("2001:db9::5"));
    CHECK(list->contains("198.51.100.127"));
    CHECK_FALSE(list->contains("198.51.100.128"));
    CHECK_FALSE(list->contains("127.0.0.1"));

    auto everyone = AddressList::parse("0.0.0.0/0 ::/0", &error);
    REQUIRE(everyone);
    CHECK(everyone->contains("203.0.113.9"));
    CHECK(everyone->contains("2001:db8::1"));

    auto nobody = AddressList::parse("", &error);
    REQUIRE(nobody);
    CHECK_FALSE(nobody->contains("127.0.0.1"));

    CHECK_FALSE(AddressList::parse("10.0.0.0/33", &error));
    CHECK(error == "'10.0.0.0/33' needs a prefix of 0 to 32");
    CHECK_FALSE(AddressList::parse("prometheus.example", &error));
    CHECK(error.find("is no IPv4 or IPv6 address") != std::string::npos);
    CHECK_FALSE(AddressList::parse("::1/129", &error));
    CHECK_FALSE(AddressList::parse("10.0.0.1/x", &error));
}

TEST_CASE("metrics: the command a query names, plain and base64, without decoding the rest", "[metrics]") {
    CHECK(protocol::command_of_query("Cmd=Sync&User=a&DeviceId=D&DeviceType=T") == std::string_view("Sync"));
    CHECK(protocol::command_of_query("User=a&cmd=foldersync&DeviceId=D") == std::string_view("FolderSync"));
    CHECK_FALSE(protocol::command_of_query("Cmd=Bogus&User=a&DeviceId=D"));
    CHECK_FALSE(protocol::command_of_query("User=a&DeviceId=D"));
    CHECK_FALSE(protocol::command_of_query(""));
    // The base64 form: version 14.1, the command code, locale, DeviceId, no PolicyKey, DeviceType.
    auto base64_query = [](char code, char locale_low) {
        std::string bytes = {'\x8d', code, locale_low, '\x04', '\x04', 'D', 'E', 'V', '1', '\x00', '\x04', 'T', 'e', 's', 't'};
        return protocol::base64_encode(bytes);
    };
    std::string q = base64_query('\x12', '\x09');
    CHECK(protocol::command_of_query(q) == std::string_view("Ping"));
    REQUIRE(protocol::parse_query(q));
    CHECK(protocol::parse_query(q)->cmd == "Ping");
    CHECK(protocol::command_of_query(base64_query('\x00', '\x09')) == std::string_view("Sync"));
    // Percent-encoded base64 characters read the same.
    std::string meeting = base64_query('\x0f', '\xff');  // its third character is '/'
    REQUIRE(meeting[2] == '/');
    std::string escaped;
    for (char c : meeting) escaped += c == '+' ? "%2B" : c == '/' ? "%2F" : std::string(1, c);
    CHECK(protocol::command_of_query(escaped) == std::string_view("MeetingResponse"));
    CHECK_FALSE(protocol::command_of_query("%ZZ"));
    CHECK_FALSE(protocol::command_of_query("jQ"));  // too short for a code
}

TEST_CASE("metrics: the kind a request counts as comes from a fixed list", "[metrics]") {
    const auto& kinds = commands::request_kinds();
    auto kind = [&](const std::string& method, const std::string& uri) {
        commands::HttpRequest r;
        r.method = method;
        r.request_uri = uri;
        r.query_string = uri.find('?') == std::string::npos ? "" : uri.substr(uri.find('?') + 1);
        return std::string(kinds.at(commands::request_kind(r)));
    };
    CHECK(kind("POST", "/Microsoft-Server-ActiveSync?Cmd=Sync&User=u&DeviceId=D&DeviceType=T") == "Sync");
    CHECK(kind("POST", "/Microsoft-Server-ActiveSync?Cmd=Ping&User=u&DeviceId=D&DeviceType=T") == "Ping");
    CHECK(kind("POST", "/Microsoft-Server-ActiveSync?Cmd=MadeUp&User=u&DeviceId=D") == "unknown");
    CHECK(kind("POST", "/Microsoft-Server-ActiveSync") == "unknown");
    CHECK(kind("OPTIONS", "/Microsoft-Server-ActiveSync") == "OPTIONS");
    CHECK(kind("GET", "/easd-health") == "easd-health");
    CHECK(kind("GET", "/easd-metrics") == "easd-metrics");
    CHECK(kind("POST", "/easd-notify") == "easd-notify");
    CHECK(kind("GET", "/easd-admin/") == "easd-admin");
    CHECK(kind("POST", "/easd-admin/device") == "easd-admin");
    CHECK(kind("POST", "/Autodiscover/Autodiscover.xml") == "Autodiscover");
    CHECK(kinds.back() == "unknown");
}
