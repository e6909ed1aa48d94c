// The delay schedule of failed sign-ins (lib/auth/login_limits.h) and the address keys.
#include <catch2/catch.hpp>

#include "auth/login_limits.h"
#include "store/login_failures.h"

using namespace easd;

TEST_CASE("failed sign-ins: free, then doubling delays up to the cap, then the lockout", "[auth]") {
    auth::LoginLimits l;  // account: 5 free, locked at 20; delays capped at 60 s; lockout 900 s
    CHECK(auth::delay_after_failures(1, l.account, l) == 0);
    CHECK(auth::delay_after_failures(4, l.account, l) == 0);
    CHECK(auth::delay_after_failures(5, l.account, l) == 1);
    CHECK(auth::delay_after_failures(6, l.account, l) == 2);
    CHECK(auth::delay_after_failures(10, l.account, l) == 32);
    CHECK(auth::delay_after_failures(11, l.account, l) == 60);
    CHECK(auth::delay_after_failures(19, l.account, l) == 60);
    CHECK(auth::delay_after_failures(20, l.account, l) == 900);
    CHECK(auth::delay_after_failures(500, l.account, l) == 900);
    CHECK_FALSE(auth::is_lockout(19, l.account));
    CHECK(auth::is_lockout(20, l.account));
    auth::FailureSchedule wide{5, 1000};
    CHECK(auth::delay_after_failures(900, wide, l) == 60);  // no overflow of the doubling
}

TEST_CASE("client address keys: IPv4 as is, IPv6 by its /64", "[auth]") {
    CHECK(store::address_login_key("192.0.2.7") == "address:192.0.2.7");
    CHECK(store::address_login_key("2001:db8:1:2:aaaa::1") == "address:2001:db8:1:2::/64");
    CHECK(store::address_login_key("2001:db8:1:2:bbbb::9") == store::address_login_key("2001:db8:1:2::5"));
    CHECK(store::address_login_key("::ffff:192.0.2.7") == "address:::ffff:192.0.2.7");
    CHECK(store::account_login_key("a@b.test") == "account:a@b.test");
    CHECK(store::device_login_key("a@b.test", "APPL1") == "device:a@b.test/APPL1");
}
