// Find (MS-ASCMD 2.2.1.2, protocol 16.1 only): the search iOS and Outlook use at 16.1.
//
//   MailBoxSearchCriterion  Query: airsync:Class (Email), airsync:CollectionId (none: every mail
//                           folder), FreeText; Options: Range, DeepTraversal (the folders below
//                           too). Each word must begin a word of the subject, an address or the
//                           text (store/mail_search.h, the full-text index). FreeText is KQL: a
//                           property restriction ("from:ann") is searched as its value anywhere.
//                           Each result is a summary (FindProperties), not the body: Subject,
//                           DateReceived, DisplayTo, Importance, Read, IsDraft, Preview (at most
//                           255 characters of the text; fewer when an airsyncbase:BodyPreference
//                           in Options asks for a shorter Preview or TruncationSize),
//                           HasAttachments, From. ServerId is the item's, as Sync gives it.
//   GALSearchCriterion      Query: the text (also accepted inside a FreeText); the accounts of
//                           the user's domain as Search's GAL finds them, with the directory
//                           fields (phone, office, title, company, mobile phone); no pictures:
//                           asked for, Picture answers status 173.
//
// Any other version gets Status 138 (not supported in this protocol version, MS-ASCMD 2.2.2);
// a request that is not a Find gets 2; a CollectionId that is not a folder of the user's
// hierarchy gets 3 (FolderSync required).
#include <sstream>
#include <unordered_map>

#include "commands/command.h"
#include "commands/search_common.h"
#include "content/email_item.h"
#include "content/message.h"
#include "store/directory.h"
#include "store/folders.h"
#include "store/mail.h"
#include "store/mail_search.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// Find Status (MS-ASCMD 2.2.3.177.2) and the common code for a command of another version.
enum FindStatus { kSuccess = 1, kInvalidRequest = 2, kFolderSyncRequired = 3, kVersionNotSupported = 138 };

constexpr int kDraftsFolderType = 3;
constexpr std::size_t kMaxPreview = 255;  // MS-ASCMD 2.2.3.137

CommandResult find_status(int status) {
    wbxml::Node root(tag::Find::Find);
    root.add(tag::Find::Status, static_cast<long long>(status));
    return {200, std::move(root)};
}

// The words of a KQL FreeText: quotes dropped, a property restriction ("subject:word") reduced to
// its value, the operators AND/OR/NOT (upper case, as KQL spells them) dropped.
std::vector<std::string> free_text_words(std::string_view text) {
    std::vector<std::string> words;
    std::istringstream in{std::string(text)};
    for (std::string w; in >> w;) {
        if (w == "AND" || w == "OR" || w == "NOT") continue;
        auto colon = w.find(':');
        if (colon != std::string::npos && colon > 0) {
            bool property = true;
            for (std::size_t i = 0; i < colon; ++i)
                property = property && ((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= 'A' && w[i] <= 'Z'));
            if (property) w.erase(0, colon + 1);
        }
        std::string bare;
        for (char c : w)
            if (c != '"') bare += c;
        if (!bare.empty()) words.push_back(bare);
    }
    return words;
}

// The Response's Range and Total after `count` results from range.first on.
void add_range_and_total(wbxml::Node& response, const SearchRange& range, std::size_t count, long long total) {
    if (count > 0)
        response.add(tag::Find::Range, std::to_string(range.first) + "-" +
                                           std::to_string(range.first + static_cast<long long>(count) - 1));
    response.add(tag::Find::Total, total);
}

std::optional<SearchRange> read_range(const wbxml::Node* options, bool& bad) {
    const wbxml::Node* r = options ? options->child(tag::Find::Range) : nullptr;
    if (!r) return SearchRange{};
    auto parsed = parse_search_range(r->text());
    bad = !parsed;
    return parsed;
}

// The Preview: the text on one line, at most `limit` bytes (never splitting a character).
std::string preview_of(const std::string& body, std::size_t limit) {
    std::string flat;
    bool space = false;
    for (char c : body) {
        if (c == '\r' || c == '\n' || c == '\t' || c == ' ') {
            space = !flat.empty();
            continue;
        }
        if (space) flat += ' ';
        space = false;
        flat += c;
        if (flat.size() > limit + 4) break;  // enough to cut at a character boundary
    }
    return std::string(content::truncate_utf8(flat, limit));
}

