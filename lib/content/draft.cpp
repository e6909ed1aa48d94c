// Drafts from the phone: ApplicationData -> DraftEdit -> Draft -> RFC 5322 (GMime 3), and a stored
// draft back into a Draft for the next Change.
#include "content/draft.h"

#include "content/gmime_parse.h"
#include "content/gmime_raii.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "content/attachment.h"
#include "content/conversation.h"
#include "content/email_item.h"

namespace easd::content {

namespace tag = wbxml::tag;

namespace {

// RAII for GObject references and GLib-allocated memory.


bool valid_utf8(std::string_view s) {
    return s.find('\0') == std::string_view::npos &&
           g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr);
}

// A header value: control characters (CR, LF, TAB...) become spaces, so nothing the client sends
// can start a header of its own; trimmed.
std::string header_text(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    auto first = out.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    auto last = out.find_last_not_of(' ');
    return out.substr(first, last - first + 1);
}

// Phones separate recipients with ',' and some with ';' (as Outlook shows them). A ';' outside
// quotes and angle brackets is a separator unless the list uses group syntax ("team: a, b;").
std::string normalize_address_list(std::string_view s) {
    std::string out(s);
    bool quoted = false, escaped = false, group = false;
    int angle = 0;
    for (char c : out) {
        if (escaped) { escaped = false; continue; }
        if (c == '\\') { escaped = true; continue; }
        if (c == '"') quoted = !quoted;
        else if (!quoted && c == '<') ++angle;
        else if (!quoted && c == '>' && angle > 0) --angle;
        else if (!quoted && angle == 0 && c == ':') group = true;
    }
    if (group) return out;
    quoted = escaped = false;
    angle = 0;
    for (auto& c : out) {
        if (escaped) { escaped = false; continue; }
        if (c == '\\') { escaped = true; continue; }
        if (c == '"') quoted = !quoted;
        else if (!quoted && c == '<') ++angle;
        else if (!quoted && c == '>' && angle > 0) --angle;
        else if (!quoted && angle == 0 && c == ';') c = ',';
    }
    return out;
}

std::optional<int> small_number(std::string_view s) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string lf_only(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}


// Encoded words (RFC 2047) in UTF-8, never the narrowest charset GMime would pick (ISO-8859-1).
void utf8_names(InternetAddressList* list, int depth = 0) {
    if (!list || depth > 4) return;
    for (int i = 0; i < internet_address_list_length(list); ++i) {
        InternetAddress* ia = internet_address_list_get_address(list, i);
        internet_address_set_charset(ia, "utf-8");
        if (INTERNET_ADDRESS_IS_GROUP(ia))
            utf8_names(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), depth + 1);
    }
}

// The same for an RFC 2231 parameter (file names).
void utf8_param(GMimeParamList* params, const char* name) {
    if (!params) return;
    if (GMimeParam* p = g_mime_param_list_get_parameter(params, name)) g_mime_param_set_charset(p, "utf-8");
}

void utf8_file_name(GMimeObject* obj) {
    if (GMimeContentDisposition* d = g_mime_object_get_content_disposition(obj))
        utf8_param(g_mime_content_disposition_get_parameters(d), "filename");
    if (GMimeContentType* t = g_mime_object_get_content_type(obj))
        utf8_param(g_mime_content_type_get_parameters(t), "name");
}

void add_addresses(GMimeMessage* msg, GMimeAddressType type, const std::string& text, GMimeParserOptions* opts) {
    std::string clean = header_text(normalize_address_list(text));
    if (clean.empty()) return;
    GPtr<InternetAddressList> parsed(internet_address_list_parse(opts, clean.c_str()));
    if (!parsed) return;
    utf8_names(parsed.get());
    internet_address_list_append(g_mime_message_get_addresses(msg, type), parsed.get());
}

std::string stream_bytes(GMimeStream* stream) {
    GByteArray* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
    if (!arr || arr->len == 0) return {};
    return std::string(reinterpret_cast<const char*>(arr->data), arr->len);
}

// Content from bytes (no transfer encoding yet: the writer applies the part's encoding).
void set_part_bytes(GMimePart* part, std::string_view bytes) {
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
    GPtr<GMimeDataWrapper> wrapper(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
    g_mime_part_set_content(part, wrapper.get());
}

GMimeObject* make_body_part(const Draft& d) {
    GMimeTextPart* text = g_mime_text_part_new_with_subtype(d.body_type == kBodyHtml ? "html" : "plain");
    GMimePart* part = GMIME_PART(text);
    std::string body = lf_only(d.body);
    set_part_bytes(part, body);
    g_mime_text_part_set_charset(text, "utf-8");
    g_mime_part_set_content_encoding(part, g_mime_part_get_best_content_encoding(part, GMIME_ENCODING_CONSTRAINT_7BIT));
    return GMIME_OBJECT(text);
}

void split_type(const std::string& content_type, std::string& type, std::string& subtype) {
    auto slash = content_type.find('/');
    type = "application";
    subtype = "octet-stream";
    if (slash == std::string::npos || slash == 0 || slash + 1 >= content_type.size()) return;
    std::string t = content_type.substr(0, slash), s = content_type.substr(slash + 1);
    auto ok = [](const std::string& x) {
        return std::all_of(x.begin(), x.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '+' || c == '.' || c == '_';
        });
    };
    if (!ok(t) || !ok(s)) return;
    type = t;
    subtype = s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return g_ascii_tolower(x) == g_ascii_tolower(y);
           });
}

