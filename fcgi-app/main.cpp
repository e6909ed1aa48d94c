// easd: the FastCGI worker. Reads its settings, opens the database pool and the listening socket,
// runs the accept threads, and stops gracefully on SIGTERM or SIGINT: no new requests, requests in
// progress finish, then exit. SIGHUP reads the config again (fcgi-app/reload.h) and reopens the
// log file. Under systemd it takes the socket systemd passes, and says when it is ready, alive
// (the watchdog) and stopping (common/systemd.h).
#include <fcgiapp.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "admin/console.h"
#include "commands/out_of_office.h"
#include "commands/request_handler.h"
#include "commands/server_metrics.h"
#include "common/config_keys.h"
#include "common/log.h"
#include "common/systemd.h"
#include "content/message.h"
#include "mailstore/open_backend.h"
#include "listener.h"
#include "options.h"
#include "reload.h"
#include "store/conninfo.h"
#include "store/db.h"
#include "live_publisher.h"
#include "worker.h"

using namespace easd;

namespace {

// Every parked request holds one descriptor: take the hard limit, and park no more than it leaves
// after what the rest of the process needs (accept threads, database pool, listener, logs). A
// `max_parked` above what the hard limit allows asks for a higher hard limit first, as
// LimitNOFILE= would (only a privileged process may raise it: root with CAP_SYS_RESOURCE); when
// that is refused, the log says what easd can park instead.
std::size_t descriptor_budget(const app::Options& options) {
    const long long reserve = 64 + 2LL * options.threads + options.db_pool;
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) lim.rlim_cur = lim.rlim_max = 1024;
    if (options.max_parked > 0 && lim.rlim_max != RLIM_INFINITY &&
        static_cast<long long>(lim.rlim_max) < options.max_parked + reserve) {
        rlimit wanted{};
        wanted.rlim_cur = wanted.rlim_max = static_cast<rlim_t>(options.max_parked + reserve);
        if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) lim = wanted;
    }
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &lim) != 0) getrlimit(RLIMIT_NOFILE, &lim);
    }
    long long budget = static_cast<long long>(lim.rlim_cur == RLIM_INFINITY ? 1 << 20 : lim.rlim_cur) - reserve;
    budget = std::max(16LL, budget);
    if (options.max_parked > 0 && budget < options.max_parked)
        EASD_LOG_WARN("max_parked is %d, but the descriptor limit (%llu) leaves room for %lld parked requests: "
                      "raise easd's limit (LimitNOFILE=%lld in its unit)",
                      options.max_parked, static_cast<unsigned long long>(lim.rlim_cur), budget,
                      options.max_parked + reserve);
    if (options.max_parked > 0) budget = std::min<long long>(budget, options.max_parked);
    return static_cast<std::size_t>(budget);
}

// How long the push hub's thread may go without a turn before the watchdog takes it for stuck: it
// goes round at least once a second, so half the watchdog interval (systemd then has the other
// half to see no WATCHDOG=1), but never less than a few seconds on a loaded machine.
std::chrono::microseconds stuck_after(std::chrono::microseconds watchdog_interval) {
    return std::max<std::chrono::microseconds>(watchdog_interval / 2, std::chrono::seconds(5));
}

// A key no easd program reads is ignored, but said, with the key it most likely meant: a typo
// (heartbeat_maxx) would otherwise change nothing without a word. In the log, so after the
// switch to log_file.
void warn_unknown_keys(const Config& config) {
    for (const std::string& line : unknown_config_key_warnings(config)) EASD_LOG_WARN("%s", line.c_str());
}

// SIGHUP: reads the config again with the same command line, reopens the log file, and hands the
// request handler the settings that may change at run time (fcgi-app/reload.h). A config with an
// error changes nothing.
void reload(int argc, char** argv, const app::Options& started_with, std::string& log_file,
            commands::RequestHandler& handler, const systemd::Notifier& notifier) {
    notifier.notify("RELOADING=1");
    EASD_LOG_INFO("SIGHUP: reopening the log and reading %s again",
                  started_with.config_path.empty() ? "the command line" : started_with.config_path.c_str());
    int exit_code = 0;
    auto fresh = app::parse_options(argc, argv, &exit_code);
    if (!fresh) {
        // parse_options said what is wrong, on the line above.
        EASD_LOG_ERROR("reload: the configuration has an error; nothing changed");
        notifier.notify("READY=1");
        return;
    }
    if (!fresh->log_file.empty()) {
        // The same path again after logrotate renamed the file: a new file by that name.
        std::string error;
        if (redirect_log_to_file(fresh->log_file, &error))
            log_file = fresh->log_file;
        else
            EASD_LOG_ERROR("reload: %s; the log stays where it was", error.c_str());
    } else if (!log_file.empty()) {
        EASD_LOG_WARN("reload: log_file was removed; the log stays in %s until easd restarts", log_file.c_str());
    }
    set_log_level(fresh->log_level);
    warn_unknown_keys(fresh->config);
    handler.update_settings(app::reloaded_settings(*handler.current_settings(), *fresh));
    for (const std::string& key : app::keys_needing_restart(started_with.config, fresh->config))
        EASD_LOG_WARN("reload: %s changed; it takes effect when easd restarts", key.c_str());
    const auto now = handler.current_settings();
    EASD_LOG_INFO("reloaded: log level %s, heartbeat %d..%d s, max_ping_folders %d", log_level_name(fresh->log_level),
                  now->heartbeat_min, now->heartbeat_max, now->max_ping_folders);
    notifier.notify("READY=1");
}

}  // namespace

