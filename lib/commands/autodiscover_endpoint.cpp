#include "commands/autodiscover_endpoint.h"

#include "autodiscover/autodiscover.h"
#include "common/log.h"
#include "common/text.h"
#include "store/aliases.h"
#include "store/db.h"

namespace easd::commands {

namespace {

HttpResponse xml_answer(std::string body) {
    HttpResponse r;
    r.headers.emplace_back("Content-Type", "text/xml; charset=utf-8");
    r.body = std::move(body);
    return r;
}

// The configured URL, else the one the phone reached us by: same scheme, host and port. (Behind a
// load balancer or a port mapping the port nginx sees is not the phone's: set activesync_url.)
std::string activesync_url(const HttpRequest& request, const ServerSettings& settings) {
    if (!settings.activesync_url.empty()) return settings.activesync_url;
    std::string authority = request.host;
    bool has_port = !authority.empty() && authority.back() != ']' && authority.find(':') != std::string::npos;
    const char* default_port = request.https ? "443" : "80";
    if (!has_port && !request.server_port.empty() && request.server_port != default_port)
        authority += ":" + request.server_port;
    return std::string(request.https ? "https" : "http") + "://" + authority + "/Microsoft-Server-ActiveSync";
}

}  // namespace

bool is_autodiscover_request(const HttpRequest& request) {
    constexpr std::string_view kPath = "/autodiscover/autodiscover.xml";
    std::string_view uri = request.request_uri;
    return iequals(request.script_name, kPath) || iequals(uri.substr(0, uri.find('?')), kPath);
}

HttpResponse answer_autodiscover(const HttpRequest& request, const store::User& user, const ServerSettings& settings,
                                 store::Database& db) {
    auto own_settings = [&](const std::string& asked) {
        if (request.host.empty() && settings.activesync_url.empty())
            return xml_answer(autodiscover::mobilesync_error(asked, "The server does not know its own address"));
        return xml_answer(
            autodiscover::settings_response(user.display_name, user.address, activesync_url(request, settings)));
    };
    // A GET (what the administrator's guide shows, and what some clients try first) has no
    // request document: it asks for the signed-in account's settings, in the mobilesync schema.
    if (request.method == "GET") return own_settings(user.address);

    std::string error;
    auto parsed = autodiscover::parse_request(request.body, &error);
    if (!parsed) return xml_answer(autodiscover::schema_error(600, "Invalid Request: " + error));
    // The request's own namespace (mobilesync's or Outlook's request schema) does not matter: the
    // response schema it accepts decides what it can read.
    const bool mobilesync = parsed->schema == autodiscover::kMobileSyncSchema;
    const bool outlook = parsed->schema == autodiscover::kOutlookSchema;
    auto no_provider = [] {
        return xml_answer(autodiscover::schema_error(
            601, "The requested schema version is not supported; this server offers ActiveSync only, in " +
                     std::string(autodiscover::kMobileSyncSchema)));
    };
    if (!mobilesync && !outlook) return no_provider();
    if (iequals(parsed->email, user.address)) return mobilesync ? own_settings(parsed->email) : no_provider();
    // Another address of the same account: the client asks again with the account's own (an
    // alias's redirect tells nothing the signed-in user does not know).
    {
        store::Database::Lease sql(db);
        if (store::is_alias_of(*sql, parsed->email, user.id))
            return xml_answer(mobilesync ? autodiscover::mobilesync_redirect(parsed->email, user.address)
                                         : autodiscover::outlook_redirect(user.address));
    }
    // Only the signed-in account's own settings: no one learns about another account here.
    EASD_LOG_INFO("autodiscover: %s asked for %s", user.address.c_str(), parsed->email.c_str());
    if (!mobilesync) return no_provider();
    return xml_answer(autodiscover::mobilesync_error(
        parsed->email, "The address is not the one of the account that signed in (" + user.address + ")"));
}

}  // namespace easd::commands
