#include "content/gmime_parse.h"

namespace easd::content {

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

GPtr<GMimeMessage> parse_gmime_message(std::string_view raw) {
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
