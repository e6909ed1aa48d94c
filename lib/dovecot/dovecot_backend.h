// The Dovecot mail store (issue 11): mail lives in the site's IMAP server and easd keeps a mirror
// of each user's mailboxes in its rows (mirror.h). Passwords are the site's: a login is checked by
// logging in to IMAP as that user (any IMAP server does this). The mirror works through a pool of
// connections logged in as each user via a Dovecot master user (imap/imap_pool.h). Dovecot's push
// script (dovecot/easd-push.lua) announces each change (POST /easd-notify); FolderSync also catches
// up, so a change whose announcement was lost arrives with the next FolderSync at the latest.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/config.h"
#include "dovecot/mirror.h"
#include "dovecot/mirror_poller.h"
#include "dovecot/mirror_queue.h"
#include "imap/imap_pool.h"
#include "mailstore/mail_backend.h"

namespace easd::dovecot {

struct DovecotSettings {
    imap::PoolSettings pool;     // endpoint, master user, limits
    std::string push_token;      // what /easd-notify requests must carry; empty: notifications refused
    // Dovecot's auth socket for password checks (dovecot_auth_socket); empty: an IMAP login checks.
    std::string auth_socket;
    // How often the mailboxes of users with parked requests are compared with the mirror (0:
    // never). Default 30 s without a push token, 300 s with one (a safety net only).
    std::chrono::seconds poll_interval{30};
    int catch_up_threads = 2;  // threads catching up announced changes (imap_catch_up_threads)
};

// The settings from the config keys imap_host, imap_port, imap_socket, imap_tls (none | tls |
// starttls), imap_tls_verify, imap_ca_file, imap_master_user, imap_master_password(_file),
// imap_max_connections, imap_poll_seconds, imap_catch_up_threads, dovecot_auth_socket, push_token(_file). nullopt and a one-line reason when something is
// missing or unreadable.
std::optional<DovecotSettings> dovecot_settings_from(const Config& config, std::string* error);

class DovecotBackend final : public mailstore::MailBackend {
public:
    explicit DovecotBackend(DovecotSettings settings);
    const char* name() const override { return "dovecot"; }
    mailstore::AuthResult authenticate(soci::session& sql, const std::string& login, const std::string& password,
                                       const std::string& remote_addr) override;
    void refresh_hierarchy(soci::session& sql, const store::User& user) override;
    bool accepts_notifications() const override { return !settings_.push_token.empty(); }
    bool notification_token_matches(std::string_view token) const override;
    mailstore::NotifyOutcome mailbox_changed(soci::session& sql, const mailstore::MailboxEvent& event) override;
    void start(store::Database& db, std::function<std::vector<long long>()> waiting_users) override;
    // What mailbox_changed does, now, on the caller's thread (the queue's threads call it).
    mailstore::NotifyOutcome catch_up_event(soci::session& sql, const mailstore::MailboxEvent& event);
    mailstore::WriteOutcome edit_email(soci::session& sql, const store::User& user, long long item_id,
                                       const store::EmailEdit& edit) override;
    mailstore::WriteOutcome move_item(soci::session& sql, const store::User& user, long long item_id,
                                      long long folder_id) override;
    mailstore::WriteOutcome delete_item(soci::session& sql, const store::User& user, long long item_id) override;
    std::unique_ptr<store::FolderStore> folder_store(soci::session& sql) override;
    mailstore::WriteOutcome empty_folder(soci::session& sql, const store::User& user, long long folder_id,
                                         bool subfolders) override;
    mailstore::WriteOutcome store_message(soci::session& sql, const store::User& user, long long folder_id,
                                          const std::string& mime, bool read) override;
    std::optional<store::User> local_recipient(soci::session&, const std::string&) override { return std::nullopt; }

    imap::Pool& pool() { return pool_; }

    // Runs `work` on a pooled connection logged in as `user`. A pooled connection may have died
    // since it was last used (Dovecot restarted): on a connection error the work is tried once more
    // on a new connection before the error is thrown.
    void with_connection(const store::User& user, const std::function<void(imap::Connection&)>& work);

private:
    // Runs `work` with a mirror of `user` on a pooled connection (with_connection).
    void with_mirror(soci::session& sql, const store::User& user, const std::function<void(Mirror&)>& work);

    DovecotSettings settings_;
    imap::Pool pool_;
    // After pool_: stopped before the pool goes.
    std::unique_ptr<MirrorQueue> queue_;
    std::unique_ptr<MirrorPoller> poller_;
};

}  // namespace easd::dovecot
