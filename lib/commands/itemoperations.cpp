// ItemOperations (MS-ASCMD 2.2.1.10), 12.0 and later: Fetch of a whole item (CollectionId +
// ServerId) rendered exactly as Sync renders it, Fetch of an attachment by FileReference (with
// Range), EmptyFolderContents, and Move of a conversation (14.0+).
//
// When the client accepts a multipart response (AcceptMultiPart=T), the WBXML goes in part 0 and
// every fetched body or attachment in a binary part of its own, referenced by a Part element
// (MS-ASCMD 2.2.1.10.1): application/vnd.ms-sync.multipart.
#include <charconv>
#include <cstdint>

#include "commands/command.h"
#include "common/text.h"
#include "content/attachment.h"
#include "content/conversation.h"
#include "content/email_item.h"
#include "content/pim_item.h"
#include "store/folders.h"
#include "store/items.h"
#include "store/mail.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// ItemOperations status codes (MS-ASCMD 2.2.3.177.8).
enum Status {
    kSuccess = 1,
    kProtocolError = 2,
    kServerError = 3,      // the mail server refused or could not be reached
    kNotFound = 6,         // the object was not found or access denied
    kBadRange = 8,         // the byte-range is invalid or too large
    kUnknownStore = 9,     // the store is unknown or unsupported
    kConversionFailed = 14,
    kBadAttachment = 15,   // attachment or attachment ID is invalid
    kInvalidCombination = 105,  // Move: the destination is the recipient information cache
    kNotSupported = 156,   // the action is not supported
};

constexpr const char* kMultipartType = "application/vnd.ms-sync.multipart";

struct ByteRange {
    unsigned long long first = 0, last = 0;  // inclusive
};

// "m-n" with m <= n, decimal digits only (MS-ASCMD 2.2.3.147.1).
std::optional<ByteRange> parse_range(std::string_view s) {
    auto dash = s.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == s.size()) return std::nullopt;
    auto number = [](std::string_view t) -> std::optional<unsigned long long> {
        if (t.empty() || t.size() > 19) return std::nullopt;
        for (char c : t)
            if (c < '0' || c > '9') return std::nullopt;
        unsigned long long v = 0;
        std::from_chars(t.data(), t.data() + t.size(), v);
        return v;
    };
    auto a = number(s.substr(0, dash)), b = number(s.substr(dash + 1));
    if (!a || !b || *a > *b) return std::nullopt;
    return ByteRange{*a, *b};
}

// The binary parts of a multipart response; part 0 is the WBXML itself.
class Parts {
public:
    explicit Parts(bool enabled) : enabled_(enabled) {}
    bool enabled() const { return enabled_; }
    // Adds a binary part and returns its index for the Part element.
    long long add(std::string bytes) {
        parts_.push_back(std::move(bytes));
        return static_cast<long long>(parts_.size());
    }
    // PartsCount, then (offset, length) per part, then the parts; integers are 32-bit little-endian.
    std::string assemble(std::string wbxml) const {
        std::vector<const std::string*> all{&wbxml};
        for (const auto& p : parts_) all.push_back(&p);
        std::string out;
        auto put32 = [&out](std::size_t v) {
            auto u = static_cast<uint32_t>(v);
            for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
        };
        std::size_t offset = 4 + 8 * all.size();
        put32(all.size());
        for (const auto* p : all) {
            put32(offset);
            put32(p->size());
            offset += p->size();
        }
        for (const auto* p : all) out += *p;
        return out;
    }

private:
    bool enabled_;
    std::vector<std::string> parts_;
};

class ItemOperations {
public:
    explicit ItemOperations(CommandContext& ctx) : ctx_(ctx), parts_(ctx.query.accept_multipart) {}

    CommandResult run() {
        wbxml::Node root(tag::ItemOperations::ItemOperations);
        root.add(tag::ItemOperations::Status, static_cast<long long>(kSuccess));
        auto& response = root.add(tag::ItemOperations::Response);
        for (const auto& op : ctx_.request->children) {
            if (op.tag == tag::ItemOperations::Fetch) fetch(op, response);
            else if (op.tag == tag::ItemOperations::EmptyFolderContents) empty_folder(op, response);
            else if (op.tag == tag::ItemOperations::Move) move(op, response);
            else throw MalformedRequest("unexpected element in ItemOperations");
        }
        CommandResult result(200, std::move(root));
        if (parts_.enabled()) {
            result.raw_body = parts_.assemble(wbxml::encode(*result.body));
            result.content_type = kMultipartType;
        }
        return result;
    }

private:
    static wbxml::Node status_node(wbxml::Tag t, int status) {
        wbxml::Node n(t);
        n.add(tag::ItemOperations::Status, static_cast<long long>(status));
        return n;
    }

