// Parsing a stored RFC 5322 message once, at delivery, with GMime 3: decoded headers, the best
// text and HTML bodies, attachments, importance and the EAS message class.
#include "content/message.h"

#include "content/gmime_parse.h"
#include "content/gmime_raii.h"

#include <gmime/gmime.h>
#include <libxml/parser.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "common/text.h"

namespace easd::content {

namespace {

// RAII for GObject references and g_malloc'd memory; nothing here throws across GLib callbacks.

}  // namespace

namespace {
void warm_up();
std::optional<ParsedMessage> parse_message_impl(std::string_view raw, std::string* error, const MessageLimits& limits);
}  // namespace

void init_mime() {
    static std::once_flag once;
    std::call_once(once, [] {
        g_mime_init();
        xmlInitParser();  // libxml2 must be initialised before it is used from several threads
        warm_up();
    });
}

namespace {

constexpr int kMaxDepth = 64;  // MIME nesting deeper than this is not descended (hostile input)

bool icontains(std::string_view hay, std::string_view needle) {
    if (needle.empty()) return true;
    if (hay.size() < needle.size()) return false;
    for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
        if (iequals(hay.substr(i, needle.size()), needle)) return true;
    return false;
}

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

// Valid UTF-8 without NUL bytes (PostgreSQL text cannot hold NUL).
std::string sanitize_utf8(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
    if (!g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr)) {
        GCharPtr valid(g_utf8_make_valid(s.data(), static_cast<gssize>(s.size())));
        s = valid ? std::string(valid.get()) : std::string();
    }
    return s;
}

// Header text: unfolded, control characters (tabs, stray CR/LF) as spaces, trimmed.
std::string clean_header(const char* v) {
    std::string s = sanitize_utf8(str(v));
    for (auto& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    return std::string(trim(s));
}


// The transfer-decoded bytes of a leaf part.
std::string part_bytes(GMimePart* part) {
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (!content) return {};
    GPtr<GMimeStream> mem(g_mime_stream_mem_new());
    if (!mem) return {};
    if (g_mime_data_wrapper_write_to_stream(content, mem.get()) < 0) return {};
    GByteArray* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
    if (!arr || arr->len == 0) return {};
    return std::string(reinterpret_cast<const char*>(arr->data), arr->len);
}

std::size_t part_size(GMimePart* part) {
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (!content) return 0;
    GPtr<GMimeStream> null(g_mime_stream_null_new());
    if (!null || g_mime_data_wrapper_write_to_stream(content, null.get()) < 0) return 0;
    return GMIME_STREAM_NULL(null.get())->written;
}

std::size_t object_size(GMimeObject* obj) {
    GPtr<GMimeStream> null(g_mime_stream_null_new());
    if (!null || g_mime_object_write_to_stream(obj, nullptr, null.get()) < 0) return 0;
    return GMIME_STREAM_NULL(null.get())->written;
}

// Converts the decoded bytes of a text part to UTF-8. The declared charset first (ISO-8859-1 and
// US-ASCII read as windows-1252, as browsers do); raw bytes that already are UTF-8 when no charset
// or an ASCII/UTF-8 charset is declared; otherwise GMime's 8-bit heuristics over the parser's
// fallback charsets. The result is always valid UTF-8.
std::string text_to_utf8(std::string bytes, const char* declared, GMimeParserOptions* opts) {
    // NUL bytes would end the C strings below early, and PostgreSQL text cannot hold them.
    bytes.erase(std::remove(bytes.begin(), bytes.end(), '\0'), bytes.end());
    if (bytes.empty()) return {};
    std::string cs = declared ? std::string(trim(declared)) : std::string();
    std::string lc;
    for (char c : cs) lc.push_back(ascii_lower(c));
    bool ascii_or_utf8 = lc.empty() || lc == "us-ascii" || lc == "ascii" || lc == "utf-8" || lc == "utf8";
    if (ascii_or_utf8 && g_utf8_validate(bytes.data(), static_cast<gssize>(bytes.size()), nullptr))
        return sanitize_utf8(bytes);
    if (!lc.empty() && lc != "utf-8" && lc != "utf8") {
        const char* from = (lc == "us-ascii" || lc == "ascii" || lc == "iso-8859-1" || lc == "latin1")
                               ? "WINDOWS-1252"
                               : g_mime_charset_iconv_name(cs.c_str());
        gsize written = 0;
        GError* err = nullptr;
        GCharPtr conv(g_convert(bytes.data(), static_cast<gssize>(bytes.size()), "UTF-8", from, nullptr,
                                &written, &err));
        if (err) g_error_free(err);
        if (conv) return sanitize_utf8(std::string(conv.get(), written));
    }
    GCharPtr dec(g_mime_utils_decode_8bit(opts, bytes.data(), bytes.size()));
    return sanitize_utf8(dec ? std::string(dec.get()) : bytes);
}

std::string mime_type_of(GMimeObject* obj) {
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    if (!ct) return "application/octet-stream";
    GCharPtr mt(g_mime_content_type_get_mime_type(ct));
    std::string s = mt ? std::string(mt.get()) : std::string("application/octet-stream");
    for (auto& c : s) c = ascii_lower(c);
    return s;
}

const char* ct_param(GMimeObject* obj, const char* name) {
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    return ct ? g_mime_content_type_get_parameter(ct, name) : nullptr;
}

bool is_type(GMimeObject* obj, const char* type, const char* subtype) {
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    return ct && g_mime_content_type_is_type(ct, type, subtype);
}

bool disposition_is_attachment(GMimeObject* obj) {
    const char* d = g_mime_object_get_disposition(obj);
    return d && iequals(trim(d), "attachment");
}

// Display names of a To list, "; "-joined; groups contribute their members.
void collect_display(InternetAddressList* list, std::string& out, int depth = 0) {
    if (!list || depth > 4) return;
    int n = internet_address_list_length(list);
    for (int i = 0; i < n; ++i) {
        InternetAddress* ia = internet_address_list_get_address(list, i);
        if (!ia) continue;
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            collect_display(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out, depth + 1);
            continue;
        }
        std::string item = clean_header(internet_address_get_name(ia));
        if (item.empty() && INTERNET_ADDRESS_IS_MAILBOX(ia))
            item = clean_header(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
        if (item.empty()) continue;
        if (!out.empty()) out += "; ";
        out += item;
    }
}

// The lower-case addresses of a parsed list, into `out` (groups contribute their members).
void collect_addresses(InternetAddressList* list, std::vector<std::string>& out, int depth = 0) {
    if (!list || depth > 4) return;
    int n = internet_address_list_length(list);
    for (int i = 0; i < n; ++i) {
        InternetAddress* ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            collect_addresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out, depth + 1);
        } else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
            if (addr && *addr) out.push_back(to_lower_ascii(addr));
        }
    }
}

