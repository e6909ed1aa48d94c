// ResolveRecipients (MS-ASCMD 2.2.1.15): what a name or address typed on the phone stands for.
// Each To is looked up in the GAL of the user's own domain (store/directory.h; Type 1) and in the
// user's contacts (Type 2): an address must match exactly, a name matches as a prefix of the
// address or of a word of the name. One match: Status 1; several: 2 with suggestions (3 when
// MaxAmbiguousRecipients cut them); none: 4.
// easd keeps no S/MIME certificates and no contact pictures: asked for, they answer "none" (7,
// 173). Free/busy is not computed (recurring events would need expanding): Availability answers
// 163, "could not be retrieved", rather than a guess.
#include <algorithm>

#include "commands/command.h"
#include "common/text.h"
#include "content/pim_item.h"
#include "store/directory.h"
#include "store/oof.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

enum : int {
    kSuccess = 1,
    kProtocolError = 5,
    kResolved = 1,
    kAmbiguous = 2,
    kAmbiguousPartial = 3,
    kNotFound = 4,
    kNoValidCertificate = 7,
    kAvailabilityFailed = 163,
    kNoPicture = 173,
};

constexpr std::size_t kMaxTo = 1000;
constexpr std::size_t kMaxQuery = 256;
constexpr long long kDefaultAmbiguous = 19;

struct Candidate {
    int type = 1;  // 1 GAL, 2 contact
    std::string display_name;
    std::string address;
};

// The user's contacts that have an address.
std::vector<content::ContactCard> load_contacts(CommandContext& ctx) {
    std::vector<content::ContactCard> out;
    for (const std::string& data : store::contact_data(ctx.sql, ctx.user.id))
        if (auto card = content::contact_card(data); card && !card->addresses.empty()) out.push_back(std::move(*card));
    return out;
}

// A prefix of the text or of one of its words (after a space).
bool begins_a_word(const std::string& text, const std::string& prefix) {
    for (std::size_t start = 0;;) {
        if (text.compare(start, prefix.size(), prefix) == 0) return true;
        std::size_t space = text.find(' ', start);
        if (space == std::string::npos) return false;
        start = space + 1;
    }
}

// Every match for one To, GAL entries first, each address once; `total` counts them all.
std::vector<Candidate> resolve(CommandContext& ctx, const std::vector<content::ContactCard>& contacts, const std::string& query,
                               long long limit, long long& total) {
    std::vector<Candidate> out;
    const std::string q = to_lower_ascii(query);
    const bool is_address = q.find('@') != std::string::npos;
    long long gal_total = 0;
    if (is_address) {
        // A To that only looks like an address ("a@b:c") resolves to nobody, as an unknown one.
        std::optional<store::User> user;
        try {
            user = store::find_user(ctx.sql, q);
        } catch (const store::InvalidRequest&) {
        }
        if (user && user->domain == ctx.user.domain) {
            out.push_back({1, user->display_name.empty() ? user->address : user->display_name, user->address});
            gal_total = 1;
        }
    } else {
        // One more than asked for tells ambiguity; the page's total counts every match.
        store::DirectoryPage page = store::search_directory(ctx.sql, ctx.user.domain, query, 0, limit + 1);
        for (const auto& e : page.entries) out.push_back({1, e.display_name.empty() ? e.address : e.display_name, e.address});
        gal_total = page.total;
    }
    long long contacts_added = 0;
    for (const content::ContactCard& c : contacts)
        for (const std::string& a : c.addresses) {
            bool match = is_address ? a == q
                                    : a.compare(0, q.size(), q) == 0 ||
                                          std::any_of(c.names.begin(), c.names.end(),
                                                      [&](const std::string& n) { return begins_a_word(n, q); });
            bool seen = std::any_of(out.begin(), out.end(), [&](const Candidate& x) { return x.address == a; });
            if (match && !seen) {
                out.push_back({2, c.display_name.empty() ? a : c.display_name, a});
                ++contacts_added;
            }
        }
    total = gal_total + contacts_added;
    return out;
}

CommandResult status_only(int status) {
    wbxml::Node root(tag::ResolveRecipients::ResolveRecipients);
    root.add(tag::ResolveRecipients::Status, static_cast<long long>(status));
    return {200, std::move(root)};
}

}  // namespace

