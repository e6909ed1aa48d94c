// easd behind a real Apache httpd (mod_proxy_fcgi), started with the shipped virtual hosts
// (apache/easd.conf.in, unchanged but for ports, socket and certificate): everything a phone does
// goes through it over TLS, parked Pings and hanging Syncs last their whole heartbeat although
// Apache's own Timeout is shorter, and the limits it sets on bodies and slow clients hold.
//
// The assertions fail with a broken easd.conf.in (each was seen to): without CGIPassAuth every
// sign-in is 401, without ProxyTimeout the long heartbeats end in Apache's 504 after 30 s, without
// its RequestReadTimeout Debian's body=10 cuts bodies at 10 s, without mod_reqtimeout stalled
// requests last until Timeout (30 s), with /easd-notify's Require lines side by side a GET passes.

#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "console_browser.h"
#include "e2e_support.h"
#include "parked_support.h"
#include "support/text.h"

using namespace e2e;
using easd::test::has;
namespace tag = easd::wbxml::tag;
using Clock = std::chrono::steady_clock;

namespace {

easd::test::EasServer& apache() {
    static easd::test::EasServer s(cluster(), shared_options(easd::test::EasServer::FrontEnd::apache));
    return s;
}

// A phone that reaches easd through Apache over TLS, trusting the test certificate.
EasClient phone(const std::string& user, const std::string& device, const std::string& password = "secret-pw") {
    EasClient c(apache().https_port(), user, password, device);
    c.use_tls(apache().cert_path());
    return c;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// A TLS connection to Apache that sends exactly what it is given: requests cut short, headers
// without their body.
class RawTls {
public:
    RawTls()
        : context_(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", apache().cert_path(),
                                          Poco::Net::Context::VERIFY_RELAXED)),
          socket_(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(apache().https_port())),
                  "127.0.0.1", context_) {}

    void send(const std::string& data) { socket_.sendBytes(data.data(), static_cast<int>(data.size())); }

    // Reads until Apache closes the connection (or resets it) or `wait` passes; true if it closed.
    bool wait_closed(std::chrono::seconds wait) {
        const auto deadline = Clock::now() + wait;
        char buf[4096];
        while (Clock::now() < deadline) {
            try {
                socket_.setReceiveTimeout(Poco::Timespan(1, 0));
                int n = socket_.receiveBytes(buf, sizeof buf);
                if (n <= 0) return true;
                received_.append(buf, static_cast<size_t>(n));
            } catch (const Poco::TimeoutException&) {
            } catch (const Poco::Exception&) {
                return true;  // reset, or TLS closed without close_notify
            }
        }
        return false;
    }

    const std::string& received() const { return received_; }
    int status() const {
        if (received_.rfind("HTTP/1.", 0) != 0 || received_.size() < 12) return 0;
        return std::atoi(received_.substr(9, 3).c_str());
    }

private:
    Poco::Net::Context::Ptr context_;
    Poco::Net::SecureStreamSocket socket_;
    std::string received_;
};

// The first number after `directive` at the start of a line of the shipped easd.conf.in.
long shipped_value(const std::string& directive) {
    std::ifstream in(std::string(EASD_SOURCE_DIR) + "/apache/easd.conf.in");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string first;
        long value = -1;
        if (words >> first && first == directive && words >> value) return value;
    }
    return -1;
}

}  // namespace

