// The slowest requests and latest errors an easd process keeps for easctl stats/top
// (metrics/live_activity.h), and the JSON writer it publishes them with (common/json.h).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "common/json.h"
#include "metrics/live_activity.h"

using easd::metrics::FinishedRequest;
using easd::metrics::LiveActivity;
using namespace std::chrono_literals;

namespace {
FinishedRequest request(double seconds, int status, std::chrono::system_clock::time_point at,
                        const std::string& login = "u@example.test") {
    FinishedRequest r;
    r.kind = "Sync";
    r.status = status;
    r.login = login;
    r.device = "DEV";
    r.seconds = seconds;
    r.at = at;
    return r;
}
}  // namespace

TEST_CASE("live activity keeps the slowest of the last minute, slowest first", "[live]") {
    LiveActivity live(3, 60s);
    const auto t0 = std::chrono::system_clock::now();
    for (double s : {0.1, 0.5, 0.2, 0.9, 0.05, 0.3}) live.finished(request(s, 200, t0));
    auto w = live.window(t0 + 1s);
    REQUIRE(w.slowest.size() == 3);
    CHECK(w.slowest[0].seconds == 0.9);
    CHECK(w.slowest[1].seconds == 0.5);
    CHECK(w.slowest[2].seconds == 0.3);
    // Once full, a request faster than the fastest kept is not wanted; an error always is.
    CHECK_FALSE(live.wants(0.25, 200));
    CHECK(live.wants(0.4, 200));
    CHECK(live.wants(0.01, 503));

    // Half a window later the old ones are still there (previous half); a window later they are not.
    live.finished(request(0.01, 200, t0 + 31s));
    CHECK(live.window(t0 + 31s).slowest.size() == 3);
    CHECK(live.window(t0 + 31s).slowest[0].seconds == 0.9);
    auto later = live.window(t0 + 62s);
    REQUIRE(later.slowest.size() == 1);
    CHECK(later.slowest[0].seconds == 0.01);
    CHECK(live.window(t0 + 200s).slowest.empty());
    CHECK(live.wants(0.001, 200));  // a fresh half takes anything
}

TEST_CASE("live activity counts 5xx answers and keeps the latest, newest first", "[live]") {
    LiveActivity live(2, 60s);
    const auto t0 = std::chrono::system_clock::now();
    live.finished(request(0.1, 500, t0, "a"));
    live.finished(request(0.1, 200, t0, "ok"));
    auto w = live.window(t0);
    REQUIRE(w.errors.size() == 1);
    CHECK(w.errors[0].login == "a");
    live.finished(request(0.1, 503, t0, "b"));
    live.finished(request(0.1, 502, t0, "c"));
    w = live.window(t0);
    CHECK(w.error_count == 3);
    REQUIRE(w.errors.size() == 2);
    CHECK(w.errors[0].login == "c");
    CHECK(w.errors[1].login == "b");
}

TEST_CASE("the JSON writer escapes what JSON requires", "[live][json]") {
    using namespace easd::json;
    CHECK(json_string("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
    CHECK(JsonObject().text("k", "v").number("n", -3).boolean("b", true).text_or_null("z", "").str() ==
          "{\"k\":\"v\",\"n\":-3,\"b\":true,\"z\":null}");
    CHECK(json_array({"1", "\"x\""}) == "[1,\"x\"]");
}
