// The Prometheus text exposition format, version 0.0.4: what GET /easd-metrics answers. Only the
// writing side; the instruments that are counted live in instruments.h.
//
// https://prometheus.io/docs/instrumenting/exposition_formats/: a family is a `# HELP` and a
// `# TYPE` line followed by its samples, `name{label="value",...} value`; label values escape
// backslash, double quote and newline, HELP text escapes backslash and newline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace easd::metrics {

// The Content-Type of the format.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

struct Label {
    std::string_view name;
    std::string_view value;
};
using Labels = std::vector<Label>;

// A histogram as read at one moment: upper bounds (seconds, increasing, +Inf implied), the
// cumulative count at each bound and at +Inf (bounds.size() + 1 entries; the last is the count),
// and the sum of the observed values.
struct HistogramSnapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;
    double sum = 0;
    std::uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
};

std::string escape_label_value(std::string_view value);  // \ -> \\, " -> \", newline -> \n
std::string escape_help(std::string_view text);          // \ -> \\, newline -> \n
// A sample value as the format spells it: +Inf, -Inf, NaN, integers without a fraction or an
// exponent (counters read back exactly), else the shortest form that reads back the same double.
std::string format_value(double value);

class TextWriter {
public:
    // `every_sample`: labels written last on every sample (after a histogram's le), e.g. the pid
    // of the process (commands/server_metrics.h). Their values must outlive the writer.
    explicit TextWriter(Labels every_sample = {}) : every_sample_(std::move(every_sample)) {}

    // Starts a family: its HELP and TYPE lines. `type`: counter, gauge, histogram, untyped.
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, const Labels& labels, double value);
    // The _bucket lines (with le, +Inf last), _sum and _count of a histogram named `name`.
    void histogram(std::string_view name, const Labels& labels, const HistogramSnapshot& h);

    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    void series(std::string_view name, std::string_view suffix, const Labels& labels, const Label* extra,
                std::string_view value);
    Labels every_sample_;
    std::string out_;
};

}  // namespace easd::metrics
