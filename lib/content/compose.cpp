#include "content/compose.h"

#include <gmime/gmime.h>

#include <algorithm>

#include "common/text.h"
#include "content/auto_reply.h"
#include "content/draft.h"
#include "content/email_item.h"
#include "content/gmime_raii.h"
#include "content/message.h"

namespace easd::content {

namespace {

// One header field of a header section, with its folded continuation lines.
struct HeaderField {
    std::string_view name;  // as written
    std::string_view text;  // the whole field, line ends included
};

// The fields of the header section, in order.
std::vector<HeaderField> split_fields(std::string_view headers) {
    std::vector<HeaderField> out;
    std::size_t pos = 0;
    while (pos < headers.size()) {
        std::size_t start = pos;
        std::size_t eol = headers.find('\n', pos);
        pos = eol == std::string_view::npos ? headers.size() : eol + 1;
        std::string_view line = headers.substr(start, pos - start);
        if (line == "\r\n" || line == "\n") break;  // the empty line that ends the section
        if ((line.front() == ' ' || line.front() == '\t') && !out.empty()) {
            out.back().text = headers.substr(out.back().text.data() - headers.data(),
                                             pos - static_cast<std::size_t>(out.back().text.data() - headers.data()));
            continue;
        }
        std::size_t colon = line.find(':');
        out.push_back({colon == std::string_view::npos ? std::string_view() : trim(line.substr(0, colon)), line});
    }
    return out;
}

// The display name and lower-case address of the first mailbox of an address list.
std::optional<std::pair<std::string, std::string>> first_mailbox(const std::string& list) {
    init_mime();
    GPtr<InternetAddressList> parsed(internet_address_list_parse(nullptr, list.c_str()));
    if (!parsed || internet_address_list_length(parsed.get()) == 0) return std::nullopt;
    InternetAddress* ia = internet_address_list_get_address(parsed.get(), 0);
    if (!INTERNET_ADDRESS_IS_MAILBOX(ia)) return std::nullopt;
    const char* name = internet_address_get_name(ia);
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
    return std::make_pair(std::string(name ? name : ""), to_lower_ascii(addr ? addr : ""));
}

std::string rfc5322_date(long long unix_seconds) {
    std::unique_ptr<GDateTime, DateTimeUnref> date(g_date_time_new_from_unix_utc(unix_seconds));
    GCharPtr s(date ? g_mime_utils_header_format_date(date.get()) : nullptr);
    return s ? std::string(s.get()) : std::string();
}

// The part of an HTML document between <body ...> and </body> (all of it when there is no body
// element), so that an original can sit inside the reply's HTML.
std::string_view html_body_of(std::string_view html) {
    std::string lower = to_lower_ascii(html);
    std::size_t open = lower.find("<body");
    if (open == std::string::npos) return html;
    std::size_t start = lower.find('>', open);
    if (start == std::string::npos) return html;
    std::size_t end = lower.rfind("</body");
    if (end == std::string::npos || end < start) end = html.size();
    return html.substr(start + 1, end - start - 1);
}

}  // namespace

std::optional<OutgoingMessage> prepare_outgoing(std::string_view mime, const std::string& address,
                                                const std::string& display_name, long long now, std::string* error) {
    auto parsed = parse_message(mime, error);
    if (!parsed) return std::nullopt;
    std::string_view headers = header_section(mime);
    std::string_view body = mime.substr(headers.size());
    std::string eol = headers.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";

    OutgoingMessage out;
    std::vector<std::string> bcc;
    for (const auto& v : header_values(mime, "Bcc"))
        for (auto& a : addresses_in(v)) bcc.push_back(std::move(a));
    for (const std::string* list : {&parsed->to, &parsed->cc})
        for (auto& a : addresses_in(*list)) out.recipients.push_back(std::move(a));
    for (auto& a : bcc) out.recipients.push_back(a);
    std::sort(out.recipients.begin(), out.recipients.end());
    out.recipients.erase(std::unique(out.recipients.begin(), out.recipients.end()), out.recipients.end());

    // From: the account, whatever the phone wrote; its display name is kept when the address is
    // the account's own.
    std::string me = to_lower_ascii(address);
    std::string name = display_name;
    if (auto phone = first_mailbox(parsed->from); phone && phone->second == me && !phone->first.empty())
        name = phone->first;

    std::string travelling, kept;
    bool has_date = false, has_id = false;
    for (const HeaderField& f : split_fields(headers)) {
        if (iequals(f.name, "From") || iequals(f.name, "Sender")) continue;
        has_date = has_date || iequals(f.name, "Date");
        has_id = has_id || iequals(f.name, "Message-ID");
        kept += f.text;
        if (!iequals(f.name, "Bcc")) travelling += f.text;
    }
    std::string added = "From: " + mailbox(name, address) + eol;
    if (!has_date) added += "Date: " + rfc5322_date(now) + eol;
    if (!has_id) {
        GCharPtr id(g_mime_utils_generate_message_id(domain_of(address).c_str()));
        added += "Message-ID: <" + std::string(id ? id.get() : "sent@localhost") + ">" + eol;
    }
    // Built in place: no temporary copies of a body that may be tens of megabytes.
    auto assemble = [&](std::string& into, const std::string& fields) {
        into.reserve(added.size() + fields.size() + eol.size() + body.size());
        into.append(added).append(fields).append(eol).append(body);
    };
    assemble(out.mime, travelling);
    if (kept != travelling) assemble(out.sent_copy, kept);

    // The phone's message parsed above is the prepared one but for the fields changed here: those
    // are read again from the new header section alone, which costs nothing like a second parse
    // of the body.
    auto fields = parse_message(added + travelling + eol, error);
    if (!fields) return std::nullopt;
    parsed->from = std::move(fields->from);
    parsed->sender = std::move(fields->sender);
    parsed->date = fields->date;
    parsed->message_id = std::move(fields->message_id);
    parsed->size = out.mime.size();
    out.parsed = std::move(*parsed);
    return out;
}

std::optional<std::string> add_original(std::string_view composed, std::string_view original, bool forward,
                                        long long now, std::string* error) {
    auto reply = draft_from_message(composed, error);
    if (!reply) return std::nullopt;
    auto parsed_original = parse_message(original, error);
    if (!parsed_original) return std::nullopt;

    const ParsedMessage& o = *parsed_original;
    std::vector<std::pair<const char*, std::string>> block = {
        {"From", o.from}, {"Sent", o.date ? rfc5322_date(*o.date) : ""}, {"To", o.to}, {"Cc", o.cc}, {"Subject", o.subject}};
    if (reply->body_type == kBodyHtml) {
        std::string html = "<hr><div>";
        for (const auto& [label, value] : block)
            if (!value.empty()) html += "<b>" + std::string(label) + ":</b> " + escape_markup(value) + "<br>";
        html += "</div><br>";
        html += o.body_html.empty() ? plain_to_html(o.body_plain) : std::string(html_body_of(o.body_html));
        std::string& body = reply->body;
        std::size_t close = to_lower_ascii(body).rfind("</body");
        body.insert(close == std::string::npos ? body.size() : close, html);
    } else {
        std::string text = "\r\n\r\n-----Original Message-----\r\n";
        for (const auto& [label, value] : block)
            if (!value.empty()) text += std::string(label) + ": " + value + "\r\n";
        text += "\r\n" + o.body_plain;
        std::string& body = reply->body;
        while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
        body += text;
    }
    if (forward) {
        auto with_attachments = draft_from_message(original, error);
        if (!with_attachments) return std::nullopt;
        for (auto& a : with_attachments->attachments) {
            // Inline parts belong to the original's HTML; they travel only when that HTML does.
            if (a.is_inline && reply->body_type != kBodyHtml) continue;
            reply->attachments.push_back(std::move(a));
        }
    }
    for (const char* name : {"In-Reply-To", "References", "Thread-Index", "Thread-Topic"})
        for (const auto& v : header_values(composed, name)) reply->headers.emplace_back(name, v);
    // A phone that leaves out the thread headers still answers (or passes on) the original: say
    // so, so that the message joins the original's conversation here and in mail programs. A
    // forward gets References only, as Thunderbird writes it.
    if (header_values(composed, "In-Reply-To").empty() && header_values(composed, "References").empty() &&
        !o.message_id.empty()) {
        std::string id = "<" + o.message_id + ">";
        auto refs = header_values(original, "References");
        if (!forward) reply->headers.emplace_back("In-Reply-To", id);
        reply->headers.emplace_back("References", refs.empty() ? id : refs.front() + " " + id);
    }
    auto from = addresses_in(reply->from);
    return build_draft_message(*reply, now, domain_of(from.empty() ? std::string() : from[0]));
}

}  // namespace easd::content