    void fetch(const wbxml::Node& op, wbxml::Node& response) {
        const wbxml::Node* options = op.child(tag::ItemOperations::Options);
        std::string_view store = op.child_text(tag::ItemOperations::Store);
        if (!store.empty() && to_lower_ascii(store) != "mailbox") {
            response.children.push_back(status_node(tag::ItemOperations::Fetch, kUnknownStore));
            return;
        }
        if (const auto* ref = op.child(tag::AirSyncBase::FileReference))
            return fetch_attachment(std::string(ref->text()), options, response);
        // An item by ServerId, or a mailbox search result by its LongId (search.cpp: the item id).
        if (op.has(tag::AirSync::ServerId) || op.has(tag::Search::LongId)) return fetch_item(op, options, response);
        // Document libraries (LinkId) are not served here.
        int status = op.has(tag::DocumentLibrary::LinkId) ? kUnknownStore : kProtocolError;
        response.children.push_back(status_node(tag::ItemOperations::Fetch, status));
    }

    void fetch_attachment(const std::string& reference, const wbxml::Node* options, wbxml::Node& response) {
        auto reply = [&](int status) -> wbxml::Node& {
            auto& out = response.add(tag::ItemOperations::Fetch);
            out.add(tag::ItemOperations::Status, static_cast<long long>(status));
            out.add(tag::AirSyncBase::FileReference, reference);
            return out;
        };
        // Parsed strictly, and looked up only among this user's items: another user's reference
        // is indistinguishable from one that never existed.
        auto ref = content::parse_file_reference(reference);
        auto found = ref ? ctx_.mail->find_attachment(ctx_.sql, ctx_.user, ref->item_id, ref->part_path) : std::nullopt;
        if (!found) return (void)reply(kBadAttachment);
        auto bytes = content::extract_attachment(found->mime, found->attachment.part_path);
        if (!bytes) return (void)reply(kConversionFailed);

        std::optional<ByteRange> range;
        if (options && options->has(tag::ItemOperations::Range)) {
            range = parse_range(options->child_text(tag::ItemOperations::Range));
            if (!range || (range->first >= bytes->size() && !bytes->empty())) return (void)reply(kBadRange);
        }
        std::string data = std::move(*bytes);
        std::size_t total = data.size();
        if (range && total > 0) {
            auto last = std::min<unsigned long long>(range->last, total - 1);
            data = data.substr(range->first, last - range->first + 1);
            range->last = last;
        }
        auto& out = reply(kSuccess);
        auto& props = out.add(tag::ItemOperations::Properties);
        props.add(tag::AirSyncBase::ContentType, found->attachment.content_type);
        if (range) {
            if (total > 0)
                props.add(tag::ItemOperations::Range,
                          std::to_string(range->first) + "-" + std::to_string(range->last));
            props.add(tag::ItemOperations::Total, static_cast<long long>(total));
        }
        if (parts_.enabled())
            props.add(tag::ItemOperations::Part, parts_.add(std::move(data)));
        else
            props.add(tag::ItemOperations::Data, protocol::base64_encode(data));
    }

    void fetch_item(const wbxml::Node& op, const wbxml::Node* options, wbxml::Node& response) {
        const bool by_long_id = !op.has(tag::AirSync::ServerId);
        std::string server_id(op.child_text(by_long_id ? tag::Search::LongId : tag::AirSync::ServerId));
        std::string collection_id(by_long_id ? std::string_view() : op.child_text(tag::AirSync::CollectionId));
        auto reply = [&](int status) -> wbxml::Node& {
            auto& out = response.add(tag::ItemOperations::Fetch);
            out.add(tag::ItemOperations::Status, static_cast<long long>(status));
            if (by_long_id) {
                out.add(tag::Search::LongId, server_id);
            } else {
                if (!collection_id.empty()) out.add(tag::AirSync::CollectionId, collection_id);
                out.add(tag::AirSync::ServerId, server_id);
            }
            return out;
        };
        auto id = parse_id(server_id);
        auto ref = id ? store::find_item(ctx_.sql, ctx_.user.id, *id) : std::nullopt;
        if (ref && !collection_id.empty() && parse_id(collection_id) != ref->folder_id) ref.reset();
        auto folder = ref ? store::find_folder(ctx_.sql, ctx_.user.id, ref->folder_id) : std::nullopt;
        auto cls = folder ? content::item_class_from_name(folder->item_class) : std::nullopt;
        if (!cls) return (void)reply(kNotFound);
        if (collection_id.empty() && !by_long_id) collection_id = std::to_string(folder->id);

        // The same rendering as Sync: Options carry BodyPreference, MIMESupport (and Schema, which
        // is optional and not applied: the whole item is sent).
        content::EmailOptions email_options = content::parse_email_options(options);
        wbxml::Node props(tag::ItemOperations::Properties);
        if (*cls == content::ItemClass::Email) {
            auto rows = ctx_.mail->load_emails(ctx_.sql, ctx_.user, {ref->id}, email_options.body_need());
            if (rows.empty()) return (void)reply(kNotFound);
            content::append_email_data(props, rows[0], email_options, ctx_.version);
        } else {
            auto rows = store::load_pim_items(ctx_.sql, ctx_.user.id, {ref->id});
            auto stored = rows.empty() ? wbxml::DecodeResult{} : wbxml::decode(rows[0].data);
            if (!stored.root) return (void)reply(rows.empty() ? kNotFound : kConversionFailed);
            content::append_pim_data(props, *cls, *stored.root, email_options, ctx_.version);
        }
        if (parts_.enabled())
            // The body's data goes in a part of its own; Part replaces Data (MS-ASAIRS 2.2.2.33).
            if (auto* body = props.child(tag::AirSyncBase::Body))
                for (auto& c : body->children)
                    if (c.tag == tag::AirSyncBase::Data) {
                        long long index = parts_.add(std::move(c.content));
                        c = wbxml::Node(tag::ItemOperations::Part, std::to_string(index));
                    }
        auto& out = reply(kSuccess);
        out.add(tag::AirSync::Class, std::string(content::item_class_name(*cls)));
        out.children.push_back(std::move(props));
    }

