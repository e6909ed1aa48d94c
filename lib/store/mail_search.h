// Searching a user's mail on the server (the Search command's Mailbox store, and Find).
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace easd::store {

struct MailQuery {
    std::vector<long long> folder_ids;  // empty: every mail folder of the user
    // Each must appear (case ignored), as the start of a word, in the subject, an address or the
    // text; matched through the full-text index of schema 010.
    std::vector<std::string> words;
    std::optional<long long> received_after, received_before;  // seconds since the epoch, exclusive
    std::optional<long long> received_at;                      // within that second (EqualTo)
    // The conversation's bytes (emails.conversation_id, schema 011).
    std::optional<std::string> conversation_id;

    // A query with nothing that narrows the mailbox (no words, folder, date or conversation).
    bool unrestricted() const {
        return folder_ids.empty() && words.empty() && !received_after && !received_before && !received_at &&
               !conversation_id;
    }
};

struct MailHit {
    long long item_id = 0;
    long long folder_id = 0;
    int folder_type = 0;  // the EAS folder type (3: Drafts)
};

struct MailSearchPage {
    std::vector<MailHit> hits;  // newest first
    long long total = 0;        // every match
};

// The user's emails that match, from the `offset`th on, at most `limit`.
MailSearchPage search_mail(soci::session& sql, long long user_id, const MailQuery& query, long long offset,
                           long long limit);

// PostgreSQL's plan for search_mail's query (the first 100): to check that words go through the
// full-text index.
std::string explain_search_mail(soci::session& sql, long long user_id, const MailQuery& query);

// The user's mail folders among `folder_ids` and every mail folder below them, at any depth
// (DeepTraversal). Ids that are not the user's are dropped.
std::vector<long long> with_subfolders(soci::session& sql, long long user_id, const std::vector<long long>& folder_ids);

}  // namespace easd::store