GMimeObject* make_attachment(const DraftAttachment& a) {
    std::string type, subtype;
    split_type(a.content_type, type, subtype);
    std::string name = header_text(a.file_name);
    if (name.empty()) name = "attachment";
    const char* disposition = a.is_inline ? "inline" : "attachment";
    if (iequals(type, "message") && iequals(subtype, "rfc822")) {
        // An attached message (Method 5) stays a message, as message/rfc822 must not be base64.
        GPtr<GMimeMessage> inner = parse_gmime_message(a.bytes);
        if (inner) {
            GMimeObject* obj = GMIME_OBJECT(g_mime_message_part_new_with_message("rfc822", inner.get()));
            g_mime_object_set_disposition(obj, disposition);
            g_mime_object_set_content_disposition_parameter(obj, "filename", name.c_str());
            utf8_file_name(obj);
            if (!a.content_id.empty()) g_mime_object_set_content_id(obj, header_text(a.content_id).c_str());
            return obj;
        }
        type = "application";  // not a message after all: keep the bytes
        subtype = "octet-stream";
    }
    GMimePart* part = g_mime_part_new_with_type(type.c_str(), subtype.c_str());
    GMimeObject* obj = GMIME_OBJECT(part);
    set_part_bytes(part, a.bytes);
    g_mime_object_set_disposition(obj, disposition);
    g_mime_part_set_filename(part, name.c_str());
    utf8_file_name(obj);
    if (!a.content_id.empty()) g_mime_object_set_content_id(obj, header_text(a.content_id).c_str());
    if (!a.content_location.empty()) g_mime_part_set_content_location(part, header_text(a.content_location).c_str());
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
    return obj;
}

std::string bcc_of(std::string_view mime) {
    GPtr<GMimeMessage> msg = parse_gmime_message(mime);
    if (!msg) return {};
    InternetAddressList* list = g_mime_message_get_bcc(msg.get());
    if (!list || internet_address_list_length(list) == 0) return {};
    GCharPtr s(internet_address_list_to_string(list, nullptr, FALSE));
    return s ? header_text(s.get()) : std::string();
}

}  // namespace

bool DraftEdit::touches_message() const {
    return to || cc || bcc || subject || importance || body_type || body || mime || !added.empty() || !deleted.empty();
}

