#include "commands/request_handler.h"

#include <algorithm>

#include "commands/admission.h"
#include "commands/autodiscover_endpoint.h"
#include "commands/health_endpoint.h"
#include "commands/metrics_endpoint.h"
#include "commands/push_endpoint.h"
#include "commands/unbuilt_commands.h"
#include "common/log.h"
#include "store/access.h"
#include "store/pq.h"
#include "store/throttling.h"

namespace easd::commands {

namespace {

constexpr const char* kWbxmlType = "application/vnd.ms-sync.wbxml";
constexpr const char* kServerVersion = "16.1";

// The database or the mail server is out of reach: the phone retries after a while.
HttpResponse temporarily_unavailable() {
    HttpResponse r = plain_response(503, "service temporarily unavailable");
    r.headers.emplace_back("Retry-After", "30");
    return r;
}

// A failed query: 503 with Retry-After when the database is out of reach (the phone retries),
// else 500. The reason goes to the server log, never to the client.
HttpResponse database_failure(const char* what, bool connection_lost) {
    EASD_LOG_ERROR("database error: %s", what);
    return connection_lost ? temporarily_unavailable() : plain_response(500, "internal error");
}

// MS-ASHTTP's throttling answer: 503, why (X-MS-ASThrottle, 2.2.2.1.2.13) and how long to wait.
// Exchange answers its budgets and autoblock this way for every command and version; a status
// 111 in the command's body would need the body read first, which a throttled request never is.
HttpResponse throttled(const char* reason, long long seconds) {
    HttpResponse r = plain_response(503, "too many requests from this device or user: try again later");
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
    r.headers.emplace_back("X-MS-ASThrottle", reason);
    return r;
}

HttpResponse unauthorized() {
    HttpResponse r = plain_response(401, "authentication required");
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"ActiveSync\"");
    return r;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> wbxml_response_headers() {
    return {{"MS-Server-ActiveSync", kServerVersion}, {"Content-Type", kWbxmlType}};
}

std::string advertised_versions() {
    std::string s;
    for (auto v : protocol::supported_versions()) {
        if (!s.empty()) s += ',';
        s += protocol::version_string(v);
    }
    return s;
}

std::string advertised_commands() {
    std::string s;
    for (const auto& c : implemented_commands()) {
        if (!s.empty()) s += ',';
        s += c.name;
    }
    return s;
}

// How long a worker trusts the server's access mode it read (easctl server set access_mode): the
// sign-in cache's lifetime, but never more than this.
constexpr int kAccessModeSeconds = 30;

bool request_path_is(const HttpRequest& request, std::string_view path) {
    std::string_view uri = request.request_uri;
    return request.script_name == path || uri.substr(0, uri.find('?')) == path;
}

HttpResponse plain_response(int status, std::string text) {
    HttpResponse r;
    r.status = status;
    if (!text.empty()) {
        r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
        r.body = std::move(text) + "\n";
    }
    return r;
}

RequestHandler::RequestHandler(store::Database& db, ServerSettings settings, mailstore::MailBackend& mail)
    : db_(db),
      settings_(std::make_shared<ServerSettings>(std::move(settings))),
      mail_(mail),
      login_guard_(db, mail, settings_->login_limits, std::chrono::seconds(settings_->auth_cache_seconds)),
      protocol_log_(settings_->protocol_log_dir),
      budgets_(settings_->throttle_limits) {}

namespace {

// The answer for the exception being handled (call only inside a catch block): 503 with
// Retry-After when the database or mail server is out of reach, 400 for a value the store
// refused, else 500. The reason goes to the server log, never to the client.
HttpResponse answer_for_current_exception() {
    try {
        throw;
    } catch (const store::Unavailable& e) {
        EASD_LOG_ERROR("database unavailable: %s", e.what());
        return temporarily_unavailable();
    } catch (const mailstore::MailUnavailable& e) {
        EASD_LOG_WARN("mail server unavailable: %s", e.what());
        return temporarily_unavailable();
    } catch (const store::QueryError& e) {
        return database_failure(e.what(), e.connection_lost());
    } catch (const soci::soci_error& e) {
        return database_failure(e.what(), store::is_connection_error(e));
    } catch (const store::InvalidRequest& e) {
        // The store refused a value the request carried (an address that is none...) where the
        // command has no status of its own for it: the client's mistake, not the server's.
        EASD_LOG_INFO("request refused by the store: %s", e.what());
        return plain_response(400, e.what());
    } catch (const std::exception& e) {
        EASD_LOG_ERROR("internal error: %s", e.what());
        return plain_response(500, "internal error");
    } catch (...) {
        EASD_LOG_ERROR("internal error: an exception that is no std::exception");
        return plain_response(500, "internal error");
    }
}

}  // namespace

HttpResponse RequestHandler::handle(const HttpRequest& request) {
    try {
        // One snapshot for the whole request: a reload meanwhile does not mix old and new settings.
        const std::shared_ptr<const ServerSettings> now = current_settings();
        return handle_unchecked(request, *now);
    } catch (...) {
        return answer_for_current_exception();
    }
}

HttpResponse RequestHandler::answer_parked(const ParkedCommand& parked, push::WakeReason reason,
                                           const std::vector<long long>& folders) {
    if (parked.kind == ParkedCommand::Kind::Sync && reason == push::WakeReason::Changes) return handle(parked.request);
    HttpResponse r;
    if (parked.kind == ParkedCommand::Kind::Ping) {
        r.headers = wbxml_response_headers();
        if (reason != push::WakeReason::Changes) r.body = ping_response_body(1, {});
        else if (folders == std::vector<long long>{kHierarchyChangedMarker}) r.body = ping_response_body(7, {});  // FolderSync first
        else r.body = ping_response_body(2, folders);
    } else {
        // A hanging Sync that ends without changes gets the empty response (MS-ASCMD 3.1.5.4): the
        // client keeps its keys and asks again.
        r.headers.emplace_back("MS-Server-ActiveSync", kServerVersion);
    }
    return r;
}

RequestHandler::Admission RequestHandler::admit(const HttpRequest& request) {
    Admission a;
    bool is_options = request.method == "OPTIONS";
    // Autodiscover also answers GET (the form the administrator's guide shows), after sign-in.
    bool autodiscover_get = request.method == "GET" && is_autodiscover_request(request);
    if (!is_options && request.method != "POST" && !autodiscover_get) {
        HttpResponse r = plain_response(405, "use POST or OPTIONS");
        r.headers.emplace_back("Allow", "OPTIONS, POST");
        a.answer = std::move(r);
        return a;
    }

    // Credentials first: nothing about the server is told to a caller who has not logged in.
    auto credentials = protocol::parse_basic_auth(request.authorization);
    if (!credentials) {
        a.answer = unauthorized();
        return a;
    }
    // Parsed now for its DeviceId, which lets a phone that synced before sign in while strangers
    // are locked out; a bad query is answered only after sign-in.
    a.query = protocol::parse_query(request.query_string, &a.query_error);
    a.login = protocol::normalize_login(credentials->user);
    if (!request.verified_login.empty() && request.verified_login == a.login) {
        // Screened before its body was read, or a woken hanging Sync: the password was checked
        // then; the account is read again, so a disabled user is still refused.
        store::Database::Lease sql(db_);
        auto found = store::find_login(*sql, a.login);
        if (!found) {
            a.answer = unauthorized();
        } else if (!request.verified_stamp.empty() && found->password_hash != request.verified_stamp) {
            // The password changed after this sign-in was verified (perhaps from the cache, which
            // keeps sign-ins for auth_cache_seconds): refused now, and not remembered any longer.
            login_guard_.forget(a.login);
            a.answer = unauthorized();
        } else {
            a.user = found->user;
        }
        return a;
    }
    auth::SignInAttempt attempt{a.login, credentials->password, request.remote_addr,
                                a.query ? a.query->device_id
                                        : protocol::device_id_of_incomplete_query(request.query_string)};
    auth::SignIn signed_in = login_guard_.sign_in(attempt);
    switch (signed_in.outcome) {
        case auth::SignIn::Outcome::Accepted:
            a.user = std::move(signed_in.user);
            a.credential_stamp = std::move(signed_in.credential_stamp);
            break;
        case auth::SignIn::Outcome::Refused: a.answer = unauthorized(); break;
        case auth::SignIn::Outcome::Unavailable: {
            HttpResponse r = plain_response(503, "the password cannot be checked now");
            r.headers.emplace_back("Retry-After", "30");
            a.answer = std::move(r);
            break;
        }
        case auth::SignIn::Outcome::Throttled:
        case auth::SignIn::Outcome::Busy: {
            // MS-ASHTTP 3.1.5.2.3: throttling is a 503 with the time to wait.
            HttpResponse r = plain_response(503, signed_in.outcome == auth::SignIn::Outcome::Throttled
                                                     ? "too many failed sign-ins: try again later"
                                                     : "too many sign-ins at once: try again later");
            r.headers.emplace_back("Retry-After", std::to_string(signed_in.retry_after_seconds));
            a.answer = std::move(r);
            break;
        }
    }
    return a;
}

std::size_t RequestHandler::body_limit(const HttpRequest& request, const std::optional<protocol::EasQuery>& query,
                                      const ServerSettings& settings) const {
    if (is_autodiscover_request(request) || !query) return settings.max_small_body_bytes;
    // Only these carry messages and attachments; every other request is a few kilobytes of WBXML.
    static const char* const kMessageCarrying[] = {"SendMail", "SmartReply", "SmartForward", "Sync"};
    for (const char* name : kMessageCarrying)
        if (query->cmd == name) return settings.max_body_bytes;
    return settings.max_small_body_bytes;
}

std::optional<HttpResponse> RequestHandler::screen(HttpRequest& request, std::size_t content_length) {
    try {
        if (is_health_request(request)) return std::nullopt;  // no sign-in, no body: handle() answers
        // No sign-in either; a stranger or a POST is answered before its body is read.
        const std::shared_ptr<const ServerSettings> settings_now = current_settings();
        const ServerSettings& settings = *settings_now;
        if (is_metrics_request(request)) return refuse_metrics_request(request, settings.metrics_allow);
        if (is_push_notification_request(request))
            return content_length > settings.max_small_body_bytes
                       ? std::optional<HttpResponse>(plain_response(413, "request body too large"))
                       : std::nullopt;
        Admission a = admit(request);
        if (a.answer) return std::move(a.answer);
        // Budgets before the body: a device told to wait costs nothing more.
        std::string device_id = a.query ? a.query->device_id : protocol::device_id_of_incomplete_query(request.query_string);
        if (auto refusal = throttle(*a.user, device_id, settings)) return refusal;
        // handle() need not check the password again (the account is read again there).
        request.verified_login = a.login;
        request.verified_stamp = a.credential_stamp;
        if (content_length > body_limit(request, a.query, settings))
            return plain_response(413, "request body too large for " + (a.query ? a.query->cmd : std::string("this request")));
        return std::nullopt;
    } catch (...) {
        return answer_for_current_exception();  // as handle() answers: 503 when out of reach, ...
    }
}

std::optional<HttpResponse> RequestHandler::throttle(const store::User& user, const std::string& device_id,
                                                     const ServerSettings& settings) {
    const auto now = throttle::RequestBudgets::Clock::now();
    if (auto block = budgets_.blocked(user.id, device_id, now)) {
        long long left = block->seconds_left;
        if (block->confirm) {  // an administrator may have lifted it (easctl device unblock)
            store::Database::Lease sql(db_);
            left = store::autoblock_seconds_left(*sql, user.id, device_id);
            budgets_.note_block(user.id, device_id, left, now);
        }
        if (left > 0) return throttled(throttle::kCommandFrequency, left);
    }
    throttle::RequestBudgets::Verdict verdict = budgets_.charge(user.id, device_id, now);
    if (verdict.allowed) return std::nullopt;
    if (!verdict.block_device) return throttled(throttle::kOutOfBudgets, verdict.retry_after_seconds);

    // Told to wait again and again and still sending: Exchange's autoblock. A row, so every
    // worker and host refuses the device, and easctl shows and lifts it.
    const auto& limits = settings.throttle_limits;
    bool stored = false;
    {
        store::Database::Lease sql(db_);
        stored = store::autoblock_device(*sql, user.id, device_id, limits.autoblock_seconds, throttle::kCommandFrequency);
    }
    budgets_.note_block(user.id, device_id, limits.autoblock_seconds, now);
    EASD_LOG_WARN("device %s of %s autoblocked for %d s (%s): refused %d times within %d s and still sending%s",
                  device_id.c_str(), user.address.c_str(), limits.autoblock_seconds, throttle::kCommandFrequency,
                  limits.autoblock_refusals, limits.autoblock_window_seconds,
                  stored ? "" : " (no device row yet: blocked in this process only)");
    return throttled(throttle::kCommandFrequency, limits.autoblock_seconds);
}

HttpResponse RequestHandler::handle_unchecked(const HttpRequest& request, const ServerSettings& settings) {
    if (is_health_request(request)) return answer_health(request, db_);
    if (is_metrics_request(request)) return answer_metrics(request, settings.metrics_allow, metrics_);
    // The mail server's change announcements carry a token, not a user's credentials.
    if ((request.method == "POST") && is_push_notification_request(request))
        return answer_push_notification(request, mail_, db_);
    Admission a = admit(request);
    if (a.answer) return std::move(*a.answer);
    const bool is_options = request.method == "OPTIONS";
    std::optional<store::User>& user = a.user;
    const std::string& login = a.login;
    auto& query = a.query;
    const std::string& query_error = a.query_error;
    if (!store::may_use_activesync(*user, access_mode_.get(db_, std::chrono::seconds(std::min(settings.auth_cache_seconds, kAccessModeSeconds)))))
        return plain_response(403, "ActiveSync is disabled for this account");
    if (is_autodiscover_request(request)) {
        if (is_options) {
            HttpResponse r = plain_response(405, "use POST or GET");
            r.headers.emplace_back("Allow", "GET, POST");
            return r;
        }
        return answer_autodiscover(request, *user, settings, db_);
    }

    if (is_options) {
        HttpResponse r;
        r.headers.emplace_back("MS-Server-ActiveSync", kServerVersion);
        r.headers.emplace_back("MS-ASProtocolVersions", advertised_versions());
        r.headers.emplace_back("MS-ASProtocolCommands", advertised_commands());
        r.headers.emplace_back("Allow", "OPTIONS,POST");
        r.headers.emplace_back("Public", "OPTIONS,POST");
        return r;
    }

    if (!query) return plain_response(400, "bad request: " + query_error);

    // The header form of AcceptMultiPart (MS-ASHTTP 2.2.1.1.2.1), same meaning as the query's.
    if (request.accept_multipart == "T" || request.accept_multipart == "t") query->accept_multipart = true;

    const CommandInfo* command = find_command(query->cmd);
    if (!command) command = find_unbuilt_command(query->cmd);  // an EAS answer, not an HTTP error
    if (!command) return plain_response(501, "not an EAS command: " + query->cmd);

    std::optional<protocol::ProtocolVersion> version =
        request.protocol_version.empty() ? query->version : protocol::parse_version(request.protocol_version);
    if (!version || !protocol::is_supported(*version)) {
        HttpResponse r = plain_response(400, "missing or unsupported MS-ASProtocolVersion");
        r.headers.emplace_back("MS-ASProtocolVersions", advertised_versions());
        return r;
    }

    // Decode before touching the store, so a malformed body changes nothing.
    std::optional<wbxml::Node> body;
    const bool mime_body = command->mime_body_before_140 && *version < 140;  // kept as sent (raw_body)
    if (mime_body) {
        if (request.body.empty()) return plain_response(400, "the " + query->cmd + " command needs a request body");
    } else if (!request.body.empty()) {
        // Real Android devices send bytes after the root's END: the document before them is whole.
        wbxml::DecodeLimits limits;
        limits.allow_trailing_bytes = true;
        wbxml::DecodeResult decoded = wbxml::decode(request.body, limits);
        if (!decoded) return plain_response(400, "malformed WBXML: " + decoded.error);
        if (decoded.trailing_bytes)
            EASD_LOG_DEBUG("%s: ignored %zu byte(s) after the WBXML root element", query->cmd.c_str(),
                          decoded.trailing_bytes);
        body = std::move(decoded.root);
        // Strings must be UTF-8 before anything reaches the database or another device; elsewhere
        // it is a bad request. Sync answers its items' own (status 6, the rest of the Sync goes
        // through); a message sent as a string (ComposeMail Mime) is bytes, 8-bit MIME included.
        static const std::vector<wbxml::Tag> kCheckedElsewhere = {wbxml::tag::AirSync::Commands,
                                                                  wbxml::tag::ComposeMail::Mime};
        if (const wbxml::Node* bad = wbxml::find_invalid_text(*body, kCheckedElsewhere))
            return plain_response(400, "text that is not UTF-8 in " + std::string(wbxml::tag_name(bad->tag)));
    } else if (command->needs_body) {
        return plain_response(400, "the " + query->cmd + " command needs a request body");
    }

    store::Database::Lease sql(db_);
    store::Device device = identify_device(*sql, settings, user->id, *query, request.user_agent, *version,
                                           request.policy_key, body ? &*body : nullptr);
    if (device.autoblock_seconds_left > 0) {
        // Blocked by another worker or host: refused here too, from now on before the body.
        budgets_.note_block(user->id, device.device_id, device.autoblock_seconds_left,
                            throttle::RequestBudgets::Clock::now());
        return throttled(device.autoblock_reason.empty() ? throttle::kCommandFrequency : device.autoblock_reason.c_str(),
                         device.autoblock_seconds_left);
    }
    CommandContext ctx{*sql, settings, *user, device, *query, *version, body ? &*body : nullptr, request.body,
                       request.wait_deadline, &mail_, &policy_levels_};
    CommandResult result;
    std::string note;
    try {
        // The base64 query form carries the policy key itself, instead of the header
        // (MS-ASHTTP 2.2.1.1.2.8).
        std::string policy_key = request.policy_key;
        if (policy_key.empty() && query->policy_key) policy_key = std::to_string(*query->policy_key);
        if (auto refusal = refuse_admission(ctx, query->cmd, policy_key)) {
            result = std::move(*refusal);
            note = "refused";
        } else {
            result = command->handler(ctx);
        }
    } catch (const MalformedRequest& e) {
        result.http_status = 400;
        note = e.what();
    }

    HttpResponse r;
    r.status = result.http_status;
    r.headers.emplace_back("MS-Server-ActiveSync", kServerVersion);
    if (result.retry_after_seconds > 0) r.headers.emplace_back("Retry-After", std::to_string(result.retry_after_seconds));
    if (result.park) {
        ParkedCommand parked;
        parked.kind = query->cmd == "Sync" ? ParkedCommand::Kind::Sync : ParkedCommand::Kind::Ping;
        parked.wait = std::move(*result.park);
        // The wait began when the request arrived: a phone times its heartbeat from sending it,
        // and a request may have waited seconds for a thread and its sign-in (every phone
        // reconnecting at once). A woken hanging Sync run again (wait_deadline set) waits for the
        // rest of its interval, counted by the command from now.
        parked.wait.began = !request.wait_deadline && request.received ? *request.received
                                                                        : std::chrono::steady_clock::now();
        if (parked.kind == ParkedCommand::Kind::Sync) {
            parked.request = request;
            parked.request.verified_login = login;
            if (parked.request.verified_stamp.empty()) parked.request.verified_stamp = a.credential_stamp;
            parked.request.wait_deadline = parked.wait.began + parked.wait.heartbeat;
        }
        r.park = std::move(parked);
        note = "parked";
    } else if (result.raw_body) {
        r.headers.emplace_back("Content-Type",
                               result.content_type.empty() ? "application/octet-stream" : result.content_type);
        r.body = std::move(*result.raw_body);
    } else if (result.body) {
        r.headers.emplace_back("Content-Type", kWbxmlType);
        r.body = wbxml::encode(*result.body);
    } else if (r.status == 400) {
        r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
        r.body = "bad request: " + note + "\n";
    }

    if ((user->protocol_log || device.protocol_log) && protocol_log_.available()) {
        ProtocolLogEntry entry;
        entry.user = user->address;
        entry.device_id = device.device_id;
        entry.command = query->cmd;
        entry.method = request.method;
        entry.version = protocol::version_string(*version);
        entry.http_status = r.status;
        entry.request = body ? &*body : nullptr;
        entry.response = result.body ? &*result.body : nullptr;
        entry.note = note;
        protocol_log_.write(entry);
    }
    return r;
}

}  // namespace easd::commands
