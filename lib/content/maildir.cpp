#include "content/maildir.h"

#include <algorithm>

#include "common/mutf7.h"
#include "common/text.h"
#include "wbxml/codepages.h"
#include "wbxml/wbxml.h"

namespace easd::content::maildir {

namespace tag = wbxml::tag;

namespace {

constexpr std::string_view kInfo = ":2,";

// What an IMAP atom cannot hold (RFC 3501 atom-specials, printable part): encoded in keywords.
constexpr std::string_view kAtomSpecials = " (){%*\"\\]";

char hex_digit(unsigned v) { return "0123456789abcdef"[v & 0xf]; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = ascii_lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

FileName parse_file_name(std::string_view name) {
    FileName out;
    auto at = name.rfind(kInfo);
    if (at == std::string_view::npos) {
        out.unique = std::string(name);
        return out;
    }
    out.unique = std::string(name.substr(0, at));
    for (char c : name.substr(at + kInfo.size())) {
        switch (c) {
            case 'D': out.flags.draft = true; break;
            case 'F': out.flags.flagged = true; break;
            case 'R': out.flags.replied = true; break;
            case 'S': out.flags.seen = true; break;
            case 'T': out.flags.trashed = true; break;
            default:
                if (c >= 'a' && c <= 'z' && out.flags.keywords.find(c) == std::string::npos) out.flags.keywords += c;
        }
    }
    std::sort(out.flags.keywords.begin(), out.flags.keywords.end());
    return out;
}

std::string file_name(std::string_view unique, const Flags& flags) {
    std::string out(unique);
    out += kInfo;
    if (flags.draft) out += 'D';
    if (flags.flagged) out += 'F';
    if (flags.replied) out += 'R';
    if (flags.seen) out += 'S';
    if (flags.trashed) out += 'T';
    std::string keywords = flags.keywords;
    std::sort(keywords.begin(), keywords.end());
    keywords.erase(std::unique(keywords.begin(), keywords.end()), keywords.end());
    return out + keywords;
}

std::string unique_name(long long seconds, std::string_view id, std::string_view host, std::size_t size) {
    std::string h;
    for (char c : host) {
        if (c == '/') h += "\\057";
        else if (c == ':') h += "\\072";
        else h += c;
    }
    return std::to_string(seconds) + "." + std::string(id) + "." + h + ",S=" + std::to_string(size);
}

std::string encode_name(std::string_view utf8) {
    std::string escaped;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        char c = utf8[i];
        if (c == '.' || c == '/' || c == '\\' || (c == '~' && i == 0)) {
            escaped += '\\';
            escaped += hex_digit(static_cast<unsigned char>(c) >> 4);
            escaped += hex_digit(static_cast<unsigned char>(c));
        } else {
            escaped += c;
        }
    }
    return encode_mutf7(escaped);
}

std::optional<std::string> decode_name(std::string_view on_disk) {
    auto decoded = decode_mutf7(on_disk);
    if (!decoded) return std::nullopt;
    // Undo listescape's "\NN"; a backslash not followed by two hex digits stays as it is.
    std::string out;
    const std::string& s = *decoded;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 2 < s.size()) {
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::string dir_name(const std::vector<std::string>& path) {
    if (path.empty() || (path.size() == 1 && iequals(path[0], "INBOX"))) return "";
    std::string out;
    for (std::size_t i = 0; i < path.size(); ++i) {
        out += '.';
        // Dovecot knows the INBOX by that name only, so a child of the Inbox is ".INBOX.x".
        out += i == 0 && iequals(path[0], "INBOX") ? std::string("INBOX") : encode_name(path[i]);
    }
    return out;
}

std::optional<std::vector<std::string>> folder_path(std::string_view dir) {
    if (dir.empty()) return std::vector<std::string>{"INBOX"};
    if (dir.size() < 2 || dir[0] != '.' || dir == "..") return std::nullopt;
    std::vector<std::string> out;
    std::string_view rest = dir.substr(1);
    while (true) {
        auto dot = rest.find('.');
        std::string_view level = rest.substr(0, dot);
        if (level.empty()) return std::nullopt;
        auto name = decode_name(level);
        if (!name) return std::nullopt;
        out.push_back(std::move(*name));
        if (dot == std::string_view::npos) break;
        rest = rest.substr(dot + 1);
    }
    return out;
}

namespace {
struct SpecialName {
    int type;  // 0: known by name (Junk E-mail is an ordinary mail folder)
    std::string_view easd;
    std::string_view maildir;
};
constexpr SpecialName kSpecial[] = {
    {2, "Inbox", "INBOX"},         {3, "Drafts", "Drafts"}, {5, "Sent Items", "Sent"},
    {4, "Deleted Items", "Trash"}, {0, "Junk E-mail", "Junk"},
};
}  // namespace

std::string maildir_top_name(std::string_view easd_name, int type) {
    for (const auto& s : kSpecial)
        if (s.type ? s.type == type : iequals(easd_name, s.easd)) return std::string(s.maildir);
    return std::string(easd_name);
}

std::string easd_top_name(std::string_view maildir_name) {
    for (const auto& s : kSpecial)
        if (iequals(maildir_name, s.maildir)) return std::string(s.easd);
    return std::string(maildir_name);
}

std::string subscriptions_file(const std::vector<std::vector<std::string>>& paths) {
    // Version 2 separates levels with a tab, so a name never has to know the separator; Dovecot
    // tab-escapes tabs and the like, which modified UTF-7 names never contain.
    std::string out = "V\t2\n\n";
    for (const auto& path : paths) {
        std::string dir = dir_name(path);
        if (dir.empty()) {
            out += "INBOX\n";
            continue;
        }
        std::string line = dir.substr(1);
        std::replace(line.begin(), line.end(), '.', '\t');
        out += line + "\n";
    }
    return out;
}

std::string keywords_file(const std::vector<std::string>& keywords) {
    std::string out;
    for (std::size_t i = 0; i < keywords.size(); ++i)
        if (!keywords[i].empty()) out += std::to_string(i) + " " + keywords[i] + "\n";
    return out;
}

std::vector<std::string> parse_keywords_file(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        auto space = line.find(' ');
        if (space == std::string_view::npos) continue;
        auto index = parse_decimal(line.substr(0, space));
        std::string_view keyword = line.substr(space + 1);
        // 26 letters: Dovecot keeps any further keyword only in its index files.
        if (!index || *index < 0 || *index >= 26 || keyword.empty()) continue;
        if (out.size() <= static_cast<std::size_t>(*index)) out.resize(static_cast<std::size_t>(*index) + 1);
        out[static_cast<std::size_t>(*index)] = std::string(keyword);
    }
    return out;
}

std::string keyword_for_category(std::string_view category) {
    std::string keyword;
    if (!category.empty() && category[0] == '$') {
        keyword = encode_mutf7("$", "$");
        category.remove_prefix(1);
    }
    return keyword + encode_mutf7(category, kAtomSpecials);
}

std::optional<std::string> category_for_keyword(std::string_view keyword) {
    if (keyword.empty() || keyword[0] == '$') return std::nullopt;
    auto category = decode_mutf7(keyword);
    if (!category || category->empty()) return std::nullopt;
    return category;
}

bool is_flagged(std::string_view flag_wbxml) {
    if (flag_wbxml.empty()) return false;
    auto decoded = wbxml::decode(flag_wbxml);
    return decoded.root && decoded.root->tag == tag::Email::Flag &&
           trim(decoded.root->child_text(tag::Email::Status)) == "2";
}

std::string flagged_wbxml() {
    wbxml::Node flag(tag::Email::Flag);
    flag.add(tag::Email::Status, "2");
    flag.add(tag::Email::FlagType, "Follow up");
    return wbxml::encode(flag);
}

std::vector<std::string> categories_of(std::string_view categories_wbxml) {
    std::vector<std::string> out;
    if (categories_wbxml.empty()) return out;
    auto decoded = wbxml::decode(categories_wbxml);
    if (!decoded.root || decoded.root->tag != tag::Email::Categories) return out;
    for (const auto* c : decoded.root->children_of(tag::Email::Category))
        if (!c->text().empty()) out.emplace_back(c->text());
    return out;
}

std::string categories_wbxml(const std::vector<std::string>& categories) {
    if (categories.empty()) return {};
    wbxml::Node node(tag::Email::Categories);
    for (const auto& c : categories) node.add(tag::Email::Category, c);
    return wbxml::encode(node);
}

}  // namespace easd::content::maildir
