// The mail store seam: what differs between keeping mail in easd's own PostgreSQL store (native)
// and mirroring the mailboxes of an IMAP server (Dovecot). The commands read and write the same
// rows in both; only these questions have two answers:
//   - who says a password is right (easd's own hash, or the site's Dovecot),
//   - how the rows learn of mail that arrived or changed elsewhere (easd-deliver writes them
//     itself; the Dovecot store catches up from IMAP when Dovecot announces a change),
//   - and, as the Dovecot store grows two-way, where a phone's change goes first.
// The native implementation is lib/mailstore/native_backend.*, the Dovecot one lib/dovecot/.
// open_mail_backend (lib/mailstore/open_backend.h) picks one from the config's `mail_store`.
#pragma once

#include <soci/soci.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "store/accounts.h"
#include "store/db.h"
#include "store/folder_store.h"
#include "store/items.h"
#include "store/mail.h"

namespace easd::content {
struct ParsedMessage;
struct BodyNeed;
}

namespace easd::mailstore {

struct AuthResult {
    enum class Outcome {
        Accepted,     // `user` is the account
        Refused,      // unknown login or wrong password: 401
        Unavailable,  // the store that checks passwords cannot be asked now: 503, not 401, so
                      // phones retry instead of asking their owner for the password
    };
    Outcome outcome = Outcome::Refused;
    std::optional<store::User> user;
    // What the password was checked against, when the store can tell (the native store: the
    // stored hash; empty for Dovecot). A sign-in remembered with it stops counting the moment the
    // stored value changes (`easctl user passwd`), however long the sign-in cache keeps it.
    std::string credential_stamp;
};

// What the server gives a mail store's background work (MailBackend::start).
struct BackgroundHooks {
    // The users with parked requests now (the poll compares their mailboxes).
    std::function<std::vector<long long>()> waiting_users;
    // A message that arrived in a user's Inbox from elsewhere: the Dovecot store's mirror calls it
    // for new mail (not for a first mirror, nor for old mail moved back into the Inbox), so Out of
    // Office answers as it does at easd-deliver's delivery in the native store. `headers` is the
    // message's header section; called outside any transaction.
    std::function<void(soci::session&, const store::User&, std::string_view headers, const content::ParsedMessage&)>
        new_inbox_mail;
};

// A change the mail server announced (POST /easd-notify, from Dovecot's push script).
struct MailboxEvent {
    std::string user;         // the login as the mail server knows it (an address)
    std::string mailbox;      // UTF-8 full name; empty: anything of the account may have changed
    std::string old_mailbox;  // a rename: the name before
    std::vector<std::string> events;  // MessageNew, FlagsSet, MailboxRename, ...
};

// The mail server cannot be reached for something a command must read from it now (an original
// message): the request is answered 503 with Retry-After, and the phone asks again.
struct MailUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// How a phone's change of an item went.
enum class WriteOutcome {
    Done,
    Unavailable,  // the mail server refused or could not be reached: nothing changed, the phone is
                  // told to try again (Sync status 5, MoveItems status 7...)
};

enum class NotifyOutcome {
    Done,          // caught up
    UnknownUser,   // no account here: nobody syncs that mailbox, nothing to do
    Unavailable,   // the mail server or the database could not be reached: ask again later
};

class MailBackend {
public:
    virtual ~MailBackend() = default;
    virtual const char* name() const = 0;  // "native", "dovecot"

    // Checks a login as a device sends it, from `remote_addr` (the phone's address as the web
    // server saw it; may be empty). The caller holds no transaction on `sql`.
    virtual AuthResult authenticate(soci::session& sql, const std::string& login, const std::string& password,
                                    const std::string& remote_addr) = 0;

    // Before FolderSync reads the hierarchy: the folder list is brought up to date with the mail
    // store's (and mailboxes never mirrored are mirrored). Never throws for an unreachable store:
    // FolderSync then answers from the rows as they are.
    virtual void refresh_hierarchy(soci::session& sql, const store::User& user) = 0;

    // Whether this store takes change announcements, and with which token.
    virtual bool accepts_notifications() const = 0;
    virtual bool notification_token_matches(std::string_view token) const = 0;
    // A change announced by the mail server. The rows are caught up (once the store has started
    // (start()), in the background, soon after this returns), and the database triggers wake the
    // parked Pings.
    virtual NotifyOutcome mailbox_changed(soci::session& sql, const MailboxEvent& event) = 0;

    // A phone's changes of mail, made inside the command's transaction (the caller holds the
    // user's write lock). The native store writes the rows; the Dovecot store writes the IMAP
    // server first (a mirrored message), then the same rows, so the mirror never reads its own
    // change back as someone else's.
    virtual WriteOutcome edit_email(soci::session& sql, const store::User& user, long long item_id,
                                    const store::EmailEdit& edit) = 0;
    // To another folder of the same class (MoveItems; a Delete that moves to Deleted Items).
    virtual WriteOutcome move_item(soci::session& sql, const store::User& user, long long item_id,
                                   long long folder_id) = 0;
    virtual WriteOutcome delete_item(soci::session& sql, const store::User& user, long long item_id) = 0;
    // EmptyFolderContents: every item of the folder, and with `subfolders` the user-created
    // subfolders at any depth with theirs (through folder_store(), so each goes as a FolderDelete
    // would).
    virtual WriteOutcome empty_folder(soci::session& sql, const store::User& user, long long folder_id,
                                      bool subfolders) = 0;

