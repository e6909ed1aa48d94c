#include "metrics/merge.h"

#include <unordered_map>

#include "metrics/exposition.h"

namespace easd::metrics {

namespace {

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
}

std::string_view metric_name(std::string_view line) {
    std::size_t i = 0;
    while (i < line.size() && is_name_char(line[i])) ++i;
    return line.substr(0, i);
}

// One sample line with `label` (name="escaped value") added after its other labels.
void append_labelled(std::string& out, std::string_view line, std::string_view label) {
    const std::size_t open = metric_name(line).size();
    if (open >= line.size() || line[open] != '{') {
        out.append(line.substr(0, open)).append("{").append(label).append("}").append(line.substr(open));
        return;
    }
    // The closing brace is the first one outside a quoted value (values may hold `}` and `\"`).
    std::size_t close = open + 1;
    for (bool quoted = false; close < line.size(); ++close) {
        const char c = line[close];
        if (quoted) {
            if (c == '\\') ++close;
            else if (c == '"') quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '}') {
            break;
        }
    }
    if (close >= line.size()) {  // not a sample this code can read: left as it is
        out.append(line);
        return;
    }
    std::size_t last = close;  // `{}` and `{a="b",}` (a trailing comma is allowed) take no comma
    while (last > open + 1 && line[last - 1] == ' ') --last;
    const bool comma = last > open + 1 && line[last - 1] != ',';
    out.append(line.substr(0, close));
    if (comma) out += ',';
    out.append(label).append(line.substr(close));
}

template <typename F>
void each_line(std::string_view text, F&& f) {
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        f(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
}

// `# HELP name ...` / `# TYPE name ...`: the keyword and the name; empty for any other line.
bool family_comment(std::string_view line, std::string_view& keyword, std::string_view& name) {
    if (line.size() < 7 || line.substr(0, 2) != "# ") return false;
    keyword = line.substr(2, 4);
    if ((keyword != "HELP" && keyword != "TYPE") || line[6] != ' ') return false;
    name = metric_name(line.substr(7));
    return !name.empty();
}

}  // namespace

std::string add_label(std::string_view text, std::string_view name, std::string_view value) {
    std::string label;
    label.append(name).append("=\"").append(escape_label_value(value)).append("\"");
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    each_line(text, [&](std::string_view line) {
        if (line.empty() || line[0] == '#') out.append(line);
        else append_labelled(out, line, label);
        out += '\n';
    });
    return out;
}

std::string merge_expositions(const std::vector<std::string_view>& texts) {
    // Views into `texts` only: nothing is copied until the answer is written, once.
    struct Family {
        std::string_view help, type;  // whole lines, from the first text that has them
        std::vector<std::string_view> samples;
    };
    std::vector<std::pair<std::string_view, Family>> families;  // in order of first appearance
    std::unordered_map<std::string_view, std::size_t> index;
    auto family = [&](std::string_view name) -> std::size_t {
        auto [it, added] = index.emplace(name, families.size());
        if (added) families.emplace_back(name, Family{});
        return it->second;
    };
    std::size_t total = 0;
    for (std::string_view text : texts) {
        total += text.size();
        std::size_t current = static_cast<std::size_t>(-1);
        each_line(text, [&](std::string_view line) {
            if (line.empty()) return;
            std::string_view keyword, name;
            if (line[0] == '#') {
                if (!family_comment(line, keyword, name)) return;
                current = family(name);
                Family& f = families[current].second;
                if (keyword == "HELP" && f.help.empty()) f.help = line;
                if (keyword == "TYPE" && f.type.empty()) f.type = line;
                return;
            }
            const std::string_view sample = metric_name(line);
            if (current == static_cast<std::size_t>(-1) || sample.substr(0, families[current].first.size()) != families[current].first)
                current = family(sample);
            families[current].second.samples.push_back(line);
        });
    }
    std::string out;
    out.reserve(total + texts.size());  // every line as it came, plus a newline a text may lack at its end
    auto line = [&out](std::string_view l) { out.append(l).push_back('\n'); };
    for (const auto& [name, f] : families) {
        if (!f.help.empty()) line(f.help);
        if (!f.type.empty()) line(f.type);
        for (std::string_view sample : f.samples) line(sample);
    }
    return out;
}

}  // namespace easd::metrics
