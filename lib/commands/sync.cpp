// Sync (MS-ASCMD 2.2.1.21): per collection, the device's key is checked against the stored state,
// the client's changes are applied, and the server's changes since the key are sent in windows.
//
// SmartSync (docs/ARCHITECTURE.md): a device that repeats its previous key gets the lost response
// again. Client Adds are idempotent through the ClientId map, repeated Changes and Deletes are
// harmless, and the server's changes are re-sent in their current form.
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <set>
#include <chrono>
#include <ctime>
#include <unordered_map>
#include <unordered_set>

#include "commands/command.h"
#include "commands/outgoing_mail.h"
#include "commands/submission.h"
#include "common/text.h"
#include "content/attachment.h"
#include "content/compose.h"
#include "content/conversation.h"
#include "content/draft.h"
#include "content/email_item.h"
#include "content/message.h"
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

// Sync status codes (MS-ASCMD 2.2.3.177.16).
enum SyncStatus {
    kSuccess = 1,
    kInvalidKey = 3,
    kProtocolError = 4,
    kServerError = 5,
    kConversionError = 6,
    kObjectNotFound = 8,
    kHierarchyChanged = 12,
    kIncompleteRequest = 13,
    kInvalidWait = 14,
};

// A Sync that would run longer answers with what it has and MoreAvailable (issue: phones and
// proxies give up on long requests).
constexpr auto kTimeBudget = std::chrono::seconds(25);

CommandResult top_level_status(int status) {
    wbxml::Node root(tag::AirSync::Sync);
    root.add(tag::AirSync::Status, static_cast<long long>(status));
    return {200, std::move(root)};
}

struct CollectionRequest {
    const wbxml::Node* node = nullptr;
    std::string sync_key;
    std::string collection_id;
    std::string class_name;  // 2.5 sends it
    bool get_changes = true;
    int window_size = 100;
    const wbxml::Node* options = nullptr;
    const wbxml::Node* commands = nullptr;
};

// Renders items of one class for this client: ServerId -> ApplicationData.
class ItemRenderer {
public:
    ItemRenderer(CommandContext& ctx, ItemClass cls, const wbxml::Node* options)
        : ctx_(ctx), cls_(cls), options_(content::parse_email_options(options)) {}

    std::unordered_map<long long, wbxml::Node> render(const std::vector<long long>& ids) {
        std::unordered_map<long long, wbxml::Node> out;
        if (ids.empty()) return out;
        if (cls_ == ItemClass::Email) {
            for (const auto& row : store::load_emails(ctx_.sql, ctx_.user.id, ids, options_.needs_mime())) {
                wbxml::Node data(tag::AirSync::ApplicationData);
                content::append_email_data(data, row, options_, ctx_.version);
                out.emplace(row.item_id, std::move(data));
            }
        } else {
            for (const auto& row : store::load_pim_items(ctx_.sql, ctx_.user.id, ids)) {
                auto stored = wbxml::decode(row.data);
                if (!stored.root) continue;  // cannot happen for data we wrote; skip rather than fail all
                wbxml::Node data(tag::AirSync::ApplicationData);
                content::append_pim_data(data, cls_, *stored.root, options_, ctx_.version);
                out.emplace(row.item_id, std::move(data));
            }
        }
        return out;
    }

private:
    CommandContext& ctx_;
    ItemClass cls_;
    content::EmailOptions options_;
};

// What the client's own commands did in this request, so they are not echoed back as changes.
struct ClientEdits {
    std::unordered_set<long long> own;  // items the client added or changed in this request
};

store::PimRow pim_row_of(ItemClass cls, const wbxml::Node& canonical, long long item_id) {
    store::PimRow row;
    row.item_id = item_id;
    row.data = wbxml::encode(canonical);
    content::PimFields f = content::extract_fields(cls, canonical);
    row.subject = f.subject;
    if (f.start_time) row.start_time = *f.start_time;
    if (f.end_time) row.end_time = *f.end_time;
    if (f.due) row.due = *f.due;
    row.recurring = f.recurring;
    row.complete = f.complete;
    return row;
}

