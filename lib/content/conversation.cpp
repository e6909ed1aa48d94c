#include "content/conversation.h"

#include <glib.h>

#include <algorithm>
#include <functional>

#include "common/conversation_index.h"
#include "common/text.h"

namespace easd::content {

namespace tag = wbxml::tag;

namespace {

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Strict base64 (whitespace ignored, padding optional): nullopt for anything else.
std::optional<std::string> decode_base64(std::string_view text) {
    std::string clean;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        clean.push_back(c);
    }
    while (!clean.empty() && clean.back() == '=') clean.pop_back();
    if (clean.empty() || clean.size() % 4 == 1) return std::nullopt;
    if (!std::all_of(clean.begin(), clean.end(), is_base64_char)) return std::nullopt;
    while (clean.size() % 4 != 0) clean.push_back('=');
    gsize len = 0;
    guchar* bytes = g_base64_decode(clean.c_str(), &len);
    if (!bytes) return std::nullopt;
    std::string out(reinterpret_cast<const char*>(bytes), len);
    g_free(bytes);
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> decode_hex(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
}

// Lower case of UTF-8 text (non-ASCII letters too), for the topic key.
std::string utf8_lower(std::string_view s) {
    if (!g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr)) return to_lower_ascii(s);
    gchar* down = g_utf8_strdown(s.data(), static_cast<gssize>(s.size()));
    std::string out = down ? std::string(down) : to_lower_ascii(s);
    g_free(down);
    return out;
}

}  // namespace

std::optional<ThreadIndex> parse_thread_index(std::string_view header_value) {
    auto bytes = decode_base64(trim(header_value));
    if (!bytes || bytes->size() < 22 || (bytes->size() - 22) % 5 != 0) return std::nullopt;
    ThreadIndex t;
    t.time = bytes->substr(1, 5);
    t.guid = bytes->substr(6, 16);
    t.children = bytes->substr(22);
    return t;
}

std::string derived_conversation_id(std::string_view key) {
    GChecksum* sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(sum, reinterpret_cast<const guchar*>(key.data()), static_cast<gssize>(key.size()));
    guint8 digest[32];
    gsize len = sizeof digest;
    g_checksum_get_digest(sum, digest, &len);
    g_checksum_free(sum);
    return std::string(reinterpret_cast<const char*>(digest), 16);
}

store::EmailConversation conversation_of(const ParsedMessage& m) {
    store::EmailConversation c;
    // Nearest first: the message it answers, then its References from the newest back.
    for (const auto& id : m.in_reply_to) c.parents.push_back(id);
    for (auto it = m.references.rbegin(); it != m.references.rend(); ++it)
        if (std::find(c.parents.begin(), c.parents.end(), *it) == c.parents.end()) c.parents.push_back(*it);
    c.parents.erase(std::remove(c.parents.begin(), c.parents.end(), m.message_id), c.parents.end());

    if (auto t = parse_thread_index(m.thread_index)) {
        c.id = t->guid;
        c.index = t->time + t->children;
        c.from_thread_index = true;
        return c;
    }
    // The root: the first of References, else In-Reply-To, else the message itself, unless its
    // subject says it is a reply (then the topic, and the store looks for the thread by topic).
    const bool reply_subject = trim(m.subject) != m.thread_topic;
    std::string root = !m.references.empty()  ? m.references.front()
                       : !m.in_reply_to.empty() ? m.in_reply_to.front()
                       : !reply_subject          ? m.message_id
                                                 : std::string();
    c.by_topic = c.parents.empty() && reply_subject;
    c.id = derived_conversation_id(root.empty() ? "topic:" + utf8_lower(m.thread_topic) : "ref:" + root);
    c.index = conversation_index_header(m.date.value_or(0));
    return c;
}

std::optional<std::string> parse_conversation_id(std::string_view value) {
    if (value.size() == 16) return std::string(value);  // the bytes themselves, as Sync sent them
    std::string_view t = trim(value);
    if (!t.empty() && t.front() == '{' && t.back() == '}') t = t.substr(1, t.size() - 2);
    std::string digits;
    for (char c : t)
        if (c != '-') digits.push_back(c);
    if (digits.size() == 32)
        if (auto bytes = decode_hex(digits)) return bytes;
    if (auto bytes = decode_base64(t); bytes && bytes->size() == 16) return bytes;
    return std::nullopt;
}

bool conversation_mode(const wbxml::Node& collection) {
    return trim(collection.child_text(tag::AirSync::ConversationMode)) == "1";
}

}  // namespace easd::content