std::string render_addresses(InternetAddressList* list) {
    if (!list || internet_address_list_length(list) == 0) return {};
    GCharPtr s(internet_address_list_to_string(list, nullptr, FALSE));
    return s ? clean_header(s.get()) : std::string();
}

// 0 low, 1 normal, 2 high; -1 when the header says nothing we understand.
int importance_from_headers(GMimeObject* msg) {
    if (const char* v = g_mime_object_get_header(msg, "Importance")) {
        auto t = trim(v);
        if (iequals(t, "high")) return 2;
        if (iequals(t, "low")) return 0;
        if (iequals(t, "normal")) return 1;
    }
    if (const char* v = g_mime_object_get_header(msg, "X-Priority")) {
        auto t = trim(v);
        if (!t.empty() && t[0] >= '1' && t[0] <= '5') {
            int p = t[0] - '0';
            return p <= 2 ? 2 : (p == 3 ? 1 : 0);
        }
    }
    if (const char* v = g_mime_object_get_header(msg, "X-MSMail-Priority")) {
        auto t = trim(v);
        if (iequals(t, "high")) return 2;
        if (iequals(t, "low")) return 0;
        if (iequals(t, "normal")) return 1;
    }
    if (const char* v = g_mime_object_get_header(msg, "Priority")) {
        auto t = trim(v);
        if (iequals(t, "urgent")) return 2;
        if (iequals(t, "non-urgent")) return 0;
        if (iequals(t, "normal")) return 1;
    }
    return -1;
}

