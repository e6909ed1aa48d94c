-- easd schema 16: failed sign-ins, counted where every worker and host sees them (issue 12).
--
-- One row per thing being guessed at: an account ('account:alice@example.com'), a client address
-- ('address:192.0.2.7', IPv6 by /64), or one known device of an account
-- ('device:alice@example.com/ApplF17XXXX', which keeps the owner's phones working while strangers
-- are locked out of the account). `failures` counts the failures since the counter last started
-- (it starts again after a quiet window); until `blocked_until` sign-ins with that key are refused
-- without checking the password (exponential delay, then a lockout). Rows are cleared by a
-- success (account and device keys), by `easctl lockout clear`, or age out.
CREATE TABLE login_failures (
    key            text PRIMARY KEY,
    failures       integer NOT NULL,
    first_failure  timestamptz NOT NULL DEFAULT now(),
    last_failure   timestamptz NOT NULL DEFAULT now(),
    blocked_until  timestamptz NOT NULL DEFAULT now(),
    locked         boolean NOT NULL DEFAULT false  -- reached the lockout count, not only delayed
);
CREATE INDEX login_failures_last ON login_failures (last_failure);
