// How failed sign-ins are answered: the numbers (config keys login_*) and the delay schedule.
// Pure: the counts live in PostgreSQL (store/login_failures.h), the guard (login_guard.h) applies
// this to them.
#pragma once

namespace easd::auth {

struct FailureSchedule {
    int free_failures;  // failures answered at once (people mistype)
    int lockout_after;  // failures after which the key is locked for `lockout_seconds`
};

struct LoginLimits {
    // An account, and one known device of an account: a few mistakes, then 1, 2, 4 ... s between
    // checks, then a lockout.
    FailureSchedule account{5, 20};
    // A client address: more before delays start, since an office's phones share one NAT address.
    FailureSchedule address{20, 200};
    int max_delay_seconds = 60;
    int lockout_seconds = 900;
    // Counting starts again after this long without a failure. Longer than the lockout, so a
    // guesser gets one more try per lockout afterwards, not a new round of free ones.
    int window_seconds = 3600;
    // A device of the account that synced within this many days is "known": sign-ins from it are
    // counted under its own key, so strangers guessing at the account do not lock the owner out.
    int known_device_days = 30;
    int hash_slots = 0;        // password checks at once (0: half the cores)
    int hash_wait_ms = 5000;   // how long a sign-in waits for a slot before "busy, retry later"
};

// Seconds before the next check after the `failures`-th failure under a key (0: none).
inline int delay_after_failures(int failures, const FailureSchedule& schedule, const LoginLimits& limits) {
    if (failures < schedule.free_failures) return 0;
    if (failures >= schedule.lockout_after) return limits.lockout_seconds;
    int steps = failures - schedule.free_failures;  // 0 -> 1 s, 1 -> 2 s, ...
    if (steps >= 30) return limits.max_delay_seconds;
    long long delay = 1LL << steps;
    return delay > limits.max_delay_seconds ? limits.max_delay_seconds : static_cast<int>(delay);
}

inline bool is_lockout(int failures, const FailureSchedule& schedule) { return failures >= schedule.lockout_after; }

}  // namespace easd::auth