CommandResult handle_resolve_recipients(CommandContext& ctx) {
    const wbxml::Node* request = ctx.request;
    if (!request || request->tag != tag::ResolveRecipients::ResolveRecipients) return status_only(kProtocolError);
    auto tos = request->children_of(tag::ResolveRecipients::To);
    if (tos.empty() || tos.size() > kMaxTo) return status_only(kProtocolError);

    const wbxml::Node* options = request->child(tag::ResolveRecipients::Options);
    long long max_ambiguous = kDefaultAmbiguous;
    bool certificates = false, availability = false, pictures = false;
    if (options) {
        if (const auto* m = options->child(tag::ResolveRecipients::MaxAmbiguousRecipients)) {
            auto v = parse_decimal(trim(m->text()));
            if (!v || *v < 0 || *v > 9999) return status_only(kProtocolError);
            max_ambiguous = *v;
        }
        if (const auto* c = options->child(tag::ResolveRecipients::CertificateRetrieval)) {
            std::string_view v = trim(c->text());
            if (v != "1" && v != "2" && v != "3") return status_only(kProtocolError);
            certificates = v != "1";
        }
        if (const auto* a = options->child(tag::ResolveRecipients::Availability)) {
            if (!a->has(tag::ResolveRecipients::StartTime) || !a->has(tag::ResolveRecipients::EndTime))
                return status_only(kProtocolError);
            availability = true;
        }
        pictures = options->has(tag::ResolveRecipients::Picture);
    }

    std::vector<content::ContactCard> contacts = load_contacts(ctx);
    wbxml::Node root(tag::ResolveRecipients::ResolveRecipients);
    root.add(tag::ResolveRecipients::Status, static_cast<long long>(kSuccess));
    for (const wbxml::Node* to : tos) {
        std::string query(trim(to->text()));
        wbxml::Node& response = root.add(tag::ResolveRecipients::Response);
        response.add(tag::ResolveRecipients::To, std::string(to->text()));
        if (query.empty() || query.size() > kMaxQuery) {
            response.add(tag::ResolveRecipients::Status, static_cast<long long>(kNotFound));
            continue;
        }
        long long total = 0;
        std::vector<Candidate> found = resolve(ctx, contacts, query, std::max(max_ambiguous, 1LL), total);
        if (found.empty()) {
            response.add(tag::ResolveRecipients::Status, static_cast<long long>(kNotFound));
            continue;
        }
        const bool unique = found.size() == 1 && total == 1;
        if (!unique && static_cast<long long>(found.size()) > max_ambiguous)
            found.resize(static_cast<std::size_t>(max_ambiguous));
        int status = unique ? kResolved : static_cast<long long>(found.size()) < total ? kAmbiguousPartial : kAmbiguous;
        response.add(tag::ResolveRecipients::Status, static_cast<long long>(status));
        response.add(tag::ResolveRecipients::RecipientCount, unique ? 1LL : total);
        for (const Candidate& c : found) {
            wbxml::Node& r = response.add(tag::ResolveRecipients::Recipient);
            r.add(tag::ResolveRecipients::Type, static_cast<long long>(c.type));
            r.add(tag::ResolveRecipients::DisplayName, c.display_name);
            r.add(tag::ResolveRecipients::EmailAddress, c.address);
            // Free/busy and certificates only for a recipient resolved unambiguously (MS-ASCMD).
            if (unique && availability)
                r.add(tag::ResolveRecipients::Availability)
                    .add(tag::ResolveRecipients::Status, static_cast<long long>(kAvailabilityFailed));
            if (unique && certificates) {
                wbxml::Node& certs = r.add(tag::ResolveRecipients::Certificates);
                certs.add(tag::ResolveRecipients::Status, static_cast<long long>(kNoValidCertificate));
                certs.add(tag::ResolveRecipients::CertificateCount, 0LL);
                certs.add(tag::ResolveRecipients::RecipientCount, 1LL);
            }
            if (pictures)
                r.add(tag::ResolveRecipients::Picture)
                    .add(tag::ResolveRecipients::Status, static_cast<long long>(kNoPicture));
        }
    }
    return {200, std::move(root)};
}

}  // namespace easd::commands
