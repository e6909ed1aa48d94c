#include "content/mime_for_client.h"

#include "common/text.h"
#include "content/gmime_parse.h"
#include "content/message.h"

namespace easd::content {

namespace {

bool is_xml_control(unsigned char c) { return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f; }

// A header whose raw bytes are not safe (8-bit, or controls) is written again from its decoded
// value, which GMime then encodes as RFC 2047 words.
void encode_unsafe_headers(GMimeObject* object) {
    GMimeHeaderList* headers = g_mime_object_get_header_list(object);
    if (!headers) return;
    int count = g_mime_header_list_get_count(headers);
    for (int i = 0; i < count; ++i) {
        GMimeHeader* header = g_mime_header_list_get_header_at(headers, i);
        const char* raw = header ? g_mime_header_get_raw_value(header) : nullptr;
        if (!raw || is_xml_safe_text(raw)) continue;
        const char* decoded = g_mime_header_get_value(header);
        std::string value = decoded ? decoded : "";
        // What decoding left unsafe (controls, or bytes no charset explained) goes as '?'.
        if (!is_valid_utf8(value)) value.clear();
        for (char& c : value)
            if (is_xml_control(static_cast<unsigned char>(c)) || c == '\r' || c == '\n') c = ' ';
        g_mime_header_set_value(header, nullptr, value.c_str(), "utf-8");
    }
}

// A leaf sent as 8bit or binary gets the 7-bit encoding that suits it (quoted-printable for
// mostly-ASCII text, else base64). g_mime_object_encode leaves parts that declare "binary" alone.
void encode_8bit_part(GMimeObject* part) {
    if (!GMIME_IS_PART(part)) return;
    GMimePart* leaf = GMIME_PART(part);
    GMimeContentEncoding current = g_mime_part_get_content_encoding(leaf);
    if (current == GMIME_CONTENT_ENCODING_BASE64 || current == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
        current == GMIME_CONTENT_ENCODING_UUENCODE)
        return;
    GMimeContentEncoding best = g_mime_part_get_best_content_encoding(leaf, GMIME_ENCODING_CONSTRAINT_7BIT);
    if (best != current && best != GMIME_CONTENT_ENCODING_7BIT) g_mime_part_set_content_encoding(leaf, best);
}

void encode_headers_of(GMimeObject* parent, GMimeObject* part, gpointer) {
    (void)parent;
    encode_8bit_part(part);
    encode_unsafe_headers(part);
    if (GMIME_IS_MESSAGE_PART(part)) {
        GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
        if (inner) {
            encode_unsafe_headers(GMIME_OBJECT(inner));
            g_mime_message_foreach(inner, encode_headers_of, nullptr);
        }
    }
}

// The last resort for bytes that are still unsafe (a header GMime would not re-encode): '?'.
std::string replace_unsafe_bytes(std::string s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (len == 1 && !is_xml_control(c)) {
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (len > 1 && i + len <= s.size() && is_valid_utf8(std::string_view(s).substr(i, len))) {
            out.append(s, i, len);
            i += len;
        } else {
            out.push_back('?');
            ++i;
        }
    }
    return out;
}

}  // namespace

bool is_xml_safe_text(std::string_view text) {
    for (unsigned char c : text)
        if (is_xml_control(c)) return false;
    return is_valid_utf8(text);
}

std::string mime_for_client(std::string_view mime) {
    if (is_xml_safe_text(mime)) return std::string(mime);
    init_mime();
    GPtr<GMimeMessage> msg = parse_gmime_message(mime);
    if (!msg) return replace_unsafe_bytes(std::string(mime));
    GMimeObject* top = GMIME_OBJECT(msg.get());
    // Every part whose content is not 7-bit gets quoted-printable or base64 (binary, NULs).
    g_mime_object_encode(top, GMIME_ENCODING_CONSTRAINT_7BIT);
    encode_unsafe_headers(top);
    g_mime_message_foreach(msg.get(), encode_headers_of, nullptr);
    encode_8bit_part(g_mime_message_get_mime_part(msg.get()));  // a message that is one part
    GPtr<GMimeStream> written(g_mime_stream_mem_new());
    if (!written || g_mime_object_write_to_stream(top, nullptr, written.get()) < 0)
        return replace_unsafe_bytes(std::string(mime));
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(written.get()));
    std::string out = bytes ? std::string(reinterpret_cast<const char*>(bytes->data), bytes->len) : std::string();
    return is_xml_safe_text(out) ? out : replace_unsafe_bytes(std::move(out));
}

}  // namespace easd::content
