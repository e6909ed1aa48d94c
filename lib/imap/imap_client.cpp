#include "imap/imap_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <unordered_map>
#include <variant>

#include "common/text.h"
#include "common/unique_fd.h"
#include "imap/response_parser.h"
#include "protocol/request.h"

namespace easd::imap {

bool MailboxInfo::has(std::string_view attribute) const {
    for (const auto& a : attributes)
        if (iequals(a, attribute)) return true;
    return false;
}

namespace {

using Kind = ImapError::Kind;

[[noreturn]] void fail(Kind kind, const std::string& what) { throw ImapError(kind, what); }

using Fd = UniqueFd;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::string openssl_text(const char* what) {
    unsigned long e = ERR_get_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return std::string(what) + ": " + (e ? buf : "failed");
}

// Connects with a timeout: non-blocking connect, poll, then back to blocking with send and receive
// timeouts on the socket (so every later read and write is bounded too).
Fd connect_socket(const Endpoint& ep) {
    const int timeout_ms = static_cast<int>(ep.timeout.count());
    auto finish = [&](Fd fd, const sockaddr* addr, socklen_t len) -> Fd {
        int flags = fcntl(fd.get(), F_GETFL, 0);
        fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
        if (::connect(fd.get(), addr, len) != 0) {
            if (errno != EINPROGRESS) fail(Kind::Connection, errno_text("connect"));
            pollfd p{fd.get(), POLLOUT, 0};
            int r = ::poll(&p, 1, timeout_ms);
            if (r == 0) fail(Kind::Connection, "connect: timed out");
            if (r < 0) fail(Kind::Connection, errno_text("poll"));
            int err = 0;
            socklen_t el = sizeof err;
            getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &el);
            if (err != 0) {
                errno = err;
                fail(Kind::Connection, errno_text("connect"));
            }
        }
        fcntl(fd.get(), F_SETFL, flags);
        timeval tv{static_cast<time_t>(timeout_ms / 1000), static_cast<suseconds_t>((timeout_ms % 1000) * 1000)};
        setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        return fd;
    };
    if (!ep.unix_path.empty()) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (ep.unix_path.size() >= sizeof addr.sun_path) fail(Kind::Connection, "socket path too long");
        std::memcpy(addr.sun_path, ep.unix_path.c_str(), ep.unix_path.size() + 1);
        Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (fd.get() < 0) fail(Kind::Connection, errno_text("socket"));
        return finish(std::move(fd), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(ep.port);
    if (int rc = getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &found); rc != 0)
        fail(Kind::Connection, "cannot resolve " + ep.host + ": " + gai_strerror(rc));
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(found, freeaddrinfo);
    std::string last_error = "no address";
    for (addrinfo* a = found; a; a = a->ai_next) {
        Fd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
        if (fd.get() < 0) continue;
        try {
            Fd done = finish(std::move(fd), a->ai_addr, a->ai_addrlen);
            int one = 1;
            setsockopt(done.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return done;
        } catch (const ImapError& e) {
            last_error = e.what();
        }
    }
    fail(Kind::Connection, ep.host + ":" + port + ": " + last_error);
}

// "17-Jul-1996 02:44:25 -0700" -> seconds since the epoch; 0 when malformed.
std::int64_t parse_internal_date(std::string_view s) {
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    s = trim(s);
    int day = 0, year = 0, hh = 0, mm = 0, ss = 0, zone = 0;
    char mon[4] = {0};
    char sign = '+';
    std::string text(s);
    if (std::sscanf(text.c_str(), "%d-%3s-%d %d:%d:%d %c%d", &day, mon, &year, &hh, &mm, &ss, &sign, &zone) != 8)
        return 0;
    int month = -1;
    for (int i = 0; i < 12; ++i)
        if (iequals(mon, months[i])) month = i;
    if (month < 0) return 0;
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    std::int64_t t = timegm(&tm);
    std::int64_t offset = (zone / 100) * 3600 + (zone % 100) * 60;
    return sign == '-' ? t + offset : t - offset;
}

std::string format_internal_date(std::int64_t t) {
    static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon],
                  tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

// A string as a quoted string when that is allowed (printable ASCII, short), else nullopt.
std::optional<std::string> quoted(std::string_view s) {
    if (s.size() > 1000) return std::nullopt;
    std::string out = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7E) return std::nullopt;
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

// A command as text pieces and literals: a literal is sent as {n+} with LITERAL+, else as {n} and
// sent after the server's continuation.
struct Literal {
    std::string_view bytes;
};
using Piece = std::variant<std::string, Literal>;

struct Result {
    Response done;                     // the tagged response
    std::vector<Response> untagged;    // everything the server said before it
};

std::vector<std::string> upper_atoms(const std::vector<Value>& values, std::size_t from) {
    std::vector<std::string> out;
    for (std::size_t i = from; i < values.size(); ++i) {
        std::string s = values[i].text;
        for (auto& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
        out.push_back(std::move(s));
    }
    return out;
}

FetchedMessage fetched_from(const Value& list) {
    FetchedMessage m;
    for (std::size_t i = 0; i + 1 < list.items.size(); i += 2) {
        const Value& name = list.items[i];
        const Value& value = list.items[i + 1];
        if (name.is_atom("UID")) {
            m.uid = static_cast<std::uint32_t>(value.number().value_or(0));
        } else if (name.is_atom("FLAGS")) {
            for (const auto& f : value.items) m.flags.push_back(f.text);
        } else if (name.is_atom("MODSEQ")) {
            if (!value.items.empty()) m.modseq = value.items[0].number().value_or(0);
        } else if (name.is_atom("INTERNALDATE")) {
            m.internal_date = parse_internal_date(value.text);
        } else if (name.is_atom("RFC822.SIZE")) {
            m.size = value.number().value_or(0);
        } else if (name.kind == Value::Kind::Atom && (iequals(name.text, "BODY[]") || iequals(name.text, "BODY[HEADER]"))) {
            m.body = value.kind == Value::Kind::Nil ? std::string() : value.text;
        } else if (name.kind == Value::Kind::Atom && name.text.size() > 18 &&
                   iequals(std::string_view(name.text).substr(0, 18), "BODY[HEADER.FIELDS")) {
            m.message_id_field = value.kind == Value::Kind::Nil ? std::string() : value.text;
        }
    }
    return m;
}

}  // namespace

struct Connection::Impl {
    Endpoint endpoint;
    Fd fd;
    std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx{nullptr, SSL_CTX_free};
    std::unique_ptr<SSL, void (*)(SSL*)> ssl{nullptr, SSL_free};
    std::string buffer;  // bytes read and not yet consumed
    unsigned next_tag = 1;
    std::vector<std::string> capabilities;
    std::string selected;
    bool usable = true;

