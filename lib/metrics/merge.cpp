#include "metrics/merge.h"

#include <unordered_map>


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
