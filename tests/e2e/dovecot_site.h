// A Dovecot site for the end-to-end tests of the Dovecot mail store: a real Dovecot (IMAP, LMTP,
// the push script) and an easd whose mail store it is, behind the tests' nginx and PostgreSQL.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "e2e_support.h"
#include "imap/imap_client.h"
#include "support/dovecot_server.h"

namespace e2e {

inline constexpr const char* kPushToken = "e2e-push-token-0123456789";

// Dovecot with the push script pointing at an easd whose mail store is that Dovecot.
struct DovecotSite {
    easd::test::DovecotServer dovecot;
    easd::test::EasServer easd;

    // `extra` config lines come last, so they win over the ones here.
    explicit DovecotSite(bool push, const std::vector<std::string>& extra = {})
        : dovecot([&] {
              easd::test::DovecotServer::Options o;
              o.push = push;
              o.push_token = kPushToken;
              return o;
          }()),
          easd(cluster(), [&] {
              easd::test::EasServer::Options o;
              o.config_lines = {"mail_store = dovecot",
                                "imap_port = " + std::to_string(dovecot.imap_port()),
                                "imap_master_user = " + dovecot.master_user(),
                                "imap_master_password = " + dovecot.master_password(),
                                "auth_cache_seconds = 1",
                                "heartbeat_min = 1",
                                "sendmail = " + fake_sendmail().script};
              // With the push script, passwords go through Dovecot's auth socket; without it,
              // through an IMAP login (what works with any IMAP server).
              if (push) {
                  o.config_lines.push_back(std::string("push_token = ") + kPushToken);
                  o.config_lines.push_back("dovecot_auth_socket = " + dovecot.auth_socket());
              } else {
                  o.config_lines.push_back("imap_poll_seconds = 1");
              }
              o.config_lines.insert(o.config_lines.end(), extra.begin(), extra.end());
              return o;
          }()) {
        if (push) dovecot.set_push_url(easd.http_url() + "/easd-notify");
    }

    std::string new_account(const std::string& stem) {
        static int n = 0;
        std::string address = stem + std::to_string(++n) + "@dovecot.test";
        dovecot.add_user(address, "dove-" + stem);
        return address;
    }
    EasClient phone(const std::string& address, const std::string& device, const std::string& version = "14.1") {
        return EasClient(easd.http_port(), address, "dove-" + address.substr(0, address.find_first_of("0123456789")),
                         device, "TestDevice", version);
    }
    std::unique_ptr<easd::imap::Connection> imap_as(const std::string& address) {
        easd::imap::Endpoint ep;
        ep.port = dovecot.imap_port();
        auto c = easd::imap::Connection::open(ep);
        c->login(address, "dove-" + address.substr(0, address.find_first_of("0123456789")));
        return c;
    }
};

inline std::string message(const std::string& to, const std::string& subject) {
    return "From: Sender <sender@example.com>\r\nTo: " + to + "\r\nSubject: " + subject +
           "\r\nMessage-ID: <" + subject + "@example.com>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nHello from Dovecot\r\n";
}

// A FolderSync from the device's current key (which makes the Dovecot store catch up every mailbox,
// whether or not an announcement was handled yet); returns the next key.
inline std::string folder_sync_from(EasClient& c, const std::string& key) {
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>" + key + "</SyncKey></FolderSync>");
    auto r = c.command("FolderSync", &body);
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    REQUIRE(text_of(*r.doc, easd::wbxml::tag::FolderHierarchy::Status) == "1");
    return text_of(*r.doc, easd::wbxml::tag::FolderHierarchy::SyncKey);
}

struct SyncedPhone {
    EasClient c;
    Hierarchy h;
    std::string inbox_key;
    std::vector<std::string> inbox_ids;
};

inline SyncedPhone synced_phone(DovecotSite& site, const std::string& address, const std::string& device) {
    SyncedPhone p{site.phone(address, device), {}, {}, {}};
    p.h = folder_sync(p.c);
    EasResponse k;
    p.inbox_key = sync(p.c, p.h.ids["Inbox"], "0", k).key;
    auto s = sync(p.c, p.h.ids["Inbox"], p.inbox_key, k, "<WindowSize>100</WindowSize>");
    p.inbox_key = s.key;
    for (const auto* add : s.adds) p.inbox_ids.push_back(text_of(*add, easd::wbxml::tag::AirSync::ServerId));
    return p;
}

}  // namespace e2e
