// Sync (MS-ASCMD 2.2.1.21): per collection, the device's key is checked against the stored state,
// the client's changes are applied, and the server's changes since the key are sent in windows.
#include <charconv>
#include <unordered_map>

#include "commands/command.h"
#include "content/email_item.h"
#include "store/folders.h"
#include "store/mail.h"
#include "store/sync_state.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// Sync status codes (MS-ASCMD 2.2.3.177.16).
enum SyncStatus {
    kSuccess = 1,
    kInvalidKey = 3,
    kProtocolError = 4,
    kServerError = 5,
    kObjectNotFound = 8,
    kHierarchyChanged = 12,
    kIncompleteRequest = 13,
};

std::optional<long long> parse_id(std::string_view s) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
    return v;
}

CommandResult top_level_status(int status) {
    wbxml::Node root(tag::AirSync::Sync);
    root.add(tag::AirSync::Status, static_cast<long long>(status));
    return {200, std::move(root)};
}

struct CollectionRequest {
    const wbxml::Node* node;
    std::string sync_key;
    std::string collection_id;
    std::string class_name;  // 2.5 sends it
    bool get_changes = true;
    int window_size;
    const wbxml::Node* options;
    const wbxml::Node* commands;
};

// Client changes to emails the device holds: the read flag (Change) and Delete. Returns, per
// item, the change number the client's own edit produced, so it is not echoed back.
struct ClientEdits {
    std::unordered_map<long long, bool> own_changes;  // item id -> we changed it for the client
};

void apply_client_commands(CommandContext& ctx, const CollectionRequest& req, const store::CollectionState& state,
                           int key_for_changes, wbxml::Node& responses, ClientEdits& edits) {
    if (!req.commands) return;
    bool deletes_as_moves = true;
    if (auto* d = req.node->child(tag::AirSync::DeletesAsMoves)) deletes_as_moves = d->text() != "0";
    for (const auto& cmd : req.commands->children) {
        auto server_id = parse_id(cmd.child_text(tag::AirSync::ServerId));
        if (cmd.tag == tag::AirSync::Change || cmd.tag == tag::AirSync::Delete) {
            // The item must be one this user has in this folder.
            int found = 0;
            long long id = server_id.value_or(0);
            ctx.sql << "SELECT count(*) FROM items WHERE id = :i AND user_id = :u AND folder_id = :f",
                soci::use(id), soci::use(ctx.user.id), soci::use(state.folder_id), soci::into(found);
            if (!found) {
                auto& r = responses.add(cmd.tag);
                r.add(tag::AirSync::ServerId, std::string(cmd.child_text(tag::AirSync::ServerId)));
                r.add(tag::AirSync::Status, static_cast<long long>(kObjectNotFound));
                continue;
            }
            if (cmd.tag == tag::AirSync::Change) {
                const wbxml::Node* data = cmd.child(tag::AirSync::ApplicationData);
                const wbxml::Node* read = data ? data->child(tag::Email::Read) : nullptr;
                if (read) {
                    int flag = read->text() == "1" ? 1 : 0;
                    ctx.sql << "UPDATE emails SET read = (:r = 1) WHERE item_id = :i", soci::use(flag), soci::use(id);
                    edits.own_changes[id] = true;
                }
                // Other properties arrive with two-way sync of every field (later work); a Change
                // that only carries them succeeds without effect, as the spec allows for
                // read-only properties, and is not answered (success is implied).
            } else {
                long long trash_id = 0;
                soci::indicator ind = soci::i_null;
                if (deletes_as_moves)
                    ctx.sql << "SELECT id FROM folders WHERE user_id = :u AND type = 4", soci::use(ctx.user.id),
                        soci::into(trash_id, ind);
                if (deletes_as_moves && ind == soci::i_ok && trash_id != state.folder_id)
                    ctx.sql << "UPDATE items SET folder_id = :t WHERE id = :i", soci::use(trash_id), soci::use(id);
                else
                    ctx.sql << "DELETE FROM items WHERE id = :i", soci::use(id);
                // The device no longer holds it; undone if this response is lost.
                ctx.sql << "UPDATE sync_items SET removed_key = :k WHERE collection_id = :c AND item_id = :i",
                    soci::use(key_for_changes), soci::use(state.id), soci::use(id);
            }
        } else {
            // Add and Fetch come with two-way sync of every class; answer honestly for now.
            auto& r = responses.add(cmd.tag);
            if (auto client_id = cmd.child(tag::AirSync::ClientId))
                r.add(tag::AirSync::ClientId, std::string(client_id->text()));
            if (server_id) r.add(tag::AirSync::ServerId, static_cast<long long>(*server_id));
            r.add(tag::AirSync::Status, static_cast<long long>(6));  // error in client/server conversion
        }
    }
}