void respond(wbxml::Node& responses, wbxml::Tag command, const std::string& client_id, const std::string& server_id,
             int status) {
    auto& r = responses.add(command);
    if (!client_id.empty()) r.add(tag::AirSync::ClientId, client_id);
    if (!server_id.empty()) r.add(tag::AirSync::ServerId, server_id);
    r.add(tag::AirSync::Status, static_cast<long long>(status));
}

// "20261125T075000Z": the compact dateTime calendar items use.
std::string compact_utc_now() {
    std::time_t t = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
    return buf;
}

// A globally unique id for a new event (128 random bits, hex).
std::string random_uid() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char digits[] = "0123456789ABCDEF";
    std::string uid;
    for (int half = 0; half < 2; ++half) {
        uint64_t v = rng();
        for (int i = 0; i < 16; ++i, v >>= 4) uid += digits[v & 15];
    }
    return uid;
}

// The exception of `event` for the occurrence `instance_id`, emptied to just its InstanceId, or a
// new one (with the Exceptions container when there was none).
wbxml::Node& occurrence_exception(wbxml::Node& event, const std::string& instance_id) {
    wbxml::Node* exceptions = event.child(tag::Calendar::Exceptions);
    if (!exceptions) exceptions = &event.add(tag::Calendar::Exceptions);
    for (auto& e : exceptions->children)
        if (e.tag == tag::Calendar::Exception && e.child_text(tag::AirSyncBase::InstanceId) == instance_id) {
            e.children.clear();
            e.add(tag::AirSyncBase::InstanceId, instance_id);
            return e;
        }
    wbxml::Node& e = exceptions->add(tag::Calendar::Exception);
    e.add(tag::AirSyncBase::InstanceId, instance_id);
    return e;
}

class ClientCommands {
public:
    ClientCommands(CommandContext& ctx, const CollectionRequest& req, const store::CollectionState& state,
                   ItemClass cls, int response_key, long long from_mark)
        : ctx_(ctx), req_(req), state_(state), cls_(cls), key_(response_key), from_mark_(from_mark) {}

    void apply(wbxml::Node& responses, ClientEdits& edits, ItemRenderer& renderer) {
        if (!req_.commands) return;
        const wbxml::Node* options = req_.options;
        // Conflict: 1 (default) the server's version wins, 0 the client's.
        client_wins_ = options && options->child_text(tag::AirSync::Conflict) == "0";
        if (const auto* d = req_.node->child(tag::AirSync::DeletesAsMoves)) deletes_as_moves_ = d->text() != "0";
        std::string supported = store::load_supported(ctx_.sql, state_.id);
        if (!supported.empty()) {
            auto node = wbxml::decode(supported);
            if (node.root) supported_ = content::parse_supported(&*node.root);
        }
        for (const auto& cmd : req_.commands->children) {
            if (cmd.tag == tag::AirSync::Add) add(cmd, responses, edits);
            else if (cmd.tag == tag::AirSync::Change) change(cmd, responses, edits);
            else if (cmd.tag == tag::AirSync::Delete || cmd.tag == tag::AirSync::SoftDelete) remove(cmd, responses, edits);
            else if (cmd.tag == tag::AirSync::Fetch) fetch(cmd, responses, renderer);
        }
    }

private:
    void add(const wbxml::Node& cmd, wbxml::Node& responses, ClientEdits& edits) {
        std::string client_id(cmd.child_text(tag::AirSync::ClientId));
        if (client_id.empty() || client_id.size() > 64) return respond(responses, tag::AirSync::Add, client_id, "", kProtocolError);
        // A repeated Add (our response to it was lost): the same item again, not a duplicate.
        if (auto existing = store::find_client_add(ctx_.sql, state_.id, client_id)) {
            store::mark_held(ctx_.sql, state_.id, *existing, key_);
            edits.own.insert(*existing);
            return respond(responses, tag::AirSync::Add, client_id, std::to_string(*existing), kSuccess);
        }
        const wbxml::Node* data = cmd.child(tag::AirSync::ApplicationData);
        if (data && cls_ == ItemClass::Email && drafts_here()) return add_draft(cmd, *data, client_id, responses, edits);
        if (!data || cls_ == ItemClass::Email)
            // Email arrives by delivery; from the phone only drafts (16.0+, in the Drafts folder).
            return respond(responses, tag::AirSync::Add, client_id, "", kConversionError);
        std::string error;
        auto canonical = content::canonical_from_client(cls_, *data, ctx_.version, &error);
        if (!canonical) return respond(responses, tag::AirSync::Add, client_id, "", kConversionError);
        std::string made_uid = complete_new_event(*canonical);
        long long id = store::insert_pim_item(ctx_.sql, ctx_.user.id, state_.folder_id, pim_row_of(cls_, *canonical, 0));
        store::record_client_add(ctx_.sql, state_.id, client_id, id, key_);
        store::mark_held(ctx_.sql, state_.id, id, key_);
        edits.own.insert(id);
        respond(responses, tag::AirSync::Add, client_id, std::to_string(id), kSuccess);
        // 16.x: the UID the server made goes back to the client (MS-ASCAL 2.2.2.46).
        if (!made_uid.empty())
            responses.children.back().add(tag::AirSync::ApplicationData).add(tag::Calendar::UID, made_uid);
    }

