// FolderCreate, FolderUpdate and FolderDelete (MS-ASCMD 2.2.1.3, 2.2.1.6, 2.2.1.4): the phone
// creates, renames, moves and deletes folders. The change itself goes through the folder store
// (store/folder_store.h, the seam a second mail store will stand behind); here are the protocol
// parts: the request's shape, the status codes, and the hierarchy SyncKey.
//
// Each command takes the device's current hierarchy key (or the previous one, when our last
// response was lost) and answers a new one. The change is recorded as the device's own
// (store::HierarchyState), so its next FolderSync does not send it back, while every other device
// of the user gets it with its next FolderSync (and a waiting Ping answers 7).
#include <set>

#include "commands/command.h"
#include "common/log.h"
#include "common/text.h"
#include "store/folder_store.h"
#include "store/folders.h"
#include "store/pq.h"
#include "store/sync_state.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// Status codes (MS-ASCMD 2.2.3.177.3, .4, .6); not every command uses every code.
enum FolderStatus {
    kSuccess = 1,
    kExists = 2,          // Create, Update: the name is taken; Update: a special folder
    kSpecial = 3,         // Create: the parent is a special (recipient information) folder; Delete: a special folder
    kNotFound = 4,        // Update, Delete: no such folder
    kParentNotFound = 5,  // Create, Update
    kServerError = 6,
    kInvalidKey = 9,
    kMalformed = 10,
};

enum class Op { Create, Update, Delete };

wbxml::Tag root_tag(Op op) {
    switch (op) {
        case Op::Create: return tag::FolderHierarchy::FolderCreate;
        case Op::Update: return tag::FolderHierarchy::FolderUpdate;
        case Op::Delete: return tag::FolderHierarchy::FolderDelete;
    }
    return tag::FolderHierarchy::FolderCreate;
}

CommandResult status_only(Op op, int status) {
    wbxml::Node root(root_tag(op));
    root.add(tag::FolderHierarchy::Status, static_cast<long long>(status));
    return {200, std::move(root)};
}

int status_for(Op op, store::FolderError e) {
    using E = store::FolderError;
    switch (e) {
        case E::None: return kSuccess;
        case E::NameTaken: return kExists;
        case E::ParentSpecial: return op == Op::Create ? kSpecial : kParentNotFound;
        case E::ParentMissing: return kParentNotFound;
        case E::Unavailable: return kServerError;
        case E::NotFound: return kNotFound;
        case E::Special: return op == Op::Delete ? kSpecial : kExists;
        // Moving a folder under itself, a bad name or type: a request with a semantic error.
        case E::Cycle:
        case E::BadName:
        case E::BadType: return kMalformed;
    }
    return kServerError;
}

// "0" (the top level) or a folder id; nullopt for anything else.
std::optional<long long> parse_parent(std::string_view text) {
    text = trim(text);
    if (text == "0") return 0;
    return parse_id(text);
}