TEST_CASE("through Apache over TLS: OPTIONS, sign-in, FolderSync, Sync, autodiscover, /easd-health",
          "[e2e][apache]") {
    const std::string user = new_user("apache");
    auto c = phone(user, "APACHE1");

    // CGIPassAuth: the Basic credentials reach easd, which tells the right password from a wrong one.
    auto options = c.options();
    CHECK(options.status == 200);
    CHECK_FALSE(options.header("ms-asprotocolversions").empty());
    CHECK(has(options.header("ms-asprotocolcommands"), "Ping"));
    CHECK(options.header("strict-transport-security") == "max-age=31536000");
    CHECK(phone(user, "APACHE1", "wrong-pw").options().status == 401);

    auto h = folder_sync(c);
    REQUIRE_FALSE(h.ids["Inbox"].empty());
    deliver(user, simple_message("through Apache"));
    EasResponse keep;
    auto first = sync(c, h.ids["Inbox"], "0", keep);
    auto col = sync(c, h.ids["Inbox"], first.key, keep, "<WindowSize>10</WindowSize>");
    CHECK(col.status == "1");
    REQUIRE(col.adds.size() == 1);
    CHECK(has(easd::wbxml::to_xml(*keep.doc), "through Apache"));

    // Devices use every casing of the path.
    CHECK(c.raw("OPTIONS", "/microsoft-server-activesync", {}, {{"Authorization", c.auth_header()}}).status == 200);

    // Autodiscover over TLS: the URL it gives is https (Apache passes HTTPS=on) with Apache's port.
    const std::string url = apache().https_url() + "/Microsoft-Server-ActiveSync";
    auto ad = c.raw("POST", "/AutoDiscover/AutoDiscover.xml",
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><Autodiscover xmlns=\"http://schemas.microsoft.com/"
                    "exchange/autodiscover/mobilesync/requestschema/2006\"><Request><EMailAddress>" + user +
                        "</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/"
                        "mobilesync/responseschema/2006</AcceptableResponseSchema></Request></Autodiscover>",
                    {{"Content-Type", "text/xml"}, {"Authorization", c.auth_header()}});
    INFO(ad.body);
    CHECK(ad.status == 200);
    CHECK(has(ad.body, "<Url>" + url + "</Url>"));

    // /easd-health: no sign-in, GET only; nothing else is served.
    auto health = c.raw("GET", "/easd-health");
    CHECK(health.status == 200);
    CHECK(health.body == "ok\n");
    CHECK(c.raw("POST", "/easd-health", "x").status == 403);
    CHECK(c.raw("GET", "/easd-health/more").status == 404);
    CHECK(c.raw("GET", "/index.html").status == 404);
    // /easd-metrics: this machine may read it (the test's client is on loopback), with the
    // requests above counted; GET only.
    auto metrics = c.raw("GET", "/easd-metrics");
    CHECK(metrics.status == 200);
    // (every sample carries its process's pid, last: README, "Monitoring").
    CHECK(has(metrics.body, "easd_requests_total{command=\"FolderSync\",status=\"200\",pid=\"" +
                                std::to_string(apache().easd_pid()) + "\"} "));
    CHECK(c.raw("POST", "/easd-metrics", "x").status == 405);
    CHECK(c.raw("GET", "/easd-metrics/more").status == 404);
    // /easd-notify lives on the loopback host only (below).
    CHECK(c.raw("POST", "/easd-notify", "user=x").status == 404);

    // The loopback host passes the mail server's announcements to easd (whose native mail store
    // takes none: its own 404 says so), POST only, nothing else.
    EasClient local(apache().notify_port(), user, "secret-pw", "APACHE1");
    auto notify = local.raw("POST", "/easd-notify", "user=" + user, {{"Content-Type", "application/x-www-form-urlencoded"}});
    CHECK(notify.status == 404);
    CHECK(has(notify.body, "takes no notifications"));
    CHECK(local.raw("GET", "/easd-notify").status == 403);  // Apache's, not easd's 405
    CHECK(local.raw("GET", "/Microsoft-Server-ActiveSync").status == 404);

    // Plain HTTP only redirects to HTTPS.
    EasClient plain(apache().http_port(), user, "secret-pw", "APACHE1");
    auto redirect = plain.options();
    CHECK(redirect.status == 301);
    CHECK(has(redirect.header("location"), "https://"));
}

