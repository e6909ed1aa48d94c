// easd: the FastCGI worker. Reads its settings, opens the database pool and the listening socket,
// runs the accept threads, and stops gracefully on SIGTERM or SIGINT: no new requests, requests in
// progress finish, then exit.
#include <fcgiapp.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <algorithm>
#include <thread>

#include "admin/console.h"
#include "commands/out_of_office.h"
#include "commands/request_handler.h"
#include "commands/server_metrics.h"
#include "common/log.h"
#include "content/message.h"
#include "mailstore/open_backend.h"
#include "listener.h"
#include "options.h"
#include "store/conninfo.h"
#include "store/db.h"
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

}  // namespace

int main(int argc, char** argv) {
    set_log_program("easd");
    int exit_code = 0;
    auto options = app::parse_options(argc, argv, &exit_code);
    if (!options) return exit_code;
    if (options->verbose) set_log_level(LogLevel::Debug);

    // libfcgi installs its own SIGTERM handling and a blocked accept() would not notice a signal:
    // block the signals in every thread and take them synchronously in one.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a client that went away is an error return, not a death

    content::init_mime();
    if (FCGX_Init() != 0) {
        EASD_LOG_ERROR("FCGX_Init failed");
        return 70;
    }

    std::unique_ptr<app::Listener> listener;
    try {
        listener = std::make_unique<app::Listener>(
            options->socket_path.empty()
                ? app::Listener::inherit_stdin()
                : app::Listener::open_unix(options->socket_path, options->socket_mode, options->socket_owner));
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

    commands::ServerSettings settings;
    settings.protocol_log_dir = options->protocol_log_dir;
    settings.auth_cache_seconds = options->auth_cache_seconds;
    settings.login_limits = options->login_limits;
    settings.throttle_limits = options->throttle_limits;
    settings.sync_loop_repeats = options->sync_loop_repeats;
    settings.max_body_bytes = options->max_body_bytes;
    settings.heartbeat_min = options->heartbeat_min;
    settings.heartbeat_max = std::max(options->heartbeat_min, options->heartbeat_max);
    settings.max_ping_folders = options->max_ping_folders;
    settings.sendmail_command = options->sendmail_command;
    settings.activesync_url = options->activesync_url;
    settings.rotating_device_types = options->rotating_device_types;
    settings.metrics_allow = options->metrics_allow;
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
    commands::RequestHandler handler(*db, settings, *mail);
    handler.set_metrics(&server_metrics);

    app::Finisher finisher(options->finisher_threads);
    hub.start();
    mailstore::BackgroundHooks hooks;
    hooks.waiting_users = [&hub] { return hub.parked_users(); };
    // New Inbox mail the Dovecot store's mirror finds: Out of Office answers it, as easd-deliver's
    // delivery does in the native store (the reply goes out through sendmail).
    hooks.new_inbox_mail = [&mail, &settings](soci::session& sql, const store::User& user, std::string_view headers,
                                              const content::ParsedMessage& parsed) {
        commands::send_out_of_office_reply(sql, *mail, settings.sendmail_command, user, headers, parsed, std::nullopt);
    };
    mail->start(*db, std::move(hooks));
    // The web console signs in with the same checks and limits as phones (its own verified-login
    // cache: a console sign-in never makes a phone's password check unnecessary, nor the reverse).
    auth::LoginGuard console_guard(*db, *mail, settings.login_limits, std::chrono::seconds(settings.auth_cache_seconds));
    admin::Console console(*db, console_guard);
    app::ParkingServices parking{finisher, handler, hub};
    app::AcceptThreads threads(listener->fd(), handler, options->max_body_bytes,
                              static_cast<std::size_t>(options->max_body_memory_mb) << 20, parking,
                              server_metrics.requests());
    threads.set_console(&console);
    threads.start(options->threads);
    EASD_LOG_INFO("listening on %s with %d threads, %d database connections, up to %zu parked requests, mail store %s",
                  listener->description().c_str(), options->threads, options->db_pool, hub.max_parked(), mail->name());

    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGHUP) continue;  // reserved for log reopening; nothing to reopen on stderr
        EASD_LOG_INFO("signal %d: finishing requests in progress, then stopping", sig);
        break;
    }
    threads.request_stop();
    FCGX_ShutdownPending();
    listener->stop_accepting();
    threads.join();
    // Every parked Ping gets status 1 now (a hanging Sync an empty answer), so phones reconnect (to
    // another worker) at once; the pool writes those answers before the process ends.
    hub.shutdown();
    finisher.stop();
    if (!options->pid_file.empty()) unlink(options->pid_file.c_str());
    EASD_LOG_INFO("stopped");
    return 0;
}