    [[noreturn]] void broken(Kind kind, const std::string& what) {
        usable = false;
        fail(kind, what);
    }

    void start_tls() {
        ctx.reset(SSL_CTX_new(TLS_client_method()));
        if (!ctx) broken(Kind::Connection, openssl_text("TLS context"));
        SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
        if (endpoint.tls_verify) {
            SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
            int ok = endpoint.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                                              : SSL_CTX_load_verify_locations(ctx.get(), endpoint.ca_file.c_str(), nullptr);
            if (ok != 1) broken(Kind::Connection, openssl_text("TLS trust store"));
        }
        ssl.reset(SSL_new(ctx.get()));
        if (!ssl) broken(Kind::Connection, openssl_text("TLS session"));
        SSL_set_fd(ssl.get(), fd.get());
        if (endpoint.unix_path.empty()) {
            SSL_set_tlsext_host_name(ssl.get(), endpoint.host.c_str());
            if (endpoint.tls_verify) SSL_set1_host(ssl.get(), endpoint.host.c_str());
        }
        if (SSL_connect(ssl.get()) != 1) broken(Kind::Connection, openssl_text("TLS handshake with the IMAP server"));
    }

    void write_all(std::string_view data) {
        while (!data.empty()) {
            long n;
            if (ssl) {
                n = SSL_write(ssl.get(), data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
                if (n <= 0) broken(Kind::Connection, openssl_text("TLS write"));
            } else {
                n = ::send(fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
                if (n < 0) {
                    if (errno == EINTR) continue;
                    broken(Kind::Connection, errno == EAGAIN ? "write: timed out" : errno_text("write"));
                }
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    // Appends at least one byte to the buffer.
    void read_more() {
        char chunk[65536];
        long n;
        for (;;) {
            if (ssl) {
                n = SSL_read(ssl.get(), chunk, sizeof chunk);
                if (n <= 0) {
                    int err = SSL_get_error(ssl.get(), static_cast<int>(n));
                    if (err == SSL_ERROR_ZERO_RETURN) broken(Kind::Connection, "the IMAP server closed the connection");
                    broken(Kind::Connection, errno == EAGAIN ? "read: timed out" : openssl_text("TLS read"));
                }
            } else {
                n = ::recv(fd.get(), chunk, sizeof chunk, 0);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) broken(Kind::Connection, errno == EAGAIN ? "read: timed out" : errno_text("read"));
                if (n == 0) broken(Kind::Connection, "the IMAP server closed the connection");
            }
            break;
        }
        buffer.append(chunk, static_cast<std::size_t>(n));
    }

    // One whole response: its line, and for each literal the line announces, the literal's bytes
    // and the line after it.
    Response read_response() {
        std::size_t scanned = 0;  // everything before this is part of the response already
        for (;;) {
            std::size_t eol;
            while ((eol = buffer.find("\r\n", scanned)) == std::string::npos) {
                if (buffer.size() > (1u << 20) + scanned) broken(Kind::Protocol, "IMAP response line too long");
                read_more();
            }
            // Does the line end with a literal's size, "{123}" or "{123+}"?
            std::size_t literal = 0;
            bool has_literal = false;
            if (eol > scanned && buffer[eol - 1] == '}') {
                std::size_t open = buffer.rfind('{', eol - 1);
                if (open != std::string::npos && open >= scanned) {
                    std::string_view digits(buffer.data() + open + 1, eol - 1 - open - 1);
                    if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
                    if (!digits.empty() && digits.size() <= 10 &&
                        digits.find_first_not_of("0123456789") == std::string_view::npos) {
                        literal = std::stoull(std::string(digits));
                        has_literal = true;
                    }
                }
            }
            if (!has_literal) {
                std::string raw = buffer.substr(0, eol + 2);
                buffer.erase(0, eol + 2);
                try {
                    Response r = parse_response(raw);
                    if (r.kind == Response::Kind::Untagged && r.status == "BYE") usable = false;
                    return r;
                } catch (const ParseError& e) {
                    broken(Kind::Protocol, e.what());
                }
            }
            if (literal > kMaxLiteral) broken(Kind::Protocol, "IMAP literal of " + std::to_string(literal) + " bytes refused");
            buffer.reserve(eol + 2 + literal + 4096);
            while (buffer.size() < eol + 2 + literal) read_more();
            scanned = eol + 2 + literal;
        }
    }

    Result run(const std::vector<Piece>& pieces) {
        if (!usable) fail(Kind::Connection, "the IMAP connection is no longer usable");
        const std::string tag = "e" + std::to_string(next_tag++);
        Result result;
        std::string out = tag + " ";
        const bool literal_plus = has_capability("LITERAL+");
        for (const auto& piece : pieces) {
            if (const auto* text = std::get_if<std::string>(&piece)) {
                out += *text;
                continue;
            }
            const std::string_view bytes = std::get<Literal>(piece).bytes;
            if (literal_plus) {
                out += "{" + std::to_string(bytes.size()) + "+}\r\n";
                write_all(out);
                write_all(bytes);
                out.clear();
                continue;
            }
            out += "{" + std::to_string(bytes.size()) + "}\r\n";
            write_all(out);
            out.clear();
            for (;;) {  // wait for "+", or a refusal
                Response r = read_response();
                if (r.kind == Response::Kind::Continuation) break;
                if (r.kind == Response::Kind::Tagged && r.tag == tag) {
                    result.done = std::move(r);
                    return result;
                }
                result.untagged.push_back(std::move(r));
            }
            write_all(bytes);
        }
        out += "\r\n";
        write_all(out);
        return finish(tag, std::move(result));
    }

    Result finish(const std::string& tag, Result result) {
        for (;;) {
            Response r = read_response();
            if (r.kind == Response::Kind::Tagged && r.tag == tag) {
                note_capabilities(r.code, 1);
                result.done = std::move(r);
                return result;
            }
            if (r.kind == Response::Kind::Untagged) {
                if (r.status == "BYE") broken(Kind::Connection, "the IMAP server said BYE: " + r.text);
                if (!r.values.empty() && r.values[0].is_atom("CAPABILITY")) capabilities = upper_atoms(r.values, 1);
                note_capabilities(r.code, 1);
                result.untagged.push_back(std::move(r));
            }
        }
    }

    void note_capabilities(const std::vector<Value>& code, std::size_t from) {
        if (!code.empty() && code[0].text == "CAPABILITY") capabilities = upper_atoms(code, from);
    }

    // Runs and throws ImapError(No/Bad) unless the answer is OK.
    Result checked(const std::vector<Piece>& pieces, const char* what) {
        Result r = run(pieces);
        if (r.done.status != "OK") {
            ImapError e(r.done.status == "NO" ? Kind::No : Kind::Bad,
                        std::string(what) + ": " + r.done.status + " " + r.done.text);
            if (!r.done.code.empty()) e.code = r.done.code[0].text;
            throw e;
        }
        return r;
    }

    bool has_capability(std::string_view name) const {
        for (const auto& c : capabilities)
            if (iequals(c, name)) return true;
        return false;
    }

    void refresh_capabilities() {
        Result r = checked({std::string("CAPABILITY")}, "CAPABILITY");
        (void)r;
    }

    // A string argument (a login, a password): quoted when it can be, else a literal.
    static void add_string(std::vector<Piece>& pieces, std::string_view s) {
        if (auto q = quoted(s)) {
            append_text(pieces, *q);
        } else {
            pieces.emplace_back(Literal{s});
        }
    }
    static void append_text(std::vector<Piece>& pieces, const std::string& text) {
        if (!pieces.empty())
            if (auto* last = std::get_if<std::string>(&pieces.back())) {
                *last += text;
                return;
            }
        pieces.emplace_back(text);
    }
};

namespace {
// Mailbox names go out in modified UTF-7, always quoted (the encoding is printable ASCII).
std::string mailbox_arg(const std::string& utf8) {
    auto q = quoted(encode_mailbox_name(utf8));
    if (!q) fail(Kind::Bad, "mailbox name too long");
    return *q;
}

std::string flag_list(const std::vector<std::string>& flags) {
    std::string out = "(";
    for (const auto& f : flags) {
        for (char c : f)
            if (c == ' ' || c == '(' || c == ')' || c == '"' || c == '{' || static_cast<unsigned char>(c) < 0x21 ||
                static_cast<unsigned char>(c) > 0x7E)
                fail(Kind::Bad, "not an IMAP flag: " + f);
        if (out.size() > 1) out.push_back(' ');
        out += f;
    }
    return out + ")";
}

bool valid_set(const std::string& set) {
    return !set.empty() && set.find_first_not_of("0123456789:,*") == std::string::npos;
}
}  // namespace

Connection::Connection() : impl_(std::make_unique<Impl>()) {}

Connection::~Connection() {
    if (!impl_ || !impl_->usable || impl_->fd.get() < 0) return;
    try {
        // Best effort and brief: the server closes its side anyway when the socket goes.
        timeval tv{1, 0};
        setsockopt(impl_->fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        impl_->write_all("z LOGOUT\r\n");
        if (impl_->ssl) SSL_shutdown(impl_->ssl.get());
    } catch (...) {
    }
}

std::unique_ptr<Connection> Connection::open(const Endpoint& endpoint) {
    std::unique_ptr<Connection> c(new Connection());
    Impl& m = *c->impl_;
    m.endpoint = endpoint;
    m.fd = connect_socket(endpoint);
    if (endpoint.tls) m.start_tls();
    Response greeting = m.read_response();
    if (greeting.kind != Response::Kind::Untagged || (greeting.status != "OK" && greeting.status != "PREAUTH"))
        m.broken(Kind::Connection, "the IMAP server refused the connection: " + greeting.status + " " + greeting.text);
    m.note_capabilities(greeting.code, 1);
    if (m.capabilities.empty()) m.refresh_capabilities();
    if (endpoint.starttls && !endpoint.tls) {
        if (!m.has_capability("STARTTLS")) m.broken(Kind::Connection, "the IMAP server does not offer STARTTLS");
        m.checked({std::string("STARTTLS")}, "STARTTLS");
        m.start_tls();
        m.refresh_capabilities();  // what was said before TLS does not count (RFC 3501 6.2.1)
    }
    return c;
}

void Connection::login(const std::string& user, const std::string& password) {
    std::vector<Piece> pieces;
    Impl::append_text(pieces, "LOGIN ");
    Impl::add_string(pieces, user);
    Impl::append_text(pieces, " ");
    Impl::add_string(pieces, password);
    Result r = impl_->checked(pieces, "LOGIN");
    if (r.done.code.empty() || r.done.code[0].text != "CAPABILITY") impl_->refresh_capabilities();
}

void Connection::login_as(const std::string& user, const std::string& master_user, const std::string& master_password) {
    std::string plain = user;
    plain.push_back('\0');
    plain += master_user;
    plain.push_back('\0');
    plain += master_password;
    const std::string response = protocol::base64_encode(plain);
    Result r;
    if (impl_->has_capability("SASL-IR")) {
        r = impl_->checked({"AUTHENTICATE PLAIN " + response}, "AUTHENTICATE");
    } else {
        // Without SASL-IR the response follows the server's empty continuation.
        const std::string tag = "e" + std::to_string(impl_->next_tag++);
        impl_->write_all(tag + " AUTHENTICATE PLAIN\r\n");
        Result pending;
        for (;;) {
            Response c = impl_->read_response();
            if (c.kind == Response::Kind::Continuation) break;
            if (c.kind == Response::Kind::Tagged) fail(Kind::No, "AUTHENTICATE: " + c.status + " " + c.text);
        }
        impl_->write_all(response + "\r\n");
        r = impl_->finish(tag, std::move(pending));
        if (r.done.status != "OK") {
            ImapError e(r.done.status == "NO" ? Kind::No : Kind::Bad, "AUTHENTICATE: " + r.done.status + " " + r.done.text);
            if (!r.done.code.empty()) e.code = r.done.code[0].text;
            throw e;
        }
    }
    if (r.done.code.empty() || r.done.code[0].text != "CAPABILITY") impl_->refresh_capabilities();
}

const std::vector<std::string>& Connection::capabilities() const { return impl_->capabilities; }
bool Connection::has_capability(std::string_view name) const { return impl_->has_capability(name); }

void Connection::enable(const std::string& extension) { impl_->checked({"ENABLE " + extension}, "ENABLE"); }

namespace {

// The attribute list of "* STATUS name (MESSAGES 3 UIDNEXT 7 ...)".
MailboxStatus status_from(const Value& list) {
    MailboxStatus s;
    for (std::size_t i = 0; i + 1 < list.items.size(); i += 2) {
        std::uint64_t n = list.items[i + 1].number().value_or(0);
        const Value& name = list.items[i];
        if (name.is_atom("MESSAGES")) s.messages = static_cast<std::uint32_t>(n);
        else if (name.is_atom("UIDNEXT")) s.uidnext = static_cast<std::uint32_t>(n);
        else if (name.is_atom("UIDVALIDITY")) s.uidvalidity = static_cast<std::uint32_t>(n);
        else if (name.is_atom("HIGHESTMODSEQ")) s.highestmodseq = n;
    }
    return s;
}

}  // namespace

std::string Connection::status_items() const {
    std::string items = "MESSAGES UIDNEXT UIDVALIDITY";
    if (has_capability("CONDSTORE") || has_capability("QRESYNC")) items += " HIGHESTMODSEQ";
    return items;
}

std::vector<MailboxInfo> Connection::list() {
    std::string command = "LIST \"\" \"*\"";
    std::vector<std::string> returns;
    if (has_capability("SPECIAL-USE")) returns.emplace_back("SPECIAL-USE");
    const bool with_status = has_capability("LIST-STATUS");
    if (with_status) {
        // As with STATUS: the selected mailbox's status would be this session's lagging view.
        if (!impl_->selected.empty()) unselect();
        returns.push_back("STATUS (" + status_items() + ")");
    }
    if (!returns.empty()) {
        command += " RETURN (";
        for (std::size_t i = 0; i < returns.size(); ++i) command += (i ? " " : "") + returns[i];
        command += ")";
    }
    Result r = impl_->checked({command}, "LIST");
    std::vector<MailboxInfo> out;
    std::unordered_map<std::string, MailboxStatus> statuses;
    for (const auto& u : r.untagged) {
        if (with_status && u.values.size() >= 3 && u.values[0].is_atom("STATUS")) {
            const std::string& raw = u.values[1].text;
            statuses[decode_mailbox_name(raw).value_or(raw)] = status_from(u.values[2]);
            continue;
        }
        if (u.values.size() < 4 || !u.values[0].is_atom("LIST")) continue;
        MailboxInfo m;
        for (const auto& a : u.values[1].items) m.attributes.push_back(to_lower_ascii(a.text));
        m.delimiter = u.values[2].kind == Value::Kind::Nil || u.values[2].text.empty() ? 0 : u.values[2].text[0];
        const std::string& raw = u.values[3].text;
        m.name = decode_mailbox_name(raw).value_or(raw);
        out.push_back(std::move(m));
    }
    for (auto& m : out)
        if (auto it = statuses.find(m.name); it != statuses.end()) m.status = it->second;
    return out;
}

MailboxStatus Connection::status(const std::string& mailbox) {
    // STATUS of the selected mailbox answers this session's view of it, which lags behind other
    // sessions' changes until the next command that reports them (Dovecot does so).
    if (impl_->selected == mailbox) unselect();
    Result r = impl_->checked({"STATUS " + mailbox_arg(mailbox) + " (" + status_items() + ")"}, "STATUS");
    for (const auto& u : r.untagged)
        if (u.values.size() >= 3 && u.values[0].is_atom("STATUS")) return status_from(u.values[2]);
    return {};
}

namespace {
// The VANISHED UIDs of "* VANISHED [(EARLIER)] set".
void collect_vanished(const Response& u, std::vector<std::uint32_t>& out) {
    if (u.values.empty() || !u.values[0].is_atom("VANISHED")) return;
    const Value& set = u.values.back();
    if (auto uids = parse_uid_set(set.text)) out.insert(out.end(), uids->begin(), uids->end());
}
bool is_fetch(const Response& u) { return u.values.size() >= 3 && u.values[1].is_atom("FETCH"); }
}  // namespace

SelectResult Connection::select(const std::string& mailbox, bool read_only, const std::optional<QresyncParams>& qresync) {
    std::string command = std::string(read_only ? "EXAMINE " : "SELECT ") + mailbox_arg(mailbox);
    if (qresync) {
        command += " (QRESYNC (" + std::to_string(qresync->uidvalidity) + " " + std::to_string(qresync->modseq);
        if (!qresync->known_uids.empty()) {
            if (!valid_set(qresync->known_uids)) fail(Kind::Bad, "not a UID set: " + qresync->known_uids);
            command += " " + qresync->known_uids;
        }
        command += "))";
    } else if (has_capability("CONDSTORE")) {
        command += " (CONDSTORE)";
    }
    impl_->selected.clear();
    Result r = impl_->checked({command}, read_only ? "EXAMINE" : "SELECT");
    SelectResult s;
    for (const auto& u : r.untagged) {
        if (!u.code.empty()) {
            const auto& code = u.code;
            std::uint64_t n = code.size() > 1 ? code[1].number().value_or(0) : 0;
            if (code[0].text == "UIDVALIDITY") s.uidvalidity = static_cast<std::uint32_t>(n);
            else if (code[0].text == "UIDNEXT") s.uidnext = static_cast<std::uint32_t>(n);
            else if (code[0].text == "HIGHESTMODSEQ") s.highestmodseq = n;
            else if (code[0].text == "NOMODSEQ") s.highestmodseq = 0;
            continue;
        }
        if (u.values.size() >= 2 && u.values[1].is_atom("EXISTS"))
            s.exists = static_cast<std::uint32_t>(u.values[0].number().value_or(0));
        else if (is_fetch(u))
            s.changed.push_back(fetched_from(u.values[2]));
        else
            collect_vanished(u, s.vanished);
    }
    impl_->selected = mailbox;
    return s;
}

const std::string& Connection::selected() const { return impl_->selected; }

void Connection::unselect() {
    if (impl_->selected.empty()) return;
    impl_->checked({std::string(has_capability("UNSELECT") ? "UNSELECT" : "CLOSE")}, "UNSELECT");
    impl_->selected.clear();
}

std::vector<FetchedMessage> Connection::fetch(const std::string& set, const FetchItems& items,
                                              std::optional<std::uint64_t> changed_since,
                                              std::vector<std::uint32_t>* vanished) {
    if (!valid_set(set)) fail(Kind::Bad, "not a UID set: " + set);
    std::string what = "UID";
    if (items.flags) what += " FLAGS";
    if (items.modseq) what += " MODSEQ";
    if (items.internal_date) what += " INTERNALDATE";
    if (items.size) what += " RFC822.SIZE";
    if (items.full_message) what += " BODY.PEEK[]";
    else if (items.header_only) what += " BODY.PEEK[HEADER]";
    if (items.message_id) what += " BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]";
    std::string command = "UID FETCH " + set + " (" + what + ")";
    if (changed_since) {
        command += " (CHANGEDSINCE " + std::to_string(*changed_since);
        if (vanished) command += " VANISHED";
        command += ")";
    }
    Result r = impl_->checked({command}, "FETCH");
    std::vector<FetchedMessage> out;
    for (const auto& u : r.untagged) {
        if (is_fetch(u)) {
            FetchedMessage m = fetched_from(u.values[2]);
            if (m.uid != 0) out.push_back(std::move(m));
        } else if (vanished) {
            collect_vanished(u, *vanished);
        }
    }
    return out;
}

std::vector<FetchedMessage> Connection::store_flags(const std::string& set, FlagOp op,
                                                    const std::vector<std::string>& flags) {
    if (!valid_set(set)) fail(Kind::Bad, "not a UID set: " + set);
    const char* verb = op == FlagOp::Add ? "+FLAGS.SILENT " : op == FlagOp::Remove ? "-FLAGS.SILENT " : "FLAGS.SILENT ";
    Result r = impl_->checked({"UID STORE " + set + " " + verb + flag_list(flags)}, "STORE");
    std::vector<FetchedMessage> out;
    for (const auto& u : r.untagged)
        if (is_fetch(u)) out.push_back(fetched_from(u.values[2]));
    return out;
}

namespace {
// [COPYUID uidvalidity source-set destination-set] -> destination UIDs in the source set's order.
std::vector<std::uint32_t> copied_uids(const std::vector<Value>& code) {
    if (code.size() < 4 || code[0].text != "COPYUID") return {};
    auto from = parse_uid_set(code[2].text);
    auto to = parse_uid_set(code[3].text);
    if (!from || !to || from->size() != to->size()) return {};
    return *to;
}
}  // namespace

std::vector<std::uint32_t> Connection::move(const std::string& set, const std::string& destination) {
    if (!valid_set(set)) fail(Kind::Bad, "not a UID set: " + set);
    if (has_capability("MOVE")) {
        Result r = impl_->checked({"UID MOVE " + set + " " + mailbox_arg(destination)}, "MOVE");
        for (const auto& u : r.untagged)
            if (auto uids = copied_uids(u.code); !uids.empty()) return uids;
        return copied_uids(r.done.code);
    }
    Result copy = impl_->checked({"UID COPY " + set + " " + mailbox_arg(destination)}, "COPY");
    expunge(set);
    return copied_uids(copy.done.code);
}

void Connection::expunge(const std::string& set) {
    if (!valid_set(set)) fail(Kind::Bad, "not a UID set: " + set);
    impl_->checked({"UID STORE " + set + " +FLAGS.SILENT (\\Deleted)"}, "STORE");
    if (has_capability("UIDPLUS")) impl_->checked({"UID EXPUNGE " + set}, "EXPUNGE");
    else impl_->checked({std::string("EXPUNGE")}, "EXPUNGE");
}

std::uint32_t Connection::append(const std::string& mailbox, std::string_view message,
                                 const std::vector<std::string>& flags, std::int64_t internal_date) {
    std::vector<Piece> pieces;
    std::string command = "APPEND " + mailbox_arg(mailbox) + " " + flag_list(flags) + " ";
    if (internal_date > 0) command += "\"" + format_internal_date(internal_date) + "\" ";
    pieces.emplace_back(command);
    pieces.emplace_back(Literal{message});
    Result r = impl_->checked(pieces, "APPEND");
    if (r.done.code.size() >= 3 && r.done.code[0].text == "APPENDUID")
        return static_cast<std::uint32_t>(r.done.code[2].number().value_or(0));
    return 0;
}

void Connection::create(const std::string& mailbox) { impl_->checked({"CREATE " + mailbox_arg(mailbox)}, "CREATE"); }
void Connection::rename(const std::string& from, const std::string& to) {
    impl_->checked({"RENAME " + mailbox_arg(from) + " " + mailbox_arg(to)}, "RENAME");
}
void Connection::remove(const std::string& mailbox) {
    if (impl_->selected == mailbox) unselect();
    impl_->checked({"DELETE " + mailbox_arg(mailbox)}, "DELETE");
}
void Connection::subscribe(const std::string& mailbox) {
    impl_->checked({"SUBSCRIBE " + mailbox_arg(mailbox)}, "SUBSCRIBE");
}
void Connection::noop() { impl_->checked({std::string("NOOP")}, "NOOP"); }
bool Connection::usable() const { return impl_->usable; }

}  // namespace easd::imap
