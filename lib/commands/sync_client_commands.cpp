// Sync's client commands (MS-ASCMD 2.2.3.24 Commands): Add, Change, Delete/SoftDelete and Fetch of
// one collection, for every class, drafts (16.0+) included. What the device changes is recorded
// as its own, so it is never sent back to it (docs/ARCHITECTURE.md, "Client changes").
#include "commands/sync_client_commands.h"

#include <algorithm>
#include <ctime>
#include <random>

#include "commands/outgoing_mail.h"
#include "commands/submission.h"
#include "common/text.h"
#include "content/attachment.h"
#include "content/compose.h"
#include "content/draft.h"
#include "content/message.h"
#include "mailstore/mail_backend.h"
#include "store/db.h"
#include "store/folders.h"
#include "store/pq.h"

namespace easd::commands::sync_detail {

namespace {

store::PimRow pim_row_of(ItemClass cls, wbxml::Node canonical, long long item_id) {
    content::drop_cleared_fields(canonical);
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
        // What a command reads of an item and what it writes are one step (no other writer between),
        // so the numbers recorded as the device's own are its own (docs/ARCHITECTURE.md).
        if (!req_.commands->children.empty()) store::lock_user_writes(ctx_.sql, ctx_.user.id);
        for (const auto& cmd : req_.commands->children) {
            // Text that is not UTF-8 (a contact's name in Latin-1...) cannot be stored or sent to
            // another device: that item is refused (6), the others go through, so the device can
            // drop it instead of resending a request that fails forever.
            if (wbxml::find_invalid_text(cmd)) refuse_not_utf8(cmd, responses);
            else if (cmd.tag == tag::AirSync::Add) add(cmd, responses, edits);
            else if (cmd.tag == tag::AirSync::Change) change(cmd, responses, edits);
            else if (cmd.tag == tag::AirSync::Delete || cmd.tag == tag::AirSync::SoftDelete) remove(cmd, responses, edits);
            else if (cmd.tag == tag::AirSync::Fetch) fetch(cmd, responses, renderer);
        }
    }

private:
    static void refuse_not_utf8(const wbxml::Node& cmd, wbxml::Node& responses) {
        auto echo = [&](wbxml::Tag t) {
            std::string v(cmd.child_text(t));
            return is_valid_utf8(v) ? v : std::string();
        };
        respond(responses, cmd.tag, echo(tag::AirSync::ClientId), echo(tag::AirSync::ServerId), kConversionError);
    }

    // True when the item changed after the client's key by anyone but the device itself.
    bool unseen_change(const store::ItemRef& ref) {
        return ref.modseq > from_mark_ && !store::is_own_change(ctx_.sql, state_.id, ref.id, ref.modseq);
    }

    // The device's own change of `id` (its number was `before`): never sent back to it, by this
    // response or a later one, never a Ping wake-up for it, and no conflict for its next command.
    void own(ClientEdits& edits, long long id, long long before) {
        edits.own.insert(id);
        store::record_own_change(ctx_.sql, state_, id, before);
    }

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
        own(edits, id, 0);
        respond(responses, tag::AirSync::Add, client_id, std::to_string(id), kSuccess);
        // 16.x: the UID the server made goes back to the client (MS-ASCAL 2.2.2.46).
        if (!made_uid.empty())
            responses.children.back().add(tag::AirSync::ApplicationData).add(tag::Calendar::UID, made_uid);
    }

    // A 16.x client sends no UID, organizer or DtStamp for a new event: the server provides them.
    // An older one may leave out the UID too: Exchange makes one for every version. Returns the UID
    // made, or "" (and "" below 16.0, where an Add's response carries no ApplicationData).
    std::string complete_new_event(wbxml::Node& event) {
        if (cls_ != ItemClass::Calendar) return {};
        if (ctx_.version < 160) {
            if (event.child_text(tag::Calendar::UID).empty()) set_uid(event, random_uid());
            return {};
        }
        if (!event.has(tag::Calendar::OrganizerEmail)) event.add(tag::Calendar::OrganizerEmail, ctx_.user.address);
        if (!event.has(tag::Calendar::OrganizerName))
            event.add(tag::Calendar::OrganizerName,
                      ctx_.user.display_name.empty() ? ctx_.user.address : ctx_.user.display_name);
        if (!event.has(tag::Calendar::DtStamp)) event.add(tag::Calendar::DtStamp, compact_utc_now());
        if (!event.child_text(tag::Calendar::UID).empty()) return {};
        std::string uid = random_uid();
        set_uid(event, uid);
        return uid;
    }

