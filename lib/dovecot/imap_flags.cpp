#include "dovecot/imap_flags.h"

#include <algorithm>

#include "common/text.h"
#include "wbxml/wbxml.h"

namespace easd::dovecot {

namespace tag = wbxml::tag;

namespace {
bool has_flag(const std::vector<std::string>& flags, std::string_view name) {
    return std::any_of(flags.begin(), flags.end(), [&](const std::string& f) { return iequals(f, name); });
}

std::optional<wbxml::Node> decode_element(const std::string& bytes) {
    if (bytes.empty()) return std::nullopt;
    auto decoded = wbxml::decode(bytes);
    if (!decoded) return std::nullopt;
    return std::move(decoded.root);
}
}  // namespace

std::vector<std::string> category_keywords(const std::vector<std::string>& flags) {
    std::vector<std::string> out;
    for (const auto& f : flags) {
        if (f.empty() || f[0] == '\\' || f[0] == '$') continue;
        if (iequals(f, "Junk") || iequals(f, "NonJunk") || iequals(f, "NotJunk")) continue;
        out.push_back(f);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string keyword_for_category(const std::string& name) {
    std::string out;
    for (unsigned char c : name) {
        const bool atom = c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '%' && c != '*' &&
                          c != '"' && c != '\\' && c != ']';
        out.push_back(atom ? static_cast<char>(c) : '_');
    }
    return out;
}

int flag_status_of(const std::string& wbxml) {
    auto root = decode_element(wbxml);
    if (!root) return 0;
    auto status = parse_decimal(root->child_text(tag::Email::Status));
    return status ? static_cast<int>(*status) : 0;
}

std::string follow_up_flag_wbxml() {
    wbxml::Node flag(tag::Email::Flag);
    flag.add(tag::Email::Status, "2");
    flag.add(tag::Email::FlagType, "Flag for follow up");
    return wbxml::encode(flag);
}

MailState state_from_flags(const std::vector<std::string>& flags, const MailState& stored) {
    MailState s;
    s.read = has_flag(flags, "\\Seen");
    const int stored_status = flag_status_of(stored.flag);
    if (has_flag(flags, "\\Flagged"))
        s.flag = stored_status == 2 ? stored.flag : follow_up_flag_wbxml();
    else
        s.flag = stored_status == 1 ? stored.flag : std::string();  // a completed flag is no \Flagged
    std::vector<std::string> keywords = category_keywords(flags);
    std::vector<std::string> had = categories_of(stored.categories);
    std::sort(had.begin(), had.end());
    s.categories = keywords == had ? stored.categories : categories_wbxml(keywords);
    return s;
}

}  // namespace easd::dovecot