int main(int argc, char** argv) {
    set_log_program("easd");
    // What systemd put in the environment, read (and cleared, so sendmail does not inherit it)
    // before any thread starts.
    const std::vector<int> systemd_sockets = systemd::take_listen_fds();
    const systemd::Notifier notifier = systemd::Notifier::from_environment();
    int exit_code = 0;
    auto options = app::parse_options(argc, argv, &exit_code);
    if (!options) return exit_code;
    std::string log_file = options->log_file;
    if (!log_file.empty()) {
        std::string error;
        if (!redirect_log_to_file(log_file, &error)) {
            EASD_LOG_ERROR("%s", error.c_str());
            return 73;  // EX_CANTCREAT
        }
    }
    set_log_level(options->log_level);
    warn_unknown_keys(options->config);

    // libfcgi installs its own SIGTERM handling and a blocked accept() would not notice a signal:
    // block the signals in every thread (before the first one starts: threads inherit the mask) and
    // take them synchronously in one.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a client that went away is an error return, not a death

    // The watchdog runs from the start (systemd may count from the process's start); it judges the
    // push hub once that runs, and until then only that easd is not stuck before it.
    std::atomic<const push::PushHub*> watched_hub{nullptr};
    std::unique_ptr<systemd::Watchdog> watchdog;
    if (auto interval = notifier.watchdog_interval()) {
        const auto limit = stuck_after(*interval);
        watchdog = std::make_unique<systemd::Watchdog>(notifier, *interval, [&watched_hub, limit]() -> std::string {
            const push::PushHub* hub = watched_hub.load();
            if (!hub || hub->connecting()) return {};
            const auto idle = std::chrono::steady_clock::now() - hub->last_turn();
            if (idle < limit) return {};
            return "the push hub's thread has not run for " +
                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(idle).count()) + " s";
        });
    }

    content::init_mime();
    if (FCGX_Init() != 0) {
        EASD_LOG_ERROR("FCGX_Init failed");
        return 70;
    }

    // The socket: systemd's (socket activation) before the configured path before fd 0. systemd's
    // wins over `socket`, so one config serves easd.service with or without easd.socket.
    if (systemd_sockets.size() > 1) {
        EASD_LOG_ERROR("systemd passed %zu sockets; easd serves one (one ListenStream= in its .socket unit)",
                       systemd_sockets.size());
        return 78;
    }
    std::unique_ptr<app::Listener> listener;
    try {
        if (!systemd_sockets.empty()) {
            listener = std::make_unique<app::Listener>(app::Listener::inherit_systemd(systemd_sockets.front()));
            if (!options->socket_path.empty())
                EASD_LOG_INFO("serving the socket systemd passed; socket = %s is not used", options->socket_path.c_str());
        } else {
            listener = std::make_unique<app::Listener>(
                options->socket_path.empty()
                    ? app::Listener::inherit_stdin()
                    : app::Listener::open_unix(options->socket_path, options->socket_mode, options->socket_owner));
        }
    } catch (const std::exception& e) {
        EASD_LOG_ERROR("%s", e.what());
        return 71;
    }

    std::unique_ptr<store::Database> db;
    try {
        db = std::make_unique<store::Database>(options->database, static_cast<std::size_t>(options->db_pool));
    } catch (const std::exception& e) {
        // Which database it tried (never its password), as easctl says it.
        EASD_LOG_ERROR("%s (%s, from %s)", e.what(), store::describe_conninfo(options->database).c_str(),
                       options->database_from.c_str());
        return 75;
    }

    // A database behind this build (a new easd, `easctl migrate` not yet run) would fail requests
    // one by one in ways that look like bugs: say it once and stop. 78 (EX_CONFIG): not retried by
    // scripts/supervise nor by systemd (RestartPreventExitStatus), since it will not fix itself.
    try {
        store::Database::Lease sql(*db);
        if (std::string problem = store::schema_problem(*sql); !problem.empty()) {
            EASD_LOG_ERROR("%s", problem.c_str());
            return 78;
        }
    } catch (const std::exception& e) {
        EASD_LOG_ERROR("cannot read the schema version: %s", e.what());
        return 75;
    }

    if (!options->pid_file.empty()) {
        std::ofstream pid(options->pid_file);
        pid << getpid() << "\n";
    }

    // The hub before the mail store: a store that polls for waiting users asks the hub, so it must
    // stop (be destroyed) first.
    push::PushHub hub(*db, options->database, commands::parked_folders_with_changes, descriptor_budget(*options));
    std::string mail_error;
    std::unique_ptr<mailstore::MailBackend> mail = mailstore::open_mail_backend(options->config, &mail_error);
    if (!mail) {
        EASD_LOG_ERROR("%s", mail_error.c_str());
        if (!options->pid_file.empty()) unlink(options->pid_file.c_str());
        return 78;
    }
    commands::ServerMetrics server_metrics(*db, &hub);
    // Every easd process of the host in each scrape (README, "Monitoring"): declared after
    // server_metrics, whose samples its thread writes, so that it stops first.
    std::unique_ptr<commands::MetricsSnapshots> metrics_snapshots;
    if (!options->metrics_dir.empty()) {
        metrics_snapshots = std::make_unique<commands::MetricsSnapshots>(options->metrics_dir);
        server_metrics.set_snapshots(metrics_snapshots.get());
        metrics_snapshots->start([&server_metrics] { return server_metrics.render_process(); });
    }
    commands::RequestHandler handler(*db, app::server_settings(*options), *mail);
    handler.set_metrics(&server_metrics);

    app::Finisher finisher(options->finisher_threads);
    hub.start();
    watched_hub.store(&hub);
    mailstore::BackgroundHooks hooks;
    hooks.waiting_users = [&hub] { return hub.parked_users(); };
    // New Inbox mail the Dovecot store's mirror finds: Out of Office answers it, as easd-deliver's
    // delivery does in the native store (the reply goes out through sendmail).
    hooks.new_inbox_mail = [&mail, &handler](soci::session& sql, const store::User& user, std::string_view headers,
                                             const content::ParsedMessage& parsed) {
        commands::send_out_of_office_reply(sql, *mail, handler.current_settings()->sendmail_command, user, headers,
                                           parsed, std::nullopt);
    };
    mail->start(*db, std::move(hooks));
    // The web console signs in with the same checks and limits as phones (its own verified-login
    // cache: a console sign-in never makes a phone's password check unnecessary, nor the reverse).
    auth::LoginGuard console_guard(*db, *mail, options->login_limits, std::chrono::seconds(options->auth_cache_seconds));
    admin::Console console(*db, console_guard, app::console_settings(*options));
    app::ParkingServices parking{finisher, handler, hub};
    app::AcceptThreads threads(listener->fd(), handler, options->max_body_bytes,
                              static_cast<std::size_t>(options->max_body_memory_mb) << 20, parking,
                              server_metrics);
    threads.set_console(&console);
    threads.start(options->threads);
    app::LivePublisher live(*db, hub, threads, server_metrics, std::chrono::milliseconds(options->live_stats_ms));
    live.start();
    EASD_LOG_INFO("listening on %s with %d threads, %d database connections, up to %zu parked requests, mail store %s",
                  listener->description().c_str(), options->threads, options->db_pool, hub.max_parked(), mail->name());
    // The database answered, its schema fits, and the socket is accepting: systemd may start what
    // comes after easd (Type=notify).
    notifier.notify("READY=1\nSTATUS=serving on " + listener->description() + ", mail store " + mail->name());

    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGHUP) {
            reload(argc, argv, *options, log_file, handler, notifier);
            continue;
        }
        EASD_LOG_INFO("signal %d: finishing requests in progress, then stopping", sig);
        break;
    }
    notifier.notify("STOPPING=1\nSTATUS=finishing requests in progress");
    // No more WATCHDOG=1 (systemd does not expect them while stopping), and none from a thread
    // that looks at the hub once it is gone.
    watchdog.reset();
    watched_hub.store(nullptr);
    live.stop();
    // Gone from the other processes' scrapes at once (its requests in progress finish unseen).
    if (metrics_snapshots) metrics_snapshots->stop();
    threads.request_stop();
    FCGX_ShutdownPending();
    threads.join();
    // Every parked Ping gets status 1 now (a hanging Sync an empty answer), so phones reconnect (to
    // another worker) at once; the pool writes those answers before the process ends.
    hub.shutdown();
    finisher.stop();
    if (!options->pid_file.empty()) unlink(options->pid_file.c_str());
    EASD_LOG_INFO("stopped");
    return 0;
}
