// The address book (GAL) the Search command's GAL store and Find read: the accounts of a domain,
// with the directory fields an administrator set for them (`easctl user set`).
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

namespace easd::store {

// What the directory says about an account besides its address ('' when not known). No pictures
// are kept.
struct DirectoryFields {
    std::string phone, mobile_phone, office, title, company;
};

struct DirectoryEntry {
    long long id = 0;
    std::string address;
    std::string display_name;  // "" when the account has none
    DirectoryFields fields;
};

struct DirectoryPage {
    std::vector<DirectoryEntry> entries;  // the requested slice, by display name (else address)
    long long total = 0;                  // every match
};

// The accounts of `domain` whose address, or a word of whose display name, begins with `query`
// (case ignored; % and _ match themselves), from the `offset`th match on, at most `limit`.
DirectoryPage search_directory(soci::session& sql, const std::string& domain, const std::string& query, long long offset,
                               long long limit);

// Sets the given fields of the account (those not given stay as they are). Throws InvalidRequest
// (store/accounts.h) for an unknown account.
struct DirectoryChange {
    std::optional<std::string> display_name, phone, mobile_phone, office, title, company;
};
void set_directory_fields(soci::session& sql, const std::string& address, const DirectoryChange& change);

// The account's entry; nullopt for an unknown address.
std::optional<DirectoryEntry> directory_entry(soci::session& sql, const std::string& address);

}  // namespace easd::store
