// The IMAP client's connection against a real Dovecot and against servers that misbehave: STARTTLS
// and implicit TLS (imap_tls = starttls | tls) carry a session, and a certificate that is not
// trusted, or not issued for the host easd connects to, is refused before any credential is sent
// (imap_tls_verify = no is the only way past); what a broken server sends is an error, never a hang.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "imap/imap_client.h"
#include "support/cluster.h"
#include "support/dovecot_server.h"
#include "support/process.h"
#include "support/server.h"

using easd::imap::Connection;
using easd::imap::ImapError;

namespace {

ImapError::Kind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const ImapError& e) {
        return e.kind;
    }
    FAIL("no ImapError");
    return ImapError::Kind::Bad;
}

const std::string kMessage =
    "From: a@example.com\r\nTo: tls@example.com\r\nSubject: over TLS\r\nMessage-ID: <tls@example.com>\r\n\r\nsecret\r\n";

}  // namespace

TEST_CASE("imap: STARTTLS and implicit TLS, with the certificate verified", "[imap][dovecot][tls]") {
    // A self-signed certificate for 127.0.0.1 (EC P-256: generated in milliseconds).
    const std::string tls_dir = easd::test::make_temp_dir("easd-imap-tls");
    struct Cleanup {
        std::string dir;
        ~Cleanup() { easd::test::remove_tree(dir); }
    } cleanup{tls_dir};
    auto gen = easd::test::run_process(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days",
         "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", tls_dir + "/key.pem",
         "-out", tls_dir + "/cert.pem"});
    REQUIRE(gen.exit_code == 0);
    const int imaps_port = easd::test::free_port();
    easd::test::DovecotServer::Options o;
    o.extra_config = {"ssl = yes", "ssl_cert = <" + tls_dir + "/cert.pem", "ssl_key = <" + tls_dir + "/key.pem",
                      "service imap-login {", "  inet_listener imaps {", "    address = 127.0.0.1",
                      "    port = " + std::to_string(imaps_port), "  }", "}"};
    easd::test::DovecotServer d(o);
    d.add_user("tls@example.com", "pw");

    easd::imap::Endpoint ep;
    ep.port = d.imap_port();
    ep.starttls = true;
    ep.ca_file = tls_dir + "/cert.pem";
    {
        auto c = Connection::open(ep);
        c->login_as("tls@example.com", d.master_user(), d.master_password());
        CHECK(c->append("INBOX", kMessage, {}) == 1);
    }
    ep.starttls = false;
    ep.tls = true;
    ep.port = imaps_port;
    {
        auto c = Connection::open(ep);
        c->login("tls@example.com", "pw");
        c->select("INBOX", true);
        easd::imap::FetchItems items;
        items.full_message = true;
        auto got = c->fetch("1", items);
        REQUIRE(got.size() == 1);
        CHECK(got[0].body == kMessage);
    }
    // Not signed by a CA we trust (the system store): refused before any credentials are sent.
    ep.ca_file.clear();
    CHECK(kind_of([&] { Connection::open(ep); }) == ImapError::Kind::Connection);
    // Trusted, but issued for another name.
    ep.ca_file = tls_dir + "/cert.pem";
    ep.host = "localhost";
    CHECK(kind_of([&] { Connection::open(ep); }) == ImapError::Kind::Connection);
    ep.tls_verify = false;
    CHECK(Connection::open(ep)->usable());
}

namespace {

// A one-connection server on a free loopback port that sends a fixed script (all at once) and then
// reads and discards until the test ends (or closes at once): for what Dovecot never does.
class ScriptedServer {
public:
    explicit ScriptedServer(std::string script, bool close_after = false) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd_, 4) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this, script = std::move(script), close_after] {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 10000) <= 0) return;
            int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (conn < 0) return;
            if (!script.empty()) (void)!::send(conn, script.data(), script.size(), MSG_NOSIGNAL);
            char buf[4096];
            while (!close_after && !stop_) {
                pollfd q{conn, POLLIN, 0};
                if (::poll(&q, 1, 50) > 0 && ::recv(conn, buf, sizeof buf, 0) <= 0) break;
            }
            ::close(conn);
        });
    }
    ~ScriptedServer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    ScriptedServer(const ScriptedServer&) = delete;
    ScriptedServer& operator=(const ScriptedServer&) = delete;
    easd::imap::Endpoint endpoint(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
        easd::imap::Endpoint e;
        e.port = port_;
        e.timeout = timeout;
        return e;
    }

private:
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

const std::string kGreeting = "* OK [CAPABILITY IMAP4rev1 LITERAL+] fake ready\r\n";

}  // namespace

TEST_CASE("imap: what a broken server sends is a Protocol or Connection error, never a hang", "[imap][broken]") {
    SECTION("not IMAP at all") {
        ScriptedServer s("HTTP/1.1 400 Bad Request\r\n\r\n");
        CHECK(kind_of([&] { Connection::open(s.endpoint()); }) == ImapError::Kind::Protocol);
    }
    SECTION("a BYE greeting") {
        ScriptedServer s("* BYE Too many connections\r\n");
        CHECK(kind_of([&] { Connection::open(s.endpoint()); }) == ImapError::Kind::Connection);
    }
    SECTION("no greeting: the read times out") {
        ScriptedServer s("");
        auto started = std::chrono::steady_clock::now();
        CHECK(kind_of([&] { Connection::open(s.endpoint(std::chrono::milliseconds(300))); }) ==
              ImapError::Kind::Connection);
        auto took = std::chrono::steady_clock::now() - started;
        CHECK(took >= std::chrono::milliseconds(290));
        CHECK(took < std::chrono::seconds(3));
    }
    SECTION("a literal beyond the limit") {
        ScriptedServer s(kGreeting + "* 1 FETCH (UID 1 BODY[] {300000000}\r\n");
        auto c = Connection::open(s.endpoint());
        CHECK(kind_of([&] { c->noop(); }) == ImapError::Kind::Protocol);
        CHECK_FALSE(c->usable());
        CHECK(kind_of([&] { c->noop(); }) == ImapError::Kind::Connection);  // dead from now on
    }
    SECTION("the answer to another command's tag") {
        ScriptedServer s(kGreeting + "x9 OK not yours\r\n");
        auto c = Connection::open(s.endpoint());
        CHECK(kind_of([&] { c->noop(); }) != ImapError::Kind::No);
        CHECK_FALSE(c->usable());
    }
    SECTION("the server closes in the middle of a literal") {
        ScriptedServer s(kGreeting + "* 1 FETCH (UID 1 BODY[] {100}\r\nonly a part", true);
        auto c = Connection::open(s.endpoint());
        CHECK(kind_of([&] { c->noop(); }) == ImapError::Kind::Connection);
        CHECK_FALSE(c->usable());
    }
    SECTION("a tagged NO keeps the connection") {
        ScriptedServer s(kGreeting + "e1 NO [TRYCREATE] no such mailbox\r\ne2 OK fine\r\n");
        auto c = Connection::open(s.endpoint());
        CHECK(kind_of([&] { c->create("x"); }) == ImapError::Kind::No);
        CHECK(c->usable());
        c->noop();
    }
}