    // A 16.x client sends no UID, organizer or DtStamp for a new event: the server provides them.
    // Returns the UID made, or "".
    std::string complete_new_event(wbxml::Node& event) {
        if (cls_ != ItemClass::Calendar || ctx_.version < 160) return {};
        if (!event.has(tag::Calendar::OrganizerEmail)) event.add(tag::Calendar::OrganizerEmail, ctx_.user.address);
        if (!event.has(tag::Calendar::OrganizerName))
            event.add(tag::Calendar::OrganizerName,
                      ctx_.user.display_name.empty() ? ctx_.user.address : ctx_.user.display_name);
        if (!event.has(tag::Calendar::DtStamp)) event.add(tag::Calendar::DtStamp, compact_utc_now());
        if (event.has(tag::Calendar::UID)) return {};
        std::string uid = random_uid();
        event.add(tag::Calendar::UID, uid);
        return uid;
    }

    // The user's item in this collection, or nullopt (and the error answer) for anything else.
    std::optional<store::ItemRef> own_item(const wbxml::Node& cmd, wbxml::Node& responses) {
        std::string sid(cmd.child_text(tag::AirSync::ServerId));
        auto id = parse_id(sid);
        auto ref = id ? store::find_item(ctx_.sql, ctx_.user.id, *id) : std::nullopt;
        if (ref && ref->folder_id == state_.folder_id) return ref;
        respond(responses, cmd.tag, "", sid, kObjectNotFound);
        return std::nullopt;
    }

