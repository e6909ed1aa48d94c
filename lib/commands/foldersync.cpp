// FolderSync (MS-ASCMD 2.2.1.5): the folder hierarchy, then its changes since the device's key.
#include <algorithm>
#include <set>

#include "commands/command.h"
#include "store/folders.h"
#include "store/sync_state.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// FolderSync status codes (MS-ASCMD 2.2.3.177.5).
enum FolderSyncStatus { kSuccess = 1, kServerError = 6, kInvalidKey = 9, kBadRequest = 10 };

CommandResult status_only(int status) {
    wbxml::Node root(tag::FolderHierarchy::FolderSync);
    root.add(tag::FolderHierarchy::Status, static_cast<long long>(status));
    return {200, std::move(root)};
}

void add_folder(wbxml::Node& parent, wbxml::Tag element, const store::Folder& f) {
    auto& n = parent.add(element);
    n.add(tag::FolderHierarchy::ServerId, static_cast<long long>(f.id));
    n.add(tag::FolderHierarchy::ParentId, static_cast<long long>(f.parent_id));
    n.add(tag::FolderHierarchy::DisplayName, f.name);
    n.add(tag::FolderHierarchy::Type, static_cast<long long>(f.type));
}

}  // namespace

CommandResult handle_folder_sync(CommandContext& ctx) {
    if (!ctx.request || ctx.request->tag != tag::FolderHierarchy::FolderSync) return status_only(kBadRequest);
    const wbxml::Node* key_node = ctx.request->child(tag::FolderHierarchy::SyncKey);
    if (!key_node) return status_only(kBadRequest);
    std::string_view key_text = key_node->text();

    // The mail store brings the hierarchy (and, for the Dovecot store, the mirror of every
    // mailbox) up to date first: a change whose announcement was lost arrives here at the latest.
    if (ctx.mail) ctx.mail->refresh_hierarchy(ctx.sql, ctx.user);

    // The common case, a device asking again at its current key when nothing changed: one read,
    // no transaction, no lock, no write; the answer is the one the full path below would give.
    if (key_text != "0") {
        auto key = store::SyncKey::parse(key_text);
        if (!key) return status_only(kInvalidKey);
        store::HierarchyPeek peek = store::peek_hierarchy(ctx.sql, ctx.user.id, ctx.device.id);
        if (!peek.keys) return status_only(kInvalidKey);
        if (!peek.changed && peek.keys->match(*key) == store::KeyedState::Match::Current) {
            wbxml::Node root(tag::FolderHierarchy::FolderSync);
            root.add(tag::FolderHierarchy::Status, static_cast<long long>(kSuccess));
            root.add(tag::FolderHierarchy::SyncKey, std::string(key_text));
            root.add(tag::FolderHierarchy::Changes).add(tag::FolderHierarchy::Count, 0LL);
            return {200, std::move(root)};
        }
    }

    soci::transaction tr(ctx.sql);
    // One snapshot for folders and tombstones (see schema/001_initial.sql on the ordering).
    ctx.sql << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ";

    store::HierarchyState hs;
    store::KeyedState& state = hs.keys;
    long long from_mark = 0;
    std::set<long long> own;  // the device's own changes above from_mark: not reported to it
    int response_key = 0;
    if (key_text == "0") {
        // A new start for this device: every collection state goes too (MS-ASCMD 2.2.3.170.1).
        store::reset_device_sync_state(ctx.sql, ctx.device.id);
        state.epoch = store::new_epoch();
        state.current_key = 0;
        from_mark = 0;
        response_key = 1;
    } else {
        auto key = store::SyncKey::parse(key_text);
        auto loaded = store::load_hierarchy_state(ctx.sql, ctx.device.id);
        if (!key || !loaded) return status_only(kInvalidKey);
        hs = *loaded;
        switch (state.match(*key)) {
            case store::KeyedState::Match::Current:
                from_mark = state.current_mark;
                own = hs.own;
                response_key = state.current_key + 1;
                break;
            case store::KeyedState::Match::Previous:
                // Our last response was lost: answer it again from the previous state.
                from_mark = state.previous_mark;
                own = hs.previous_own;
                response_key = state.current_key;
                break;
            case store::KeyedState::Match::None:
                return status_only(kInvalidKey);
        }
    }

    // Folder tombstones this device has not seen were pruned (easctl maintenance): it starts over.
    // (Read in the transaction's one snapshot, with the tombstones: a prune is seen in both or
    // in neither.) A new start needs nothing pruned, and begins at the horizon at least, so that
    // a pruned deletion above everything it was sent does not make its next key stale.
    const long long horizon = store::hierarchy_prune_horizon(ctx.sql, ctx.user.id);
    if (key_text != "0" && from_mark < horizon) return status_only(kInvalidKey);
    store::FolderChanges changes = store::folder_changes_since(ctx.sql, ctx.user.id, from_mark, own);
    if (key_text == "0") changes.new_mark = std::max(changes.new_mark, horizon);
    std::size_t count = changes.added.size() + changes.updated.size() + changes.deleted.size();

    wbxml::Node root(tag::FolderHierarchy::FolderSync);
    root.add(tag::FolderHierarchy::Status, static_cast<long long>(kSuccess));
    bool unchanged = count == 0 && key_text != "0" && response_key == state.current_key + 1;
    if (unchanged) {
        // Nothing new: the device keeps its key and we write nothing.
        root.add(tag::FolderHierarchy::SyncKey, std::string(key_text));
    } else {
        if (response_key == state.current_key + 1) {
            if (key_text != "0") {
                state.previous_key = state.current_key;
                state.previous_mark = state.current_mark;
                hs.previous_own = hs.own;
            }
            state.current_key = response_key;
        }
        state.current_mark = changes.new_mark;
        // Own changes at or below the new mark are behind the device now.
        hs.own.clear();
        for (long long s : own)
            if (s > changes.new_mark) hs.own.insert(s);
        store::save_hierarchy_state(ctx.sql, ctx.device.id, hs);
        root.add(tag::FolderHierarchy::SyncKey, store::SyncKey{state.epoch, response_key}.str());
    }
    auto& c = root.add(tag::FolderHierarchy::Changes);
    c.add(tag::FolderHierarchy::Count, static_cast<long long>(count));
    for (const auto& f : changes.updated) add_folder(c, tag::FolderHierarchy::Update, f);
    for (long long id : changes.deleted) c.add(tag::FolderHierarchy::Delete).add(tag::FolderHierarchy::ServerId, id);
    for (const auto& f : changes.added) add_folder(c, tag::FolderHierarchy::Add, f);
    tr.commit();
    return {200, std::move(root)};
}

}  // namespace easd::commands
