// Small text checks the tests share.
#pragma once

#include <string>

namespace easd::test {

// `part` occurs in `text`.
inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Bytes as lower-case hex digits (ids such as ConversationId are bytes).
inline std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

}  // namespace easd::test