std::optional<DraftEdit> parse_draft_edit(const wbxml::Node& data, std::string* error) {
    auto fail = [&](std::string why) -> std::optional<DraftEdit> {
        if (error) *error = std::move(why);
        return std::nullopt;
    };
    DraftEdit e;
    auto text_of = [&](const wbxml::Node& n, std::optional<std::string>& into) {
        if (!valid_utf8(n.text())) return false;
        into = std::string(n.text());
        return true;
    };
    for (const auto& child : data.children) {
        if (child.tag == tag::Email::To) {
            if (!text_of(child, e.to)) return fail("To is not UTF-8");
        } else if (child.tag == tag::Email::Cc) {
            if (!text_of(child, e.cc)) return fail("Cc is not UTF-8");
        } else if (child.tag == tag::Email2::Bcc) {
            if (!text_of(child, e.bcc)) return fail("Bcc is not UTF-8");
        } else if (child.tag == tag::Email::Subject) {
            if (!text_of(child, e.subject)) return fail("Subject is not UTF-8");
        } else if (child.tag == tag::Email::Importance) {
            auto v = small_number(child.text());
            if (!v || *v < 0 || *v > 2) return fail("Importance must be 0, 1 or 2");
            e.importance = *v;
        } else if (child.tag == tag::AirSyncBase::Body) {
            int type = kBodyPlain;
            if (child.has(tag::AirSyncBase::Type)) {
                auto t = small_number(child.child_text(tag::AirSyncBase::Type));
                if (t && *t == kBodyMime) {
                    // Bytes, not text: the message says its own charsets. Opaque or string alike.
                    const wbxml::Node* message = child.child(tag::AirSyncBase::Data);
                    if (!message || message->content.empty()) return fail("a MIME body without the message");
                    e.mime = message->content;
                    continue;
                }
                if (!t || (*t != kBodyPlain && *t != kBodyHtml))
                    return fail("body type must be 1 (plain), 2 (HTML) or 4 (MIME)");
                type = *t;
            }
            std::string_view body = child.child_text(tag::AirSyncBase::Data);
            if (!valid_utf8(body)) return fail("body is not UTF-8");
            e.body_type = type;
            e.body = std::string(body);
        } else if (child.tag == tag::AirSyncBase::Attachments) {
            for (const auto& op : child.children) {
                if (op.tag == tag::AirSyncBase::Add) {
                    DraftAttachment a;
                    a.client_id = std::string(op.child_text(tag::AirSyncBase::ClientId));
                    const wbxml::Node* content = op.child(tag::AirSyncBase::Content);
                    if (a.client_id.empty() || a.client_id.size() > 64 || !valid_utf8(a.client_id))
                        return fail("attachment Add without a usable ClientId");
                    if (!content) return fail("attachment Add without Content");
                    a.bytes = content->content;
                    a.file_name = std::string(op.child_text(tag::AirSyncBase::DisplayName));
                    a.content_type = std::string(op.child_text(tag::AirSyncBase::ContentType));
                    a.content_id = std::string(op.child_text(tag::AirSyncBase::ContentId));
                    a.content_location = std::string(op.child_text(tag::AirSyncBase::ContentLocation));
                    a.is_inline = op.child_text(tag::AirSyncBase::IsInline) == "1";
                    if (!valid_utf8(a.file_name) || !valid_utf8(a.content_type) || !valid_utf8(a.content_id) ||
                        !valid_utf8(a.content_location))
                        return fail("attachment properties are not UTF-8");
                    auto method = small_number(op.child_text(tag::AirSyncBase::Method, "1"));
                    if (method && *method == 5 && a.content_type.empty()) a.content_type = "message/rfc822";
                    e.added.push_back(std::move(a));
                } else if (op.tag == tag::AirSyncBase::Delete) {
                    e.deleted.emplace_back(op.child_text(tag::AirSyncBase::FileReference));
                }
            }
        }
    }
    return e;
}

bool apply_draft_edit(Draft& d, const DraftEdit& e, long long item_id, std::string* error) {
    for (const auto& ref : e.deleted) {
        auto parsed = parse_file_reference(ref);
        auto it = parsed && parsed->item_id == item_id
                      ? std::find_if(d.attachments.begin(), d.attachments.end(),
                                     [&](const DraftAttachment& a) { return a.part_path == parsed->part_path; })
                      : d.attachments.end();
        if (it == d.attachments.end()) {
            if (error) *error = "no attachment " + ref + " in this draft";
            return false;
        }
        d.attachments.erase(it);
    }
    if (e.mime) {
        auto message = draft_from_message(*e.mime, error);
        if (!message) return false;
        // The account's From and the draft's Message-ID stay (the caller forces From), the rest is
        // the message's. Its attachments get their part numbers when the draft is built again.
        message->from = d.from;
        if (!d.message_id.empty()) message->message_id = d.message_id;
        for (auto& a : message->attachments) a.part_path.clear();
        d = std::move(*message);
    }
    if (e.to) d.to = *e.to;
    if (e.cc) d.cc = *e.cc;
    if (e.bcc) d.bcc = *e.bcc;
    if (e.subject) d.subject = *e.subject;
    if (e.importance) d.importance = *e.importance;
    if (e.body_type) d.body_type = *e.body_type;
    if (e.body) d.body = *e.body;
    for (const auto& a : e.added) d.attachments.push_back(a);
    return true;
}

std::optional<Draft> draft_from_message(std::string_view mime, std::string* error) {
    auto parsed = parse_message(mime, error);
    if (!parsed) return std::nullopt;
    Draft d;
    d.from = parsed->from;
    d.to = parsed->to;
    d.cc = parsed->cc;
    d.bcc = bcc_of(mime);
    d.subject = parsed->subject;
    d.importance = parsed->importance;
    if (!parsed->body_html.empty()) {
        d.body_type = kBodyHtml;
        d.body = parsed->body_html;
    } else {
        d.body_type = kBodyPlain;
        d.body = parsed->body_plain;
    }
    d.message_id = parsed->message_id;
    for (const auto& info : parsed->attachments) {
        auto bytes = extract_attachment(mime, info.part_path);
        if (!bytes) {
            if (error) *error = "attachment " + info.part_path + " cannot be read";
            return std::nullopt;
        }
        DraftAttachment a;
        a.file_name = info.file_name;
        a.content_type = info.content_type;
        a.content_id = info.content_id;
        a.is_inline = info.is_inline;
        a.bytes = std::move(*bytes);
        a.part_path = info.part_path;
        d.attachments.push_back(std::move(a));
    }
    return d;
}