    void change(const wbxml::Node& cmd, wbxml::Node& responses, ClientEdits& edits) {
        auto ref = own_item(cmd, responses);
        if (!ref) return;
        // Changed on the server since the client last saw it: the server's version wins unless
        // the client asked otherwise, and goes to the client as a Change in this response.
        if (ref->modseq > from_mark_ && !client_wins_) return;
        const wbxml::Node* data = cmd.child(tag::AirSync::ApplicationData);
        if (!data) return;
        if (cls_ == ItemClass::Email) {
            store::EmailEdit edit;
            if (const auto* read = data->child(tag::Email::Read)) edit.read = read->text() == "1";
            if (const auto* flag = data->child(tag::Email::Flag))
                edit.flag = flag->children.empty() ? std::string() : wbxml::encode(*flag);
            if (const auto* cats = data->child(tag::Email::Categories))
                edit.categories = cats->children.empty() ? std::string() : wbxml::encode(*cats);
            // The server owns the conversation (MS-ASEMAIL 2.2.2.21): a Change that sets it is 6.
            if (data->has(tag::Email2::ConversationId))
                return respond(responses, tag::AirSync::Change, "", std::to_string(ref->id), kConversionError);
            // Only a draft can be sent: anywhere else Send is refused, never silently dropped.
            if (!drafts_here() && wants_send(cmd, *data))
                return respond(responses, tag::AirSync::Change, "", std::to_string(ref->id), kConversionError);
            // A draft's own fields (16.0+, Drafts folder): the message is built again.
            DraftChange drafted = drafts_here() ? change_draft(cmd, *data, *ref, responses) : DraftChange::Done;
            // Refused: answered. Sent: gone to Sent Items, which this response's changes tell the
            // device (a Delete from Drafts), so it is not one of the device's own edits.
            if (drafted == DraftChange::Refused || drafted == DraftChange::Sent) return;
            store::update_email(ctx_.sql, ref->id, edit);
            // Attachments added or removed renumber the message's parts, so the FileReferences the
            // device holds for the others may have moved: the draft goes back to it as a Change.
            if (drafted == DraftChange::Renumbered) return;
        } else {
            auto rows = store::load_pim_items(ctx_.sql, ctx_.user.id, {ref->id});
            auto stored = rows.empty() ? wbxml::DecodeResult{} : wbxml::decode(rows[0].data);
            auto incoming = content::canonical_from_client(cls_, *data, ctx_.version);
            if (!stored.root || !incoming)
                return respond(responses, tag::AirSync::Change, "", std::to_string(ref->id), kConversionError);
            wbxml::Node merged;
            std::string instance(cmd.child_text(tag::AirSyncBase::InstanceId));
            if (cls_ == ItemClass::Calendar && !instance.empty()) {
                // 16.x: a change of one occurrence becomes (or replaces) that occurrence's exception.
                merged = *stored.root;
                wbxml::Node& exception = occurrence_exception(merged, instance);
                for (auto& child : incoming->children)
                    if (child.tag != tag::Calendar::Exceptions && child.tag != tag::Calendar::Recurrence &&
                        child.tag != tag::Calendar::UID && child.tag != tag::Calendar::TimeZone)
                        exception.children.push_back(child);
            } else {
                content::MergeOptions merge_options;
                merge_options.version = ctx_.version;
                merged = content::merge_change(cls_, *stored.root, *incoming, supported_, merge_options);
            }
            store::update_pim_item(ctx_.sql, pim_row_of(cls_, merged, ref->id));
        }
        edits.own.insert(ref->id);
    }

    // Drafts from the phone (MS-ASEMAIL, 16.0+): only in a Drafts folder (type 3); elsewhere, and
    // below 16.0, an email Add stays status 6 and a Change only sets Read, Flag and Categories.
    bool drafts_here() {
        if (ctx_.version < 160) return false;
        if (!drafts_folder_) {
            auto folder = store::find_folder(ctx_.sql, ctx_.user.id, state_.folder_id);
            drafts_folder_ = folder && folder->type == store::kFolderDrafts;
        }
        return *drafts_folder_;
    }

    std::string owner_mailbox() const { return content::mailbox(ctx_.user.display_name, ctx_.user.address); }

    std::string mail_domain() const {
        return ctx_.user.domain.empty() ? content::domain_of(ctx_.user.address) : ctx_.user.domain;
    }

    // The message of a draft, parsed back as delivery would parse it; nullopt if it does not parse
    // (it is ours, so that is a server error).
    std::optional<store::NewEmail> draft_email(const content::Draft& draft) {
        std::string mime = content::build_draft_message(draft, static_cast<long long>(std::time(nullptr)), mail_domain());
        auto parsed = content::parse_message(mime);
        if (!parsed || parsed->attachments.size() != draft.attachments.size()) return std::nullopt;
        return content::email_from_parsed(std::move(mime), *parsed);
    }

    // airsyncbase:Attachments with ClientId and FileReference of the attachments this request added
    // (MS-ASAIRS 2.2.2.7, in Responses); nullopt when it added none.
    static std::optional<wbxml::Node> added_attachments(const content::Draft& draft, const store::NewEmail& email,
                                                        long long item_id) {
        std::optional<wbxml::Node> data;
        for (std::size_t i = 0; i < draft.attachments.size() && i < email.attachments.size(); ++i) {
            if (draft.attachments[i].client_id.empty()) continue;
            if (!data) data.emplace(tag::AirSync::ApplicationData).add(tag::AirSyncBase::Attachments);
            auto& att = data->child(tag::AirSyncBase::Attachments)->add(tag::AirSyncBase::Attachment);
            att.add(tag::AirSyncBase::ClientId, draft.attachments[i].client_id);
            att.add(tag::AirSyncBase::FileReference,
                    content::format_file_reference({item_id, email.attachments[i].part_path}));
        }
        return data;
    }