    // Sets the UID, in place of an empty one the client may have sent.
    static void set_uid(wbxml::Node& event, const std::string& uid) {
        auto& kids = event.children;
        kids.erase(std::remove_if(kids.begin(), kids.end(), [](const wbxml::Node& n) { return n.tag == tag::Calendar::UID; }),
                   kids.end());
        event.add(tag::Calendar::UID, uid);
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
        // the client asked otherwise, and goes to the client as a Change in this response. A change
        // the device made itself (an earlier command of this request, or of a request without
        // GetChanges) is no such change.
        const bool over_unseen = unseen_change(*ref);
        if (over_unseen && !client_wins_) return;
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
            // Through the mail store: the Dovecot store sets the IMAP flags first.
            if (ctx_.mail->edit_email(ctx_.sql, ctx_.user, ref->id, edit) != mailstore::WriteOutcome::Done)
                return respond(responses, tag::AirSync::Change, "", std::to_string(ref->id), kServerError);
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
        // Applied over a change the device has not seen (Conflict 0): the result is not what the
        // device holds (the other change's fields, ghosted properties), so it goes back to it.
        if (!over_unseen) own(edits, ref->id, ref->modseq);
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
        auto saved = ctx_.mail->save_draft(ctx_.sql, ctx_.user, state_.folder_id, 0, *email);
        if (!saved) {
            if (send) ctx_.sql << "ROLLBACK TO SAVEPOINT draft_add";
            return respond(responses, tag::AirSync::Add, client_id, "", kServerError);
        }
        const long long id = *saved;
        store::record_client_add(ctx_.sql, state_.id, client_id, id, key_);
        store::mark_held(ctx_.sql, state_.id, id, key_);
        if (send) {
            if (int status = send_draft(id); status != kSuccess) {
                // The mail server's copy goes too (the rows go with the savepoint).
                ctx_.mail->delete_item(ctx_.sql, ctx_.user, id);
                ctx_.sql << "ROLLBACK TO SAVEPOINT draft_add";
                return respond(responses, tag::AirSync::Add, client_id, "", status);
            }
            ctx_.sql << "RELEASE SAVEPOINT draft_add";
        } else {
            own(edits, id, 0);
        }
        auto& r = responses.add(tag::AirSync::Add);
        r.add(tag::AirSync::ClientId, client_id);
        r.add(tag::AirSync::ServerId, static_cast<long long>(id));
        // Status before ApplicationData in an Add, as SyncResponse.xsd orders it (the calendar UID too).
        r.add(tag::AirSync::Status, static_cast<long long>(kSuccess));
        if (auto atts = added_attachments(draft, *email, id)) r.children.push_back(std::move(*atts));
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
        auto rows = ctx_.mail->load_emails(ctx_.sql, ctx_.user, {ref.id}, content::BodyNeed::everything());
        if (rows.empty()) return refuse(kObjectNotFound);
        auto draft = content::draft_from_message(rows[0].mime);
        if (!draft) return refuse(kServerError);
        draft->from = owner_mailbox();
        if (!content::apply_draft_edit(*draft, *edit, ref.id)) return refuse(kObjectNotFound);
        auto email = draft_email(*draft);
        if (!email) return refuse(kServerError);
        if (!ctx_.mail->save_draft(ctx_.sql, ctx_.user, ref.folder_id, ref.id, *email)) return refuse(kServerError);
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
        auto rows = ctx_.mail->load_emails(ctx_.sql, ctx_.user, {item_id}, content::BodyNeed::everything());
        if (rows.empty()) return kObjectNotFound;
        auto out = content::prepare_outgoing(rows[0].mime, ctx_.user.address, ctx_.user.display_name,
                                             static_cast<long long>(std::time(nullptr)));
        if (!out || out->recipients.empty()) return kConversionError;
        auto sent = store::find_folder_by_name(ctx_.sql, ctx_.user.id, "Sent Items");
        if (!sent) return kServerError;
        try {
            deliver_outgoing(ctx_, *out);  // Out of Office replies of local recipients are not sent for drafts
        } catch (const SubmissionFailed&) {
            return kServerError;
        } catch (const DeliveryError&) {
            return kServerError;
        }
        // The message is not needed after this: the copy takes its bytes rather than a copy of them.
        std::string& as_sent = out->sent_copy.empty() ? out->mime : out->sent_copy;
        store::NewEmail copy = content::email_from_parsed(std::move(as_sent), out->parsed);
        copy.read = true;
        ctx_.mail->file_sent_draft(ctx_.sql, ctx_.user, item_id, sent->id, copy);
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
            if (!unseen_change(*ref)) own(edits, ref->id, ref->modseq);  // else the series goes back, as change() does
            return;
        }
        std::optional<store::Folder> trash;
        if (cls_ == ItemClass::Email && deletes_as_moves_ && cmd.tag == tag::AirSync::Delete)
            trash = store::find_folder_by_name(ctx_.sql, ctx_.user.id, "Deleted Items");
        // Through the mail store: the Dovecot store moves the message to Trash or expunges it first.
        const mailstore::WriteOutcome done =
            trash && trash->type == store::kFolderDeleted && trash->id != state_.folder_id
                ? ctx_.mail->move_item(ctx_.sql, ctx_.user, ref->id, trash->id)
                : ctx_.mail->delete_item(ctx_.sql, ctx_.user, ref->id);
        if (done != mailstore::WriteOutcome::Done) return respond(responses, tag::AirSync::Delete, "", sid, kServerError);
        // The device no longer holds it; undone if this response is lost.
        store::mark_removed(ctx_.sql, state_.id, ref->id, key_);
        own(edits, ref->id, ref->modseq);  // its tombstone
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

}  // namespace