void sync_collection(CommandContext& ctx, const CollectionRequest& req, wbxml::Node& collections) {
    auto& out = collections.add(tag::AirSync::Collection);
    if (ctx.version < 121 || !req.class_name.empty()) {
        if (!req.class_name.empty()) out.add(tag::AirSync::Class, req.class_name);
    }
    auto status_reply = [&](int status, const std::string& key) {
        out.add(tag::AirSync::SyncKey, key);
        out.add(tag::AirSync::CollectionId, req.collection_id);
        out.add(tag::AirSync::Status, static_cast<long long>(status));
    };

    // One read answers the common case, a device asking "anything new?" at its current key when
    // nothing is: no transaction, no row lock, no write, so no WAL flush.
    auto folder_id = parse_id(req.collection_id);
    store::CollectionPeek peek;
    if (folder_id) peek = store::peek_collection(ctx.sql, ctx.user.id, ctx.device.id, *folder_id);
    if (!peek.folder_found) return status_reply(kHierarchyChanged, req.sync_key);
    auto key = store::SyncKey::parse(req.sync_key);
    if (req.sync_key != "0") {
        if (!key || !peek.state) return status_reply(kInvalidKey, "0");
        if (peek.state->keys.match(*key) == store::KeyedState::Match::Current && !req.commands &&
            (!req.get_changes || !peek.pending))
            return status_reply(kSuccess, req.sync_key);
    }

    // Everything else changes state: one transaction per collection, so one collection's failure
    // does not undo another's.
    soci::transaction tr(ctx.sql);
    if (req.sync_key == "0") {
        auto created = store::create_collection_state(ctx.sql, ctx.device.id, *folder_id);
        tr.commit();
        return status_reply(kSuccess, store::SyncKey{created.keys.epoch, created.keys.current_key}.str());
    }
    auto state = store::load_collection_state(ctx.sql, ctx.device.id, *folder_id, true);
    if (!state) return status_reply(kInvalidKey, "0");
    long long from_mark;
    int response_key;
    switch (state->keys.match(*key)) {
        case store::KeyedState::Match::Current:
            store::commit_current_key(ctx.sql, *state);
            from_mark = state->keys.current_mark;
            response_key = state->keys.current_key + 1;
            break;
        case store::KeyedState::Match::Previous:
            // Our last response never arrived: answer again from the previous state.
            store::rollback_current_key(ctx.sql, *state);
            from_mark = state->keys.previous_mark;
            response_key = state->keys.current_key;
            break;
        default:
            return status_reply(kInvalidKey, "0");
    }

    wbxml::Node responses(tag::AirSync::Responses);
    ClientEdits edits;
    apply_client_commands(ctx, req, *state, response_key, responses, edits);

    store::CollectedChanges changes;
    changes.new_mark = from_mark;
    if (req.get_changes) changes = store::collect_changes(ctx.sql, *state, from_mark, req.window_size, response_key);

    // The client's own edits come back as changes of ours: don't echo them.
    std::vector<store::ItemChange> to_send;
    for (const auto& c : changes.changes)
        if (!(c.kind == store::ItemChange::Kind::Change && edits.own_changes.count(c.item_id))) to_send.push_back(c);

    bool nothing_happened = to_send.empty() && changes.changes.empty() && !req.commands &&
                            response_key == state->keys.current_key + 1 && changes.new_mark == from_mark;
    std::string new_key;
    if (nothing_happened) {
        new_key = req.sync_key;  // no new state: the device keeps its key
    } else {
        if (response_key == state->keys.current_key + 1) {
            state->keys.previous_key = state->keys.current_key;
            state->keys.previous_mark = state->keys.current_mark;
            state->keys.current_key = response_key;
        }
        state->keys.current_mark = changes.new_mark;
        store::save_collection_keys(ctx.sql, *state);
        new_key = store::SyncKey{state->keys.epoch, response_key}.str();
    }
    status_reply(kSuccess, new_key);
    std::vector<store::EmailRow> rows;
    content::EmailOptions options = content::parse_email_options(req.options);
    if (peek.item_class == "Email") {
        std::vector<long long> ids;
        for (const auto& c : to_send)
            if (c.kind != store::ItemChange::Kind::Delete) ids.push_back(c.item_id);
        rows = store::load_emails(ctx.sql, ctx.user.id, ids, options.needs_mime());
    }
    tr.commit();

    if (!responses.children.empty()) out.children.push_back(std::move(responses));
    if (changes.more_available) out.add(tag::AirSync::MoreAvailable);
    if (to_send.empty()) return;

    std::unordered_map<long long, const store::EmailRow*> by_id;
    for (const auto& r : rows) by_id[r.item_id] = &r;

    auto& commands = out.add(tag::AirSync::Commands);
    for (const auto& c : to_send) {
        if (c.kind == store::ItemChange::Kind::Delete) {
            commands.add(tag::AirSync::Delete).add(tag::AirSync::ServerId, static_cast<long long>(c.item_id));
            continue;
        }
        auto it = by_id.find(c.item_id);
        if (it == by_id.end()) continue;  // vanished meanwhile: its Delete follows in a later Sync
        auto& cmd = commands.add(c.kind == store::ItemChange::Kind::Add ? tag::AirSync::Add : tag::AirSync::Change);
        cmd.add(tag::AirSync::ServerId, static_cast<long long>(c.item_id));
        auto& data = cmd.add(tag::AirSync::ApplicationData);
        content::append_email_data(data, *it->second, options, ctx.version);
    }
    if (commands.children.empty()) out.children.pop_back();
}

}  // namespace

