// Aliases: other addresses of one account (schema 012). Mail to an alias lands in the account;
// autodiscover for an alias redirects to the account's own address. An address is an account or
// an alias, never both.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <string>
#include <vector>

#include "store/accounts.h"

namespace easd::store {

// Adds `alias` to the account `address`. InvalidRequest when the account is unknown, the alias's
// domain is not served here, or the alias is already an account or an alias.
void add_alias(soci::session& sql, const std::string& address, const std::string& alias);

// Removes it; InvalidRequest when `alias` is not an alias of that account.
void remove_alias(soci::session& sql, const std::string& address, const std::string& alias);

// The account's aliases, sorted. InvalidRequest for an unknown account.
std::vector<std::string> list_aliases(soci::session& sql, const std::string& address);

// The account an address reaches: the account itself, or the one the alias belongs to. Where
// mail is delivered (easd-deliver, local recipients of SendMail).
std::optional<User> find_recipient(soci::session& sql, const std::string& address);

// True when `address` (any case) is an alias of the account `user_id`.
bool is_alias_of(soci::session& sql, const std::string& address, long long user_id);

}  // namespace easd::store
