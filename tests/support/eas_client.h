// A minimal Exchange ActiveSync client for tests: MS-ASHTTP requests over plain HTTP (or HTTPS, see
// use_tls) to the front end on 127.0.0.1, WBXML bodies from and to easd::wbxml trees.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "wbxml/wbxml.h"

namespace easd::test {

struct EasResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names; the first of repeated headers
    std::string body;
    std::optional<easd::wbxml::Node> doc;  // decoded when the body is WBXML (by Content-Type)
    std::string decode_error;              // set when the body claimed to be WBXML but did not decode

    std::string header(const std::string& lower_case_name) const {
        auto it = headers.find(lower_case_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

class EasClient {
public:
    EasClient(int port, std::string user, std::string password, std::string device_id,
              std::string device_type = "TestDevice", std::string protocol_version = "14.1");

    // POST /Microsoft-Server-ActiveSync?Cmd=<cmd>&User=..&DeviceId=..&DeviceType=..[&extra_query]
    // with Authorization (Basic), MS-ASProtocolVersion, X-MS-PolicyKey (when policy_key() is set),
    // User-Agent and Content-Type application/vnd.ms-sync.wbxml; the body is wbxml::encode(*body), or
    // empty. extra_headers are added or replace the defaults; an empty value removes a default.
    EasResponse command(const std::string& cmd, const easd::wbxml::Node* body = nullptr,
                        const std::map<std::string, std::string>& extra_query = {},
                        const std::map<std::string, std::string>& extra_headers = {});

    // The same with the body as given (a MIME message for SendMail before 14.0: say so with
    // extra_headers {"Content-Type", "message/rfc822"}).
    EasResponse command_bytes(const std::string& cmd, const std::string& body,
                              const std::map<std::string, std::string>& extra_query = {},
                              const std::map<std::string, std::string>& extra_headers = {});

    // OPTIONS /Microsoft-Server-ActiveSync with Authorization.
    EasResponse options();

    // Anything at all: method and path+query as given, only the given headers (plus Host and
    // Content-Length), the body as given. For malformed requests; see auth_header().
    EasResponse raw(const std::string& method, const std::string& path_and_query, const std::string& body = {},
                    const std::map<std::string, std::string>& headers = {});

    // "Basic base64(user:password)"
    std::string auth_header() const;

    // The X-MS-PolicyKey sent with command() (empty: header not sent). Tests set it after Provision.
    void set_policy_key(const std::string& key) { policy_key_ = key; }
    const std::string& policy_key() const { return policy_key_; }

    void set_protocol_version(const std::string& v) { protocol_version_ = v; }
    const std::string& protocol_version() const { return protocol_version_; }
    const std::string& user() const { return user_; }
    const std::string& device_id() const { return device_id_; }
    const std::string& device_type() const { return device_type_; }

    // The address to connect to (default 127.0.0.1; scripts/cluster's hosts live on 10.77.0.0/24).
    void set_host(std::string host) { host_ = std::move(host); }
    const std::string& host() const { return host_; }
    // The local address to connect from (default: whatever the kernel picks). The cluster soak gives
    // its phones addresses of their own, as phones on the internet have.
    void set_source(std::string address) { source_ = std::move(address); }

    // Speak HTTPS, trusting only the certificate in ca_file (the test server's self-signed one,
    // EasServer::cert_path()) and checking that it names host(), as a phone does. Empty: plain HTTP.
    void use_tls(std::string ca_file) { ca_file_ = std::move(ca_file); }

    // How long to wait for a response (a parked Ping lasts its heartbeat). Default 120 s.
    void set_timeout(std::chrono::seconds t) { timeout_ = t; }

    // Percent-encoding for query values (RFC 3986 unreserved characters stay as they are).
    static std::string url_encode(const std::string& s);
    static std::string base64(const std::string& bytes);

private:
    int port_;
    std::string user_, password_, device_id_, device_type_, protocol_version_;
    std::string policy_key_;
    std::string host_ = "127.0.0.1";
    std::string source_;
    std::string ca_file_;
    std::chrono::seconds timeout_{120};
};

}  // namespace easd::test
