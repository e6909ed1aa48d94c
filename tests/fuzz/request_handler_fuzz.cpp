// libFuzzer target for the whole request path with a live database: what a phone (or an attacker
// holding a valid password) can send after signing in. A real PostgreSQL is started once in a
// temporary directory (tests/support/cluster.h), migrated, with one account; each input is one
// request to commands::RequestHandler with the native mail store.
//
// Input: the WBXML body. The command is the one the body's root element belongs to (Sync for
// AirSync:Sync, ...), so the seed corpus is tests/fuzz/corpus/request_handler (requests as the
// client-shape tests send them, plus the WBXML decoder's corpus); a body that does not decode goes
// to the command its first byte picks. The second-to-last byte picks the protocol version.
//
// Invariants (std::abort when broken, with the request saved by libFuzzer):
//   - never HTTP 500 (bad input gets its status code or a 4xx), but for GetAttachment's "not found";
//   - a WBXML answer decodes, and all of its strings are UTF-8 (the phone's XML parser needs it).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "commands/request_handler.h"
#include "common/log.h"
#include "mailstore/native_backend.h"
#include "protocol/request.h"
#include "store/accounts.h"
#include "store/db.h"
#include "support/cluster.h"
#include "wbxml/wbxml.h"

using namespace easd;

namespace {

struct Site {
    std::unique_ptr<test::PgCluster> cluster;
    std::unique_ptr<store::Database> db;
    mailstore::NativeBackend mail;
    std::unique_ptr<commands::RequestHandler> handler;
};
Site* g_site = nullptr;

const char* command_for_root(wbxml::Tag root) {
    namespace tag = wbxml::tag;
    switch (root) {
        case tag::AirSync::Sync: return "Sync";
        case tag::FolderHierarchy::FolderSync: return "FolderSync";
        case tag::FolderHierarchy::FolderCreate: return "FolderCreate";
        case tag::FolderHierarchy::FolderUpdate: return "FolderUpdate";
        case tag::FolderHierarchy::FolderDelete: return "FolderDelete";
        case tag::GetItemEstimate::GetItemEstimate: return "GetItemEstimate";
        case tag::Move::MoveItems: return "MoveItems";
        case tag::ItemOperations::ItemOperations: return "ItemOperations";
        case tag::Ping::Ping: return "Ping";
        case tag::Provision::Provision: return "Provision";
        case tag::Settings::Settings: return "Settings";
        case tag::ComposeMail::SendMail: return "SendMail";
        case tag::ComposeMail::SmartReply: return "SmartReply";
        case tag::ComposeMail::SmartForward: return "SmartForward";
        case tag::Search::Search: return "Search";
        case tag::ResolveRecipients::ResolveRecipients: return "ResolveRecipients";
        case tag::Find::Find: return "Find";
        case tag::MeetingResponse::MeetingResponse: return "MeetingResponse";
        default: return nullptr;
    }
}

const char* const kCommands[] = {"Sync",         "FolderSync",   "ItemOperations", "SendMail",   "MoveItems",
                                 "GetItemEstimate", "Search",    "Settings",       "Provision",  "Ping",
                                 "SmartReply",   "SmartForward", "FolderCreate",   "ResolveRecipients", "Find",
                                 "GetAttachment"};
const char* const kVersions[] = {"14.1", "16.1", "14.0", "12.1", "16.0", "2.5", "12.0"};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    set_log_level(LogLevel::Error);  // a fuzzer's inputs are wrong on purpose; say only what breaks
    auto* site = new Site;
    test::PgCluster::Options options;
    options.migrate = false;  // below, through the library (no easctl binary in the fuzz build)
    site->cluster = std::make_unique<test::PgCluster>(options);
    site->db = std::make_unique<store::Database>(site->cluster->conninfo(), 2);
    {
        store::Database::Lease sql(*site->db);
        store::migrate(*sql, EASD_SCHEMA_DIR_FOR_FUZZ);
        store::add_domain(*sql, "fuzz.test");
        store::add_user(*sql, "fuzz@fuzz.test", "fuzz password");
        store::add_user(*sql, "other@fuzz.test", "other password");
    }
    commands::ServerSettings settings;
    settings.sendmail_command = "/bin/true";
    settings.heartbeat_min = 1;
    // Every input comes from the same device: budgets charged (that path runs) but never spent.
    settings.throttle_limits.device_request_burst = 1 << 30;
    settings.throttle_limits.user_request_burst = 1 << 30;
    site->handler = std::make_unique<commands::RequestHandler>(*site->db, settings, site->mail);
    g_site = site;
    // The cluster is stopped (and its directory removed) when libFuzzer exits normally.
    std::atexit([] {
        delete g_site;
        g_site = nullptr;
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (!g_site || size > (1u << 20)) return 0;
    std::string body(reinterpret_cast<const char*>(data), size);
    const char* cmd = nullptr;
    if (auto decoded = wbxml::decode(body)) cmd = command_for_root(decoded.root->tag);
    if (!cmd) cmd = kCommands[size ? data[0] % (sizeof kCommands / sizeof *kCommands) : 0];
    const char* version = kVersions[size > 1 ? data[size - 2] % (sizeof kVersions / sizeof *kVersions) : 0];

    commands::HttpRequest request;
    request.method = "POST";
    request.query_string = std::string("Cmd=") + cmd + "&User=fuzz&DeviceId=FUZZ" +
                           std::to_string(size ? data[size - 1] % 4 : 0) + "&DeviceType=Fuzzer";
    if (std::string_view(cmd) == "GetAttachment") request.query_string += "&AttachmentName=1%3A2";
    request.authorization = "Basic " + protocol::base64_encode("fuzz@fuzz.test:fuzz password");
    request.protocol_version = version;
    request.user_agent = "Fuzzer/1.0";
    request.content_type = "application/vnd.ms-sync.wbxml";
    request.remote_addr = "192.0.2.1";
    request.body = std::move(body);

    commands::HttpResponse response = g_site->handler->handle(request);
    // GetAttachment of an attachment that is not there is the one 500 MS-ASCMD prescribes (2.2.1.7).
    if (response.status == 500 && std::string_view(cmd) != "GetAttachment") {
        std::fprintf(stderr, "HTTP 500 for %s (%s)\n", cmd, version);
        std::abort();
    }
    bool wbxml_answer = false;
    for (const auto& [name, value] : response.headers)
        if (name == "Content-Type" && value == "application/vnd.ms-sync.wbxml") wbxml_answer = true;
    if (wbxml_answer && !response.body.empty()) {
        auto decoded = wbxml::decode(response.body);
        if (!decoded) {
            std::fprintf(stderr, "%s (%s): the answer does not decode: %s\n", cmd, version, decoded.error.c_str());
            std::abort();
        }
        if (const wbxml::Node* bad = wbxml::find_invalid_text(*decoded.root)) {
            std::fprintf(stderr, "%s (%s): the answer's %s is not UTF-8\n", cmd, version,
                         std::string(wbxml::tag_name(bad->tag)).c_str());
            std::abort();
        }
    }
    return 0;
}