    void add_draft(const wbxml::Node& cmd, const wbxml::Node& data, const std::string& client_id,
                   wbxml::Node& responses, ClientEdits& edits) {
        auto edit = content::parse_draft_edit(data);
        content::Draft draft;
        draft.from = owner_mailbox();
        if (!edit || !content::apply_draft_edit(draft, *edit, 0))
            return respond(responses, tag::AirSync::Add, client_id, "", kConversionError);
        auto email = draft_email(draft);
        if (!email) return respond(responses, tag::AirSync::Add, client_id, "", kServerError);
        email->read = true;
        // Sent at once (email2:Send): the draft goes out and on to Sent Items, and this response's
        // changes tell the device it left Drafts. If it cannot be sent, nothing of this Add stays
        // and the phone keeps its draft to try again.
        const bool send = wants_send(cmd, data);
        if (send) ctx_.sql << "SAVEPOINT draft_add";
        long long id = store::insert_email(ctx_.sql, ctx_.user.id, state_.folder_id, *email);
        store::record_client_add(ctx_.sql, state_.id, client_id, id, key_);
        store::mark_held(ctx_.sql, state_.id, id, key_);
        if (send) {
            if (int status = send_draft(id); status != kSuccess) {
                ctx_.sql << "ROLLBACK TO SAVEPOINT draft_add";
                return respond(responses, tag::AirSync::Add, client_id, "", status);
            }
            ctx_.sql << "RELEASE SAVEPOINT draft_add";
        } else {
            edits.own.insert(id);
        }
        auto& r = responses.add(tag::AirSync::Add);
        r.add(tag::AirSync::ClientId, client_id);
        r.add(tag::AirSync::ServerId, static_cast<long long>(id));
        if (auto atts = added_attachments(draft, *email, id)) r.children.push_back(std::move(*atts));
        r.add(tag::AirSync::Status, static_cast<long long>(kSuccess));
    }

    enum class DraftChange { Done, Renumbered, Refused, Sent };

    // Replaces the draft's fields that the Change carries and stores the rebuilt message. Refused:
    // the answer is written and nothing changed.
    DraftChange change_draft(const wbxml::Node& cmd, const wbxml::Node& data, const store::ItemRef& ref,
                             wbxml::Node& responses) {
        std::string sid = std::to_string(ref.id);
        // With email2:Send the edit and the sending are one: a savepoint undoes the edit too when
        // the draft cannot be sent.
        const bool send = wants_send(cmd, data);
        if (send) ctx_.sql << "SAVEPOINT draft_change";
        auto refuse = [&](int status) {
            if (send) ctx_.sql << "ROLLBACK TO SAVEPOINT draft_change";
            respond(responses, tag::AirSync::Change, "", sid, status);
            return DraftChange::Refused;
        };
        auto edit = content::parse_draft_edit(data);
        if (!edit) return refuse(kConversionError);
        if (!edit->touches_message()) return send ? sent_or_refused(ref.id, refuse) : DraftChange::Done;
        auto rows = store::load_emails(ctx_.sql, ctx_.user.id, {ref.id}, true);
        if (rows.empty()) return refuse(kObjectNotFound);
        auto draft = content::draft_from_message(rows[0].mime);
        if (!draft) return refuse(kServerError);
        draft->from = owner_mailbox();
        if (!content::apply_draft_edit(*draft, *edit, ref.id)) return refuse(kObjectNotFound);
        auto email = draft_email(*draft);
        if (!email) return refuse(kServerError);
        if (!store::replace_email_message(ctx_.sql, ctx_.user.id, ref.id, *email)) return refuse(kObjectNotFound);
        if (send) return sent_or_refused(ref.id, refuse);
        if (auto atts = added_attachments(*draft, *email, ref.id)) {
            auto& r = responses.add(tag::AirSync::Change);
            r.add(tag::AirSync::ServerId, sid);
            r.children.push_back(std::move(*atts));
            r.add(tag::AirSync::Status, static_cast<long long>(kSuccess));
        }
        return edit->added.empty() && edit->deleted.empty() ? DraftChange::Done : DraftChange::Renumbered;
    }

