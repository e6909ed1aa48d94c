// The address book the Search command's GAL store reads: the accounts of a domain.
#pragma once

#include <soci/soci.h>

#include <string>
#include <vector>

namespace easd::store {

struct DirectoryEntry {
    std::string address;
    std::string display_name;  // "" when the account has none
};

struct DirectoryPage {
    std::vector<DirectoryEntry> entries;  // the requested slice, by display name (else address)
    long long total = 0;                  // every match
};

// The accounts of `domain` whose address, or a word of whose display name, begins with `query`
// (case ignored; % and _ match themselves), from the `offset`th match on, at most `limit`.
DirectoryPage search_directory(soci::session& sql, const std::string& domain, const std::string& query, long long offset,
                               long long limit);

}  // namespace easd::store
