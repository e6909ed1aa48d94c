#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace easd::metrics {

namespace {

std::string escape(std::string_view s, bool quotes) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quotes) out += "\\\"";
        else out += c;
    }
    return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) { return escape(value, true); }

std::string escape_help(std::string_view text) { return escape(text, false); }

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    // Counts up to 2^53 are exact in a double: written as integers, as Prometheus' own clients do.
    if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(value));
        return std::string(buf, r.ptr);
    }
    // %.17g always reads back the same double; try shorter first, for readable bounds (0.005).
    char buf[40];
    for (int precision = 6; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, value);
        if (std::strtod(buf, nullptr) == value) break;
    }
    return buf;
}

void TextWriter::family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(escape_help(help)).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void TextWriter::series(std::string_view name, std::string_view suffix, const Labels& labels, const Label* extra,
                        std::string_view value) {
    out_.append(name).append(suffix);
    if (!labels.empty() || extra || !every_sample_.empty()) {
        out_ += '{';
        bool first = true;
        auto add = [&](const Label& l) {
            if (!first) out_ += ',';
            first = false;
            out_.append(l.name).append("=\"").append(escape_label_value(l.value)).append("\"");
        };
        for (const auto& l : labels) add(l);
        if (extra) add(*extra);
        for (const auto& l : every_sample_) add(l);
        out_ += '}';
    }
    out_.append(" ").append(value).append("\n");
}

void TextWriter::sample(std::string_view name, const Labels& labels, double value) {
    series(name, "", labels, nullptr, format_value(value));
}

void TextWriter::histogram(std::string_view name, const Labels& labels, const HistogramSnapshot& h) {
    for (std::size_t i = 0; i < h.cumulative.size(); ++i) {
        std::string le = i < h.bounds.size() ? format_value(h.bounds[i]) : "+Inf";
        Label bound{"le", le};
        series(name, "_bucket", labels, &bound, format_value(static_cast<double>(h.cumulative[i])));
    }
    series(name, "_sum", labels, nullptr, format_value(h.sum));
    series(name, "_count", labels, nullptr, format_value(static_cast<double>(h.count())));
}

}  // namespace easd::metrics
