// The request path of MS-ASHTTP, independent of FastCGI: method and query, authentication,
// device registration, WBXML decoding, dispatch to the command, encoding, protocol log.
// fcgi-app/ adapts FastCGI requests to this; tests can drive it directly.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/login_guard.h"
#include "commands/command.h"
#include "commands/protocol_log.h"
#include "mailstore/mail_backend.h"
#include "store/access.h"
#include "store/db.h"
#include "throttle/request_budgets.h"

namespace easd::commands {

class ServerMetrics;  // commands/server_metrics.h

struct HttpRequest {
    std::string method;        // REQUEST_METHOD
    std::string query_string;  // QUERY_STRING
    std::string authorization; // HTTP_AUTHORIZATION
    std::string protocol_version;  // HTTP_MS_ASPROTOCOLVERSION
    std::string policy_key;        // HTTP_X_MS_POLICYKEY
    std::string user_agent;        // HTTP_USER_AGENT
    std::string content_type;      // CONTENT_TYPE
    std::string accept_multipart;  // HTTP_MS_ASACCEPTMULTIPART ("T": multipart ItemOperations responses)
    std::string script_name;       // SCRIPT_NAME and REQUEST_URI: the path tells autodiscover from
    std::string request_uri;       // ActiveSync (front ends fill one or the other reliably)
    std::string host;              // HTTP_HOST (nginx's stock fastcgi_params: the name, no port)
    std::string server_port;       // SERVER_PORT: the port the front end received the request on
    bool https = false;            // HTTPS set by the front end (nginx: $https)
    std::string body;
    std::string push_token;        // HTTP_X_EASD_PUSH_TOKEN (POST /easd-notify from the mail server)
    std::string remote_addr;       // REMOTE_ADDR: the client's address as the web server saw it

    // Set only by easd itself when it runs a woken hanging Sync again, never from what a client
    // sent: the login whose password was verified when the request arrived (not checked again),
    // and when the client's wait ends.
    std::string verified_login;
    std::string verified_stamp;  // what its password was checked against (SignIn::credential_stamp)
    std::optional<std::chrono::steady_clock::time_point> wait_deadline;
    // When easd accepted the request's connection (set by the worker; unset elsewhere). A Ping's
    // heartbeat counts from here, not from when it got through the queue and its checks.
    std::optional<std::chrono::steady_clock::time_point> received;
};

// A request that waits in the push hub, and what is needed to answer it when it wakes.
struct ParkedCommand {
    enum class Kind { Ping, Sync };
    Kind kind = Kind::Ping;
    push::ParkedWait wait;
    HttpRequest request;  // a hanging Sync's request, run again when its folders change (empty for Ping)
};

struct HttpResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // Set instead of an answer when the request waits (Ping, hanging Sync): the worker parks it.
    std::optional<ParkedCommand> park;
};

// A plain-text answer (a line and a newline; no body when `text` is empty).
HttpResponse plain_response(int status, std::string text = {});
// Whether the request is for exactly this path (front ends fill SCRIPT_NAME or REQUEST_URI; a
// query string does not count).
bool request_path_is(const HttpRequest& request, std::string_view path);

// The headers every ActiveSync WBXML answer carries (used for parked requests answered later).
std::vector<std::pair<std::string, std::string>> wbxml_response_headers();

class RequestHandler {
public:
    // `mail` is the mail store (mailstore/open_backend.h); it outlives the handler.
    RequestHandler(store::Database& db, ServerSettings settings, mailstore::MailBackend& mail);
    // Before the body is read (the worker has only the headers and the Content-Length): the
    // method, the sign-in and the body's size for the command. An answer when the request ends
    // there, unread (401, 405, 413, 503...); else nullopt, and the request is marked signed in so
    // handle() does not check the password again. Never throws.
    std::optional<HttpResponse> screen(HttpRequest& request, std::size_t content_length);
    // Never throws: every failure becomes an HTTP answer (and a server-log line for 5xx).
    HttpResponse handle(const HttpRequest& request);
    // The answer of a parked request woken for `reason` (never throws): a Ping's status (2 with
    // the folders that changed, else 1); for a hanging Sync, on changes the Sync run again (which
    // may park again, for the rest of its interval), else the empty response.
    HttpResponse answer_parked(const ParkedCommand& parked, push::WakeReason reason,
                               const std::vector<long long>& folders);
    // What GET /easd-metrics answers (it outlives the handler); unset, the path answers 404.
    void set_metrics(ServerMetrics* metrics) { metrics_ = metrics; }

    // The settings in force; a request keeps the ones it started with to its end.
    std::shared_ptr<const ServerSettings> current_settings() const { return std::atomic_load(&settings_); }
    // New settings for the requests that start from now on (easd's SIGHUP). Only what is read
    // per request changes: the sign-in limits and auth cache (login_limits, auth_cache_seconds),
    // the request budgets (throttle_limits), the body sizes and protocol_log_dir were taken at
    // construction and stay (fcgi-app/reload.h keeps them from `settings`).
    void update_settings(ServerSettings settings) {
        std::atomic_store(&settings_, std::shared_ptr<const ServerSettings>(
                                          std::make_shared<ServerSettings>(std::move(settings))));
    }

private:
    // The method and the caller's sign-in: `answer` when the request ends there, else the user.
    struct Admission {
        std::optional<HttpResponse> answer;
        std::optional<store::User> user;
        std::string login;
        std::string credential_stamp;  // from the sign-in (SignIn::credential_stamp)
        std::optional<protocol::EasQuery> query;  // parsed before sign-in, answered after it
        std::string query_error;
    };
    Admission admit(const HttpRequest& request);
    // The largest body the request's command takes (messages: max_body_bytes; else small).
    std::size_t body_limit(const HttpRequest& request, const std::optional<protocol::EasQuery>& query,
                           const ServerSettings& settings) const;
    HttpResponse handle_unchecked(const HttpRequest& request, const ServerSettings& settings);
    // The device's and user's request budgets and the device's autoblock (throttle/): an answer
    // (503 with X-MS-ASThrottle and Retry-After) when the request is not to be served now.
    std::optional<HttpResponse> throttle(const store::User& user, const std::string& device_id,
                                         const ServerSettings& settings);

    store::Database& db_;
    // Swapped whole by update_settings (std::atomic_load/atomic_store: C++17's atomic shared_ptr).
    std::shared_ptr<const ServerSettings> settings_;
    mailstore::MailBackend& mail_;
    auth::LoginGuard login_guard_;
    // The server's access mode, read at most once per auth-cache period, so `easctl server set
    // access_mode` takes effect as soon as disabling a user does.
    store::AccessModeCache access_mode_;
    // Each device's policy levels while the policies do not change (schema 019).
    store::PolicyLevelsCache policy_levels_;
    ProtocolLog protocol_log_;
    throttle::RequestBudgets budgets_;
    ServerMetrics* metrics_ = nullptr;
};

// "2.5,12.0,12.1,14.0,14.1,16.0,16.1" and the implemented command names, as OPTIONS sends them.
std::string advertised_versions();
std::string advertised_commands();

}  // namespace easd::commands