CommandResult run(CommandContext& ctx, Op op) {
    const wbxml::Node* req = ctx.request;
    if (!req || req->tag != root_tag(op)) return status_only(op, kMalformed);
    const wbxml::Node* key_node = req->child(tag::FolderHierarchy::SyncKey);
    if (!key_node) return status_only(op, kMalformed);
    std::string name(req->child_text(tag::FolderHierarchy::DisplayName));
    const wbxml::Node* parent_node = req->child(tag::FolderHierarchy::ParentId);
    const wbxml::Node* server_id_node = req->child(tag::FolderHierarchy::ServerId);

    // The request's own fields first: a malformed request is 10 whatever its key.
    std::optional<long long> folder_id;
    long long type = 0;
    if (op == Op::Create) {
        auto t = parse_decimal(trim(req->child_text(tag::FolderHierarchy::Type)));
        if (!t || !req->has(tag::FolderHierarchy::DisplayName)) return status_only(op, kMalformed);
        type = *t;
    } else {
        if (!server_id_node) return status_only(op, kMalformed);
        // An id that is not a number names no folder of this user: "not found", like any other.
        folder_id = parse_id(trim(server_id_node->text()));
        if (op == Op::Update && !parent_node && !req->has(tag::FolderHierarchy::DisplayName))
            return status_only(op, kMalformed);
    }

    try {
        soci::transaction tr(ctx.sql);
        auto key = store::SyncKey::parse(key_node->text());
        auto hs = store::load_hierarchy_state(ctx.sql, ctx.device.id);
        if (!key || !hs) return status_only(op, kInvalidKey);
        long long mark = 0;
        std::set<long long> own;
        int new_key = 0;
        bool from_current = false;
        switch (hs->keys.match(*key)) {
            case store::KeyedState::Match::Current:
                mark = hs->keys.current_mark;
                own = hs->own;
                new_key = hs->keys.current_key + 1;
                from_current = true;
                break;
            case store::KeyedState::Match::Previous:
                // Our last response never arrived: this change goes on top of what the device has.
                mark = hs->keys.previous_mark;
                own = hs->previous_own;
                new_key = hs->keys.current_key;
                break;
            case store::KeyedState::Match::None:
                return status_only(op, kInvalidKey);
        }
        // Folder deletions above the device's watermark were pruned (easctl maintenance): it must
        // start over with FolderSync 0 before it changes anything.
        const long long start_mark = mark;
        if (start_mark < store::hierarchy_prune_horizon(ctx.sql, ctx.user.id)) return status_only(op, kInvalidKey);

        // The mail store's folder store: the Dovecot store creates, renames and deletes the
        // mailbox on the IMAP server too.
        auto folders = ctx.mail->folder_store(ctx.sql);
        store::FolderChange change;
        switch (op) {
            case Op::Create: {
                // ParentId is required; a client that leaves it out means the top level.
                auto parent = parent_node ? parse_parent(parent_node->text()) : std::optional<long long>(0);
                if (!parent) return status_only(op, kParentNotFound);
                change = folders->create(ctx.user.id, *parent, name, static_cast<int>(type));
                break;
            }
            case Op::Update: {
                if (!folder_id) return status_only(op, kNotFound);
                auto current = folders->find(ctx.user.id, *folder_id);
                if (!current) return status_only(op, kNotFound);
                // What the request leaves out stays as it is (a rename without ParentId, say).
                auto parent = parent_node ? parse_parent(parent_node->text()) : std::optional<long long>(current->parent_id);
                if (!parent) return status_only(op, kParentNotFound);
                change = folders->update(ctx.user.id, *folder_id, *parent,
                                         req->has(tag::FolderHierarchy::DisplayName) ? name : current->name);
                break;
            }
            case Op::Delete:
                if (!folder_id) return status_only(op, kNotFound);
                change = folders->remove(ctx.user.id, *folder_id);
                break;
        }
        if (!change.ok()) return status_only(op, status_for(op, change.error));  // rolled back: nothing written

        own.insert(change.change_seqs.begin(), change.change_seqs.end());
        store::settle_own_changes(ctx.sql, ctx.user.id, mark, own);
        // Once more after reading the tombstones, for a prune that committed meanwhile.
        if (start_mark < store::hierarchy_prune_horizon(ctx.sql, ctx.user.id)) return status_only(op, kInvalidKey);
        if (from_current) {
            hs->keys.previous_key = hs->keys.current_key;
            hs->keys.previous_mark = hs->keys.current_mark;
            hs->previous_own = hs->own;
        }
        hs->keys.current_key = new_key;
        hs->keys.current_mark = mark;
        hs->own = std::move(own);
        store::save_hierarchy_state(ctx.sql, ctx.device.id, *hs);
        tr.commit();

        wbxml::Node root(root_tag(op));
        root.add(tag::FolderHierarchy::Status, static_cast<long long>(kSuccess));
        root.add(tag::FolderHierarchy::SyncKey, store::SyncKey{hs->keys.epoch, new_key}.str());
        if (op == Op::Create) root.add(tag::FolderHierarchy::ServerId, static_cast<long long>(change.folder.id));
        return {200, std::move(root)};
    } catch (const store::QueryError& e) {
        if (e.connection_lost()) throw;  // the request path answers 503
        EASD_LOG_ERROR("folder change for user %lld failed: %s", ctx.user.id, e.what());
    } catch (const soci::soci_error& e) {
        if (store::is_connection_error(e)) throw;
        EASD_LOG_ERROR("folder change for user %lld failed: %s", ctx.user.id, e.what());
    }
    return status_only(op, kServerError);
}

}  // namespace

CommandResult handle_folder_create(CommandContext& ctx) { return run(ctx, Op::Create); }
CommandResult handle_folder_update(CommandContext& ctx) { return run(ctx, Op::Update); }
CommandResult handle_folder_delete(CommandContext& ctx) { return run(ctx, Op::Delete); }

}  // namespace easd::commands