std::string build_draft_message(const Draft& d, long long date_unix, const std::string& domain) {
    init_mime();
    ParserOptionsPtr opts = loose_parser_options();
    GPtr<GMimeMessage> msg(g_mime_message_new(TRUE));
    GMimeObject* mobj = GMIME_OBJECT(msg.get());
    add_addresses(msg.get(), GMIME_ADDRESS_TYPE_FROM, d.from, opts.get());
    add_addresses(msg.get(), GMIME_ADDRESS_TYPE_TO, d.to, opts.get());
    add_addresses(msg.get(), GMIME_ADDRESS_TYPE_CC, d.cc, opts.get());
    add_addresses(msg.get(), GMIME_ADDRESS_TYPE_BCC, d.bcc, opts.get());
    g_mime_message_set_subject(msg.get(), header_text(d.subject).c_str(), "utf-8");
    std::unique_ptr<GDateTime, DateTimeUnref> date(g_date_time_new_from_unix_utc(date_unix));
    if (date) g_mime_message_set_date(msg.get(), date.get());
    std::string id = header_text(d.message_id);
    if (id.empty()) {
        GCharPtr made(g_mime_utils_generate_message_id(domain.empty() ? "localhost" : domain.c_str()));
        id = made ? made.get() : "draft@localhost";
    }
    g_mime_message_set_message_id(msg.get(), id.c_str());
    if (d.importance == 2) g_mime_object_set_header(mobj, "Importance", "high", nullptr);
    if (d.importance == 0) g_mime_object_set_header(mobj, "Importance", "low", nullptr);
    for (const auto& [name, value] : d.headers)
        g_mime_object_set_header(mobj, header_text(name).c_str(), header_text(value).c_str(), nullptr);

    GPtr<GMimeObject> body(make_body_part(d));
    if (d.attachments.empty()) {
        g_mime_message_set_mime_part(msg.get(), body.get());
    } else {
        GPtr<GMimeMultipart> mixed(g_mime_multipart_new_with_subtype("mixed"));
        g_mime_multipart_add(mixed.get(), body.get());
        for (const auto& a : d.attachments) {
            GPtr<GMimeObject> part(make_attachment(a));
            g_mime_multipart_add(mixed.get(), part.get());
        }
        g_mime_message_set_mime_part(msg.get(), GMIME_OBJECT(mixed.get()));
    }
    GPtr<GMimeStream> out(g_mime_stream_mem_new());
    g_mime_object_write_to_stream(mobj, nullptr, out.get());
    return normalize_crlf(stream_bytes(out.get()));  // 7-bit clean: only line ends change
}

store::NewEmail email_from_parsed(std::string mime, const ParsedMessage& parsed) {
    store::NewEmail e;
    e.mime = std::move(mime);
    e.from = parsed.from;
    e.to = parsed.to;
    e.cc = parsed.cc;
    e.reply_to = parsed.reply_to;
    e.display_to = parsed.display_to;
    e.subject = parsed.subject;
    e.thread_topic = parsed.thread_topic;
    e.message_id = parsed.message_id;
    e.date_sent = parsed.date;
    e.importance = parsed.importance;
    e.message_class = parsed.message_class;
    e.has_attachments = parsed.has_attachments;
    e.body_plain = parsed.body_plain;
    e.body_html = parsed.body_html;
    e.conversation = conversation_of(parsed);
    e.sender = parsed.sender;
    // Every attachment or none: one left out would be missing on every phone without a word (this
    // used to skip part paths the FileReference parser refused, and stored 9,999 of a message's
    // 20,000 attachments). parse_message keeps within the limit and names parts within what
    // valid_part_path takes; this is the check that it did.
    if (parsed.attachments.size() > kMaxAttachments)
        throw MessageRefused("too many attachments: " + std::to_string(parsed.attachments.size()) + ", more than " +
                             std::to_string(kMaxAttachments) + " in one message");
    e.attachments.reserve(parsed.attachments.size());
    for (const auto& a : parsed.attachments) {
        if (!valid_part_path(a.part_path))
            throw MessageRefused("attachment at MIME part " + a.part_path.substr(0, 40) +
                                 (a.part_path.size() > 40 ? "..." : "") + " cannot be named by a FileReference");
        store::EmailAttachment row;
        row.part_path = a.part_path;
        row.file_name = a.file_name;
        row.content_type = a.content_type;
        row.content_id = a.content_id;
        row.is_inline = a.is_inline;
        row.size = static_cast<long long>(a.size);
        row.method = attachment_method(a);
        e.attachments.push_back(std::move(row));
    }
    return e;
}

}  // namespace easd::content