    // Deletes the folder's items (and, with DeleteSubFolders, its subfolders) as a client Delete
    // would: the triggers leave tombstones, so every device, this one included, gets Deletes.
    void empty_folder(const wbxml::Node& op, wbxml::Node& response) {
        std::string collection_id(op.child_text(tag::AirSync::CollectionId));
        const auto* options = op.child(tag::ItemOperations::Options);
        bool subfolders = options && options->has(tag::ItemOperations::DeleteSubFolders);
        auto reply = [&](int status) {
            auto& out = response.add(tag::ItemOperations::EmptyFolderContents);
            out.add(tag::ItemOperations::Status, static_cast<long long>(status));
            out.add(tag::AirSync::CollectionId, collection_id);
        };
        auto id = parse_id(collection_id);
        if (!id) return reply(collection_id.empty() ? kProtocolError : kNotFound);
        soci::transaction tr(ctx_.sql);
        auto folder = store::find_folder(ctx_.sql, ctx_.user.id, *id);
        if (!folder) return reply(kNotFound);
        // Through the mail store: the Dovecot store expunges the mailbox (and deletes the
        // subfolders' mailboxes) first.
        if (ctx_.mail->empty_folder(ctx_.sql, ctx_.user, folder->id, subfolders) != mailstore::WriteOutcome::Done)
            return reply(kServerError);
        tr.commit();
        reply(kSuccess);
    }

    // Move of a conversation (MS-ASCMD 2.2.3.117.1, MS-ASCON 3.1.5.3; 14.0+): every email of it
    // to DstFldId (store::move_conversation says which stay), and with MoveAlways its later mail
    // too. The devices learn of the moves by Sync, this one included.
    void move(const wbxml::Node& op, wbxml::Node& response) {
        const auto* conversation = op.child(tag::ItemOperations::ConversationId);
        auto reply = [&](int status) {
            auto& out = response.add(tag::ItemOperations::Move);
            out.add(tag::ItemOperations::Status, static_cast<long long>(status));
            // Required in the answer (ItemOperationsResponse.xsd), even when the request lacked it.
            if (conversation) out.children.push_back(*conversation);
            else out.add(tag::ItemOperations::ConversationId, "");
        };
        if (ctx_.version < 140) return reply(kProtocolError);
        auto id = conversation ? content::parse_conversation_id(conversation->content) : std::nullopt;
        auto dst_id = parse_id(trim(op.child_text(tag::ItemOperations::DstFldId)));
        if (!id || !op.has(tag::ItemOperations::DstFldId)) return reply(kProtocolError);
        const auto* options = op.child(tag::ItemOperations::Options);
        bool always = options && options->has(tag::ItemOperations::MoveAlways);
        soci::transaction tr(ctx_.sql);
        auto dst = dst_id ? store::find_folder(ctx_.sql, ctx_.user.id, *dst_id) : std::nullopt;
        if (!dst) return reply(kNotFound);
        if (dst->type == 19) return reply(kInvalidCombination);  // the recipient information cache
        if (dst->item_class != "Email") return reply(kNotSupported);
        if (store::conversation_items(ctx_.sql, ctx_.user.id, *id).empty()) return reply(kNotFound);
        store::move_conversation(ctx_.sql, ctx_.user.id, *id, dst->id, always);
        tr.commit();
        reply(kSuccess);
    }

    CommandContext& ctx_;
    Parts parts_;
};

}  // namespace

CommandResult handle_item_operations(CommandContext& ctx) {
    if (!ctx.request || ctx.request->tag != tag::ItemOperations::ItemOperations)
        throw MalformedRequest("ItemOperations expected");
    if (ctx.version < 120) throw MalformedRequest("ItemOperations needs protocol version 12.0 or later");
    return ItemOperations(ctx).run();
}

}  // namespace easd::commands