// Reply and forward prefixes in the languages our users' clients write them.
constexpr std::array<std::string_view, 24> kPrefixes{
    "re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "doorst", "tr", "rif", "r", "i",
    "odp", "res", "enc", "rv", "atb", "vl", "ynt", "ilt", "vb", "pd", "fs"};

std::string strip_subject_prefixes(std::string_view s) {
    for (int guard = 0; guard < 32; ++guard) {
        s = trim(s);
        std::size_t i = 0;
        while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
        if (i == 0 || i > 6) break;
        std::string_view word = s.substr(0, i);
        bool known = false;
        for (auto p : kPrefixes)
            if (iequals(word, p)) { known = true; break; }
        if (!known) break;
        std::size_t j = i;
        // Counters: "Re[2]:", "Re(3):", "Re^2:"
        if (j < s.size() && (s[j] == '[' || s[j] == '(')) {
            char close = s[j] == '[' ? ']' : ')';
            std::size_t k = j + 1;
            while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
            if (k == j + 1 || k >= s.size() || s[k] != close) break;
            j = k + 1;
        } else if (j < s.size() && s[j] == '^') {
            std::size_t k = j + 1;
            while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
            if (k == j + 1) break;
            j = k;
        }
        while (j < s.size() && s[j] == ' ') ++j;  // French "RE :"
        if (j >= s.size() || s[j] != ':') break;
        s.remove_prefix(j + 1);
    }
    return std::string(trim(s));
}

struct Walker {
    ParsedMessage& out;
    std::size_t max_attachments;
    GMimePart* plain = nullptr;
    GMimePart* html = nullptr;
    GMimePart* calendar = nullptr;
    // One attachment more than allowed was found: the walk stops, and the message is refused
    // whole (not stored with the first max_attachments).
    bool too_many = false;

    void add_attachment(GMimeObject* obj, const std::string& path) {
        if (out.attachments.size() >= max_attachments) {
            too_many = true;
            return;
        }
        AttachmentInfo a;
        a.part_path = path;
        a.content_type = mime_type_of(obj);
        const char* cid = g_mime_object_get_content_id(obj);
        a.content_id = clean_header(cid);
        a.is_inline = !a.content_id.empty() && !disposition_is_attachment(obj);
        if (GMIME_IS_MESSAGE_PART(obj)) {
            GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
            const char* fn = g_mime_object_get_content_disposition_parameter(obj, "filename");
            if (!fn) fn = ct_param(obj, "name");
            a.file_name = clean_header(fn);
            if (a.file_name.empty() && inner) a.file_name = clean_header(g_mime_message_get_subject(inner));
            if (inner) a.size = object_size(GMIME_OBJECT(inner));
        } else if (GMIME_IS_PART(obj)) {
            a.file_name = clean_header(g_mime_part_get_filename(GMIME_PART(obj)));
            a.size = part_size(GMIME_PART(obj));
        }
        out.attachments.push_back(std::move(a));
    }

    static std::string child_path(const std::string& parent, int index) {
        std::string n = std::to_string(index + 1);
        return parent.empty() ? n : parent + "." + n;
    }

    void walk(GMimeObject* obj, const std::string& path, int depth) {
        if (!obj || too_many) return;
        if (depth > kMaxDepth) return;
        if (GMIME_IS_MULTIPART(obj)) {
            GMimeMultipart* mp = GMIME_MULTIPART(obj);
            int n = g_mime_multipart_get_count(mp);
            bool is_signed = GMIME_IS_MULTIPART_SIGNED(obj) || is_type(obj, "multipart", "signed");
            for (int i = 0; i < n; ++i) {
                GMimeObject* child = g_mime_multipart_get_part(mp, i);
                // The signature of multipart/signed is not an attachment the user sees.
                if (is_signed && i == 1) continue;
                walk(child, child_path(path, i), depth + 1);
            }
            return;
        }
        if (GMIME_IS_MESSAGE_PART(obj)) {  // attached message: one attachment, not descended
            add_attachment(obj, path.empty() ? "1" : path);
            return;
        }
        if (!GMIME_IS_PART(obj)) return;
        GMimePart* part = GMIME_PART(obj);
        std::string p = path.empty() ? "1" : path;
        bool attachment = disposition_is_attachment(obj) || g_mime_part_get_filename(part) != nullptr;
        if (!attachment) {
            if (is_type(obj, "text", "plain") && !plain) { plain = part; return; }
            if (is_type(obj, "text", "html") && !html) { html = part; return; }
            if (is_type(obj, "text", "calendar") && !calendar) { calendar = part; return; }
        }
        add_attachment(obj, p);
    }
};

