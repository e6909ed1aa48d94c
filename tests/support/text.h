// Small text checks the tests share.
#pragma once

#include <string>

namespace easd::test {

// `part` occurs in `text`.
inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace easd::test
