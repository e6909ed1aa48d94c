// Ownership of GMime/GLib objects for the content library (message parsing, drafts,
// attachments): unique_ptr deleters, so nothing leaks on an early return and nothing throws
// across GLib.
#pragma once

#include <gmime/gmime.h>

#include <memory>
#include <string>
#include <string_view>

namespace easd::content {

struct GObjectUnref {
    void operator()(void* p) const noexcept {
        if (p) g_object_unref(p);
    }
};
template <class T>
using GPtr = std::unique_ptr<T, GObjectUnref>;  // owns one reference

struct GFree {
    void operator()(void* p) const noexcept { g_free(p); }
};
using GCharPtr = std::unique_ptr<char, GFree>;

struct DateTimeUnref {
    void operator()(GDateTime* d) const noexcept {
        if (d) g_date_time_unref(d);
    }
};

struct ParserOptionsFree {
    void operator()(GMimeParserOptions* o) const noexcept {
        if (o) g_mime_parser_options_free(o);
    }
};
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

// Every line end (CR, LF or CRLF) as CRLF.
inline std::string normalize_crlf(std::string_view in) {
    std::string out;
    out.reserve(in.size() + in.size() / 32);
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace easd::content