std::string meeting_class(GMimePart* cal, GMimeParserOptions* opts) {
    GMimeObject* obj = GMIME_OBJECT(cal);
    std::string text = text_to_utf8(part_bytes(cal), ct_param(obj, "charset"), opts);
    std::string method;
    if (const char* m = ct_param(obj, "method")) method = std::string(trim(m));
    if (method.empty()) {
        // METHOD:REQUEST as an iCalendar property line.
        std::size_t pos = 0;
        while (pos < text.size()) {
            std::size_t eol = text.find('\n', pos);
            if (eol == std::string::npos) eol = text.size();
            std::string_view line = trim(std::string_view(text).substr(pos, eol - pos));
            if (line.size() > 7 && iequals(line.substr(0, 7), "METHOD:")) {
                method = std::string(trim(line.substr(7)));
                break;
            }
            pos = eol + 1;
        }
    }
    if (iequals(method, "REQUEST")) return "IPM.Schedule.Meeting.Request";
    if (iequals(method, "CANCEL")) return "IPM.Schedule.Meeting.Canceled";
    if (iequals(method, "REPLY")) {
        if (icontains(text, "PARTSTAT=ACCEPTED")) return "IPM.Schedule.Meeting.Resp.Pos";
        if (icontains(text, "PARTSTAT=DECLINED")) return "IPM.Schedule.Meeting.Resp.Neg";
        if (icontains(text, "PARTSTAT=TENTATIVE")) return "IPM.Schedule.Meeting.Resp.Tent";
    }
    return {};
}

// The class that the top-level structure decides (S/MIME, reports); empty when it does not.
std::string structural_class(GMimeObject* top, int depth = 0) {
    if (!top || depth > 2) return {};
    if (is_type(top, "multipart", "signed")) {
        const char* proto = ct_param(top, "protocol");
        if (proto && (icontains(proto, "pkcs7-signature"))) return "IPM.Note.SMIME.MultipartSigned";
        return {};
    }
    if (is_type(top, "application", "pkcs7-mime") || is_type(top, "application", "x-pkcs7-mime"))
        return "IPM.Note.SMIME";
    if (is_type(top, "multipart", "report")) {
        const char* rt = ct_param(top, "report-type");
        if (rt && iequals(trim(rt), "delivery-status")) {
            // A DSN that reports successful delivery is a delivery receipt, not an NDR.
            GMimeMultipart* mp = GMIME_MULTIPART(top);
            int n = g_mime_multipart_get_count(mp);
            for (int i = 0; i < n; ++i) {
                GMimeObject* c = g_mime_multipart_get_part(mp, i);
                if (!is_type(c, "message", "delivery-status") && !is_type(c, "message", "global-delivery-status"))
                    continue;
                GCharPtr s(g_mime_object_to_string(c, nullptr));
                std::string_view sv = s ? std::string_view(s.get()) : std::string_view();
                bool failed = icontains(sv, "action: failed") || icontains(sv, "action:failed");
                bool delivered = icontains(sv, "action: delivered") || icontains(sv, "action: relayed") ||
                                 icontains(sv, "action: expanded");
                if (delivered && !failed) return "REPORT.IPM.Note.DR";
                if (icontains(sv, "action: delayed") && !failed) return "REPORT.IPM.Note.Delayed";
            }
            return "REPORT.IPM.Note.NDR";
        }
        if (rt && iequals(trim(rt), "disposition-notification")) return "REPORT.IPM.Note.IPNRN";
    }
    return {};
}

