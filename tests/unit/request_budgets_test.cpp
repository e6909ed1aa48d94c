// Request budgets and the autoblock decision (lib/throttle/request_budgets.h), on a clock the test
// moves itself.
#include <catch2/catch.hpp>

#include "throttle/request_budgets.h"

using namespace easd;
using throttle::RequestBudgets;
using namespace std::chrono_literals;

namespace {

throttle::ThrottleLimits small_limits() {
    throttle::ThrottleLimits l;
    l.device_requests_per_minute = 60;  // one a second
    l.device_request_burst = 5;
    l.user_requests_per_minute = 120;
    l.user_request_burst = 8;
    l.autoblock_refusals = 3;
    l.autoblock_window_seconds = 60;
    l.autoblock_seconds = 600;
    return l;
}

}  // namespace

TEST_CASE("a device's budget: its burst at once, then one per refill, with the wait to tell", "[throttle]") {
    RequestBudgets budgets(small_limits());
    auto t = RequestBudgets::Clock::now();
    for (int i = 0; i < 5; ++i) CHECK(budgets.charge(1, "PHONE", t).allowed);
    auto refused = budgets.charge(1, "PHONE", t);
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after_seconds == 1);
    CHECK_FALSE(refused.block_device);
    // Another device of the same user has its own budget (the user's is 8).
    CHECK(budgets.charge(1, "TABLET", t).allowed);
    // A second later, one token is back.
    CHECK(budgets.charge(1, "PHONE", t + 1s).allowed);
    CHECK_FALSE(budgets.charge(1, "PHONE", t + 1s).allowed);
}

TEST_CASE("the user's budget covers all their devices, and a refused request spends nothing", "[throttle]") {
    RequestBudgets budgets(small_limits());
    auto t = RequestBudgets::Clock::now();
    for (int i = 0; i < 4; ++i) REQUIRE(budgets.charge(7, "A", t).allowed);
    for (int i = 0; i < 4; ++i) REQUIRE(budgets.charge(7, "B", t).allowed);
    auto over = budgets.charge(7, "C", t);  // C has its own 5, the user's 8 are gone
    CHECK_FALSE(over.allowed);
    CHECK(over.retry_after_seconds == 1);  // 2 a second refill the user's
    // Requests that name no device (autodiscover, an OPTIONS without DeviceId) count for the user.
    CHECK_FALSE(budgets.charge(7, "", t).allowed);
    // Another user is not affected.
    CHECK(budgets.charge(8, "C", t).allowed);
    // C's token was given back when the user's budget refused it: after the user's refill C has 5.
    for (int i = 0; i < 5; ++i) CHECK(budgets.charge(7, "C", t + 10s).allowed);
    CHECK_FALSE(budgets.charge(7, "C", t + 10s).allowed);
}

TEST_CASE("a device refused again and again is to be blocked, once; the block ends and can be lifted",
          "[throttle]") {
    RequestBudgets budgets(small_limits());
    auto t = RequestBudgets::Clock::now();
    for (int i = 0; i < 5; ++i) REQUIRE(budgets.charge(1, "LOOPER", t).allowed);
    CHECK_FALSE(budgets.charge(1, "LOOPER", t).block_device);
    CHECK_FALSE(budgets.charge(1, "LOOPER", t).block_device);
    auto third = budgets.charge(1, "LOOPER", t);
    CHECK_FALSE(third.allowed);
    CHECK(third.block_device);
    CHECK_FALSE(budgets.charge(1, "LOOPER", t).block_device);  // the count starts again

    CHECK_FALSE(budgets.blocked(1, "LOOPER", t));
    budgets.note_block(1, "LOOPER", 600, t);
    auto b = budgets.blocked(1, "LOOPER", t + 1s);
    REQUIRE(b);
    CHECK(b->seconds_left == 599);
    CHECK_FALSE(b->confirm);  // just learnt from the store
    auto later = budgets.blocked(1, "LOOPER", t + 6s);
    REQUIRE(later);
    CHECK(later->confirm);  // time to ask the store again, once
    CHECK_FALSE(budgets.blocked(1, "LOOPER", t + 6s)->confirm);
    CHECK_FALSE(budgets.blocked(1, "OTHER", t + 6s));
    budgets.note_block(1, "LOOPER", 0, t + 7s);  // lifted by an administrator
    CHECK_FALSE(budgets.blocked(1, "LOOPER", t + 7s));
    budgets.note_block(1, "LOOPER", 10, t);
    CHECK_FALSE(budgets.blocked(1, "LOOPER", t + 11s));  // expired
}

TEST_CASE("refusals far apart never add up to a block", "[throttle]") {
    RequestBudgets budgets(small_limits());
    auto t = RequestBudgets::Clock::now();
    for (int round = 0; round < 10; ++round) {
        // Each round a window apart, the bucket full again: its 5, then two refusals (3 block).
        auto at = t + std::chrono::seconds(100 * round);
        for (int i = 0; i < 5; ++i) REQUIRE(budgets.charge(1, "SLOW", at).allowed);
        CHECK_FALSE(budgets.charge(1, "SLOW", at).block_device);
        CHECK_FALSE(budgets.charge(1, "SLOW", at).block_device);
    }
}

TEST_CASE("budgets of 0 mean none; idle entries are dropped so memory stays bounded", "[throttle]") {
    throttle::ThrottleLimits off;
    off.device_requests_per_minute = 0;
    off.user_requests_per_minute = 0;
    RequestBudgets unlimited(off);
    auto t = RequestBudgets::Clock::now();
    for (int i = 0; i < 10000; ++i) REQUIRE(unlimited.charge(1, "X", t).allowed);
    CHECK(unlimited.size() == 0);

    RequestBudgets budgets(small_limits());
    for (int i = 0; i < 20000; ++i) budgets.charge(i, "PHONE", t);
    CHECK(budgets.size() == 40000);  // a device and a user each, all still refilling
    // Minutes later those are full again: the next sweep drops them (else 80,000 here).
    for (int i = 0; i < 20000; ++i) budgets.charge(100000 + i, "PHONE", t + 10min);
    CHECK(budgets.size() <= 40000);
}
