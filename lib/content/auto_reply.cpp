#include "content/auto_reply.h"

#include <gmime/gmime.h>

#include <vector>

#include "common/text.h"
#include "content/draft.h"
#include "content/gmime_raii.h"

namespace easd::content {

namespace {

// "<a@b>" or "a@b" -> "a@b"; "<>" -> "".
std::string bare_address(std::string_view v) {
    v = trim(v);
    if (auto lt = v.find('<'); lt != std::string_view::npos) {
        auto gt = v.find('>', lt);
        v = v.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
    }
    return to_lower_ascii(trim(v));
}

// Senders that are programs, not people (RFC 3834 2 and common practice).
bool is_robot(std::string_view address) {
    std::string_view local = address.substr(0, address.find('@'));
    for (std::string_view name : {"mailer-daemon", "postmaster", "listserv", "majordomo", "noreply", "no-reply",
                                  "donotreply", "do-not-reply", "bounce", "bounces"})
        if (local == name) return true;
    if (local.rfind("owner-", 0) == 0 || local.rfind("bounce-", 0) == 0) return true;
    auto ends_with = [&](std::string_view suffix) {
        return local.size() > suffix.size() && local.substr(local.size() - suffix.size()) == suffix;
    };
    return ends_with("-request") || ends_with("-owner") || ends_with("-bounces");
}

bool refuse(std::string* why, const char* reason) {
    if (why) *why = reason;
    return false;
}

// RFC 3834 2, 3.1 and the list headers of RFC 2369/2919: may this message be answered at all?
bool answerable(std::string_view raw, std::string* why) {
    for (const auto& v : header_values(raw, "Auto-Submitted"))
        if (!iequals(trim(v.substr(0, v.find(';'))), "no")) return refuse(why, "it was sent automatically (Auto-Submitted)");
    for (const char* list_header : {"List-Id", "List-Unsubscribe", "List-Post"})
        if (!header_values(raw, list_header).empty()) return refuse(why, "it came from a mailing list");
    for (const auto& v : header_values(raw, "Precedence"))
        for (const char* bulk : {"bulk", "list", "junk"})
            if (iequals(trim(v), bulk)) return refuse(why, "it is bulk or list mail (Precedence)");
    for (const auto& v : header_values(raw, "X-Auto-Response-Suppress")) {
        std::string_view rest = v;  // a comma-separated list: DR, NDR, RN, NRN, OOF, AutoReply, All
        while (!rest.empty()) {
            std::string_view token = trim(rest.substr(0, rest.find(',')));
            rest = rest.find(',') == std::string_view::npos ? std::string_view() : rest.substr(rest.find(',') + 1);
            if (iequals(token, "OOF") || iequals(token, "All"))
                return refuse(why, "it asks for no automatic reply (X-Auto-Response-Suppress)");
        }
    }
    return true;
}

}  // namespace

std::string_view header_section(std::string_view raw) {
    std::size_t pos = 0;
    while (pos < raw.size()) {
        std::size_t eol = raw.find('\n', pos);
        if (eol == std::string_view::npos) return raw;
        std::string_view line = raw.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.empty() || line == "\r") return raw.substr(0, pos);
    }
    return raw;
}

std::vector<std::string> header_values(std::string_view raw, std::string_view name) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    bool in_match = false;
    while (pos < raw.size()) {
        std::size_t eol = raw.find('\n', pos);
        std::string_view line = raw.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        pos = eol == std::string_view::npos ? raw.size() : eol + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;  // the end of the header section
        if (line.front() == ' ' || line.front() == '\t') {
            if (in_match) out.back() += " " + std::string(trim(line));  // a folded continuation
            continue;
        }
        std::size_t colon = line.find(':');
        in_match = colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name);
        if (in_match) out.emplace_back(trim(line.substr(colon + 1)));
    }
    return out;
}

std::optional<std::string> auto_reply_address(std::string_view raw, const ParsedMessage& parsed,
                                              const std::optional<std::string>& envelope_sender,
                                              std::string_view recipient, std::string* why) {
    // Replies go to the envelope sender (RFC 3834 4), which the MTA passes, or Return-Path.
    std::string sender;
    if (envelope_sender) {
        sender = bare_address(*envelope_sender);
    } else if (auto rp = header_values(raw, "Return-Path"); !rp.empty()) {
        sender = bare_address(rp.front());
    } else if (auto from = addresses_in(parsed.from); !from.empty()) {
        sender = from.front();
    }
    if (sender.empty() || sender.find('@') == std::string::npos) {
        refuse(why, "it has no sender to answer (a bounce or a message without one)");
        return std::nullopt;
    }
    std::string me = to_lower_ascii(recipient);
    if (sender == me) {
        refuse(why, "it came from the recipient itself");
        return std::nullopt;
    }
    if (is_robot(sender)) {
        refuse(why, "its sender is a program (mailer-daemon, noreply, a list address)");
        return std::nullopt;
    }
    if (!answerable(raw, why)) return std::nullopt;
    bool named = false;
    for (const std::string* list : {&parsed.to, &parsed.cc})
        for (const auto& a : addresses_in(*list)) named = named || a == me;
    if (!named) {
        refuse(why, "the recipient is not in its To or Cc (a list or a Bcc)");
        return std::nullopt;
    }
    return sender;
}

std::string build_auto_reply(std::string_view original_raw, const ParsedMessage& original,
                             const std::string& from_mailbox, const std::string& to, const std::string& text,
                             bool html, long long date_unix) {
    Draft d;
    d.from = from_mailbox;
    d.to = to;
    d.subject = "Automatic reply: " + original.subject;
    d.body_type = html ? 2 : 1;
    d.body = text;
    if (!original.message_id.empty()) {
        std::string id = "<" + original.message_id + ">";
        auto refs = header_values(original_raw, "References");
        d.headers.emplace_back("In-Reply-To", id);
        d.headers.emplace_back("References", refs.empty() ? id : refs.front() + " " + id);
    }
    d.headers.emplace_back("Auto-Submitted", "auto-replied");
    d.headers.emplace_back("X-Auto-Response-Suppress", "All");
    auto from = addresses_in(from_mailbox);
    return build_draft_message(d, date_unix, domain_of(from.empty() ? std::string() : from[0]));
}

}  // namespace easd::content
