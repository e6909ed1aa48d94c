// Search (MS-ASCMD 2.2.1.16) in two stores:
//   GAL      the accounts of the user's own domain whose address or a word of whose name begins
//            with the query (store/directory.h); other domains served here are other
//            organisations and are never searched;
//   Mailbox  the user's mail (store/mail_search.h): an And of FreeText words, CollectionIds,
//            Class Email, DateReceived GreaterThan/LessThan (and EqualTo, which clients send
//            beside the spec's DocumentLibrary-only form); Options DeepTraversal takes in the
//            folders below the named ones, RebuildResults is accepted (nothing is cached: every
//            search runs afresh). Each result is rendered as Sync renders it, with a LongId (the
//            item id) that ItemOperations and SmartReply/SmartForward accept.
// DocumentLibrary is not offered: its Store answers status 3 so the client says the search failed.
#include <sstream>
#include <unordered_map>

#include "commands/command.h"
#include "commands/search_common.h"
#include "common/text.h"
#include "content/conversation.h"
#include "content/email_item.h"
#include "content/pim_item.h"
#include "store/directory.h"
#include "store/folders.h"
#include "store/mail.h"
#include "store/mail_search.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// Search and Store Status (MS-ASCMD 2.2.3.177.13).
enum SearchStatus { kSuccess = 1, kInvalidRequest = 2, kServerError = 3, kTooComplex = 8 };

CommandResult search_status(int status) {
    wbxml::Node root(tag::Search::Search);
    root.add(tag::Search::Status, static_cast<long long>(status));
    return {200, std::move(root)};
}

wbxml::Node store_status(int status) {
    wbxml::Node store(tag::Search::Store);
    store.add(tag::Search::Status, static_cast<long long>(status));
    return store;
}

// The Mailbox store's query (an And of conditions, or one condition) into `q`. Returns the Store
// status: 2 for what it cannot mean (another class than Email, a folder that is not one of the
// user's mail folders, a bad date, a document library LinkId), 8 for an Or of several conditions.
int read_mail_query(CommandContext& ctx, const wbxml::Node& node, store::MailQuery& q, int depth = 0) {
    if (depth > 4) return kTooComplex;
    for (const wbxml::Node& c : node.children) {
        if (c.tag == tag::Search::And) {
            if (int s = read_mail_query(ctx, c, q, depth + 1); s != kSuccess) return s;
        } else if (c.tag == tag::Search::Or) {
            // One condition, or folders (any of them): what an Or can mean with an And of
            // conditions underneath. Other alternatives are beyond this query.
            bool folders = !c.children.empty();
            for (const auto& alt : c.children) folders = folders && alt.tag == tag::AirSync::CollectionId;
            if (c.children.size() != 1 && !folders) return kTooComplex;
            if (int s = read_mail_query(ctx, c, q, depth + 1); s != kSuccess) return s;
        } else if (c.tag == tag::AirSync::Class) {
            if (!iequals(trim(c.text()), "Email")) return kInvalidRequest;
        } else if (c.tag == tag::AirSync::CollectionId) {
            auto id = parse_id(trim(c.text()));
            auto folder = id ? store::find_folder(ctx.sql, ctx.user.id, *id) : std::nullopt;
            if (!folder || folder->item_class != "Email") return kInvalidRequest;
            q.folder_ids.push_back(folder->id);
        } else if (c.tag == tag::Search::FreeText) {
            std::istringstream words{std::string(c.text())};
            for (std::string w; words >> w;) q.words.push_back(w);
        } else if (c.tag == tag::Search::ConversationId) {
            // The bytes as Sync sent them, or hex, GUID or base64 text (content/conversation).
            q.conversation_id = content::parse_conversation_id(c.text());
            if (!q.conversation_id) return kInvalidRequest;
        } else if (c.tag == tag::Search::GreaterThan || c.tag == tag::Search::LessThan ||
                   c.tag == tag::Search::EqualTo) {
            const std::string_view value = trim(c.child_text(tag::Search::Value));
            if (c.tag == tag::Search::EqualTo && c.has(tag::Search::ConversationId)) {
                q.conversation_id = content::parse_conversation_id(c.child_text(tag::Search::Value));
                if (!q.conversation_id) return kInvalidRequest;
                continue;
            }
            // The only comparable property of mail (email:ComparisonProps); EqualTo's
            // documentlibrary:LinkId belongs to the document library, which is not offered.
            if (!c.has(tag::Email::DateReceived)) return kInvalidRequest;
            auto when = content::parse_eas_datetime(value);
            if (!when) return kInvalidRequest;
            if (c.tag == tag::Search::EqualTo)
                q.received_at = *when;
            else
                (c.tag == tag::Search::GreaterThan ? q.received_after : q.received_before) = *when;
        } else {
            return kInvalidRequest;
        }
    }
    return kSuccess;
}