    // email2:Send: MS-ASEMAIL puts it in the Add or Change, phones also inside ApplicationData.
    static bool wants_send(const wbxml::Node& cmd, const wbxml::Node& data) {
        return cmd.has(tag::Email2::Send) || data.has(tag::Email2::Send);
    }

    // Sends the stored draft inside change_draft's savepoint; `refuse` rolls back to it.
    template <class Refuse>
    DraftChange sent_or_refused(long long item_id, Refuse& refuse) {
        if (int status = send_draft(item_id); status != kSuccess) return refuse(status);
        ctx_.sql << "RELEASE SAVEPOINT draft_change";
        return DraftChange::Sent;
    }

    // Sends the draft `item_id` as it is stored and moves it, as the message that went out (From,
    // Date, Message-ID as sent; Bcc kept), to Sent Items; the device learns of the move as a Delete
    // from Drafts in the same response (the item is held and not one of its own edits). kSuccess, or the item status to answer: 6 for a draft that names no recipient,
    // 5 when sendmail refused it (the caller rolls back).
    int send_draft(long long item_id) {
        auto rows = store::load_emails(ctx_.sql, ctx_.user.id, {item_id}, true);
        if (rows.empty()) return kObjectNotFound;
        auto out = content::prepare_outgoing(rows[0].mime, ctx_.user.address, ctx_.user.display_name,
                                             static_cast<long long>(std::time(nullptr)));
        if (!out || out->recipients.empty()) return kConversionError;
        auto sent = store::find_folder_by_name(ctx_.sql, ctx_.user.id, "Sent Items");
        auto parsed = content::parse_message(out->sent_copy);
        if (!sent || !parsed) return kServerError;
        try {
            deliver_outgoing(ctx_, *out);  // Out of Office replies of local recipients are not sent for drafts
        } catch (const SubmissionFailed&) {
            return kServerError;
        } catch (const DeliveryError&) {
            return kServerError;
        }
        store::NewEmail copy = content::email_from_parsed(out->sent_copy, *parsed);
        copy.read = true;
        store::replace_email_message(ctx_.sql, ctx_.user.id, item_id, copy);
        ctx_.sql << "UPDATE items SET folder_id = :f WHERE id = :i", soci::use(sent->id), soci::use(item_id);
        return kSuccess;
    }

    void remove(const wbxml::Node& cmd, wbxml::Node& responses, ClientEdits& edits) {
        std::string sid(cmd.child_text(tag::AirSync::ServerId));
        auto id = parse_id(sid);
        auto ref = id ? store::find_item(ctx_.sql, ctx_.user.id, *id) : std::nullopt;
        if (!ref || ref->folder_id != state_.folder_id) {
            // Already gone from this folder (a repeated Delete): nothing to do, nothing to say.
            if (id && store::was_removed_from(ctx_.sql, ctx_.user.id, state_.folder_id, *id)) {
                store::mark_removed(ctx_.sql, state_.id, *id, key_);
                return;
            }
            return respond(responses, tag::AirSync::Delete, "", sid, kObjectNotFound);
        }
        std::string instance(cmd.child_text(tag::AirSyncBase::InstanceId));
        if (cls_ == ItemClass::Calendar && !instance.empty()) {
            // 16.x: deleting one occurrence of a series adds a deleted exception; the series stays.
            auto rows = store::load_pim_items(ctx_.sql, ctx_.user.id, {ref->id});
            auto stored = rows.empty() ? wbxml::DecodeResult{} : wbxml::decode(rows[0].data);
            if (!stored.root) return respond(responses, tag::AirSync::Delete, "", sid, kConversionError);
            wbxml::Node& exception = occurrence_exception(*stored.root, instance);
            exception.add(tag::Calendar::Deleted, "1");
            store::update_pim_item(ctx_.sql, pim_row_of(cls_, *stored.root, ref->id));
            edits.own.insert(ref->id);
            return;
        }
        std::optional<store::Folder> trash;
        if (cls_ == ItemClass::Email && deletes_as_moves_ && cmd.tag == tag::AirSync::Delete)
            trash = store::find_folder_by_name(ctx_.sql, ctx_.user.id, "Deleted Items");
        if (trash && trash->type == store::kFolderDeleted && trash->id != state_.folder_id)
            ctx_.sql << "UPDATE items SET folder_id = :t WHERE id = :i", soci::use(trash->id), soci::use(ref->id);
        else
            ctx_.sql << "DELETE FROM items WHERE id = :i", soci::use(ref->id);
        // The device no longer holds it; undone if this response is lost.
        store::mark_removed(ctx_.sql, state_.id, ref->id, key_);
    }