// The Message-IDs of a References or In-Reply-To header, without angle brackets. A long
// References keeps its first (the thread's root) and its last 31 (the nearest ancestors).
std::vector<std::string> message_ids(GMimeObject* obj, const char* header, GMimeParserOptions* opts) {
    std::vector<std::string> out;
    const char* value = g_mime_object_get_header(obj, header);
    if (!value) return out;
    GMimeReferences* refs = g_mime_references_parse(opts, value);
    if (!refs) return out;
    int n = g_mime_references_length(refs);
    for (int i = 0; i < n; ++i) {
        if (i > 0 && i < n - 31) continue;
        std::string id = clean_header(g_mime_references_get_message_id(refs, i));
        if (!id.empty()) out.push_back(std::move(id));
    }
    g_mime_references_free(refs);
    return out;
}

// The bytes begin with a header field ("Name:"), optionally after an mbox "From " line.
bool has_header_section(std::string_view raw) {
    if (raw.size() >= 5 && raw.substr(0, 5) == "From ") {
        auto eol = raw.find('\n');
        if (eol == std::string_view::npos) return false;
        raw.remove_prefix(eol + 1);
    }
    std::size_t i = 0;
    while (i < raw.size()) {
        unsigned char c = static_cast<unsigned char>(raw[i]);
        if (c == ':') break;
        if (c <= 0x20 || c >= 0x7f) break;
        ++i;
    }
    if (i == 0) return false;
    std::size_t j = i;
    while (j < raw.size() && (raw[j] == ' ' || raw[j] == '\t')) ++j;  // obsolete "Name :" form
    return j < raw.size() && raw[j] == ':';
}


// GObject classes are initialised lazily on first use; do that once, on one thread, for every
// type a parse touches, so that concurrent first parses do not race into class initialisation.
void warm_up() {
    static const char kSample[] =
        "From: A <a@example.com>\r\nTo: g: b@example.com;\r\nSubject: =?utf-8?q?x?=\r\n"
        "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nx\r\n"
        "--b\r\nContent-Type: multipart/signed; boundary=s\r\n\r\n--s\r\n\r\nx\r\n--s--\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: y\r\n\r\ny\r\n"
        "--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n";
    (void)parse_message_impl(std::string_view(kSample, sizeof kSample - 1), nullptr, MessageLimits());
    (void)html_to_text("<p>x</p>");
}

}  // namespace

std::string message_id_of(std::string_view header_section) {
    // GMime wants a message: the fields, then the empty line that ends them (IMAP sends that line
    // with HEADER.FIELDS; a bare field line gets it here).
    std::string message(header_section);
    if (message.find("\r\n\r\n") == std::string::npos && message.find("\n\n") == std::string::npos) {
        if (message.empty() || message.back() != '\n') message += "\r\n";
        message += "\r\n";
    }
    if (!has_header_section(message)) return {};
    GPtr<GMimeMessage> msg = parse_gmime_message(message);
    return msg ? clean_header(g_mime_message_get_message_id(msg.get())) : std::string();
}

