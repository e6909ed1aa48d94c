#include "commands/push_endpoint.h"

#include "common/log.h"
#include "common/text.h"
#include "protocol/request.h"

namespace easd::commands {

namespace {

constexpr std::string_view kPath = "/easd-notify";
constexpr std::size_t kMaxForm = 16 * 1024;


std::vector<std::string> split_events(std::string_view list) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= list.size()) {
        std::size_t comma = list.find(',', pos);
        if (comma == std::string_view::npos) comma = list.size();
        std::string_view one = trim(list.substr(pos, comma - pos));
        if (!one.empty()) out.emplace_back(one);
        pos = comma + 1;
    }
    return out;
}

}  // namespace

bool is_push_notification_request(const HttpRequest& request) { return request_path_is(request, kPath); }

HttpResponse answer_push_notification(const HttpRequest& request, mailstore::MailBackend& mail, store::Database& db) {
    if (request.method != "POST") {
        HttpResponse r = plain_response(405, "use POST");
        r.headers.emplace_back("Allow", "POST");
        return r;
    }
    if (!mail.accepts_notifications()) return plain_response(404, "this server's mail store takes no notifications");
    if (!mail.notification_token_matches(request.push_token)) {
        EASD_LOG_WARN("a change notification with a wrong or missing X-Easd-Push-Token was refused");
        return plain_response(403, "wrong push token");
    }
    if (request.body.size() > kMaxForm) return plain_response(413, "notification too large");
    auto form = protocol::parse_form(request.body);
    if (!form) return plain_response(400, "not a form (user=...&mailbox=...&events=...)");
    mailstore::MailboxEvent event;
    for (auto& [name, value] : *form) {
        if (name == "user") event.user = std::move(value);
        else if (name == "mailbox") event.mailbox = std::move(value);
        else if (name == "old_mailbox") event.old_mailbox = std::move(value);
        else if (name == "events") event.events = split_events(value);
    }
    if (event.user.empty()) return plain_response(400, "the form names no user");
    store::Database::Lease sql(db);
    switch (mail.mailbox_changed(*sql, event)) {
        case mailstore::NotifyOutcome::Done:
        case mailstore::NotifyOutcome::UnknownUser: return plain_response(204);
        case mailstore::NotifyOutcome::Unavailable: {
            HttpResponse r = plain_response(503, "the mail server cannot be reached now");
            r.headers.emplace_back("Retry-After", "5");
            return r;
        }
    }
    return plain_response(500);
}

}  // namespace easd::commands