TEST_CASE("through Apache: a parked Ping and a hanging Sync are woken by new mail within a second",
          "[e2e][apache][push]") {
    const std::string user = new_user("apachepush");
    ParkedPhone pinger(phone(user, "APPING"));
    ParkedPhone syncer(phone(user, "APSYNC"));
    auto pinged = std::async(std::launch::async, [&] { return ping(pinger, 120); });
    auto hanging = std::async(std::launch::async, [&] { return hanging_sync(syncer, 120); });
    // Both parked by now: nothing answers them before the mail arrives.
    CHECK(pinged.wait_for(std::chrono::seconds(2)) == std::future_status::timeout);
    CHECK(hanging.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    const auto delivered = Clock::now();
    deliver(user, simple_message("wake up"));
    auto p = pinged.get();
    auto s = hanging.get();
    CHECK(seconds_since(delivered) < 1.5);
    CHECK(p.response.status == 200);
    CHECK(p.status == "2");  // changes in the folders
    auto col = collection_of(s.response);
    CHECK(col.status == "1");
    REQUIRE(col.adds.size() == 1);
    CHECK(has(easd::wbxml::to_xml(*s.response.doc), "wake up"));
}

TEST_CASE("Apache's timeouts cut no parked request: heartbeats longer than its Timeout end on time",
          "[e2e][apache][push]") {
    // The shipped ProxyTimeout outlasts every heartbeat EAS allows (3540 s); the long heartbeats
    // below show that it, not Timeout (30 s), is what Apache waits on easd for.
    CHECK(shipped_value("Timeout") == 30);
    CHECK(shipped_value("ProxyTimeout") > 3540);

    const std::string user = new_user("apachebeat");
    ParkedPhone pinger(phone(user, "APBEAT"));
    ParkedPhone syncer(phone(user, "APHANG"));
    auto pinged = std::async(std::launch::async, [&] { return ping(pinger, 45); });
    auto hanging = std::async(std::launch::async, [&] { return hanging_sync(syncer, 40); });
    auto p = pinged.get();
    auto s = hanging.get();
    INFO("Ping after " << p.seconds << " s: " << p.response.status << " " << p.response.body);
    INFO("Sync after " << s.seconds << " s: " << s.response.status << " " << s.response.body);
    CHECK(p.response.status == 200);
    CHECK(p.status == "1");  // the heartbeat ended without changes
    CHECK(p.seconds >= 44.5);
    CHECK(p.seconds < 50);
    CHECK(s.response.status == 200);
    CHECK(s.response.body.empty());  // the empty Sync response: nothing changed
    CHECK(s.seconds >= 39.5);
    CHECK(s.seconds < 45);
}

TEST_CASE("through Apache: a 20 MB SendMail is sent; a body over 64 MB is refused before it is read",
          "[e2e][apache][limits]") {
    const std::string user = new_user("apachesend");
    auto c = phone(user, "APSEND");
    c.set_protocol_version("12.1");  // SendMail's body is the MIME message itself
    const std::string attachment(20u << 20, 'A');  // 20 MB of base64 text (15 MB of attachment)
    std::string base64;
    for (size_t i = 0; i < attachment.size(); i += 76) base64 += attachment.substr(i, 76) + "\r\n";
    const std::string message = "From: " + user + "\r\nTo: someone@example.com\r\nSubject: big one\r\n"
                                "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                                "Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: "
                                "application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                                "Content-Disposition: attachment; filename=big.bin\r\n\r\n" + base64 + "--b--\r\n";
    REQUIRE(message.size() > (20u << 20));
    const auto calls_before = fake_sendmail().calls().size();
    auto sent = c.command_bytes("SendMail", message, {{"SaveInSent", "T"}}, {{"Content-Type", "message/rfc822"}});
    CHECK(sent.status == 200);
    auto calls = fake_sendmail().calls_since(calls_before);
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].second.size() >= message.size() - 1024);
    CHECK(has(calls[0].second, "filename=big.bin"));

    // A body declared larger than 64 MB: mod_proxy_fcgi hands the request to easd at once and
    // streams the body after it, so easd's own admission answers 413 while the phone has sent
    // only its first megabyte, and Apache brings that answer back at once.
    RawTls big;
    big.send("POST /Microsoft-Server-ActiveSync?Cmd=SendMail&User=" + EasClient::url_encode(user) +
             "&DeviceId=APSEND&DeviceType=TestDevice HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + c.auth_header() +
             "\r\nMS-ASProtocolVersion: 12.1\r\nContent-Type: message/rfc822\r\nContent-Length: " +
             std::to_string((64u << 20) + 1) + "\r\n\r\n");
    try {
        big.send(std::string(1u << 20, 'x'));
    } catch (const Poco::Exception&) {
        // Answered and closed already.
    }
    REQUIRE(big.wait_closed(std::chrono::seconds(10)));
    INFO(big.received());
    CHECK(big.status() == 413);
    CHECK(has(big.received(), "request body too large for SendMail"));
}

