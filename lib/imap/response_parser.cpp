#include "imap/response_parser.h"

#include "common/text.h"

namespace easd::imap {

bool Value::is_atom(std::string_view upper) const { return kind == Kind::Atom && iequals(text, upper); }

std::optional<std::uint64_t> Value::number() const {
    if (kind != Kind::Atom || text.empty() || text.size() > 20) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        std::uint64_t next = n * 10 + static_cast<std::uint64_t>(c - '0');
        if (next / 10 != n) return std::nullopt;  // overflow
        n = next;
    }
    return n;
}

namespace {

class Parser {
public:
    explicit Parser(std::string_view in) : in_(in) {}

    bool at_end() const { return pos_ >= in_.size() || in_.substr(pos_) == "\r\n"; }
    bool peek(char c) const { return pos_ < in_.size() && in_[pos_] == c; }
    void skip_spaces() {
        while (pos_ < in_.size() && in_[pos_] == ' ') ++pos_;
    }
    void expect(char c) {
        if (!peek(c)) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw ParseError("IMAP response: " + what + " at byte " + std::to_string(pos_));
    }

    // One value: list, quoted string, literal, NIL, or atom.
    Value value(int depth = 0) {
        if (depth > 32) fail("lists nested too deep");
        if (pos_ >= in_.size()) fail("value expected");
        char c = in_[pos_];
        if (c == '(') return list(depth);
        if (c == '"') return quoted();
        if (c == '{') return literal();
        Value v;
        v.text = atom();
        if (v.text.empty()) fail("value expected");
        if (iequals(v.text, "NIL")) {
            v.kind = Value::Kind::Nil;
            v.text.clear();
        }
        return v;
    }

    // Values separated by spaces until the end (or a closing parenthesis, which is not consumed).
    std::vector<Value> values(int depth = 0) {
        std::vector<Value> out;
        for (;;) {
            skip_spaces();
            if (at_end() || peek(')')) return out;
            out.push_back(value(depth));
        }
    }

    // An atom in the wide sense IMAP servers use: flags (\Seen), section names (BODY[HEADER]),
    // numbers, sets (1:3,5). Brackets belong to it, so "BODY[]" is one atom.
    std::string atom() {
        std::size_t start = pos_;
        int brackets = 0;
        while (pos_ < in_.size()) {
            char c = in_[pos_];
            if (c == '[') ++brackets;
            else if (c == ']') {
                if (brackets == 0) break;
                --brackets;
            } else if (brackets == 0 && (c == ' ' || c == '(' || c == ')' || c == '{' || c == '"')) break;
            if (c == '\r' || c == '\n' || static_cast<unsigned char>(c) < 0x20) break;
            ++pos_;
        }
        return std::string(in_.substr(start, pos_ - start));
    }

    // The rest of the line as text (a status response's human-readable part).
    std::string rest_of_line() {
        std::size_t end = in_.find("\r\n", pos_);
        if (end == std::string_view::npos) end = in_.size();
        std::string out(in_.substr(pos_, end - pos_));
        pos_ = end;
        return out;
    }

    // "[" code "]" after a status word: the code's values.
    std::vector<Value> response_code() {
        expect('[');
        std::vector<Value> out;
        for (;;) {
            skip_spaces();
            if (peek(']')) {
                ++pos_;
                return out;
            }
            if (at_end()) fail("unterminated response code");
            // Inside a code, ']' ends an atom; a code like [PERMANENTFLAGS (\Seen \*)] has a list.
            if (peek('(') || peek('"') || peek('{')) {
                out.push_back(value());
            } else {
                std::size_t start = pos_;
                while (pos_ < in_.size() && in_[pos_] != ' ' && in_[pos_] != ']' && in_[pos_] != '\r') ++pos_;
                if (pos_ == start) fail("unexpected byte in a response code");
                Value v;
                v.text = std::string(in_.substr(start, pos_ - start));
                out.push_back(std::move(v));
            }
        }
    }

private:
    Value list(int depth) {
        expect('(');
        Value v;
        v.kind = Value::Kind::List;
        v.items = values(depth + 1);
        expect(')');
        return v;
    }

    Value quoted() {
        expect('"');
        Value v;
        v.kind = Value::Kind::String;
        for (;;) {
            if (pos_ >= in_.size()) fail("unterminated quoted string");
            char c = in_[pos_++];
            if (c == '"') return v;
            if (c == '\r' || c == '\n') fail("line break in a quoted string");
            if (c == '\\') {
                if (pos_ >= in_.size()) fail("unterminated quoted string");
                c = in_[pos_++];
            }
            v.text.push_back(c);
        }
    }

    Value literal() {
        expect('{');
        std::size_t n = 0;
        std::size_t digits = 0;
        while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') {
            n = n * 10 + static_cast<std::size_t>(in_[pos_] - '0');
            if (++digits > 10 || n > kMaxLiteral) fail("literal too large");
            ++pos_;
        }
        if (digits == 0) fail("literal size expected");
        if (peek('+')) ++pos_;
        expect('}');
        if (in_.substr(pos_, 2) != "\r\n") fail("CRLF expected after a literal's size");
        pos_ += 2;
        if (in_.size() - pos_ < n) fail("literal shorter than announced");
        Value v;
        v.kind = Value::Kind::String;
        v.text = std::string(in_.substr(pos_, n));
        pos_ += n;
        return v;
    }

    std::string_view in_;
    std::size_t pos_ = 0;
};

bool is_status_word(const std::string& w) {
    return iequals(w, "OK") || iequals(w, "NO") || iequals(w, "BAD") || iequals(w, "PREAUTH") || iequals(w, "BYE");
}

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return s;
}

void parse_status(Parser& p, Response& r) {
    p.skip_spaces();
    if (p.peek('[')) {
        r.code = p.response_code();
        if (!r.code.empty()) r.code[0].text = upper(r.code[0].text);
        p.skip_spaces();
    }
    r.text = p.rest_of_line();
}

}  // namespace

Response parse_response(std::string_view bytes) {
    Parser p(bytes);
    Response r;
    if (p.peek('+')) {
        r.kind = Response::Kind::Continuation;
        p.expect('+');
        p.skip_spaces();
        r.text = p.rest_of_line();
        return r;
    }
    if (p.peek('*')) {
        p.expect('*');
        r.kind = Response::Kind::Untagged;
    } else {
        r.kind = Response::Kind::Tagged;
        r.tag = p.atom();
        if (r.tag.empty()) p.fail("tag expected");
    }
    if (!p.peek(' ')) p.fail("space expected");
    p.skip_spaces();
    // A status response, or data ("* 3 EXISTS", "* LIST ...", "* 12 FETCH (...)").
    Value first = p.value();
    if (first.kind == Value::Kind::Atom && is_status_word(first.text)) {
        r.status = upper(first.text);
        parse_status(p, r);
        return r;
    }
    if (r.kind == Response::Kind::Tagged) p.fail("a tagged response must be OK, NO or BAD");
    r.values.push_back(std::move(first));
    // Text after CAPABILITY and similar is atoms; after FLAGS a list: values() reads all of them.
    std::vector<Value> rest = p.values();
    if (!p.at_end()) p.fail("unexpected ')'");
    for (auto& v : rest) r.values.push_back(std::move(v));
    return r;
}

}  // namespace easd::imap