    // The user's emails with these ids, as store::load_emails reads them, with what a render needs
    // (content::EmailOptions::body_need): with `need.mime`, each with its original bytes (MIMEData,
    // a forwarded original, a draft being edited), and body texts of at least `need.text_bytes`.
    // The native store keeps originals and whole texts in its rows. The Dovecot store keeps neither
    // for mirrored messages, only a preview of a long body: it fetches the originals it needs from
    // IMAP (one UID FETCH per mailbox, through a bounded cache), and makes the texts of a row whose
    // preview is too short whole from its original. An original the server no longer has (expunged
    // meanwhile) stays empty, and the preview stays a preview. Throws MailUnavailable.
    virtual std::vector<store::EmailRow> load_emails(soci::session& sql, const store::User& user,
                                                     const std::vector<long long>& ids,
                                                     const content::BodyNeed& need) = 0;
    // One attachment of one of the user's emails with the original it is in (store::find_attachment),
    // the original fetched as load_emails does. Throws MailUnavailable.
    virtual std::optional<store::FoundAttachment> find_attachment(soci::session& sql, const store::User& user,
                                                                  long long item_id, const std::string& part_path) = 0;

    // A draft written on a phone (Sync Add or Change in a Drafts folder): stored as a new email
    // (`item_id` 0) or as the new message of the draft `item_id`. Returns the draft's item id;
    // nullopt when the mail server refused or could not be reached (nothing changed). The Dovecot
    // store APPENDs it to the folder's mailbox (\Draft \Seen) and expunges the message it replaces,
    // so Thunderbird and Roundcube see the phone's draft and the phone sees theirs.
    virtual std::optional<long long> save_draft(soci::session& sql, const store::User& user, long long folder_id,
                                                long long item_id, const store::NewEmail& email) = 0;
    // A draft that went out: the item becomes `sent_copy` (the message as sent) in `sent_folder_id`.
    // The mail has left already, so this never refuses: if the Dovecot store cannot file the copy on
    // the server, the draft stays where it is (logged) rather than the phone sending it twice.
    virtual void file_sent_draft(soci::session& sql, const store::User& user, long long item_id,
                                 long long sent_folder_id, const store::NewEmail& sent_copy) = 0;

    // A message the server itself files for a user: the Sent Items copy of mail sent from a phone,
    // mail from one local account to another. The native store stores the rows; the Dovecot store
    // APPENDs it to the mailbox first (flagged \Seen when `read`). `parsed` is what
    // content::parse_message says of `mime` when the caller has it already (a message sent from a
    // phone, parsed once however many copies are filed); nullptr: it is parsed here.
    virtual WriteOutcome store_message(soci::session& sql, const store::User& user, long long folder_id,
                                       const std::string& mime, bool read,
                                       const content::ParsedMessage* parsed) = 0;
    // The account mail to `address` is for when easd delivers it itself; nullopt when it goes
    // through sendmail. The Dovecot store delivers nothing itself: mail to its accounts goes
    // through the MTA to Dovecot's LMTP, so Sieve, quotas and the push script apply to it as to
    // any mail.
    virtual std::optional<store::User> local_recipient(soci::session& sql, const std::string& address) = 0;

    // The folder store (store/folder_store.h) for FolderCreate, FolderUpdate and FolderDelete.
    virtual std::unique_ptr<store::FolderStore> folder_store(soci::session& sql) = 0;

protected:
    // What both stores do for EmptyFolderContents once the mail server (if any) agreed: the
    // subfolders through the folder store, then the folder's items.
    WriteOutcome empty_folder_rows(soci::session& sql, const store::User& user, long long folder_id, bool subfolders) {
        if (subfolders) {
            auto folders = folder_store(sql);
            for (long long child : store::user_subfolders(sql, user.id, folder_id)) {
                store::FolderChange change = folders->remove(user.id, child);
                if (change.error == store::FolderError::Unavailable) return WriteOutcome::Unavailable;
            }
        }
        store::delete_folder_contents(sql, user.id, folder_id);
        return WriteOutcome::Done;
    }

public:

    // Called once when the server starts, for the store's background work (the native store has
    // none; the Dovecot store catches up announced changes, polls the mailboxes of the users
    // `hooks.waiting_users` names, and hands new Inbox mail to `hooks.new_inbox_mail`). Stops when
    // the backend is destroyed.
    virtual void start(store::Database& db, BackgroundHooks hooks) = 0;
};

}  // namespace easd::mailstore