TEST_CASE("through Apache: mod_reqtimeout ends stalled headers and bodies after 20 s, Timeout does not wait 30",
          "[e2e][apache][limits][slow_client]") {
    const std::string user = new_user("apacheslow");
    auto c = phone(user, "APSLOW");
    REQUIRE(c.options().status == 200);

    // Headers that stop halfway, and a body that stops after one byte of 1,000.
    RawTls headers, body;
    const auto start = Clock::now();
    headers.send("POST /Microsoft-Server-ActiveSync?Cmd=Sync HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    body.send("POST /Microsoft-Server-ActiveSync?Cmd=Sync&User=" + EasClient::url_encode(user) +
              "&DeviceId=APSLOW&DeviceType=TestDevice HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " +
              c.auth_header() + "\r\nMS-ASProtocolVersion: 14.1\r\nContent-Type: application/vnd.ms-sync.wbxml\r\n"
              "Content-Length: 1000\r\n\r\nx");
    // Meanwhile a phone is served.
    CHECK(c.options().status == 200);
    // Each connection timed on its own thread: one cut off early must not wait for the other.
    auto cut_after = [&](RawTls& conn) {
        return std::async(std::launch::async, [&conn, start] {
            const bool cut = conn.wait_closed(std::chrono::seconds(40));
            return std::make_pair(cut, seconds_since(start));
        });
    };
    auto headers_wait = cut_after(headers);
    auto body_wait = cut_after(body);
    const auto [headers_cut, headers_after] = headers_wait.get();
    const auto [body_cut, body_after] = body_wait.get();
    INFO("headers cut " << headers_cut << " after " << headers_after << " s: " << headers.received());
    INFO("body cut " << body_cut << " after " << body_after << " s: " << body.received());
    CHECK(headers_cut);
    CHECK(headers_after >= 19);
    CHECK(headers_after < 27);
    CHECK(body_cut);
    CHECK(body_after >= 19);
    CHECK(body_after < 27);
    CHECK((body.status() == 0 || body.status() == 408));
    CHECK(c.options().status == 200);
}

TEST_CASE("through Apache: easd restarted serves the very next request (retry=0)", "[e2e][apache]") {
    const std::string user = new_user("apacherestart");
    auto c = phone(user, "APRESTART");
    REQUIRE(c.options().status == 200);
    apache().stop_easd();
    // Apache cannot reach easd: its own 503, and each of its children that tried marks the
    // backend as failed (a new connection per request, so several children see it).
    for (int i = 0; i < 8; ++i) CHECK(c.options().status == 503);
    apache().start_easd();
    // A backend held out of service (Apache's documented retry=60) would answer 503 here.
    for (int i = 0; i < 8; ++i) CHECK(c.options().status == 200);
}

TEST_CASE("through Apache: the web console over TLS, plain HTTP redirected", "[e2e][apache][console]") {
    std::string admin = new_user("apache-console-admin");
    REQUIRE(easd::test::run_easctl(cluster(), {"user", "role", admin, "admin"}).exit_code == 0);
    std::string owner = new_user("apache-console-owner");
    auto phone = ::phone(owner, "APACHECONSOLE");
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    phone.command("FolderSync", &body);

    EasClient plain(apache().http_port(), "-", "-", "-");
    auto redirected = plain.raw("GET", "/easd-admin/");
    CHECK(redirected.status == 301);
    CHECK(redirected.header("location").rfind("https://", 0) == 0);

    ConsoleBrowser browser(apache().https_port(), apache().cert_path());
    auto signed_in = browser.sign_in(admin);
    REQUIRE(signed_in.status == 303);
    CHECK(signed_in.header("set-cookie").find("HttpOnly") != std::string::npos);
    auto list = browser.get("/easd-admin/?user=" + EasClient::url_encode(owner));
    REQUIRE(list.status == 200);
    CHECK(list.body.find(phone.device_id()) != std::string::npos);
    CHECK(list.header("x-frame-options") == "DENY");
    std::string csrf = csrf_of(list.body);
    REQUIRE_FALSE(csrf.empty());
    CHECK(browser.post("/easd-admin/device", {{"user", owner}, {"id", phone.device_id()}, {"action", "block"}}).status == 403);
    CHECK(browser.post("/easd-admin/device", {{"csrf", csrf}, {"user", owner}, {"id", phone.device_id()}, {"action", "block"}}).status == 303);
    CHECK(device_column(owner, phone.device_id(), "access_override") == "block");
}
