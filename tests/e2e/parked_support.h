// Parked requests for end-to-end tests: a device synced so that its Ping or hanging Sync waits,
// and those requests timed from sending to the answer. Shared by the tests of push through nginx
// and through Apache.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "e2e_support.h"

namespace e2e {

// A device whose Inbox is synced to its current state, so a Ping or a hanging Sync of it waits.
// (Not dovecot_site.h's SyncedPhone: two classes of one name in namespace e2e would break the
// one-definition rule, and the linker would keep one's inline destructor for both.)
struct ParkedPhone {
    EasClient c;
    Hierarchy h;
    std::string key;  // the Inbox's sync key
    explicit ParkedPhone(EasClient client) : c(std::move(client)) {
        h = folder_sync(c);
        EasResponse k;
        key = sync(c, h.ids["Inbox"], "0", k).key;
        key = sync(c, h.ids["Inbox"], key, k).key;
    }
    ParkedPhone(int port, const std::string& user, const std::string& device)
        : ParkedPhone(EasClient(port, user, "secret-pw", device)) {}
};

struct Answer {
    std::string status;   // the Ping's status ("" for a Sync)
    EasResponse response;
    double seconds = 0;   // from sending to the answer
};

// A Ping of the Inbox with this heartbeat (seconds).
inline Answer ping(ParkedPhone& p, int heartbeat) {
    auto body = xml("<Ping xmlns='Ping'><HeartbeatInterval>" + std::to_string(heartbeat) +
                    "</HeartbeatInterval><Folders><Folder><Id>" + p.h.ids["Inbox"] +
                    "</Id><Class>Email</Class></Folder></Folders></Ping>");
    auto start = std::chrono::steady_clock::now();
    Answer a;
    a.response = p.c.command("Ping", &body);
    a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (a.response.doc) a.status = text_of(*a.response.doc, easd::wbxml::tag::Ping::Status);
    return a;
}

// A Sync of the Inbox at its current key that waits up to this heartbeat (seconds) for changes.
inline Answer hanging_sync(ParkedPhone& p, int heartbeat) {
    auto body = xml("<Sync xmlns='AirSync'><Collections><Collection><SyncKey>" + p.key + "</SyncKey><CollectionId>" +
                    p.h.ids["Inbox"] + "</CollectionId></Collection></Collections><HeartbeatInterval>" +
                    std::to_string(heartbeat) + "</HeartbeatInterval></Sync>");
    auto start = std::chrono::steady_clock::now();
    Answer a;
    a.response = p.c.command("Sync", &body);
    a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return a;
}

}  // namespace e2e
