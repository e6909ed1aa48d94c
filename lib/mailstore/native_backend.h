// The native mail store: mail lives in easd's PostgreSQL rows only; easd-deliver and the commands
// write them, and passwords are checked against the account's own hash.
#pragma once

#include "content/email_item.h"
#include "mailstore/mail_backend.h"

namespace easd::mailstore {

class NativeBackend final : public MailBackend {
public:
    const char* name() const override { return "native"; }
    AuthResult authenticate(soci::session& sql, const std::string& login, const std::string& password,
                            const std::string& remote_addr) override;
    void refresh_hierarchy(soci::session&, const store::User&) override {}  // the rows are the store
    bool accepts_notifications() const override { return false; }
    bool notification_token_matches(std::string_view) const override { return false; }
    NotifyOutcome mailbox_changed(soci::session&, const MailboxEvent&) override { return NotifyOutcome::UnknownUser; }
    WriteOutcome edit_email(soci::session& sql, const store::User&, long long item_id,
                            const store::EmailEdit& edit) override {
        store::update_email(sql, item_id, edit);
        return WriteOutcome::Done;
    }
    WriteOutcome move_item(soci::session& sql, const store::User&, long long item_id, long long folder_id) override {
        store::move_item(sql, item_id, folder_id);
        return WriteOutcome::Done;
    }
    WriteOutcome delete_item(soci::session& sql, const store::User&, long long item_id) override {
        store::delete_item(sql, item_id);
        return WriteOutcome::Done;
    }
    std::vector<store::EmailRow> load_emails(soci::session& sql, const store::User& user,
                                             const std::vector<long long>& ids, const content::BodyNeed& need) override {
        return store::load_emails(sql, user.id, ids, need.mime);  // the texts are whole
    }
    std::optional<store::FoundAttachment> find_attachment(soci::session& sql, const store::User& user,
                                                          long long item_id, const std::string& part_path) override {
        return store::find_attachment(sql, user.id, item_id, part_path);
    }
    std::optional<long long> save_draft(soci::session& sql, const store::User& user, long long folder_id,
                                        long long item_id, const store::NewEmail& email) override;
    void file_sent_draft(soci::session& sql, const store::User& user, long long item_id, long long sent_folder_id,
                         const store::NewEmail& sent_copy) override;
    WriteOutcome store_message(soci::session& sql, const store::User& user, long long folder_id,
                               const std::string& mime, bool read, const content::ParsedMessage* parsed) override;
    std::optional<store::User> local_recipient(soci::session& sql, const std::string& address) override;
    std::unique_ptr<store::FolderStore> folder_store(soci::session& sql) override { return store::open_folder_store(sql); }
    WriteOutcome empty_folder(soci::session& sql, const store::User& user, long long folder_id,
                              bool subfolders) override {
        return empty_folder_rows(sql, user, folder_id, subfolders);
    }
    // Every writer of the native store fires the change triggers itself.
    void start(store::Database&, BackgroundHooks) override {}
};

}  // namespace easd::mailstore
