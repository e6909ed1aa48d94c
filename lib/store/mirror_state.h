// The rows of the IMAP mirror (schema/014): which folder is which IMAP mailbox, how far each
// mailbox was caught up, and which item is which message (UID). Used only by the Dovecot mail
// store (lib/dovecot); the folders, items and emails rows themselves are the ordinary ones.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace easd::store {

struct MailboxBinding {
    long long folder_id = 0;
    std::string name;                 // full IMAP name, UTF-8
    std::uint32_t uidvalidity = 0;    // 0: never caught up
    std::uint64_t highestmodseq = 0;
    std::uint32_t uidnext = 0;
};

std::vector<MailboxBinding> list_mailbox_bindings(soci::session& sql, long long user_id);
std::optional<MailboxBinding> find_mailbox_binding(soci::session& sql, long long user_id, const std::string& name);
// Binds a folder to a mailbox name (replacing an earlier name of that folder).
void bind_mailbox(soci::session& sql, long long user_id, long long folder_id, const std::string& name);
void unbind_mailbox(soci::session& sql, long long folder_id);
// How far the folder's mailbox was caught up.
void save_mailbox_progress(soci::session& sql, long long folder_id, std::uint32_t uidvalidity,
                           std::uint64_t highestmodseq, std::uint32_t uidnext);

// What the mirror knows of one message, with the email's state the IMAP flags map to.
struct MirroredMessage {
    long long item_id = 0;
    std::uint32_t uid = 0;
    std::uint64_t modseq = 0;
    bool read = false;
    std::string flag;        // WBXML of <Flag>; empty: none
    std::string categories;  // WBXML of <Categories>; empty: none
};
// The folder's messages by UID: all of them, or only these UIDs.
std::unordered_map<std::uint32_t, MirroredMessage> load_mirrored_messages(
    soci::session& sql, long long folder_id, const std::vector<std::uint32_t>* only_uids = nullptr);
void record_mirrored_message(soci::session& sql, long long item_id, long long folder_id, std::uint32_t uid,
                             std::uint64_t modseq);
void set_mirrored_modseq(soci::session& sql, long long item_id, std::uint64_t modseq);
// Where a mirrored email is on the IMAP server; nullopt for an item that is no mirrored message.
struct MirroredLocation {
    long long item_id = 0;
    long long folder_id = 0;
    std::string mailbox;
    std::uint32_t uidvalidity = 0;  // of the mailbox, as last caught up: the UID means something only under it
    std::uint32_t uid = 0;
};
std::optional<MirroredLocation> find_mirrored_item(soci::session& sql, long long item_id);
// The same for several items (one query); items that are no mirrored message are absent.
std::vector<MirroredLocation> find_mirrored_items(soci::session& sql, const std::vector<long long>& item_ids);
std::optional<MailboxBinding> find_binding_of_folder(soci::session& sql, long long folder_id);
// The item is now `uid` in the folder's mailbox: moved on the server (UID MOVE), or written there
// anew (a draft replaced, a draft filed in Sent), whether or not it was a mirrored message before.
// Its mod-sequence there is unknown (0), so the next catch-up compares its flags once.
void rebind_mirrored_message(soci::session& sql, long long item_id, long long folder_id, std::uint32_t uid);
// The item is no message of any mailbox any more (its UID was expunged and its new one is unknown).
void forget_mirrored_message(soci::session& sql, long long item_id);

// An item of a mirrored folder as a UIDVALIDITY change finds it: what recognises its message on the
// server again (the Message-ID, size and arrival time the rows took from the message when it was
// mirrored), its UID under the old UIDVALIDITY and the state its flags map to.
struct FolderItemKey {
    long long item_id = 0;
    std::int64_t uid = -1;   // -1: bound to no UID
    bool is_email = false;   // false: nothing to recognise (it goes)
    std::string message_id;  // without angle brackets; empty: none
    long long size = 0;      // bytes of the original (RFC822.SIZE)
    long long date_received = 0;  // seconds since the epoch (INTERNALDATE)
    bool read = false;
    std::string flag, categories;  // WBXML; empty: none
};
// Every item of the folder, by old UID (those without one last).
std::vector<FolderItemKey> load_folder_item_keys(soci::session& sql, long long folder_id);
struct Rebinding {
    long long item_id = 0;
    std::uint32_t uid = 0;
    std::uint64_t modseq = 0;
};
// Binds these items of the folder to their UIDs under a new UIDVALIDITY. The old UIDs of the
// folder's messages are released first (the new ones may be old ones of other messages), so call
// it inside the transaction that also binds or deletes every other item of the folder.
void rebind_folder_messages(soci::session& sql, long long folder_id, const std::vector<Rebinding>& rebindings);
// Deletes these items of the folder (tombstones for devices); returns how many went.
int delete_folder_items(soci::session& sql, long long folder_id, const std::vector<long long>& item_ids);

// Deletes the items of these UIDs (the triggers leave tombstones, so devices get Deletes).
// Returns how many went.
int delete_mirrored_messages(soci::session& sql, long long folder_id, const std::vector<std::uint32_t>& uids);
// Deletes every item of the folder (a UIDVALIDITY change: the old UIDs mean nothing any more).
int delete_folder_items(soci::session& sql, long long folder_id);

// Folders as the mail server has them. The mirror changes folders here, not through the
// FolderStore (store/folder_store.h), whose checks are the phone's rules: the server's hierarchy
// is taken as it is. The triggers make each a hierarchy change every device gets.
long long create_mirror_folder(soci::session& sql, long long user_id, long long parent_id, const std::string& name);
// Sets the name and parent (parent_id 0: top level) when they differ.
void place_mirror_folder(soci::session& sql, long long folder_id, long long parent_id, const std::string& name);
// Deletes the folder with its items (tombstones for both).
void delete_mirror_folder(soci::session& sql, long long folder_id);

// A session-level advisory lock on one folder's mirror, so two workers never catch up the same
// mailbox at once (the second waits, then finds little to do). Released by the destructor.
class MirrorLock {
public:
    MirrorLock(soci::session& sql, long long folder_id);
    ~MirrorLock();
    MirrorLock(const MirrorLock&) = delete;
    MirrorLock& operator=(const MirrorLock&) = delete;

private:
    soci::session& sql_;
    long long folder_id_;
};

}  // namespace easd::store