    void fetch(const wbxml::Node& cmd, wbxml::Node& responses, ItemRenderer& renderer) {
        auto ref = own_item(cmd, responses);
        if (!ref) return;
        auto rendered = renderer.render({ref->id});
        auto it = rendered.find(ref->id);
        if (it == rendered.end())
            return respond(responses, tag::AirSync::Fetch, "", std::to_string(ref->id), kObjectNotFound);
        auto& r = responses.add(tag::AirSync::Fetch);
        r.add(tag::AirSync::ServerId, static_cast<long long>(ref->id));
        r.add(tag::AirSync::Status, static_cast<long long>(kSuccess));
        r.children.push_back(std::move(it->second));
    }

    CommandContext& ctx_;
    const CollectionRequest& req_;
    const store::CollectionState& state_;
    ItemClass cls_;
    int key_;
    long long from_mark_;
    bool client_wins_ = false;
    bool deletes_as_moves_ = true;
    content::SupportedSet supported_;
    std::optional<bool> drafts_folder_;
};

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
        if (peek.state->keys.match(*key) == store::KeyedState::Match::Current && !req.commands &&
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
    switch (state->keys.match(*key)) {
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

    ItemRenderer renderer(ctx, *cls, req.options);
    wbxml::Node responses(tag::AirSync::Responses);
    ClientEdits edits;
    ClientCommands(ctx, req, *state, *cls, response_key, from_mark).apply(responses, edits, renderer);

    // A new or moved filter window first brings the held set in line (SoftDelete what left it, Add
    // what entered it), then the changes since the mark are sent, filtered the same way.
    store::CollectedChanges changes;
    changes.new_mark = from_mark;
    if (req.get_changes) {
        bool reconciled = true;
        // In conversation mode a new message can bring older ones of its thread into the set.
        if (store::needs_reconcile(*state, filter) || filter.conversation_mode) {
            reconciled = store::reconcile_filter(ctx.sql, *state, filter, from_mark, req.window_size, response_key, changes);
            store::save_filter_state(ctx.sql, *state, filter, reconciled);
        }
        if (reconciled) {
            int room = req.window_size - static_cast<int>(changes.changes.size());
            auto scanned = store::collect_changes(ctx.sql, *state, from_mark, std::max(room, 0), response_key, filter,
                                                  deadline);
            changes.changes.insert(changes.changes.end(), scanned.changes.begin(), scanned.changes.end());
            changes.more_available = scanned.more_available;
            changes.new_mark = scanned.new_mark;
        }
    }

    // The client's own adds and edits come back as changes of ours: don't echo them.
    std::vector<store::ItemChange> to_send;
    for (const auto& c : changes.changes)
        if (c.kind == store::ItemChange::Kind::Delete || c.kind == store::ItemChange::Kind::SoftDelete ||
            !edits.own.count(c.item_id))
            to_send.push_back(c);

    bool nothing_happened = changes.changes.empty() && !req.commands &&
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

    std::vector<long long> ids;
    for (const auto& c : to_send)
        if (c.kind == store::ItemChange::Kind::Add || c.kind == store::ItemChange::Kind::Change) ids.push_back(c.item_id);
    auto rendered = renderer.render(ids);
    tr.commit();

    quiet = nothing_happened && responses.children.empty() && !changes.more_available && to_send.empty();
    if (!responses.children.empty()) out.children.push_back(std::move(responses));
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
