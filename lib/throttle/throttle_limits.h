// How many requests a device and a user may send, and when a device that will not wait is blocked
// (config keys device_requests_per_minute ... autoblock_seconds). Pure numbers; the budgets that
// apply them are in request_budgets.h.
#pragma once

namespace easd::throttle {

struct ThrottleLimits {
    // A device's budget: a bucket of `device_request_burst` requests, refilled at this rate. Large
    // enough for an initial sync of a big mailbox in windows of 100 (a phone takes a few per
    // second at most), small enough that a client in a tight loop is told to wait. 0: no budget.
    int device_requests_per_minute = 600;
    int device_request_burst = 300;
    // A user's budget over all their devices (a phone, a tablet and Outlook together).
    int user_requests_per_minute = 1200;
    int user_request_burst = 600;
    // Exchange's autoblock, behaviour "CommandFrequency": a device refused this many times within
    // the window (it ignores Retry-After) is blocked for `autoblock_seconds`. 0: never.
    int autoblock_refusals = 120;
    int autoblock_window_seconds = 600;
    int autoblock_seconds = 900;
};

}  // namespace easd::throttle