void apply_client_commands(CommandContext& ctx, const CollectionRequest& req, const store::CollectionState& state,
                           ItemClass cls, int response_key, long long from_mark, wbxml::Node& responses,
                           ClientEdits& edits, ItemRenderer& renderer) {
    ClientCommands(ctx, req, state, cls, response_key, from_mark).apply(responses, edits, renderer);
}

std::unordered_map<long long, wbxml::Node> ItemRenderer::render(const std::vector<long long>& ids,
                                                                std::vector<Failure>* failures) {
    std::unordered_map<long long, wbxml::Node> out;
    if (ids.empty()) return out;
    // Runs one item's conversion; a failure of the item itself is recorded, a failure of the
    // database or mail server goes up (the whole request is answered 503 and retried).
    auto convert = [&](long long item_id, auto&& append) {
        try {
            wbxml::Node data(tag::AirSync::ApplicationData);
            append(data);
            out.emplace(item_id, std::move(data));
        } catch (const store::Unavailable&) {
            throw;
        } catch (const store::QueryError&) {
            throw;
        } catch (const soci::soci_error&) {
            throw;
        } catch (const mailstore::MailUnavailable&) {
            throw;
        } catch (const std::exception& e) {
            if (failures) failures->push_back({item_id, std::string("rendering failed: ") + e.what()});
        }
    };
    if (cls_ == ItemClass::Email) {
        for (const auto& row : ctx_.mail->load_emails(ctx_.sql, ctx_.user, ids, options_.body_need()))
            convert(row.item_id,
                    [&](wbxml::Node& data) { content::append_email_data(data, row, options_, ctx_.version); });
    } else {
        for (const auto& row : store::load_pim_items(ctx_.sql, ctx_.user.id, ids)) {
            auto stored = wbxml::decode(row.data);
            if (!stored.root) {
                if (failures) failures->push_back({row.item_id, "its stored data is not WBXML: " + stored.error});
                continue;
            }
            convert(row.item_id, [&](wbxml::Node& data) {
                content::append_pim_data(data, cls_, *stored.root, options_, ctx_.version);
            });
        }
    }
    return out;
}

}  // namespace easd::commands::sync_detail
