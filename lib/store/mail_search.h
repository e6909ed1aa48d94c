// Searching a user's mail on the server (the Search command's Mailbox store).
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace easd::store {

struct MailQuery {
    std::vector<long long> folder_ids;     // empty: every mail folder of the user
    std::vector<std::string> words;        // each must appear (case ignored) in the subject, an address or the text
    std::optional<long long> received_after, received_before;  // seconds since the epoch, exclusive
    std::string conversation_id;           // bytes; empty: any conversation
};

struct MailHit {
    long long item_id = 0;
    long long folder_id = 0;
};

struct MailSearchPage {
    std::vector<MailHit> hits;  // newest first
    long long total = 0;        // every match
};

// The user's emails that match, from the `offset`th on, at most `limit`.
MailSearchPage search_mail(soci::session& sql, long long user_id, const MailQuery& query, long long offset,
                           long long limit);

}  // namespace easd::store
