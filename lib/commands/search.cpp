// Search (MS-ASCMD 2.2.1.16), the GAL store: the accounts of the user's own domain whose address or
// a word of whose name begins with the query (store/directory.h). Other domains served here are
// other organisations: they are never searched. The Mailbox and DocumentLibrary stores are not
// offered: their Store answers status 3 (server error) so the client says the search failed.
#include <charconv>

#include "commands/command.h"
#include "common/text.h"
#include "store/directory.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// Search and Store Status (MS-ASCMD 2.2.3.177.13).
enum SearchStatus { kSuccess = 1, kInvalidRequest = 2, kServerError = 3 };

constexpr long long kMaxResults = 100;  // the GAL's largest range (0-99)

struct Range {
    long long first = 0, last = kMaxResults - 1;
};

// "m-n" with 0 <= m <= n; nullopt otherwise.
std::optional<Range> parse_range(std::string_view text) {
    text = trim(text);
    auto dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto first = parse_decimal(text.substr(0, dash));
    auto last = parse_decimal(text.substr(dash + 1));
    if (!first || !last || *first < 0 || *last < *first) return std::nullopt;
    return Range{*first, *last};
}

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

}  // namespace

CommandResult handle_search(CommandContext& ctx) {
    const wbxml::Node* request = ctx.request;
    const wbxml::Node* store = request && request->tag == tag::Search::Search ? request->child(tag::Search::Store) : nullptr;
    if (!store) return search_status(kInvalidRequest);

    wbxml::Node root(tag::Search::Search);
    root.add(tag::Search::Status, static_cast<long long>(kSuccess));
    wbxml::Node& response = root.add(tag::Search::Response);

    std::string_view name = trim(store->child_text(tag::Search::Name));
    std::string query(trim(store->child_text(tag::Search::Query)));
    if (!iequals(name, "GAL")) {
        response.children.push_back(store_status(iequals(name, "Mailbox") || iequals(name, "DocumentLibrary")
                                                     ? kServerError
                                                     : kInvalidRequest));
        return {200, std::move(root)};
    }
    Range range;
    if (const wbxml::Node* options = store->child(tag::Search::Options))
        if (const wbxml::Node* r = options->child(tag::Search::Range)) {
            auto parsed = parse_range(r->text());
            if (!parsed) {
                response.children.push_back(store_status(kInvalidRequest));
                return {200, std::move(root)};
            }
            range = *parsed;
        }
    if (query.empty() || query.size() > 256) {
        response.children.push_back(store_status(kInvalidRequest));
        return {200, std::move(root)};
    }
    long long limit = std::min(range.last - range.first + 1, kMaxResults);
    store::DirectoryPage page = store::search_directory(ctx.sql, ctx.user.domain, query, range.first, limit);

    wbxml::Node& out = response.add(tag::Search::Store);
    out.add(tag::Search::Status, static_cast<long long>(kSuccess));
    if (page.entries.empty()) {
        out.add(tag::Search::Result);  // no match: one empty Result
    } else {
        for (const auto& e : page.entries) {
            wbxml::Node& props = out.add(tag::Search::Result).add(tag::Search::Properties);
            props.add(tag::GAL::DisplayName, e.display_name.empty() ? e.address : e.display_name);
            props.add(tag::GAL::Alias, e.address.substr(0, e.address.find('@')));
            props.add(tag::GAL::EmailAddress, e.address);
        }
        long long last = range.first + static_cast<long long>(page.entries.size()) - 1;
        out.add(tag::Search::Range, std::to_string(range.first) + "-" + std::to_string(last));
    }
    out.add(tag::Search::Total, page.total);
    return {200, std::move(root)};
}

}  // namespace easd::commands
