#include "content/gmime_parse.h"

#include <algorithm>
#include <array>
#include <deque>
#include <unordered_set>
#include <vector>

namespace easd::content {

namespace {

constexpr std::size_t kBoundaryPrefix = 72;  // compared bytes of a boundary (RFC 2046: at most 70)

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// The boundaries declared in a message, as compared by count_boundary_lines.
class Boundaries {
public:
    explicit Boundaries(std::string_view raw) {
        static constexpr std::string_view kName = "boundary";
        for (std::size_t i = 0; i + kName.size() < raw.size(); ++i) {
            if (lower(raw[i]) != 'b' || (i > 0 && is_word_char(raw[i - 1]))) continue;
            std::size_t k = 0;
            while (k < kName.size() && lower(raw[i + k]) == kName[k]) ++k;
            if (k == kName.size()) add_parameter(raw, i + kName.size());
        }
    }

    bool empty() const { return !any_line_ && set_.empty(); }

    // `rest` is a line after its leading "--".
    bool matches(std::string_view rest) const {
        if (any_line_) return true;
        if (rest.empty() || !first_[static_cast<unsigned char>(rest[0])]) return false;
        for (std::size_t len : lengths_) {
            if (len > rest.size()) break;
            if (set_.count(rest.substr(0, len))) return true;
        }
        return false;
    }

private:
    // The parameter's value after "boundary" at `at`: [*[digits][*]] [spaces] = [spaces] value.
    void add_parameter(std::string_view raw, std::size_t at) {
        bool extended = false;
        if (at < raw.size() && raw[at] == '*') {
            ++at;
            bool section = false;
            while (at < raw.size() && raw[at] >= '0' && raw[at] <= '9') {
                section = true;
                ++at;
            }
            extended = !section;  // "boundary*=": charset'language'value
            if (section && at < raw.size() && raw[at] == '*') {
                extended = true;  // "boundary*0*=": the first section carries charset'language'
                ++at;
            }
        }
        while (at < raw.size() && (raw[at] == ' ' || raw[at] == '\t')) ++at;
        if (at >= raw.size() || raw[at] != '=') return;
        ++at;
        while (at < raw.size() && (raw[at] == ' ' || raw[at] == '\t')) ++at;
        std::string value;
        if (at < raw.size() && raw[at] == '"') {
            for (++at; at < raw.size() && raw[at] != '"' && raw[at] != '\r' && raw[at] != '\n'; ++at) {
                if (raw[at] == '\\' && at + 1 < raw.size()) ++at;
                value.push_back(raw[at]);
                if (value.size() > 4 * kBoundaryPrefix) break;
            }
        } else {
            for (; at < raw.size(); ++at) {
                char c = raw[at];
                if (c == ';' || c == '"' || c == ' ' || c == '\t' || c == '\r' || c == '\n') break;
                value.push_back(c);
                if (value.size() > 4 * kBoundaryPrefix) break;
            }
        }
        if (extended) value = rfc2231_value(value);
        if (value.size() > kBoundaryPrefix) value.resize(kBoundaryPrefix);
        if (value.empty()) {
            any_line_ = true;  // no usable boundary: every "--" line may be one
            return;
        }
        if (set_.count(value)) return;
        owned_.push_back(std::move(value));
        const std::string& kept = owned_.back();
        set_.insert(kept);
        first_[static_cast<unsigned char>(kept[0])] = true;
        if (std::find(lengths_.begin(), lengths_.end(), kept.size()) == lengths_.end()) {
            lengths_.push_back(kept.size());
            std::sort(lengths_.begin(), lengths_.end());
        }
    }

    // charset'language'percent-encoded (RFC 2231): the decoded bytes.
    static std::string rfc2231_value(const std::string& v) {
        std::size_t q1 = v.find('\'');
        std::size_t q2 = q1 == std::string::npos ? std::string::npos : v.find('\'', q1 + 1);
        std::string_view encoded = q2 == std::string::npos ? std::string_view(v) : std::string_view(v).substr(q2 + 1);
        std::string out;
        for (std::size_t i = 0; i < encoded.size(); ++i) {
            if (encoded[i] == '%' && i + 2 < encoded.size() && hex_value(encoded[i + 1]) >= 0 &&
                hex_value(encoded[i + 2]) >= 0) {
                out.push_back(static_cast<char>(hex_value(encoded[i + 1]) * 16 + hex_value(encoded[i + 2])));
                i += 2;
            } else {
                out.push_back(encoded[i]);
            }
        }
        return out;
    }

    std::deque<std::string> owned_;            // the values; a deque never moves its elements
    std::unordered_set<std::string_view> set_;  // views of owned_
    std::vector<std::size_t> lengths_;          // the distinct lengths in set_, ascending
    std::array<bool, 256> first_{};             // first bytes of the values: most lines fail here
    bool any_line_ = false;
};

}  // namespace

ParserOptionsPtr loose_parser_options() {
    ParserOptionsPtr opts(g_mime_parser_options_new());
    if (!opts) return opts;
    g_mime_parser_options_set_rfc2047_compliance_mode(opts.get(), GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(opts.get(), GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(opts.get(), GMIME_RFC_COMPLIANCE_LOOSE);
    const char* fallback[] = {"UTF-8", "windows-1252", nullptr};
    g_mime_parser_options_set_fallback_charsets(opts.get(), fallback);
    return opts;
}

std::size_t count_boundary_lines(std::string_view raw, std::size_t stop_after) {
    const Boundaries boundaries(raw);
    if (boundaries.empty()) return 0;
    std::size_t count = 0;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        std::size_t eol = raw.find('\n', pos);
        std::size_t end = eol == std::string_view::npos ? raw.size() : eol;
        std::string_view line = raw.substr(pos, end - pos);
        if (line.size() >= 2 && line[0] == '-' && line[1] == '-') {
            if (line.back() == '\r') line.remove_suffix(1);
            if (boundaries.matches(line.substr(2)) && ++count > stop_after) return count;
        }
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
    }
    return count;
}

GPtr<GMimeMessage> parse_gmime_message(std::string_view raw, std::string* error, std::size_t max_boundary_lines) {
    if (count_boundary_lines(raw, max_boundary_lines) > max_boundary_lines) {
        if (error) *error = "too many MIME parts: more than " + std::to_string(max_boundary_lines) + " boundary lines";
        return nullptr;
    }
    ParserOptionsPtr opts = loose_parser_options();
    if (!opts) return nullptr;
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
    if (!stream) return nullptr;
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    if (!parser) return nullptr;
    g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
    return GPtr<GMimeMessage>(g_mime_parser_construct_message(parser.get(), opts.get()));
}

}  // namespace easd::content
