// The IMAP response grammar (RFC 3501 section 9, with the RFC 7162 and RFC 4315 additions this client
// reads): one whole response, literals included, becomes a list of values. Pure parsing: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace easd::imap {

// One value of a response: an atom (numbers, flags, keywords, NIL before it is recognised), a
// string (quoted or literal, its bytes), a parenthesised list, or NIL.
struct Value {
    enum class Kind { Atom, String, List, Nil };
    Kind kind = Kind::Atom;
    std::string text;           // Atom, String
    std::vector<Value> items;   // List

    bool is_atom(std::string_view upper) const;  // an atom equal to `upper`, ASCII case ignored
    // The text of an atom or string; "" for NIL and lists.
    const std::string& str() const { return text; }
    std::optional<std::uint64_t> number() const;  // an atom of digits
};

// A response as the server sent it, sorted into its kind.
struct Response {
    enum class Kind { Untagged, Tagged, Continuation };
    Kind kind = Kind::Untagged;
    std::string tag;              // Tagged
    // Untagged and Tagged: the values after "*" or the tag. For a status response (OK, NO, BAD,
    // PREAUTH, BYE) `status` is the upper-case word, `code` the response code's values (the first
    // is its name, upper-case), and `text` the human-readable rest.
    std::vector<Value> values;
    std::string status;
    std::vector<Value> code;
    std::string text;
};

// Throws ParseError for anything that is not a response.
struct ParseError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Parses one complete response: its line(s) with the literals' bytes in place, as read by
// the connection (the final CRLF may be included or not).
Response parse_response(std::string_view bytes);

// The largest literal this client accepts (a message of that size is refused, not read).
constexpr std::size_t kMaxLiteral = 256u << 20;

}  // namespace easd::imap
