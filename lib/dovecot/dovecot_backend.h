// The Dovecot mail store (issue 11): mail lives in the site's IMAP server and easd keeps a mirror
// of each user's mailboxes in its rows (mirror.h). Passwords are the site's: a login is checked by
// logging in to IMAP as that user (any IMAP server does this). The mirror works through a pool of
// connections logged in as each user via a Dovecot master user (imap/imap_pool.h). Dovecot's push
// script (dovecot/easd-push.lua) announces each change (POST /easd-notify); FolderSync also catches
// up, so a change whose announcement was lost arrives with the next FolderSync at the latest.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/config.h"
#include "dovecot/message_cache.h"
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
    // A mailbox mirrored for the first time with more messages than this is mirrored in the
    // background (imap_inline_first_mirror): FolderSync answers at once and the phone sees the
    // mail arrive in batches, instead of waiting minutes for a large mailbox.
    std::uint32_t inline_first_mirror = 500;
    std::size_t message_cache_bytes = 64u << 20;  // originals fetched recently (imap_message_cache_mb)
    // How much of a mirrored body's text the rows keep (imap_body_keep_kb; 0: all of it): enough for
    // the truncated Sync phones ask for (Android clients ask 32 KB or less, Outlook's 51,200 bytes),
    // while a phone that asks for more gets the original from IMAP.
    std::size_t body_keep_bytes = 64u << 10;
};

// The settings from the config keys imap_host, imap_port, imap_socket, imap_tls (none | tls |
// starttls), imap_tls_verify, imap_ca_file, imap_master_user, imap_master_password(_file),
// imap_max_connections, imap_poll_seconds, imap_catch_up_threads, imap_message_cache_mb, imap_body_keep_kb,
// imap_inline_first_mirror,
// dovecot_auth_socket, push_token(_file). nullopt and a one-line reason when something is missing or
// unreadable.
std::optional<DovecotSettings> dovecot_settings_from(const Config& config, std::string* error);

// Every write of a phone's change takes the user's write lock (store::lock_user_writes) before it
// writes IMAP, and keeps it to the command's commit: the mirror reads which item is which UID under
// the same lock, so a catch-up that Dovecot's announcement of that very write starts sees the rows
// before or after the command, never between (else a rebound item would look expunged, an
// APPENDed one new).
class DovecotBackend final : public mailstore::MailBackend {
public:
    explicit DovecotBackend(DovecotSettings settings);
    ~DovecotBackend() override;
    const char* name() const override { return "dovecot"; }
    mailstore::AuthResult authenticate(soci::session& sql, const std::string& login, const std::string& password,
                                       const std::string& remote_addr) override;
    void refresh_hierarchy(soci::session& sql, const store::User& user) override;
    bool accepts_notifications() const override { return !settings_.push_token.empty(); }
    bool notification_token_matches(std::string_view token) const override;
    mailstore::NotifyOutcome mailbox_changed(soci::session& sql, const mailstore::MailboxEvent& event) override;
    void start(store::Database& db, mailstore::BackgroundHooks hooks) override;
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
    std::vector<store::EmailRow> load_emails(soci::session& sql, const store::User& user,
                                             const std::vector<long long>& ids, const content::BodyNeed& need) override;
    std::optional<store::FoundAttachment> find_attachment(soci::session& sql, const store::User& user,
                                                          long long item_id, const std::string& part_path) override;
    std::optional<long long> save_draft(soci::session& sql, const store::User& user, long long folder_id,
                                        long long item_id, const store::NewEmail& email) override;
    void file_sent_draft(soci::session& sql, const store::User& user, long long item_id, long long sent_folder_id,
                         const store::NewEmail& sent_copy) override;
    mailstore::WriteOutcome store_message(soci::session& sql, const store::User& user, long long folder_id,
                                          const std::string& mime, bool read,
                                          const content::ParsedMessage* parsed) override;
    std::optional<store::User> local_recipient(soci::session&, const std::string&) override { return std::nullopt; }

    imap::Pool& pool() { return pool_; }
    const MessageCache& message_cache() const { return cache_; }

    // Runs `work` on a pooled connection logged in as `user`. A pooled connection may have died
    // since it was last used (Dovecot restarted): on a connection error the work is tried once more
    // on a new connection before the error is thrown.
    void with_connection(const store::User& user, const std::function<void(imap::Connection&)>& work);

private:
    // The originals of mirrored emails into the strings given by item id: from the cache, else one
    // UID FETCH per mailbox. Items that are no mirrored message, and messages the server no longer
    // has, are left as they are. Throws MailUnavailable.
    void fetch_originals(soci::session& sql, const store::User& user,
                         const std::vector<std::pair<long long, std::string*>>& wanted);
    // Expunges exactly that message (UID STORE \Deleted, UID EXPUNGE). Throws imap::ImapError.
    void expunge_message(const store::User& user, const store::MirroredLocation& at);
    // APPENDs `mime` to the mailbox of `folder_id` with `flags`; 0 when the server gave no UID (no
    // UIDPLUS) or the folder is on no mailbox (`*bound` false). Throws imap::ImapError.
    std::uint32_t append_to_folder(soci::session& sql, const store::User& user, long long folder_id,
                                   const std::string& mime, const std::vector<std::string>& flags, bool* bound);

    // Runs `work` with a mirror of `user` on a pooled connection (with_connection).
    void with_mirror(soci::session& sql, const store::User& user, const std::function<void(Mirror&)>& work);

    DovecotSettings settings_;
    std::atomic<bool> stopping_{false};  // set first when the backend goes: long catch-ups stop early
    MirrorHooks mirror_hooks_;           // every Mirror's: stopping_, and start()'s new_inbox_mail
    imap::Pool pool_;
    MessageCache cache_;
    // After pool_: stopped before the pool goes.
    std::unique_ptr<MirrorQueue> queue_;
    // First mirrors of large mailboxes, on their own thread: an announcement never waits behind one.
    std::unique_ptr<MirrorQueue> first_mirrors_;
    std::unique_ptr<MirrorPoller> poller_;
};

}  // namespace easd::dovecot
