#include "common/json.h"

#include <cstdio>

namespace easd::json {

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

JsonObject& JsonObject::raw(const std::string& key, const std::string& json) {
    if (!members_.empty()) members_ += ',';
    members_ += json_string(key) + ":" + json;
    return *this;
}

JsonObject& JsonObject::text(const std::string& key, const std::string& value) { return raw(key, json_string(value)); }

JsonObject& JsonObject::text_or_null(const std::string& key, const std::string& value) {
    return raw(key, value.empty() ? "null" : json_string(value));
}

JsonObject& JsonObject::number(const std::string& key, long long value) { return raw(key, std::to_string(value)); }

JsonObject& JsonObject::boolean(const std::string& key, bool value) { return raw(key, value ? "true" : "false"); }

std::string json_array(const std::vector<std::string>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + values[i];
    return out + "]";
}

}  // namespace easd::json
