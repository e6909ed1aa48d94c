#include "store/live_stats.h"

#include <string>

#include "store/pq.h"

namespace easd::store {

void publish_worker(soci::session& sql, const WorkerFigures& f) {
    auto n = [](long long v) { return std::to_string(v); };
    pq_query(sql,
             "INSERT INTO live_workers AS w (instance, host, pid, started_at, updated_at, threads, working, parked,"
             "  pool_size, pool_in_use, pool_waits, errors, counts, durations, slowest, recent_errors)"
             " VALUES ($1, $2, $3, to_timestamp($4), now(), $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
             " ON CONFLICT (instance) DO UPDATE SET updated_at = now(), threads = EXCLUDED.threads,"
             "  working = EXCLUDED.working, parked = EXCLUDED.parked, pool_size = EXCLUDED.pool_size,"
             "  pool_in_use = EXCLUDED.pool_in_use, pool_waits = EXCLUDED.pool_waits, errors = EXCLUDED.errors,"
             "  counts = EXCLUDED.counts, durations = EXCLUDED.durations, slowest = EXCLUDED.slowest,"
             "  recent_errors = EXCLUDED.recent_errors",
             {f.instance, f.host, n(f.pid), n(f.started_epoch), n(f.threads), n(f.working), n(f.parked),
              n(f.pool_size), n(f.pool_in_use), n(f.pool_waits), n(f.errors), f.counts_json, f.durations_json,
              f.slowest_json, f.errors_json});
}

void remove_worker(soci::session& sql, const std::string& instance) {
    pq_query(sql, "DELETE FROM live_workers WHERE instance = $1", {instance});
}

long long remove_dead_workers(soci::session& sql) {
    return pq_query(sql, "WITH gone AS (DELETE FROM live_workers WHERE updated_at < now() - interval '1 hour'"
                         " RETURNING 1) SELECT count(*) FROM gone")
        .int64(0, 0);
}

namespace {

// The requests of one jsonb column (slowest, recent_errors) of the fresh rows, `order`ed, 20 at most.
std::vector<LiveRequest> requests_of(soci::session& sql, const char* column, const char* order,
                                     const std::string& fresh) {
    const std::string query =
        std::string("SELECT w.instance, x.kind, x.status, x.login, x.device, x.seconds, x.at"
                    " FROM live_workers w, jsonb_to_recordset(w.") + column +
        ") AS x(kind text, status integer, login text, device text, seconds float8, at text)"
        " WHERE w.updated_at > now() - make_interval(secs => $1) ORDER BY " + order + " LIMIT 20";
    PqResult r = pq_query(sql, query.c_str(), {fresh});
    std::vector<LiveRequest> out;
    for (int i = 0; i < r.rows(); ++i) {
        LiveRequest q;
        q.instance = r.str(i, 0);
        q.kind = r.str(i, 1);
        q.status = r.is_null(i, 2) ? 0 : r.int32(i, 2);
        q.login = r.str(i, 3);
        q.device = r.str(i, 4);
        q.seconds = r.is_null(i, 5) ? 0 : std::stod(r.str(i, 5));
        q.at = r.str(i, 6);
        out.push_back(std::move(q));
    }
    return out;
}

}  // namespace

LiveView read_live(soci::session& sql, int fresh_seconds) {
    const std::string fresh = std::to_string(fresh_seconds);
    const char* fresh_rows = " FROM live_workers w WHERE w.updated_at > now() - make_interval(secs => $1)";
    LiveView view;
    view.read_epoch = std::stod(pq_query(sql, "SELECT extract(epoch FROM now())::float8").str(0, 0));

    PqResult w = pq_query(sql,
                          (std::string("SELECT instance, host, pid, extract(epoch FROM started_at)::float8,"
                                       " extract(epoch FROM updated_at)::float8, threads, working, parked, pool_size,"
                                       " pool_in_use, pool_waits, errors") +
                           fresh_rows + " ORDER BY host, pid")
                              .c_str(),
                          {fresh});
    for (int i = 0; i < w.rows(); ++i) {
        LiveWorker x;
        x.instance = w.str(i, 0);
        x.host = w.str(i, 1);
        x.pid = w.int32(i, 2);
        x.started_epoch = std::stod(w.str(i, 3));
        x.updated_epoch = std::stod(w.str(i, 4));
        x.threads = w.int32(i, 5);
        x.working = w.int32(i, 6);
        x.parked = w.int32(i, 7);
        x.pool_size = w.int32(i, 8);
        x.pool_in_use = w.int32(i, 9);
        x.pool_waits = w.int64(i, 10);
        x.errors = w.int64(i, 11);
        view.workers.push_back(std::move(x));
    }

    PqResult c = pq_query(sql,
                          (std::string("SELECT w.instance, x.kind, x.status, x.n") +
                           " FROM live_workers w, jsonb_to_recordset(w.counts) AS x(kind text, status text, n bigint)"
                           " WHERE w.updated_at > now() - make_interval(secs => $1)")
                              .c_str(),
                          {fresh});
    for (int i = 0; i < c.rows(); ++i) view.counts.push_back({c.str(i, 0), c.str(i, 1), c.str(i, 2), c.int64(i, 3)});

    PqResult d = pq_query(sql,
                          "SELECT w.instance, x.kind, x.n, x.seconds"
                          " FROM live_workers w, jsonb_to_recordset(w.durations) AS x(kind text, n bigint, seconds float8)"
                          " WHERE w.updated_at > now() - make_interval(secs => $1)",
                          {fresh});
    for (int i = 0; i < d.rows(); ++i)
        view.durations.push_back({d.str(i, 0), d.str(i, 1), d.int64(i, 2), std::stod(d.str(i, 3))});

    view.slowest = requests_of(sql, "slowest", "x.seconds DESC", fresh);
    view.recent_errors = requests_of(sql, "recent_errors", "x.at DESC", fresh);
    return view;
}

}  // namespace easd::store
