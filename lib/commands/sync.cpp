// Sync (MS-ASCMD 2.2.1.21): per collection, the device's key is checked against the stored state,
// the client's changes are applied, and the server's changes since the key are sent in windows.
//
// SmartSync (docs/ARCHITECTURE.md): a device that repeats its previous key gets the lost response
// again. Client Adds are idempotent through the ClientId map, repeated Changes and Deletes are
// harmless, and the server's changes are re-sent in their current form.
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <chrono>
#include <ctime>
#include <unordered_map>
#include <unordered_set>

#include "commands/command.h"
#include "commands/sync_client_commands.h"
#include "commands/sync_loops.h"
#include "common/text.h"
#include "content/conversation.h"
#include "content/email_item.h"
#include "content/pim_item.h"
#include "store/folders.h"
#include "store/items.h"
#include "store/mail.h"
#include "store/push_state.h"
#include "store/sync_state.h"

namespace easd::commands {

namespace tag = wbxml::tag;
using content::ItemClass;

namespace {

using namespace sync_detail;

// A Sync that would run longer answers with what it has and MoreAvailable (issue: phones and
// proxies give up on long requests).
constexpr auto kTimeBudget = std::chrono::seconds(25);

CommandResult top_level_status(int status) {
    wbxml::Node root(tag::AirSync::Sync);
    root.add(tag::AirSync::Status, static_cast<long long>(status));
    return {200, std::move(root)};
}

// `quiet` is set when the answer for the collection says nothing new: status 1, the same key, no
// responses, no changes (a hanging Sync waits only when every collection is quiet).
void sync_collection(CommandContext& ctx, const CollectionRequest& req, std::chrono::steady_clock::time_point deadline,
                     wbxml::Node& collections, bool& quiet) {
    quiet = false;
    auto& out = collections.add(tag::AirSync::Collection);
    if (!req.class_name.empty()) out.add(tag::AirSync::Class, req.class_name);
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
    auto cls = content::item_class_from_name(peek.item_class);
    if (!cls) return status_reply(kServerError, req.sync_key);
    auto key = store::SyncKey::parse(req.sync_key);
    int filter_type = 0;
    if (req.options) {
        std::string_view ft = req.options->child_text(tag::AirSync::FilterType);
        std::from_chars(ft.data(), ft.data() + ft.size(), filter_type);
    }
    store::SyncFilter filter = store::make_filter(peek.item_class, filter_type, static_cast<long long>(std::time(nullptr)),
                                                  content::conversation_mode(*req.node) ? *folder_id : 0);
    if (req.sync_key != "0") {
        if (!key || !peek.state) return status_reply(kInvalidKey, "0");
        // Tombstones this device has not seen were pruned (easctl maintenance): a delta could miss
        // deletions, so the device starts over. Checked again after the change scan, below.
        const auto presented = peek.state->keys.match(*key);
        if (presented != store::KeyedState::Match::None &&
            peek.state->stale(presented == store::KeyedState::Match::Current ? peek.state->keys.current_mark
                                                                               : peek.state->keys.previous_mark,
                              peek.horizon))
            return status_reply(kInvalidKey, "0");
        if (presented == store::KeyedState::Match::Current && !req.commands &&
            (!req.get_changes || (!peek.pending && !store::needs_reconcile(*peek.state, filter)))) {
            quiet = true;
            return status_reply(kSuccess, req.sync_key);
        }
    }

    // Everything else changes state: one transaction per collection, so one collection's failure
    // does not undo another's.
    soci::transaction tr(ctx.sql);
    if (req.sync_key == "0") {
        auto created = store::create_collection_state(ctx.sql, ctx.device.id, *folder_id);
        if (const auto* supported = req.node->child(tag::AirSync::Supported))
            store::save_supported(ctx.sql, created.id, wbxml::encode(*supported));
        tr.commit();
        return status_reply(kSuccess, store::SyncKey{created.keys.epoch, created.keys.current_key}.str());
    }
    auto state = store::load_collection_state(ctx.sql, ctx.device.id, *folder_id, true);
    if (!state) return status_reply(kInvalidKey, "0");
    long long from_mark;
    int response_key;
    const store::KeyedState::Match match = state->keys.match(*key);
    switch (match) {
        case store::KeyedState::Match::Current:
            store::commit_current_key(ctx.sql, *state);
            from_mark = state->keys.current_mark;
            response_key = state->keys.current_key + 1;
            break;
        case store::KeyedState::Match::Previous:
            // Our last response never arrived: answer again from the previous state.
            store::rollback_current_key(ctx.sql, *state);
            state->filter_cutoff.reset();
            from_mark = state->keys.previous_mark;
            response_key = state->keys.current_key;
            break;
        default:
            return status_reply(kInvalidKey, "0");
    }

    const int loops_before = state->repeats;
    const auto narrowed_before = state->narrow_until_mark;
    const LoopGuard loop = guard_against_loops(ctx, *state, match, from_mark, req.window_size);
    const int window = loop.window;

    ItemRenderer renderer(ctx, *cls, req.options);
    wbxml::Node responses(tag::AirSync::Responses);
    ClientEdits edits;
    apply_client_commands(ctx, req, *state, *cls, response_key, from_mark, responses, edits, renderer);

    // A new or moved filter window first brings the held set in line (SoftDelete what left it, Add
    // what entered it), then the changes since the mark are sent, filtered the same way.
    store::CollectedChanges changes;
    changes.new_mark = from_mark;
    if (req.get_changes) {
        bool reconciled = true;
        // In conversation mode a new message can bring older ones of its thread into the set.
        if (store::needs_reconcile(*state, filter) || filter.conversation_mode) {
            reconciled = store::reconcile_filter(ctx.sql, *state, filter, from_mark, window, response_key, changes);
            store::save_filter_state(ctx.sql, *state, filter, reconciled);
        }
        if (reconciled) {
            int room = window - static_cast<int>(changes.changes.size());
            auto scanned = store::collect_changes(ctx.sql, *state, from_mark, std::max(room, 0), response_key, filter,
                                                  deadline);
            changes.changes.insert(changes.changes.end(), scanned.changes.begin(), scanned.changes.end());
            changes.more_available = scanned.more_available;
            changes.new_mark = scanned.new_mark;
        }
    }

    // The horizon once more, now that the scan has read the tombstones: a prune that committed
    // before the scan's last read is seen here, so what was scanned is complete or the device is
    // sent back to key 0 (its client commands roll back with the transaction; status 3 tells it to
    // discard them too).
    if (state->stale(from_mark, store::folder_prune_horizon(ctx.sql, *folder_id))) return status_reply(kInvalidKey, "0");

    // The client's own adds and edits come back as changes of ours: don't echo them. An item the
    // device refused a one-item response for is held back (sync_loops.h).
    std::vector<store::ItemChange> to_send;
    for (const auto& c : changes.changes) {
        bool is_delete = c.kind == store::ItemChange::Kind::Delete || c.kind == store::ItemChange::Kind::SoftDelete;
        if (!is_delete && edits.own.count(c.item_id)) continue;
        if (!is_delete && loop.hold_back_items) {
            hold_back_item(ctx, *state, response_key, c.item_id, store::QuarantineReason::loop,
                           "the device refused the response carrying it " + std::to_string(ctx.settings.sync_loop_repeats + 1) +
                               " times");
            continue;
        }
        to_send.push_back(c);
    }

    bool nothing_happened = changes.changes.empty() && !req.commands &&
                            response_key == state->keys.current_key + 1 && changes.new_mark == from_mark;
    std::string new_key;
    if (nothing_happened) {
        new_key = req.sync_key;  // no new state: the device keeps its key
        if (state->repeats != loops_before || state->narrow_until_mark != narrowed_before)
            store::save_collection_keys(ctx.sql, *state);  // the loop count starts again
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

    std::vector<long long> ids;
    for (const auto& c : to_send)
        if (c.kind == store::ItemChange::Kind::Add || c.kind == store::ItemChange::Kind::Change) ids.push_back(c.item_id);
    std::vector<ItemRenderer::Failure> failures;
    auto rendered = renderer.render(ids, &failures);
    // An item that cannot be rendered would fail this Sync every time: the rest goes, it waits
    // until it changes.
    for (const auto& f : failures) hold_back_item(ctx, *state, response_key, f.item_id, store::QuarantineReason::render, f.reason);
    tr.commit();

    quiet = nothing_happened && responses.children.empty() && !changes.more_available && to_send.empty();
    if (!responses.children.empty()) {
        // SyncResponse.xsd has the answers in the order Change, Add, Delete, Fetch (MS-ASCMD gives
        // none); the client commands were answered in request order, so sort them, keeping the
        // order within each kind.
        auto rank = [](const wbxml::Node& n) {
            if (n.tag == tag::AirSync::Change) return 0;
            if (n.tag == tag::AirSync::Add) return 1;
            if (n.tag == tag::AirSync::Delete) return 2;
            return 3;
        };
        std::stable_sort(responses.children.begin(), responses.children.end(),
                         [&](const wbxml::Node& a, const wbxml::Node& b) { return rank(a) < rank(b); });
        out.children.push_back(std::move(responses));
    }
    if (changes.more_available) out.add(tag::AirSync::MoreAvailable);
    if (to_send.empty()) return;
    auto& commands = out.add(tag::AirSync::Commands);
    for (const auto& c : to_send) {
        if (c.kind == store::ItemChange::Kind::Delete || c.kind == store::ItemChange::Kind::SoftDelete) {
            commands.add(c.kind == store::ItemChange::Kind::Delete ? tag::AirSync::Delete : tag::AirSync::SoftDelete)
                .add(tag::AirSync::ServerId, static_cast<long long>(c.item_id));
            continue;
        }
        auto it = rendered.find(c.item_id);
        if (it == rendered.end()) continue;  // vanished meanwhile: its Delete follows in a later Sync
        auto& cmd = commands.add(c.kind == store::ItemChange::Kind::Add ? tag::AirSync::Add : tag::AirSync::Change);
        cmd.add(tag::AirSync::ServerId, static_cast<long long>(c.item_id));
        cmd.children.push_back(std::move(it->second));
    }
    if (commands.children.empty()) out.children.pop_back();
}

// How long a hanging Sync (12.1+) may wait: Wait in minutes (1..59) or HeartbeatInterval in seconds,
// within the server's heartbeat bounds. An answer (status 4 or 14 with Limit) when it is invalid.
struct SyncWait {
    std::optional<std::chrono::seconds> interval;  // none: answer at once
    std::optional<CommandResult> refusal;
};

SyncWait parse_sync_wait(const CommandContext& ctx, const wbxml::Node& request) {
    SyncWait w;
    if (ctx.version < 121) return w;
    const wbxml::Node* wait = request.child(tag::AirSync::Wait);
    const wbxml::Node* heartbeat = request.child(tag::AirSync::HeartbeatInterval);
    if (!wait && !heartbeat) return w;
    if (wait && heartbeat) {
        w.refusal = top_level_status(kProtocolError);
        return w;
    }
    auto refuse_with_limit = [&](long long limit) {
        wbxml::Node root(tag::AirSync::Sync);
        root.add(tag::AirSync::Status, static_cast<long long>(kInvalidWait));
        root.add(tag::AirSync::Limit, limit);
        w.refusal = CommandResult{200, std::move(root)};
    };
    long long value = 0;
    std::string_view text = (wait ? wait : heartbeat)->text();
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || p != text.data() + text.size()) {
        w.refusal = top_level_status(kProtocolError);
        return w;
    }
    if (wait) {
        // Minutes: the spec's 1..59, narrowed to the server's bounds.
        long long lo = std::max(1, (ctx.settings.heartbeat_min + 59) / 60);
        long long hi = std::max(lo, std::min(59LL, ctx.settings.heartbeat_max / 60LL));
        if (value < lo) refuse_with_limit(lo);
        else if (value > hi) refuse_with_limit(hi);
        else w.interval = std::chrono::minutes(value);
    } else {
        if (value < ctx.settings.heartbeat_min) refuse_with_limit(ctx.settings.heartbeat_min);
        else if (value > ctx.settings.heartbeat_max) refuse_with_limit(ctx.settings.heartbeat_max);
        else w.interval = std::chrono::seconds(value);
    }
    return w;
}

// Lower-case hex MD5, as PostgreSQL's md5() writes it (a change detector, not security).
std::string md5_hex(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

// The request as kept for the next empty or partial Sync: without client commands, and without
// keys (they are taken from the state when the request is replayed), so that it stays the same
// from one Sync to the next and storing it rarely writes.
wbxml::Node without_commands(const wbxml::Node& request) {
    wbxml::Node copy = request;
    if (auto* cols = copy.child(tag::AirSync::Collections))
        for (auto& c : cols->children) {
            if (auto* key = c.child(tag::AirSync::SyncKey)) key->content.clear();
            auto& kids = c.children;
            kids.erase(std::remove_if(kids.begin(), kids.end(),
                                      [](const wbxml::Node& n) { return n.tag == tag::AirSync::Commands; }),
                       kids.end());
        }
    copy.children.erase(std::remove_if(copy.children.begin(), copy.children.end(),
                                       [](const wbxml::Node& n) { return n.tag == tag::AirSync::Partial; }),
                        copy.children.end());
    return copy;
}

// Sets each collection's SyncKey to the device's current key (the one our last response gave it).
void refresh_keys(CommandContext& ctx, wbxml::Node& request) {
    auto* cols = request.child(tag::AirSync::Collections);
    if (!cols) return;
    for (auto& c : cols->children) {
        auto id = parse_id(c.child_text(tag::AirSync::CollectionId));
        auto* key = c.child(tag::AirSync::SyncKey);
        if (!id || !key) continue;
        auto peek = store::peek_collection(ctx.sql, ctx.user.id, ctx.device.id, *id);
        if (peek.state) {
            key->content = store::SyncKey{peek.state->keys.epoch, peek.state->keys.current_key}.str();
            key->content_kind = wbxml::Node::Content::Text;
        }
    }
}

}  // namespace

CommandResult handle_sync(CommandContext& ctx) {
    // An empty request repeats the device's last one (12.1+); a Partial one names only some
    // collections and takes the rest from the last one. The last request lives in the database,
    // so any worker can serve either.
    wbxml::Node request;
    if (!ctx.request) {
        std::string last = store::load_last_sync_request(ctx.sql, ctx.device.id);
        auto decoded = last.empty() ? wbxml::DecodeResult{} : wbxml::decode(last);
        if (!decoded.root) return top_level_status(kIncompleteRequest);
        request = std::move(*decoded.root);
        refresh_keys(ctx, request);
    } else {
        if (ctx.request->tag != tag::AirSync::Sync) return top_level_status(kProtocolError);
        request = *ctx.request;
        if (request.has(tag::AirSync::Partial)) {
            std::string last = store::load_last_sync_request(ctx.sql, ctx.device.id);
            auto decoded = last.empty() ? wbxml::DecodeResult{} : wbxml::decode(last);
            if (!decoded.root) return top_level_status(kIncompleteRequest);
            refresh_keys(ctx, *decoded.root);
            auto* cols = request.child(tag::AirSync::Collections);
            if (!cols) cols = &request.add(tag::AirSync::Collections);
            std::set<std::string> named;
            for (const auto* c : cols->children_of(tag::AirSync::Collection))
                named.insert(std::string(c->child_text(tag::AirSync::CollectionId)));
            if (const auto* old_cols = decoded.root->child(tag::AirSync::Collections))
                for (const auto* c : old_cols->children_of(tag::AirSync::Collection))
                    if (!named.count(std::string(c->child_text(tag::AirSync::CollectionId))))
                        cols->children.push_back(*c);
        }
    }
    const wbxml::Node* collections = request.child(tag::AirSync::Collections);
    if (!collections) return top_level_status(kIncompleteRequest);

    int default_window = ctx.settings.default_window_size;
    if (auto w = parse_id(request.child_text(tag::AirSync::WindowSize))) default_window = static_cast<int>(*w);

    std::vector<CollectionRequest> requests;
    for (const wbxml::Node* c : collections->children_of(tag::AirSync::Collection)) {
        CollectionRequest r;
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
    SyncWait wait = parse_sync_wait(ctx, request);
    if (wait.refusal) return std::move(*wait.refusal);
    if (ctx.request) {
        // Kept for the next empty or Partial request; usually it is the same as last time, which the
        // device row (read anyway) tells by its hash, and then nothing is sent to the database.
        std::string kept = wbxml::encode(without_commands(request));
        if (md5_hex(kept) != ctx.device.last_sync_request_md5) store::save_last_sync_request(ctx.sql, ctx.device.id, kept);
    }

    auto deadline = std::chrono::steady_clock::now() + kTimeBudget;
    wbxml::Node root(tag::AirSync::Sync);
    auto& out = root.add(tag::AirSync::Collections);
    bool all_quiet = true;
    std::vector<long long> watched;
    for (const auto& r : requests) {
        bool quiet = false;
        sync_collection(ctx, r, deadline, out, quiet);
        all_quiet = all_quiet && quiet;
        if (auto id = parse_id(r.collection_id); id && r.get_changes) watched.push_back(*id);
    }
    if (!wait.interval || !all_quiet || watched.empty()) return {200, std::move(root)};

    // Hanging Sync with nothing to say: wait for changes in its collections (lib/push), for the
    // interval or, when this is the request run again after it woke, for what is left of it.
    auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(*wait.interval);
    if (ctx.wait_deadline) {
        interval = std::chrono::duration_cast<std::chrono::milliseconds>(*ctx.wait_deadline -
                                                                          std::chrono::steady_clock::now());
        if (interval <= std::chrono::milliseconds(0)) return CommandResult(200);  // the empty response
    }
    push::ParkedWait park;
    park.user_id = ctx.user.id;
    park.device_row = ctx.device.id;
    park.folders = std::move(watched);
    park.heartbeat = interval;
    park.push_seq = store::announce_waiting_request(ctx.sql, ctx.device.id, std::nullopt);
    CommandResult parked;
    parked.park = std::move(park);
    return parked;
}

}  // namespace easd::commands
