#include "content/email_item.h"

#include "content/mime_for_client.h"

#include <algorithm>
#include <ctime>

#include "common/text.h"
#include "content/attachment.h"
#include "content/message.h"

namespace easd::content {

namespace tag = wbxml::tag;

namespace {

std::optional<long long> to_number(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    long long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

// AirSync:Truncation (2.5): code -> characters; nullopt = no truncation.
std::optional<std::size_t> truncation_chars(int code) {
    static const std::size_t sizes[] = {0, 512, 1024, 2048, 5120, 10240, 20480, 51200, 102400};
    if (code >= 0 && code <= 8) return sizes[code];
    return std::nullopt;  // 9: everything
}

// AirSync:MIMETruncation (2.5): code -> characters; nullopt = no truncation.
std::optional<std::size_t> mime_truncation_chars(int code) {
    static const std::size_t sizes[] = {0, 4096, 5120, 7168, 10240, 20480, 51200, 102400};
    if (code >= 0 && code <= 7) return sizes[code];
    return std::nullopt;
}

// The size of the whole body a render of `type` sends, when `rendered` is made from a preview
// (store::EmailRow::body_cut), else of `rendered` itself.
std::size_t whole_size(const store::EmailRow& e, int type, const std::string& rendered) {
    if (type == kBodyPlain && e.body_plain_size) return static_cast<std::size_t>(*e.body_plain_size);
    if (type == kBodyHtml && e.body_html_size) return static_cast<std::size_t>(*e.body_html_size);
    return rendered.size();
}

bool is_smime(const store::EmailRow& e) { return e.message_class.rfind("IPM.Note.SMIME", 0) == 0; }

void append_airsyncbase_body(wbxml::Node& data, const store::EmailRow& email, const EmailOptions& options,
                             int version) {
    BodyPreference pref;
    if (!options.body_preferences.empty()) pref = options.body_preferences.front();
    // Serve the first preference we can; RTF we do not produce, so it falls back to plain text.
    int type = pref.type;
    std::string body;
    switch (type) {
        case kBodyHtml:
            body = email.body_html.empty() ? plain_to_html(email.body_plain) : email.body_html;
            break;
        case kBodyMime:
            body = mime_for_client(email.mime);  // 7-bit where the original is not XML-safe
            break;
        default:
            type = kBodyPlain;
            body = email.body_plain;
            break;
    }
    auto& b = data.add(tag::AirSyncBase::Body);
    b.add(tag::AirSyncBase::Type, static_cast<long long>(type));
    // A preview (store::EmailRow::body_cut) tells the whole body's size, and is cut however much was asked.
    const std::size_t whole = whole_size(email, type, body);
    b.add(tag::AirSyncBase::EstimatedDataSize, static_cast<long long>(whole));
    bool truncated = (pref.truncation_size && whole > *pref.truncation_size) || body.size() < whole;
    if (truncated) {
        b.add(tag::AirSyncBase::Truncated, "1");
        const std::size_t cut = pref.truncation_size ? std::min<std::size_t>(*pref.truncation_size, body.size()) : body.size();
        if (!pref.all_or_none) b.add(tag::AirSyncBase::Data, std::string(truncate_utf8(body, cut)));
    } else {
        b.add(tag::AirSyncBase::Data, std::move(body));  // a MIME body may be tens of megabytes: not copied
    }
    if (version >= 140 && pref.preview && *pref.preview > 0) {
        std::string flat = email.body_plain;
        for (auto& c : flat)
            if (c == '\r' || c == '\n' || c == '\t') c = ' ';
        b.add(tag::AirSyncBase::Preview, std::string(truncate_utf8(flat, static_cast<std::size_t>(*pref.preview))));
    }
}

// MS-ASAIRS 2.2.2.10 (14.1+): airsyncbase:BodyPart, the message part of the email, as HTML.
// We keep no separate "message part" (the new text of a reply without the quoted conversation),
// so the message part is the whole HTML body (plain text wrapped as HTML when there is none).
// Status 176 when AllOrNone forbids truncating a part larger than TruncationSize.
void append_body_part(wbxml::Node& data, const store::EmailRow& email, const EmailOptions& options) {
    const BodyPreference* pref = nullptr;
    for (const auto& p : options.body_part_preferences)
        if (p.type == kBodyHtml) {
            pref = &p;
            break;
        }
    if (!pref) return;  // only Type 2 is defined for BodyPart
    std::string part = email.body_html.empty() ? plain_to_html(email.body_plain) : email.body_html;
    const std::size_t whole = whole_size(email, kBodyHtml, part);
    bool too_large = (pref->truncation_size && whole > *pref->truncation_size) || part.size() < whole;
    auto& b = data.add(tag::AirSyncBase::BodyPart);
    b.add(tag::AirSyncBase::Status, static_cast<long long>(too_large && pref->all_or_none ? 176 : 1));
    b.add(tag::AirSyncBase::Type, static_cast<long long>(kBodyHtml));
    b.add(tag::AirSyncBase::EstimatedDataSize, static_cast<long long>(whole));
    if (too_large) {
        b.add(tag::AirSyncBase::Truncated, "1");
        const std::size_t cut =
            pref->truncation_size ? std::min<std::size_t>(*pref->truncation_size, part.size()) : part.size();
        if (!pref->all_or_none) b.add(tag::AirSyncBase::Data, std::string(truncate_utf8(part, cut)));
    } else {
        b.add(tag::AirSyncBase::Data, part);
    }
    if (pref->preview && *pref->preview > 0) {
        std::string flat = email.body_plain;
        for (auto& c : flat)
            if (c == '\r' || c == '\n' || c == '\t') c = ' ';
        b.add(tag::AirSyncBase::Preview, std::string(truncate_utf8(flat, static_cast<std::size_t>(*pref->preview))));
    }
}

void append_25_body(wbxml::Node& data, const store::EmailRow& email, const EmailOptions& options) {
    bool send_mime = options.mime_support == 2 || (options.mime_support == 1 && is_smime(email));
    if (send_mime) {
        std::string mime = mime_for_client(email.mime);
        auto limit = options.mime_truncation ? mime_truncation_chars(*options.mime_truncation) : std::nullopt;
        bool truncated = limit && mime.size() > *limit;
        data.add(tag::Email::MIMETruncated, truncated ? "1" : "0");
        data.add(tag::Email::MIMESize, static_cast<long long>(mime.size()));
        data.add(tag::Email::MIMEData, truncated ? std::string(truncate_utf8(mime, *limit)) : std::move(mime));
        return;
    }
    auto limit = options.truncation ? truncation_chars(*options.truncation) : std::nullopt;
    const std::string& body = email.body_plain;
    const std::size_t whole = whole_size(email, kBodyPlain, body);
    bool truncated = (limit && whole > *limit) || body.size() < whole;
    data.add(tag::Email::BodyTruncated, truncated ? "1" : "0");
    if (truncated) data.add(tag::Email::BodySize, static_cast<long long>(whole));
    const std::size_t cut = limit ? std::min(*limit, body.size()) : body.size();
    if (!truncated || cut > 0) data.add(tag::Email::Body, std::string(truncated ? truncate_utf8(body, cut) : body));
}

// MS-ASAIRS 2.2.2.7 (12.0+): airsyncbase:Attachments; MS-ASEMAIL 2.2.2.3 (2.5): email:Attachments.
// The FileReference / AttName is "<item id>:<part>" (content/attachment.h).
void append_attachments(wbxml::Node& data, const store::EmailRow& e, int version) {
    if (e.attachments.empty()) return;
    if (version >= 120) {
        auto& list = data.add(tag::AirSyncBase::Attachments);
        for (const auto& a : e.attachments) {
            auto& att = list.add(tag::AirSyncBase::Attachment);
            att.add(tag::AirSyncBase::DisplayName, attachment_display_name(a));
            att.add(tag::AirSyncBase::FileReference, format_file_reference({e.item_id, a.part_path}));
            att.add(tag::AirSyncBase::Method, static_cast<long long>(a.method));
            att.add(tag::AirSyncBase::EstimatedDataSize, a.size);
            if (!a.content_id.empty()) att.add(tag::AirSyncBase::ContentId, a.content_id);
            att.add(tag::AirSyncBase::IsInline, a.is_inline ? "1" : "0");
        }
        return;
    }
    auto& list = data.add(tag::Email::Attachments);
    for (const auto& a : e.attachments) {
        auto& att = list.add(tag::Email::Attachment);
        att.add(tag::Email::AttMethod, static_cast<long long>(a.method));
        att.add(tag::Email::AttSize, a.size);
        att.add(tag::Email::DisplayName, attachment_display_name(a));
        att.add(tag::Email::AttName, format_file_reference({e.item_id, a.part_path}));
        if (!a.content_id.empty()) att.add(tag::Email::Att0Id, a.content_id);
    }
}

// The Email2 properties (MS-ASEMAIL 2.2.2; 14.0 and later): the conversation (opaque bytes, as
// Exchange sends them), the last reply or forward, Bcc, on behalf of, and from 16.0 IsDraft.
void append_email2(wbxml::Node& data, const store::EmailRow& e, int version) {
    if (!e.conversation_id.empty()) data.add_opaque(tag::Email2::ConversationId, e.conversation_id);
    if (!e.conversation_index.empty()) data.add_opaque(tag::Email2::ConversationIndex, e.conversation_index);
    if (e.last_verb > 0) {
        data.add(tag::Email2::LastVerbExecuted, static_cast<long long>(e.last_verb));
        data.add(tag::Email2::LastVerbExecutionTime, format_eas_datetime(e.last_verb_time));
    }
    if (e.received_as_bcc) data.add(tag::Email2::ReceivedAsBcc, "1");
    if (!e.sender.empty() && e.sender != e.from) data.add(tag::Email2::Sender, e.sender);
    if (version >= 160) data.add(tag::Email2::IsDraft, e.is_draft ? "1" : "0");
}

}  // namespace

BodyNeed EmailOptions::body_need() const {
    BodyNeed need;
    need.mime = needs_mime();
    // The largest of what each part of the render reads; one that reads all of it wins.
    std::size_t most = 0;
    bool all = false;
    auto reads = [&](std::optional<std::size_t> bytes) {
        if (!bytes) all = true;
        else most = std::max(most, *bytes);
    };
    // A Sync without body options gets the whole plain text (append_airsyncbase_body's default).
    if (body_preferences.empty() && !truncation) reads(std::nullopt);
    if (!body_preferences.empty()) {
        const BodyPreference& p = body_preferences.front();  // the one append_airsyncbase_body serves
        if (p.type != kBodyMime) reads(p.truncation_size ? std::optional<std::size_t>(*p.truncation_size) : std::nullopt);
        if (p.preview) reads(static_cast<std::size_t>(*p.preview) * 4);  // characters: up to 4 bytes each
    }
    for (const auto& p : body_part_preferences) {
        if (p.type != kBodyHtml) continue;
        reads(p.truncation_size ? std::optional<std::size_t>(*p.truncation_size) : std::nullopt);
        if (p.preview) reads(static_cast<std::size_t>(*p.preview) * 4);
    }
    if (truncation) reads(truncation_chars(*truncation));
    if (!all) need.text_bytes = most;
    return need;
}

void keep_body_preview(store::NewEmail& email, std::size_t keep_bytes) {
    if (email.body_plain.size() <= keep_bytes && email.body_html.size() <= keep_bytes) return;
    email.body_plain_size = static_cast<long long>(email.body_plain.size());
    email.body_html_size = static_cast<long long>(
        email.body_html.empty() ? plain_to_html(email.body_plain).size() : email.body_html.size());
    email.body_plain.resize(truncate_utf8(email.body_plain, keep_bytes).size());
    email.body_html.resize(truncate_utf8(email.body_html, keep_bytes).size());
}

namespace {

// How many bytes of the text the row holds, when it holds less than all of it; nullopt: all of it.
std::optional<std::size_t> kept_part(const std::string& text, std::optional<long long> whole) {
    if (!whole || static_cast<long long>(text.size()) >= *whole) return std::nullopt;
    return text.size();
}

}  // namespace

bool preview_suffices(const store::EmailRow& email, const BodyNeed& need) {
    if (!email.body_cut()) return true;
    // The plain text is cut if shorter than it was; the HTML (when the message has one) likewise.
    std::optional<std::size_t> kept = kept_part(email.body_plain, email.body_plain_size);
    if (!email.body_html.empty()) {
        if (auto html = kept_part(email.body_html, email.body_html_size)) kept = kept ? std::min(*kept, *html) : *html;
    }
    if (!kept) return true;
    return need.text_bytes && *need.text_bytes <= *kept;
}

void restore_whole_body(store::EmailRow& email, std::string body_plain, std::string body_html) {
    email.body_plain = std::move(body_plain);
    email.body_html = std::move(body_html);
    email.body_plain_size.reset();
    email.body_html_size.reset();
}

bool EmailOptions::needs_mime() const {
    if (mime_support != 0) return true;
    for (const auto& p : body_preferences)
        if (p.type == kBodyMime) return true;
    return false;
}

EmailOptions parse_email_options(const wbxml::Node* options) {
    EmailOptions out;
    if (!options) return out;
    for (const auto& child : options->children) {
        if (child.tag == tag::AirSyncBase::BodyPreference || child.tag == tag::AirSyncBase::BodyPartPreference) {
            BodyPreference p;
            if (auto t = to_number(child.child_text(tag::AirSyncBase::Type))) p.type = static_cast<int>(*t);
            if (auto ts = to_number(child.child_text(tag::AirSyncBase::TruncationSize)))
                p.truncation_size = static_cast<uint32_t>(std::min<long long>(*ts, UINT32_MAX));
            p.all_or_none = child.child_text(tag::AirSyncBase::AllOrNone) == "1";
            if (auto pv = to_number(child.child_text(tag::AirSyncBase::Preview)))
                p.preview = static_cast<int>(std::min<long long>(*pv, 255));
            if (child.tag == tag::AirSyncBase::BodyPreference)
                out.body_preferences.push_back(p);
            else
                out.body_part_preferences.push_back(p);
        } else if (child.tag == tag::AirSync::Truncation) {
            if (auto v = to_number(child.text())) out.truncation = static_cast<int>(*v);
        } else if (child.tag == tag::AirSync::MIMESupport) {
            if (auto v = to_number(child.text())) out.mime_support = static_cast<int>(std::min<long long>(*v, 2));
        } else if (child.tag == tag::AirSync::MIMETruncation) {
            if (auto v = to_number(child.text())) out.mime_truncation = static_cast<int>(*v);
        }
    }
    return out;
}

std::string format_eas_datetime(long long unix_seconds) {
    time_t t = static_cast<time_t>(unix_seconds);
    tm utc{};
    gmtime_r(&t, &utc);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &utc);
    return buf;
}

std::string plain_to_html(std::string_view text) {
    return "<html><body><div style=\"white-space: pre-wrap\">" + escape_markup(text) + "</div></body></html>";
}

void append_email_data(wbxml::Node& data, const store::EmailRow& e, const EmailOptions& options, int version) {
    if (!e.to.empty()) data.add(tag::Email::To, e.to);
    if (!e.cc.empty()) data.add(tag::Email::Cc, e.cc);
    if (!e.from.empty()) data.add(tag::Email::From, e.from);
    data.add(tag::Email::Subject, e.subject);
    if (!e.reply_to.empty()) data.add(tag::Email::ReplyTo, e.reply_to);
    data.add(tag::Email::DateReceived, format_eas_datetime(e.date_received));
    data.add(tag::Email::DisplayTo, e.display_to);
    data.add(tag::Email::ThreadTopic, e.thread_topic);
    data.add(tag::Email::Importance, static_cast<long long>(e.importance));
    data.add(tag::Email::Read, e.read ? "1" : "0");
    if (version >= 120) {
        append_airsyncbase_body(data, e, options, version);
        if (version >= 141) append_body_part(data, e, options);
    } else {
        append_25_body(data, e, options);
    }
    append_attachments(data, e, version);
    data.add(tag::Email::MessageClass, e.message_class);
    // The follow-up flag (12.0+) and categories (14.0+) as the phones set them; sent empty when
    // unset, so a cleared flag clears on the other devices too.
    auto stored_element = [&](const std::string& wbxml, wbxml::Tag element) {
        if (!wbxml.empty()) {
            auto decoded = wbxml::decode(wbxml);
            if (decoded.root && decoded.root->tag == element) {
                data.children.push_back(std::move(*decoded.root));
                return;
            }
        }
        data.add(element);
    };
    data.add(tag::Email::InternetCPID, "65001");  // bodies are stored and sent as UTF-8
    if (version >= 120) stored_element(e.flag, tag::Email::Flag);
    if (version >= 140) stored_element(e.categories, tag::Email::Categories);
    if (version >= 120) {
        data.add(tag::Email::ContentClass, "urn:content-classes:message");
        data.add(tag::AirSyncBase::NativeBodyType, static_cast<long long>(e.body_html.empty() ? kBodyPlain : kBodyHtml));
    }
    if (version >= 140) append_email2(data, e, version);
}

}  // namespace easd::content
