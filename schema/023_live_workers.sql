-- easd schema 23: what each easd process is doing, for `easctl stats` and `easctl top` (issue 13,
-- part 5). The counters of /easd-metrics live in each process's memory; behind nginx with several
-- processes, or on several hosts, a scrape reaches one of them. So each easd writes its figures
-- here every second (fcgi-app/live_publisher.h), one row per process, and the live view adds them up.
--
-- UNLOGGED: these are a second's worth of figures, rewritten every second; after a crash they are
-- worthless, so they need no WAL (no write-ahead log traffic, nothing shipped to replicas). A row
-- whose process stopped without removing it (a kill -9) is ignored once it is 10 s old and removed
-- by the next easd that publishes after an hour.
CREATE UNLOGGED TABLE live_workers (
    instance     text PRIMARY KEY,        -- host:pid:start time, unique per process
    host         text NOT NULL,
    pid          integer NOT NULL,
    started_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    threads      integer NOT NULL,        -- request threads
    working      integer NOT NULL,        -- requests being worked on now (not parked)
    parked       integer NOT NULL,        -- Ping and hanging Sync requests waiting for changes
    pool_size    integer NOT NULL,
    pool_in_use  integer NOT NULL,
    pool_waits   bigint NOT NULL,         -- leases that found every connection taken, since start
    errors       bigint NOT NULL,         -- 5xx answers since start
    -- [{"kind":"Sync","status":"200","n":12}, ...]: answers since start, by kind and status
    counts       jsonb NOT NULL,
    -- [{"kind":"Sync","n":12,"seconds":0.31}, ...]: requests and their summed duration, since start
    durations    jsonb NOT NULL,
    -- [{"kind","status","login","device","seconds","at"}, ...]: the slowest of the last minute
    slowest      jsonb NOT NULL,
    -- the same fields: the latest 5xx answers, newest first
    recent_errors jsonb NOT NULL
);
