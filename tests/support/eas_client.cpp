#include "support/eas_client.h"

#include "support/xsd_validator.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <cctype>
#include <memory>
#include <stdexcept>

namespace easd::test {

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool is_wbxml(const std::string& content_type) {
    return lower(content_type).rfind("application/vnd.ms-sync.wbxml", 0) == 0;
}

// The protocol version a request asks for: the MS-ASProtocolVersion header, or the first byte of
// the base64-encoded query (MS-ASHTTP 2.2.1.1.1.1: 141 is "14.1"). Empty when neither says.
std::string request_version(const std::string& path_and_query, const std::map<std::string, std::string>& headers) {
    for (const auto& [name, value] : headers)
        if (lower(name) == "ms-asprotocolversion") return value;
    auto q = path_and_query.find('?');
    if (q == std::string::npos || path_and_query.find("Cmd=", q) != std::string::npos) return {};
    std::string encoded;  // percent-decoded query
    for (size_t i = q + 1; i < path_and_query.size(); ++i) {
        if (path_and_query[i] == '%' && i + 2 < path_and_query.size()) {
            encoded += static_cast<char>(std::stoi(path_and_query.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            encoded += path_and_query[i];
        }
    }
    static const std::string table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (encoded.size() < 2) return {};
    auto a = table.find(encoded[0]), b = table.find(encoded[1]);
    if (a == std::string::npos || b == std::string::npos) return {};
    unsigned version = static_cast<unsigned>((a << 2) | (b >> 4)) & 0xFF;
    return std::to_string(version / 10) + "." + std::to_string(version % 10);
}

// Every WBXML response a test receives goes through the XSDs (support/xsd_validator.h says which
// versions and how namespaces are mapped); one that does not fit fails the test that got it.
void check_against_xsds(const easd::wbxml::Node& doc, const std::string& version, const std::string& request) {
    if (!xsd_should_validate(version)) {
        xsd_count(false);
        return;
    }
    XsdResult r = xsd_validate(doc);
    xsd_count(true);
    if (!r.valid)
        throw std::runtime_error("EasClient: the response to " + request + " (version " + version +
                                 ") does not validate against the EAS XSDs:\n" + r.errors + r.xml);
}

}  // namespace

EasClient::EasClient(int port, std::string user, std::string password, std::string device_id,
                     std::string device_type, std::string protocol_version)
    : port_(port),
      user_(std::move(user)),
      password_(std::move(password)),
      device_id_(std::move(device_id)),
      device_type_(std::move(device_type)),
      protocol_version_(std::move(protocol_version)) {}

std::string EasClient::url_encode(const std::string& s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string EasClient::base64(const std::string& bytes) {
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                     static_cast<unsigned char>(bytes[i + 2]);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == bytes.size()) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string EasClient::auth_header() const { return "Basic " + base64(user_ + ":" + password_); }

EasResponse EasClient::raw(const std::string& method, const std::string& path_and_query, const std::string& body,
                           const std::map<std::string, std::string>& headers) {
    try {
        // Connect ourselves to switch Nagle off: Poco writes the header and the body separately,
        // and with Nagle the body waits for the delayed ACK of the header (milliseconds per request).
        Poco::Net::SocketAddress target(host_, static_cast<Poco::UInt16>(port_));
        const Poco::Timespan timeout(static_cast<long>(timeout_.count()), 0);
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (ca_file_.empty()) {
            Poco::Net::StreamSocket socket(target.family());
            if (!source_.empty()) socket.impl()->bind(Poco::Net::SocketAddress(source_, 0));
            socket.connect(target, timeout);
            socket.setNoDelay(true);
            session = std::make_unique<Poco::Net::HTTPClientSession>(socket);
        } else {
            // VERIFY_RELAXED with a CA file: the chain must end in ca_file_, and Poco checks the
            // name (here the address) against the certificate's.
            Poco::Net::Context::Ptr context(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file_,
                                                                   Poco::Net::Context::VERIFY_RELAXED));
            Poco::Net::SecureStreamSocket socket(context);
            socket.setPeerHostName(host_);
            if (!source_.empty()) socket.impl()->bind(Poco::Net::SocketAddress(source_, 0));
            socket.connect(target, timeout);
            socket.setNoDelay(true);
            // A plain HTTPClientSession over the TLS socket: HTTPSClientSession refuses a socket
            // that is already connected.
            session = std::make_unique<Poco::Net::HTTPClientSession>(socket);
        }
        session->setKeepAlive(false);
        session->setTimeout(timeout);
        Poco::Net::HTTPRequest request(method, path_and_query, Poco::Net::HTTPMessage::HTTP_1_1);
        request.setHost(host_, static_cast<Poco::UInt16>(port_));
        for (const auto& [name, value] : headers) request.set(name, value);
        // Poco adds no Content-Length on its own: always send one, even 0 (nginx wants it for POST).
        if (!body.empty() || method != "GET") request.setContentLength(static_cast<std::streamsize>(body.size()));
        std::ostream& out = session->sendRequest(request);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));

        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        EasResponse result;
        result.status = static_cast<int>(response.getStatus());
        for (const auto& [name, value] : response) result.headers.emplace(lower(name), value);
        Poco::StreamCopier::copyToString(in, result.body);
        if (!result.body.empty() && is_wbxml(result.header("content-type"))) {
            auto decoded = easd::wbxml::decode(result.body);
            if (decoded.root) {
                result.doc = std::move(decoded.root);
                check_against_xsds(*result.doc, request_version(path_and_query, headers), method + " " + path_and_query);
            } else {
                result.decode_error = decoded.error.empty() ? "undecodable WBXML" : decoded.error;
            }
        }
        return result;
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("EasClient: " + method + " " + path_and_query + ": " + e.displayText());
    }
}

EasResponse EasClient::command(const std::string& cmd, const easd::wbxml::Node* body,
                               const std::map<std::string, std::string>& extra_query,
                               const std::map<std::string, std::string>& extra_headers) {
    return command_bytes(cmd, body ? easd::wbxml::encode(*body) : std::string(), extra_query, extra_headers);
}

EasResponse EasClient::command_bytes(const std::string& cmd, const std::string& body,
                                     const std::map<std::string, std::string>& extra_query,
                                     const std::map<std::string, std::string>& extra_headers) {
    std::string uri = "/Microsoft-Server-ActiveSync?Cmd=" + url_encode(cmd) + "&User=" + url_encode(user_) +
                      "&DeviceId=" + url_encode(device_id_) + "&DeviceType=" + url_encode(device_type_);
    for (const auto& [k, v] : extra_query) uri += "&" + url_encode(k) + "=" + url_encode(v);

    std::map<std::string, std::string> headers{
        {"Authorization", auth_header()},
        {"MS-ASProtocolVersion", protocol_version_},
        {"User-Agent", "easd-test/1.0"},
        {"Content-Type", "application/vnd.ms-sync.wbxml"},
    };
    if (!policy_key_.empty()) headers["X-MS-PolicyKey"] = policy_key_;
    for (const auto& [k, v] : extra_headers) {
        // Replace a default whatever its casing; an empty value removes it.
        for (auto it = headers.begin(); it != headers.end();) {
            if (lower(it->first) == lower(k)) it = headers.erase(it);
            else ++it;
        }
        if (!v.empty()) headers[k] = v;
    }
    return raw("POST", uri, body, headers);
}

EasResponse EasClient::options() {
    return raw("OPTIONS", "/Microsoft-Server-ActiveSync",
               {}, {{"Authorization", auth_header()}, {"User-Agent", "easd-test/1.0"}});
}

}  // namespace easd::test