CommandResult find_mailbox(CommandContext& ctx, const wbxml::Node& criterion) {
    const wbxml::Node* query = criterion.child(tag::Find::Query);
    if (!query) return find_status(kInvalidRequest);
    store::MailQuery q;
    for (const wbxml::Node& c : query->children) {
        if (c.tag == tag::AirSync::Class) {
            if (!iequals(trim(c.text()), "Email")) return find_status(kInvalidRequest);  // the only class Find has
        } else if (c.tag == tag::AirSync::CollectionId) {
            auto id = parse_id(trim(c.text()));
            auto folder = id ? store::find_folder(ctx.sql, ctx.user.id, *id) : std::nullopt;
            if (!folder) return find_status(kFolderSyncRequired);
            if (folder->item_class != "Email") return find_status(kInvalidRequest);
            q.folder_ids.push_back(folder->id);
        } else if (c.tag == tag::Find::FreeText) {
            for (auto& w : free_text_words(c.text())) q.words.push_back(std::move(w));
        } else {
            return find_status(kInvalidRequest);
        }
    }
    if (q.unrestricted()) return find_status(kInvalidRequest);
    const wbxml::Node* options = criterion.child(tag::Find::Options);
    bool bad_range = false;
    auto range = read_range(options, bad_range);
    if (bad_range) return find_status(kInvalidRequest);
    if (options && options->has(tag::Find::DeepTraversal) && !q.folder_ids.empty())
        q.folder_ids = store::with_subfolders(ctx.sql, ctx.user.id, q.folder_ids);
    // A BodyPreference here is not Find's, but a client that sends one wants no more text than it
    // names: it bounds the Preview.
    std::size_t preview_limit = kMaxPreview;
    for (const auto& p : content::parse_email_options(options).body_preferences) {
        if (p.preview) preview_limit = std::min(preview_limit, static_cast<std::size_t>(*p.preview));
        if (p.truncation_size) preview_limit = std::min(preview_limit, static_cast<std::size_t>(*p.truncation_size));
    }

    store::MailSearchPage page = store::search_mail(ctx.sql, ctx.user.id, q, range->first, range->limit());
    std::vector<long long> ids;
    std::unordered_map<long long, const store::MailHit*> hit_of;
    for (const auto& h : page.hits) {
        ids.push_back(h.item_id);
        hit_of[h.item_id] = &h;
    }
    auto rows = store::load_emails(ctx.sql, ctx.user.id, ids, false);

    wbxml::Node root(tag::Find::Find);
    root.add(tag::Find::Status, static_cast<long long>(kSuccess));
    wbxml::Node& response = root.add(tag::Find::Response);
    response.add(tag::ItemOperations::Store, "Mailbox");
    response.add(tag::Find::Status, static_cast<long long>(kSuccess));
    for (const auto& row : rows) {
        const store::MailHit& hit = *hit_of.at(row.item_id);
        wbxml::Node& result = response.add(tag::Find::Result);
        result.add(tag::AirSync::Class, "Email");
        result.add(tag::AirSync::ServerId, row.item_id);
        result.add(tag::AirSync::CollectionId, hit.folder_id);
        wbxml::Node& p = result.add(tag::Find::Properties);
        p.add(tag::Email::Subject, row.subject);
        p.add(tag::Email::DateReceived, content::format_eas_datetime(row.date_received));
        p.add(tag::Email::DisplayTo, row.display_to);
        p.add(tag::Email::Importance, static_cast<long long>(row.importance));
        p.add(tag::Email::Read, row.read ? "1" : "0");
        p.add(tag::Email2::IsDraft, hit.folder_type == kDraftsFolderType ? "1" : "0");
        if (preview_limit > 0) p.add(tag::Find::Preview, preview_of(row.body_plain, preview_limit));
        p.add(tag::Find::HasAttachments, row.has_attachments ? "1" : "0");
        p.add(tag::Email::From, row.from);
    }
    add_range_and_total(response, *range, rows.size(), page.total);
    return {200, std::move(root)};
}

CommandResult find_gal(CommandContext& ctx, const wbxml::Node& criterion) {
    const wbxml::Node* query = criterion.child(tag::Find::Query);
    // The spec's Query is the text; some clients wrap it in FreeText as for the mailbox.
    std::string text(trim(query ? (query->has(tag::Find::FreeText) ? query->child_text(tag::Find::FreeText)
                                                                    : query->text())
                                : std::string_view()));
    if (text.empty() || text.size() > 256) return find_status(kInvalidRequest);
    const wbxml::Node* options = criterion.child(tag::Find::Options);
    bool bad_range = false;
    auto range = read_range(options, bad_range);
    if (bad_range) return find_status(kInvalidRequest);
    const bool pictures = options && options->has(tag::Find::Picture);

    store::DirectoryPage page = store::search_directory(ctx.sql, ctx.user.domain, text, range->first, range->limit());
    wbxml::Node root(tag::Find::Find);
    root.add(tag::Find::Status, static_cast<long long>(kSuccess));
    wbxml::Node& response = root.add(tag::Find::Response);
    response.add(tag::ItemOperations::Store, "GAL");
    response.add(tag::Find::Status, static_cast<long long>(kSuccess));
    for (const auto& e : page.entries) {
        // The schema wants a class, an id and a collection for every result; a directory entry
        // is a contact of no folder of the user's: the account's id, in the collection "GAL".
        wbxml::Node& result = response.add(tag::Find::Result);
        result.add(tag::AirSync::Class, "Contacts");
        result.add(tag::AirSync::ServerId, e.id);
        result.add(tag::AirSync::CollectionId, "GAL");
        append_gal_properties(result.add(tag::Find::Properties), e, pictures);
    }
    add_range_and_total(response, *range, page.entries.size(), page.total);
    return {200, std::move(root)};
}

}  // namespace

CommandResult handle_find(CommandContext& ctx) {
    if (ctx.version != 161) return find_status(kVersionNotSupported);
    const wbxml::Node* request = ctx.request;
    const wbxml::Node* execute =
        request && request->tag == tag::Find::Find ? request->child(tag::Find::ExecuteSearch) : nullptr;
    if (!execute) return find_status(kInvalidRequest);
    // SearchId (a GUID the client makes up) names nothing here: no search is kept between requests.
    const wbxml::Node* mailbox = execute->child(tag::Find::MailBoxSearchCriterion);
    const wbxml::Node* gal = execute->child(tag::Find::GalSearchCriterion);
    if ((mailbox != nullptr) == (gal != nullptr)) return find_status(kInvalidRequest);  // exactly one
    return mailbox ? find_mailbox(ctx, *mailbox) : find_gal(ctx, *gal);
}

}  // namespace easd::commands
