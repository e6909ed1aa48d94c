// Attachments: FileReference strings, derived properties, and extracting one part's bytes from the
// stored original with GMime (parsed with the same options as at delivery, so part numbers match).
#include "content/attachment.h"

#include "content/gmime_parse.h"
#include "content/gmime_raii.h"

#include <gmime/gmime.h>

#include <array>
#include <memory>
#include <utility>

namespace easd::content {

namespace {

constexpr std::size_t kMaxIdDigits = 18;
// Up to 999,999 parts on one level (schema 017): a message with 20,000 attachments is odd, not
// wrong, and every one of them must be reachable.
constexpr std::size_t kMaxPartDigits = 6;
constexpr std::size_t kMaxDepth = 64;  // as message.cpp descends
// The longest reference we write: an 18-digit id, ':', 64 levels of 6 digits and their dots (466
// bytes). The limit was 300, from when levels had 4 digits, so an attachment deep in a message
// with many parts got a FileReference its own Fetch refused. Checked first, so a long string is
// refused before it is scanned.
constexpr std::size_t kMaxReference = 512;
static_assert(kMaxIdDigits + 1 + kMaxDepth * (kMaxPartDigits + 1) - 1 <= kMaxReference,
              "every reference format_file_reference can write must parse");

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A decimal number without sign or leading zero, 1..max_digits digits; advances `s`.
std::optional<long long> take_number(std::string_view& s, std::size_t max_digits) {
    std::size_t n = 0;
    while (n < s.size() && is_digit(s[n])) ++n;
    if (n == 0 || n > max_digits || s[0] == '0') return std::nullopt;
    long long v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v * 10 + (s[i] - '0');
    s.remove_prefix(n);
    return v;
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && lower_ascii(s.substr(s.size() - suffix.size())) == suffix;
}

std::string_view extension_for(std::string_view content_type) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kTypes{{
        {"image/png", ".png"},         {"image/jpeg", ".jpg"},       {"image/gif", ".gif"},
        {"image/webp", ".webp"},       {"image/bmp", ".bmp"},        {"image/tiff", ".tif"},
        {"application/pdf", ".pdf"},   {"application/zip", ".zip"},  {"text/plain", ".txt"},
        {"text/html", ".html"},        {"text/calendar", ".ics"},    {"text/vcard", ".vcf"},
        {"text/x-vcard", ".vcf"},      {"message/rfc822", ".eml"},
    }};
    for (const auto& [type, ext] : kTypes)
        if (type == content_type) return ext;
    return ".dat";
}

// The object at `path` (message.cpp's numbering: the top-level non-multipart part is "1", the
// children of a multipart are 1..n, nested ones "1.2.2").
GMimeObject* find_part(GMimeObject* top, std::string_view path) {
    if (!top) return nullptr;
    if (!GMIME_IS_MULTIPART(top)) return path == "1" ? top : nullptr;
    GMimeObject* obj = top;
    std::size_t depth = 0;
    while (!path.empty()) {
        auto n = take_number(path, kMaxPartDigits);
        if (!n || ++depth > kMaxDepth) return nullptr;
        if (!path.empty()) {
            if (path[0] != '.') return nullptr;
            path.remove_prefix(1);
        }
        if (!GMIME_IS_MULTIPART(obj)) return nullptr;
        GMimeMultipart* mp = GMIME_MULTIPART(obj);
        if (*n > g_mime_multipart_get_count(mp)) return nullptr;
        obj = g_mime_multipart_get_part(mp, static_cast<int>(*n - 1));
        if (!obj) return nullptr;
    }
    return obj;
}

std::optional<std::string> stream_bytes(GMimeStream* mem) {
    GByteArray* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    if (!arr || arr->len == 0) return std::string();
    return std::string(reinterpret_cast<const char*>(arr->data), arr->len);
}

}  // namespace

std::string format_file_reference(const FileReference& ref) {
    return std::to_string(ref.item_id) + ":" + ref.part_path;
}

bool valid_part_path(std::string_view path) {
    if (path.empty() || path.size() > kMaxReference) return false;
    std::size_t segments = 0;
    while (true) {
        if (!take_number(path, kMaxPartDigits) || ++segments > kMaxDepth) return false;
        if (path.empty()) return true;
        if (path[0] != '.') return false;
        path.remove_prefix(1);
    }
}

std::optional<FileReference> parse_file_reference(std::string_view text) {
    if (text.empty() || text.size() > kMaxReference) return std::nullopt;
    std::string_view rest = text;
    auto id = take_number(rest, kMaxIdDigits);
    if (!id || rest.empty() || rest[0] != ':') return std::nullopt;
    rest.remove_prefix(1);
    if (!valid_part_path(rest)) return std::nullopt;
    return FileReference{*id, std::string(rest)};
}

int attachment_method(const AttachmentInfo& a) { return a.content_type == "message/rfc822" ? 5 : 1; }

std::string attachment_display_name(const store::EmailAttachment& a) {
    std::string name = a.file_name;
    if (name.empty()) name = "attachment" + std::string(extension_for(a.content_type));
    if (a.method == 5 && !ends_with_ci(name, ".eml")) name += ".eml";
    return name;
}

std::optional<std::string> extract_attachment(std::string_view mime, std::string_view part_path) {
    if (mime.empty() || !valid_part_path(part_path)) return std::nullopt;
    init_mime();
    // Parsed as at delivery (gmime_parse.h), so the structure, and the numbering, match.
    GPtr<GMimeMessage> msg = parse_gmime_message(mime);
    if (!msg) return std::nullopt;

    GMimeObject* obj = find_part(g_mime_message_get_mime_part(msg.get()), part_path);
    if (!obj || GMIME_IS_MULTIPART(obj)) return std::nullopt;
    GPtr<GMimeStream> out(g_mime_stream_mem_new());
    if (!out) return std::nullopt;
    if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        if (!inner) return std::string();
        if (g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, out.get()) < 0) return std::nullopt;
        return stream_bytes(out.get());
    }
    if (!GMIME_IS_PART(obj)) return std::nullopt;
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(obj));
    if (!content) return std::string();
    if (g_mime_data_wrapper_write_to_stream(content, out.get()) < 0) return std::nullopt;
    return stream_bytes(out.get());
}

}  // namespace easd::content
