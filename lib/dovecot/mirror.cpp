#include "dovecot/mirror.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "common/log.h"
#include "common/text.h"
#include "content/auto_reply.h"
#include "content/draft.h"
#include "content/email_item.h"
#include "content/message.h"
#include "dovecot/folder_mapping.h"
#include "dovecot/imap_flags.h"
#include "dovecot/message_matching.h"
#include "store/folders.h"
#include "store/items.h"
#include "store/mail.h"
#include "store/pq.h"
#include "store/sync_state.h"

namespace easd::dovecot {

namespace {

int depth_of(const std::string& name, char delimiter) {
    return delimiter == 0 ? 0 : static_cast<int>(std::count(name.begin(), name.end(), delimiter));
}

MailState stored_state(const store::MirroredMessage& m) { return {m.read, m.flag, m.categories}; }

// Writes what a message's IMAP flags say to its email where that differs from `before` (an
// ordinary change the devices get, Read, flag and categories each only when it moved). True when
// something was written.
bool take_flags(soci::session& sql, long long item_id, const MailState& before, const std::vector<std::string>& flags) {
    MailState after = state_from_flags(flags, before);
    if (after == before) return false;
    store::EmailEdit edit;
    if (after.read != before.read) edit.read = after.read;
    if (after.flag != before.flag) edit.flag = after.flag;
    if (after.categories != before.categories) edit.categories = after.categories;
    store::update_email(sql, item_id, edit);
    return true;
}

bool selectable(const imap::MailboxInfo& m) { return !m.has("\\noselect") && !m.has("\\nonexistent"); }

}  // namespace

Mirror::Mirror(soci::session& sql, imap::Connection& imap, const store::User& user, const MirrorHooks* hooks)
    : sql_(sql), imap_(imap), user_(user), hooks_(hooks) {}

std::vector<store::MailboxBinding> Mirror::catch_up_hierarchy(CatchUpStats* stats_out) {
    CatchUpStats stats;
    // Parents that hold no messages themselves (\Noselect, or \NonExistent: "Projects" of
    // "Projects/2026" when only the child was created) are folders too, so the hierarchy shows
    // as it does in other clients; they are never selected.
    std::vector<imap::MailboxInfo> listed = imap_.list();
    listed_status_.clear();
    for (const auto& m : listed)
        if (m.status) listed_status_[m.name] = *m.status;
    // Parents before children.
    std::stable_sort(listed.begin(), listed.end(), [](const imap::MailboxInfo& a, const imap::MailboxInfo& b) {
        return depth_of(a.name, a.delimiter) < depth_of(b.name, b.delimiter);
    });
    const std::map<std::string, MailboxRole> roles = assign_roles(listed);

    soci::transaction tr(sql_);
    store::lock_user_writes(sql_, user_.id);
    std::vector<store::MailboxBinding> bindings = store::list_mailbox_bindings(sql_, user_.id);
    std::map<std::string, store::MailboxBinding> by_name;
    std::set<long long> bound_folders;
    for (const auto& b : bindings) {
        by_name[b.name] = b;
        bound_folders.insert(b.folder_id);
    }
    std::set<std::string> listed_names;
    for (const auto& m : listed) listed_names.insert(m.name);

    // Renames: a bound name that is gone, and a new name with its UIDVALIDITY (a rename keeps
    // the UIDs, hence the UIDVALIDITY; a delete and create gets a new one).
    std::vector<store::MailboxBinding> gone;
    for (const auto& b : bindings)
        if (!listed_names.count(b.name)) gone.push_back(b);
    if (!gone.empty()) {
        for (const auto& m : listed) {
            if (by_name.count(m.name) || !selectable(m)) continue;
            std::uint32_t validity = 0;
            try {
                validity = imap_.status(m.name).uidvalidity;
            } catch (const imap::ImapError& e) {
                if (e.kind != imap::ImapError::Kind::No) throw;
                continue;
            }
            auto was = std::find_if(gone.begin(), gone.end(), [&](const store::MailboxBinding& b) {
                return b.uidvalidity != 0 && b.uidvalidity == validity;
            });
            if (was == gone.end()) continue;
            EASD_LOG_INFO("mirror %s: mailbox \"%s\" renamed to \"%s\"", user_.address.c_str(), was->name.c_str(),
                          m.name.c_str());
            store::bind_mailbox(sql_, user_.id, was->folder_id, m.name);
            store::MailboxBinding moved = *was;
            moved.name = m.name;
            by_name.erase(was->name);
            by_name[m.name] = moved;
            gone.erase(was);
        }
    }
    // What is still gone was deleted: deepest first, so devices hear of children before parents.
    std::sort(gone.begin(), gone.end(), [](const store::MailboxBinding& a, const store::MailboxBinding& b) {
        return std::count(a.name.begin(), a.name.end(), '/') > std::count(b.name.begin(), b.name.end(), '/');
    });
    std::vector<store::Folder> folders = store::list_folders(sql_, user_.id);
    auto folder_of = [&](long long id) -> const store::Folder* {
        for (const auto& f : folders)
            if (f.id == id) return &f;
        return nullptr;
    };
    for (const auto& b : gone) {
        by_name.erase(b.name);
        const store::Folder* f = folder_of(b.folder_id);
        if (f && store::is_special_folder_type(f->type)) {
            // A default folder stays (EAS needs it); its mail is gone with the mailbox.
            stats.removed += store::delete_folder_items(sql_, b.folder_id);
            store::unbind_mailbox(sql_, b.folder_id);
            bound_folders.erase(b.folder_id);
        } else if (f) {
            store::delete_mirror_folder(sql_, b.folder_id);
            ++stats.folders_removed;
        }
    }
    folders = store::list_folders(sql_, user_.id);

    // Every listed mailbox gets its folder, in its place.
    for (const auto& m : listed) {
        const std::string leaf = leaf_name(m.name, m.delimiter);
        const std::string parent = parent_name(m.name, m.delimiter);
        auto role_it = roles.find(m.name);
        const MailboxRole role = role_it == roles.end() ? MailboxRole::Plain : role_it->second;
        long long parent_id = 0;
        if (auto p = by_name.find(parent); !parent.empty() && p != by_name.end()) parent_id = p->second.folder_id;
        // Default folders stay at the top level, where every client looks for them; INBOX keeps
        // the folder's own name ("Inbox", not "INBOX").
        if (role != MailboxRole::Plain) parent_id = 0;

        auto bound = by_name.find(m.name);
        if (bound == by_name.end()) {
            long long folder_id = 0;
            if (role != MailboxRole::Plain) {
                // The user's default folder of that role, if it is not bound yet.
                const int type = folder_type_of(role);
                for (const auto& f : folders) {
                    if (bound_folders.count(f.id) || f.item_class != "Email" || f.type != type) continue;
                    if (role == MailboxRole::Junk && (f.parent_id != 0 || f.name != "Junk E-mail")) continue;
                    folder_id = f.id;
                    break;
                }
            }
            if (folder_id == 0) {
                folder_id = store::create_mirror_folder(sql_, user_.id, parent_id, leaf);
                ++stats.folders_added;
            }
            store::bind_mailbox(sql_, user_.id, folder_id, m.name);
            bound_folders.insert(folder_id);
            store::MailboxBinding b;
            b.folder_id = folder_id;
            b.name = m.name;
            bound = by_name.emplace(m.name, b).first;
        }
        const store::Folder* f = folder_of(bound->second.folder_id);
        const std::string name = role == MailboxRole::Inbox && f ? f->name : leaf;
        if (!f || f->name != name || f->parent_id != parent_id) {
            store::place_mirror_folder(sql_, bound->second.folder_id, parent_id, name);
            if (f) ++stats.folders_changed;
        }
    }
    tr.commit();

    std::vector<store::MailboxBinding> out;
    for (const auto& m : listed)
        if (auto b = by_name.find(m.name); b != by_name.end() && selectable(m)) out.push_back(b->second);
    if (stats_out) {
        stats_out->folders_added += stats.folders_added;
        stats_out->folders_changed += stats.folders_changed;
        stats_out->folders_removed += stats.folders_removed;
        stats_out->removed += stats.removed;
    }
    return out;
}

void Mirror::catch_up_mailbox(const store::MailboxBinding& requested, CatchUpStats* stats_out) {
    CatchUpStats stats;
    store::MirrorLock lock(sql_, requested.folder_id);
    // Read again under the lock: another worker may have caught up meanwhile.
    auto binding = store::find_mailbox_binding(sql_, user_.id, requested.name);
    if (!binding || binding->folder_id != requested.folder_id) return;

    const bool qresync = imap_.has_capability("QRESYNC");
    std::optional<imap::QresyncParams> params;
    if (qresync && binding->uidvalidity != 0 && binding->highestmodseq != 0)
        params = imap::QresyncParams{binding->uidvalidity, binding->highestmodseq, {}};
    imap::SelectResult selected;
    try {
        selected = imap_.select(binding->name, true, params);
    } catch (const imap::ImapError& e) {
        if (e.kind != imap::ImapError::Kind::No) throw;
        EASD_LOG_DEBUG("mirror %s: cannot select \"%s\": %s", user_.address.c_str(), binding->name.c_str(), e.what());
        return;
    }

    bool complete = true;
    // Mail new since a catch-up of the Inbox (not its first mirror, not a re-mirror after a
    // UIDVALIDITY change) arrived now: Out of Office may answer it.
    const bool arrivals = binding->uidvalidity != 0 && iequals(binding->name, "INBOX");
    if (binding->uidvalidity != 0 && selected.uidvalidity != binding->uidvalidity) {
        EASD_LOG_INFO("mirror %s: \"%s\" has a new UIDVALIDITY (%u, was %u): recognising its messages again",
                      user_.address.c_str(), binding->name.c_str(), selected.uidvalidity, binding->uidvalidity);
        complete = rematch(binding->folder_id, selected, stats);
    } else if (binding->uidvalidity != 0 && selected.highestmodseq != 0 && selected.highestmodseq == binding->highestmodseq) {
        // Nothing changed since the last catch-up (the common case for a notification about
        // another mailbox, or a poll).
    } else if (params) {
        // QRESYNC told us during SELECT what vanished and what changed.
        complete = apply_changes(binding->folder_id, selected.vanished, selected.changed, arrivals, stats);
    } else {
        // First time, or a server without QRESYNC: every UID with its flags; what we know and the
        // server no longer has was expunged. With CONDSTORE and a known mod-sequence only the
        // flags of changed messages are read, but the UID list is still needed for expunges.
        imap::FetchItems items;
        items.flags = true;
        items.modseq = selected.highestmodseq != 0;
        std::vector<imap::FetchedMessage> all;
        if (selected.exists > 0) all = imap_.fetch("1:*", items);
        std::unordered_set<std::uint32_t> present;
        for (const auto& m : all) present.insert(m.uid);
        auto known = store::load_mirrored_messages(sql_, binding->folder_id);
        std::vector<std::uint32_t> vanished;
        for (const auto& [uid, m] : known)
            if (!present.count(uid)) vanished.push_back(uid);
        std::vector<imap::FetchedMessage> changed;
        for (auto& m : all) {
            auto k = known.find(m.uid);
            if (k == known.end() || m.modseq == 0 || m.modseq != k->second.modseq) changed.push_back(std::move(m));
        }
        complete = apply_changes(binding->folder_id, vanished, changed, arrivals, stats);
    }
    // Cut short (the server is stopping): the progress stays where it was, so the next catch-up
    // reads the whole UID list again and fetches what this one did not.
    if (complete)
        store::save_mailbox_progress(sql_, binding->folder_id, selected.uidvalidity, selected.highestmodseq,
                                     selected.uidnext);
    if (stats.added || stats.changed || stats.removed)
        EASD_LOG_DEBUG("mirror %s: \"%s\": %d new, %d changed, %d expunged", user_.address.c_str(),
                       binding->name.c_str(), stats.added, stats.changed, stats.removed);
    if (stats_out) {
        stats_out->added += stats.added;
        stats_out->changed += stats.changed;
        stats_out->removed += stats.removed;
    }
}

bool Mirror::apply_changes(long long folder_id, const std::vector<std::uint32_t>& vanished,
                           const std::vector<imap::FetchedMessage>& changed, bool arrivals, CatchUpStats& stats) {
    std::vector<std::uint32_t> fresh;
    {
        soci::transaction tr(sql_);
        // The user's write lock before reading which item is which UID: a phone's command that
        // rebinds an item to a new UID (a draft replaced, a message moved) holds it from before its
        // IMAP write to its commit, so what is read here is before or after that command, never
        // half of it (else an item rebound to a new UID would go as its old UID's vanishing).
        store::lock_user_writes(sql_, user_.id);
        stats.removed += store::delete_mirrored_messages(sql_, folder_id, vanished);
        std::vector<std::uint32_t> uids;
        uids.reserve(changed.size());
        for (const auto& m : changed) uids.push_back(m.uid);
        auto known = store::load_mirrored_messages(sql_, folder_id, &uids);
        for (const auto& m : changed) {
            auto k = known.find(m.uid);
            if (k == known.end()) {
                fresh.push_back(m.uid);
                continue;
            }
            if (take_flags(sql_, k->second.item_id, stored_state(k->second), m.flags)) ++stats.changed;
            if (m.modseq != k->second.modseq) store::set_mirrored_modseq(sql_, k->second.item_id, m.modseq);
        }
        tr.commit();
    }
    return fetch_new(folder_id, std::move(fresh), arrivals, stats);
}

bool Mirror::rematch(long long folder_id, const imap::SelectResult& selected, CatchUpStats& stats) {
    std::vector<std::uint32_t> fresh;
    {
        soci::transaction tr(sql_);
        // The user's write lock before the UID list is read, not only before the items are: a
        // phone's MoveItems into this mailbox binds its item to a UID under the new UIDVALIDITY,
        // and read the other way round that item would be neither in the list nor an old UID, and go.
        store::lock_user_writes(sql_, user_.id);
        imap::FetchItems items;
        items.flags = true;
        items.modseq = selected.highestmodseq != 0;
        items.internal_date = true;
        items.size = true;
        items.message_id = true;
        std::vector<imap::FetchedMessage> listed;
        if (selected.exists > 0) listed = imap_.fetch("1:*", items);
        std::sort(listed.begin(), listed.end(),
                  [](const imap::FetchedMessage& a, const imap::FetchedMessage& b) { return a.uid < b.uid; });
        std::vector<MessageFingerprint> message_keys;
        message_keys.reserve(listed.size());
        for (const auto& m : listed)
            message_keys.push_back({content::message_id_of(m.message_id_field.value_or(std::string())),
                                    static_cast<long long>(m.size), m.internal_date});

        // The folder's emails (an item that is no email has nothing to be recognised by, and goes).
        std::vector<store::FolderItemKey> known;
        std::vector<long long> gone;
        for (auto& k : store::load_folder_item_keys(sql_, folder_id)) {
            if (k.is_email) known.push_back(std::move(k));
            else gone.push_back(k.item_id);
        }
        std::vector<MessageFingerprint> item_keys;
        item_keys.reserve(known.size());
        for (const auto& k : known) item_keys.push_back({k.message_id, k.size, k.date_received});
        const MessageMatching matching = match_messages(item_keys, message_keys);

        for (std::size_t i : matching.unmatched_items) gone.push_back(known[i].item_id);
        stats.removed += store::delete_folder_items(sql_, folder_id, gone);

        std::vector<store::Rebinding> rebindings;
        rebindings.reserve(matching.pairs.size());
        for (const auto& [i, m] : matching.pairs) {
            const store::FolderItemKey& item = known[i];
            const imap::FetchedMessage& message = listed[m];
            rebindings.push_back({item.item_id, message.uid, message.modseq});
            // Same message, same item: only flags that differ are a change the devices get.
            if (take_flags(sql_, item.item_id, {item.read, item.flag, item.categories}, message.flags)) ++stats.changed;
        }
        store::rebind_folder_messages(sql_, folder_id, rebindings);
        // The new UIDVALIDITY, with no mod-sequence yet: a catch-up cut short before the new
        // messages are in compares the whole UID list next time and fetches the rest.
        store::save_mailbox_progress(sql_, folder_id, selected.uidvalidity, 0, 0);
        tr.commit();
        fresh.reserve(matching.unmatched_messages.size());
        for (std::size_t m : matching.unmatched_messages) fresh.push_back(listed[m].uid);
        EASD_LOG_INFO("mirror %s: folder %lld: %zu messages recognised, %zu items gone, %zu messages new",
                      user_.address.c_str(), folder_id, matching.pairs.size(), gone.size(), fresh.size());
    }
    // Not arrivals: what is new here may have been there long before the renumbering.
    return fetch_new(folder_id, std::move(fresh), false, stats);
}

bool Mirror::fetch_new(long long folder_id, std::vector<std::uint32_t> uids, bool arrivals, CatchUpStats& stats) {
    const bool tell = arrivals && hooks_ && hooks_->new_inbox_mail;
    const long long arrived_after = static_cast<long long>(std::time(nullptr)) - kArrivalWindowSeconds;
    // Oldest first, so the devices' change order follows arrival.
    std::sort(uids.begin(), uids.end());
    imap::FetchItems items;
    items.flags = true;
    items.modseq = imap_.has_capability("CONDSTORE") || imap_.has_capability("QRESYNC");
    items.internal_date = true;
    items.size = true;
    items.full_message = true;
    for (std::size_t at = 0; at < uids.size(); at += kFetchBatch) {
        if (hooks_ && hooks_->cancel && hooks_->cancel->load()) return false;
        std::vector<std::uint32_t> batch(uids.begin() + static_cast<std::ptrdiff_t>(at),
                                         uids.begin() + static_cast<std::ptrdiff_t>(std::min(uids.size(), at + kFetchBatch)));
        std::vector<imap::FetchedMessage> messages = imap_.fetch(imap::uid_set(batch), items);
        soci::transaction tr(sql_);
        store::lock_user_writes(sql_, user_.id);  // as in apply_changes: `known` is read whole
        // New arrivals of this batch, told to new_inbox_mail once they are committed.
        std::vector<std::pair<std::string, content::ParsedMessage>> arrived;
        // A UID fetched by another worker meanwhile is not stored twice.
        auto known = store::load_mirrored_messages(sql_, folder_id, &batch);
        for (auto& m : messages) {
            if (!m.body || known.count(m.uid)) continue;  // expunged meanwhile, or already there
            std::string error;
            auto parsed = content::parse_message(*m.body, &error);
            // Not a message (no header section), or one over a limit of content/message_limits.h
            // (more than 50,000 attachments, or MIME parts GMime would take gigabytes for): nothing
            // a phone could be given whole. Logged and skipped, and the rest of the mailbox is
            // mirrored (throwing would roll back the batch and fail the mailbox at every
            // catch-up); QRESYNC catch-ups do not ask for it again until its flags change.
            auto skip = [&](const std::string& why) {
                EASD_LOG_WARN("mirror %s: message UID %u of folder %lld not stored: %s", user_.address.c_str(),
                              m.uid, folder_id, why.c_str());
            };
            if (!parsed) {
                skip(error);
                continue;
            }
            const bool tell_this = tell && m.internal_date >= arrived_after;
            std::string headers = tell_this ? std::string(content::header_section(*m.body)) : std::string();
            std::optional<store::NewEmail> made;
            try {
                made = content::email_from_parsed(std::move(*m.body), *parsed);
            } catch (const content::MessageRefused& e) {
                skip(e.what());
                continue;
            }
            store::NewEmail& email = *made;
            MailState state = state_from_flags(m.flags, {});
            email.read = state.read;
            email.flag = state.flag;
            email.categories = state.categories;
            if (m.internal_date > 0) email.date_received = m.internal_date;
            email.follow_conversation_moves = false;
            email.keep_original = false;  // fetched again from IMAP when a phone asks for it
            // And of a long body only a preview: the rest comes with the original (MailBackend::load_emails).
            if (hooks_ && hooks_->body_keep_bytes > 0) content::keep_body_preview(email, hooks_->body_keep_bytes);
            // A phone's MoveItems or a Sent copy may record this UID while we fetch it (their
            // command commits after our read of `known`): then theirs stands and ours goes.
            store::pq_query(sql_, "SAVEPOINT mirror_message");
            try {
                long long item_id = store::insert_email(sql_, user_.id, folder_id, email);
                store::record_mirrored_message(sql_, item_id, folder_id, m.uid, m.modseq);
                store::pq_query(sql_, "RELEASE SAVEPOINT mirror_message");
                ++stats.added;
                if (tell_this) arrived.emplace_back(std::move(headers), std::move(*parsed));
            } catch (const store::QueryError& e) {
                if (e.sqlstate != "23505") throw;  // unique_violation
                store::pq_query(sql_, "ROLLBACK TO SAVEPOINT mirror_message");
            }
        }
        tr.commit();
        for (const auto& [headers, parsed] : arrived) {
            try {
                hooks_->new_inbox_mail(sql_, user_, headers, parsed);
            } catch (const std::exception& e) {
                EASD_LOG_WARN("mirror %s: new mail not handed on: %s", user_.address.c_str(), e.what());
            }
        }
    }
    return true;
}

bool Mirror::unchanged_since_listed(const store::MailboxBinding& binding) const {
    auto it = listed_status_.find(binding.name);
    if (it == listed_status_.end() || binding.uidvalidity == 0) return false;
    const imap::MailboxStatus& now = it->second;
    return now.uidvalidity == binding.uidvalidity && now.highestmodseq != 0 &&
           now.highestmodseq == binding.highestmodseq;
}

std::uint32_t Mirror::message_count(const store::MailboxBinding& binding) {
    if (auto it = listed_status_.find(binding.name); it != listed_status_.end()) return it->second.messages;
    try {
        return imap_.status(binding.name).messages;
    } catch (const imap::ImapError& e) {
        if (e.kind != imap::ImapError::Kind::No) throw;
        return 0;  // \Noselect, or gone meanwhile
    }
}

CatchUpStats Mirror::catch_up_all() {
    CatchUpStats stats;
    for (const auto& b : catch_up_hierarchy(&stats))
        if (!unchanged_since_listed(b)) catch_up_mailbox(b, &stats);
    return stats;
}

}  // namespace easd::dovecot