namespace {
std::optional<ParsedMessage> parse_message_impl(std::string_view raw, std::string* error, const MessageLimits& limits) {
    auto fail = [&](const std::string& why) -> std::optional<ParsedMessage> {
        if (error) *error = why;
        return std::nullopt;
    };
    if (raw.empty()) return fail("not a message: empty");
    if (!has_header_section(raw)) return fail("not a message: no header section");

    ParserOptionsPtr opts = loose_parser_options();  // also for the headers and texts read below
    if (!opts) return fail("out of memory");
    std::string refused;
    GPtr<GMimeMessage> msg = parse_gmime_message(raw, &refused, limits.max_boundary_lines);
    if (!msg) return fail(refused.empty() ? "not a message: GMime cannot parse it" : refused);
    GMimeObject* mobj = GMIME_OBJECT(msg.get());

    ParsedMessage pm;
    pm.size = raw.size();
    pm.from = render_addresses(g_mime_message_get_from(msg.get()));
    pm.to = render_addresses(g_mime_message_get_to(msg.get()));
    pm.cc = render_addresses(g_mime_message_get_cc(msg.get()));
    pm.reply_to = render_addresses(g_mime_message_get_reply_to(msg.get()));
    collect_display(g_mime_message_get_to(msg.get()), pm.display_to);
    pm.subject = clean_header(g_mime_message_get_subject(msg.get()));
    pm.thread_topic = strip_subject_prefixes(pm.subject);
    pm.message_id = clean_header(g_mime_message_get_message_id(msg.get()));
    pm.in_reply_to = message_ids(mobj, "In-Reply-To", opts.get());
    pm.references = message_ids(mobj, "References", opts.get());
    pm.thread_index = clean_header(g_mime_object_get_header(mobj, "Thread-Index"));
    pm.sender = render_addresses(g_mime_message_get_sender(msg.get()));
    if (GDateTime* dt = g_mime_message_get_date(msg.get())) pm.date = g_date_time_to_unix(dt);
    int imp = importance_from_headers(mobj);
    pm.importance = imp < 0 ? 1 : imp;

    GMimeObject* top = g_mime_message_get_mime_part(msg.get());
    Walker w{pm, limits.max_attachments};
    // Opaque S/MIME (signed-data or enveloped) is one attachment the client decodes itself.
    w.walk(top, "", 0);
    if (w.too_many)
        return fail("too many attachments: more than " + std::to_string(limits.max_attachments) + " in one message");
    pm.has_attachments = !pm.attachments.empty();

    if (w.html) pm.body_html = text_to_utf8(part_bytes(w.html), ct_param(GMIME_OBJECT(w.html), "charset"), opts.get());
    if (w.plain) {
        pm.body_plain = normalize_crlf(
            text_to_utf8(part_bytes(w.plain), ct_param(GMIME_OBJECT(w.plain), "charset"), opts.get()));
    } else if (!pm.body_html.empty()) {
        pm.body_plain = normalize_crlf(html_to_text(pm.body_html));
    }

    pm.message_class = structural_class(top);
    if (pm.message_class.empty() && w.calendar) pm.message_class = meeting_class(w.calendar, opts.get());
    if (pm.message_class.empty()) pm.message_class = "IPM.Note";
    return pm;
}
}  // namespace

std::optional<ParsedMessage> parse_message(std::string_view raw, std::string* error, const MessageLimits& limits) {
    init_mime();
    return parse_message_impl(raw, error, limits);
}

const ParsedMessage& parse_unless_given(std::string_view raw, const ParsedMessage* given,
                                        std::optional<ParsedMessage>& parsed_here) {
    if (given) return *given;
    std::string error;
    parsed_here = parse_message(raw, &error);
    if (!parsed_here) throw std::runtime_error("the message is refused: " + error);
    return *parsed_here;
}

std::vector<std::string> addresses_in(std::string_view list) {
    std::vector<std::string> out;
    if (list.empty()) return out;
    init_mime();
    std::string text(list);
    GPtr<InternetAddressList> parsed(internet_address_list_parse(nullptr, text.c_str()));
    collect_addresses(parsed.get(), out);
    return out;
}

std::string mailbox(const std::string& display_name, const std::string& address) {
    if (display_name.empty()) return address;
    init_mime();
    GPtr<InternetAddress> ia(internet_address_mailbox_new(display_name.c_str(), address.c_str()));
    GCharPtr s(internet_address_to_string(ia.get(), nullptr, TRUE));
    return s ? std::string(s.get()) : address;
}

std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    return at == std::string_view::npos || at + 1 == address.size() ? std::string("localhost")
                                                                      : std::string(address.substr(at + 1));
}

std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t cut = max_bytes;
    // text[cut] is the first byte left out; back up while it continues a character (at most 3
    // bytes: a UTF-8 character has at most 4; longer runs are invalid input, cut as is).
    std::size_t back = 0;
    while (cut > 0 && back < 3 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
        --cut;
        ++back;
    }
    if ((static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) cut = max_bytes;  // invalid run
    return text.substr(0, cut);
}

}  // namespace easd::content