void search_mailbox(CommandContext& ctx, const wbxml::Node& store_request, const SearchRange& range,
                    wbxml::Node& response) {
    store::MailQuery q;
    const wbxml::Node* query = store_request.child(tag::Search::Query);
    int status = query ? read_mail_query(ctx, *query, q) : kInvalidRequest;
    // A query that narrows nothing is not a search.
    if (status == kSuccess && q.unrestricted()) status = kInvalidRequest;
    if (status != kSuccess) {
        response.children.push_back(store_status(status));
        return;
    }
    const wbxml::Node* options = store_request.child(tag::Search::Options);
    if (options && options->has(tag::Search::DeepTraversal) && !q.folder_ids.empty())
        q.folder_ids = store::with_subfolders(ctx.sql, ctx.user.id, q.folder_ids);
    store::MailSearchPage page = store::search_mail(ctx.sql, ctx.user.id, q, range.first, range.limit());

    content::EmailOptions email_options = content::parse_email_options(options);
    std::vector<long long> ids;
    for (const auto& h : page.hits) ids.push_back(h.item_id);
    auto rows = ctx.mail->load_emails(ctx.sql, ctx.user, ids, email_options.body_need());

    wbxml::Node& out = response.add(tag::Search::Store);
    out.add(tag::Search::Status, static_cast<long long>(kSuccess));
    if (rows.empty()) {
        out.add(tag::Search::Result);
    } else {
        std::unordered_map<long long, long long> folder_of;
        for (const auto& h : page.hits) folder_of[h.item_id] = h.folder_id;
        for (const auto& row : rows) {
            wbxml::Node& result = out.add(tag::Search::Result);
            result.add(tag::AirSync::Class, "Email");
            result.add(tag::Search::LongId, row.item_id);
            result.add(tag::AirSync::CollectionId, folder_of[row.item_id]);
            content::append_email_data(result.add(tag::Search::Properties), row, email_options, ctx.version);
        }
        out.add(tag::Search::Range, std::to_string(range.first) + "-" +
                                        std::to_string(range.first + static_cast<long long>(rows.size()) - 1));
    }
    out.add(tag::Search::Total, page.total);
}

}  // namespace

CommandResult handle_search(CommandContext& ctx) {
    const wbxml::Node* request = ctx.request;
    const wbxml::Node* store = request && request->tag == tag::Search::Search ? request->child(tag::Search::Store) : nullptr;
    if (!store) return search_status(kInvalidRequest);

    wbxml::Node root(tag::Search::Search);
    root.add(tag::Search::Status, static_cast<long long>(kSuccess));
    wbxml::Node& response = root.add(tag::Search::Response);

    std::string_view name = trim(store->child_text(tag::Search::Name));
    const bool mailbox = iequals(name, "Mailbox");
    if (!iequals(name, "GAL") && !mailbox) {
        response.children.push_back(store_status(iequals(name, "DocumentLibrary") ? kServerError : kInvalidRequest));
        return {200, std::move(root)};
    }
    SearchRange range;
    const wbxml::Node* options = store->child(tag::Search::Options);
    if (options)
        if (const wbxml::Node* r = options->child(tag::Search::Range)) {
            auto parsed = parse_search_range(r->text());
            if (!parsed) {
                response.children.push_back(store_status(kInvalidRequest));
                return {200, std::move(root)};
            }
            range = *parsed;
        }
    if (mailbox) {
        search_mailbox(ctx, *store, range, response);
        return {200, std::move(root)};
    }
    std::string query(trim(store->child_text(tag::Search::Query)));  // the GAL's: plain text
    if (query.empty() || query.size() > 256) {
        response.children.push_back(store_status(kInvalidRequest));
        return {200, std::move(root)};
    }
    store::DirectoryPage page = store::search_directory(ctx.sql, ctx.user.domain, query, range.first, range.limit());
    const bool pictures = options && options->has(tag::Search::Picture);

    wbxml::Node& out = response.add(tag::Search::Store);
    out.add(tag::Search::Status, static_cast<long long>(kSuccess));
    if (page.entries.empty()) {
        out.add(tag::Search::Result);  // no match: one empty Result
    } else {
        for (const auto& e : page.entries) {
            append_gal_properties(out.add(tag::Search::Result).add(tag::Search::Properties), e, pictures);
        }
        long long last = range.first + static_cast<long long>(page.entries.size()) - 1;
        out.add(tag::Search::Range, std::to_string(range.first) + "-" + std::to_string(last));
    }
    out.add(tag::Search::Total, page.total);
    return {200, std::move(root)};
}

}  // namespace easd::commands