CommandResult handle_sync(CommandContext& ctx) {
    if (!ctx.request) {
        // An empty Sync repeats the previous request (12.1+). Until that request is kept, ask the
        // device to send it in full, which the specification allows.
        return top_level_status(kIncompleteRequest);
    }
    if (ctx.request->tag != tag::AirSync::Sync) return top_level_status(kProtocolError);
    const wbxml::Node* collections = ctx.request->child(tag::AirSync::Collections);
    if (!collections) return top_level_status(kIncompleteRequest);

    int default_window = ctx.settings.default_window_size;
    if (auto w = parse_id(ctx.request->child_text(tag::AirSync::WindowSize))) default_window = static_cast<int>(*w);

    std::vector<CollectionRequest> requests;
    for (const wbxml::Node* c : collections->children_of(tag::AirSync::Collection)) {
        CollectionRequest r{};
        r.node = c;
        const wbxml::Node* key = c->child(tag::AirSync::SyncKey);
        const wbxml::Node* id = c->child(tag::AirSync::CollectionId);
        if (!key || !id) return top_level_status(kProtocolError);
        r.sync_key = std::string(key->text());
        r.collection_id = std::string(id->text());
        r.class_name = std::string(c->child_text(tag::AirSync::Class));
        // GetChanges defaults to true except on the first request of a collection (key 0).
        if (auto* gc = c->child(tag::AirSync::GetChanges)) r.get_changes = gc->text() != "0";
        r.window_size = default_window;
        if (auto w = parse_id(c->child_text(tag::AirSync::WindowSize))) r.window_size = static_cast<int>(*w);
        r.window_size = std::clamp(r.window_size, 1, ctx.settings.max_window_size);
        r.options = c->child(tag::AirSync::Options);
        r.commands = c->child(tag::AirSync::Commands);
        requests.push_back(r);
    }
    if (requests.empty()) return top_level_status(kIncompleteRequest);

    wbxml::Node root(tag::AirSync::Sync);
    auto& out = root.add(tag::AirSync::Collections);
    for (const auto& r : requests) sync_collection(ctx, r, out);
    return {200, std::move(root)};
}

}  // namespace easd::commands
