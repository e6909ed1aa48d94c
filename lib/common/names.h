// Domain names and addresses as easd accepts them for a new domain, account or alias: one check
// for easctl's `domain add`, `user add` and `user alias add` (store/accounts, store/aliases), so
// nothing that looks like an option, a typo or a non-name ever becomes a row. Lookups of
// existing rows stay lenient (store::normalize_address).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace easd {

// The name as stored: lower-case ASCII, a non-ASCII (UTF-8) name converted to its A-labels
// (IDNA2008 with the UTS #46 mapping, libidn2: "Bücher.Example" -> "xn--bcher-kva.example").
// Rules (RFC 1035 2.3.1, RFC 1123 2.1, RFC 5890): at least two labels; each 1 to 63 characters
// of letters, digits and '-', not beginning or ending with '-'; 253 characters in all; the last
// label not all digits (that is an IP address). nullopt, with the reason in *why, otherwise.
std::optional<std::string> normalize_domain_name(std::string_view name, std::string* why);

// A local part as RFC 5322's dot-atom (RFC 6532: UTF-8 allowed): atoms of letters, digits and
// !#$%&'*+-/=?^_`{|}~ between single dots, at most 64 octets (RFC 5321), and not beginning with
// '-' (no RFC rule, but such a word looks like an option on a command line). Quoted local parts
// are not accepted. False, with the reason in *why, otherwise.
bool valid_local_part(std::string_view local, std::string* why);

// LOCAL@DOMAIN for a new account or alias: the local part checked and lowered (ASCII), the domain
// as normalize_domain_name gives it. nullopt, with the reason in *why, otherwise.
std::optional<std::string> normalize_new_address(std::string_view address, std::string* why);

}  // namespace easd
