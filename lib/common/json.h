// A small JSON writer: strings escaped, objects with members in the order they are added, no
// spaces. What easctl's `--json` prints and what easd publishes for `easctl stats` (live_stats).
// Text must be UTF-8 already (JSON and PostgreSQL's jsonb accept nothing else).
#pragma once

#include <string>
#include <vector>

namespace easd::json {

std::string json_string(const std::string& s);

// One JSON object, members in the order they are added, no spaces (what `--json` prints).
class JsonObject {
public:
    JsonObject& text(const std::string& key, const std::string& value);
    JsonObject& text_or_null(const std::string& key, const std::string& value);  // "" -> null
    JsonObject& number(const std::string& key, long long value);
    JsonObject& boolean(const std::string& key, bool value);
    JsonObject& raw(const std::string& key, const std::string& json);  // a value already in JSON
    std::string str() const { return "{" + members_ + "}"; }
    const std::string& members() const { return members_; }  // without the braces

private:
    std::string members_;
};

// "[a,b,c]" of values already in JSON.
std::string json_array(const std::vector<std::string>& values);

}  // namespace easd::json
