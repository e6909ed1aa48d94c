// The mirror of one user's IMAP mailboxes in easd's rows (schema/014). A catch-up asks the server
// only for what changed since the last one (RFC 7162: SELECT ... QRESYNC gives the UIDs expunged
// and the flags changed since a mod-sequence), so its cost follows the changes, not the mailbox.
// New messages are fetched whole, parsed once as delivery parses them (content/message) and stored
// in the same emails rows; the triggers make every row change a change the devices get and wake
// their parked Pings.
//
// A Mirror works on one database session and one IMAP connection logged in as the user, both
// owned by the caller, and opens its own transactions (new messages are committed in batches, so
// the first Sync of a large mailbox does not wait for the whole of it). The caller holds no
// transaction on the session.
#pragma once

#include <soci/soci.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>
#include <map>
#include <string>
#include <vector>

#include "content/message.h"
#include "imap/imap_client.h"
#include "store/accounts.h"
#include "store/mirror_state.h"

namespace easd::dovecot {

// What a Mirror's owner gives it beyond the session and the connection.
struct MirrorHooks {
    // When set, a long catch-up stops between two batches (the server is stopping); what was
    // stored stays, and the next catch-up fetches the rest.
    const std::atomic<bool>* cancel = nullptr;
    // New mail in the Inbox of a mailbox mirrored before (mailstore::BackgroundHooks::new_inbox_mail).
    std::function<void(soci::session&, const store::User&, std::string_view headers, const content::ParsedMessage&)>
        new_inbox_mail;
    // How much of a body's text the rows keep (content::keep_body_preview); 0: all of it.
    std::size_t body_keep_bytes = 0;
};

struct CatchUpStats {
    int added = 0, changed = 0, removed = 0;
    int folders_added = 0, folders_changed = 0, folders_removed = 0;
};

class Mirror {
public:
    // `hooks` (may be null) outlives the Mirror.
    Mirror(soci::session& sql, imap::Connection& imap, const store::User& user, const MirrorHooks* hooks = nullptr);

    // How recent a new Inbox message's INTERNALDATE must be for new_inbox_mail: older ones were
    // moved back into the Inbox (IMAP MOVE keeps the date), not delivered.
    static constexpr long long kArrivalWindowSeconds = 24 * 3600;

    // LIST: binds each mailbox to a folder (the defaults by role, folder_mapping.h; others as user
    // mail folders under their parents), follows renames (a vanished name whose UIDVALIDITY
    // reappears under a new name is the same mailbox) and deletes the folders of mailboxes that
    // are gone. Returns the bindings afterwards.
    std::vector<store::MailboxBinding> catch_up_hierarchy(CatchUpStats* stats = nullptr);

    // Brings one bound mailbox's messages up to date. A mailbox that cannot be selected
    // (\Noselect, deleted meanwhile) is skipped. After a UIDVALIDITY change its messages are
    // recognised again (message_matching.h): the items keep their ids, and the devices get only
    // what really changed (a Delete for a message gone, an Add for a new one, flags).
    void catch_up_mailbox(const store::MailboxBinding& binding, CatchUpStats* stats = nullptr);

    // Whether the mailbox is as the mirror last left it (same UIDVALIDITY and HIGHESTMODSEQ), by the
    // status the last catch_up_hierarchy listed (LIST-STATUS): catching it up would then find
    // nothing, and is skipped, which saves a SELECT per mailbox. False when unknown.
    bool unchanged_since_listed(const store::MailboxBinding& binding) const;

    // How many messages the mailbox holds now (as listed, else STATUS; 0 for one that cannot be asked).
    std::uint32_t message_count(const store::MailboxBinding& binding);

    // The hierarchy, then every mailbox.
    CatchUpStats catch_up_all();

    // How many new messages are fetched and committed at once.
    static constexpr std::size_t kFetchBatch = 50;

private:
    // False when cut short by the cancel flag.
    // `arrivals`: new UIDs are mail that arrived since the last catch-up of the Inbox (not a first
    // mirror), so new_inbox_mail hears of them.
    bool apply_changes(long long folder_id, const std::vector<std::uint32_t>& vanished,
                       const std::vector<imap::FetchedMessage>& changed, bool arrivals, CatchUpStats& stats);
    // After a UIDVALIDITY change: pairs the listed messages with the folder's items, rebinds the
    // pairs to their new UIDs, deletes the items left over and fetches the messages left over.
    bool rematch(long long folder_id, const imap::SelectResult& selected, CatchUpStats& stats);
    bool fetch_new(long long folder_id, std::vector<std::uint32_t> uids, bool arrivals, CatchUpStats& stats);

    soci::session& sql_;
    imap::Connection& imap_;
    const store::User& user_;
    const MirrorHooks* hooks_ = nullptr;
    std::map<std::string, imap::MailboxStatus> listed_status_;  // by mailbox name, from the last LIST
};

}  // namespace easd::dovecot
