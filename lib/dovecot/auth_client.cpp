#include "dovecot/auth_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"
#include "protocol/request.h"

namespace easd::dovecot {

namespace {

// Values in the protocol are tab-separated; a tab, newline or backslash in them is escaped as
// \t, \n, \\ (and \001 as \1).
std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\t') out += "\\t";
        else if (c == '\n') out += "\\n";
        else if (c == '\\') out += "\\\\";
        else if (c == '\001') out += "\\1";
        else out.push_back(c);
    }
    return out;
}

}  // namespace

AuthVerdict check_password(const std::string& socket_path, const AuthCheck& check, std::chrono::milliseconds timeout,
                           std::string* error) {
    auto unavailable = [&](const std::string& why) {
        if (error) *error = why;
        return AuthVerdict::Unavailable;
    };
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (sock.get() < 0) return unavailable(std::string("socket: ") + std::strerror(errno));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path) return unavailable("auth socket path too long");
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(sock.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return unavailable(socket_path + ": " + std::strerror(errno));

    std::string plain;
    plain.push_back('\0');
    plain += check.user;
    plain.push_back('\0');
    plain += check.password;
    // resp last: Dovecot reads the fields in order.
    std::string request = "VERSION\t1\t2\nCPID\t" + std::to_string(::getpid()) + "\nAUTH\t1\tPLAIN\tservice=" +
                          escape(check.service) + "\tsecured";
    if (!check.remote_ip.empty()) request += "\trip=" + escape(check.remote_ip);
    request += "\tresp=" + protocol::base64_encode(plain) + "\n";
    for (std::size_t done = 0; done < request.size();) {
        ssize_t n = ::send(sock.get(), request.data() + done, request.size() - done, MSG_NOSIGNAL);
        if (n <= 0) return unavailable(std::string("auth socket write: ") + std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
    // The server's handshake (VERSION, MECH..., SPID, CUID, COOKIE, DONE), then our answer.
    std::string buffer;
    for (;;) {
        std::size_t eol;
        while ((eol = buffer.find('\n')) != std::string::npos) {
            std::string line = buffer.substr(0, eol);
            buffer.erase(0, eol + 1);
            if (line.rfind("VERSION\t", 0) == 0 && line.rfind("VERSION\t1\t", 0) != 0)
                return unavailable("auth socket speaks another protocol version: " + line);
            if (line.rfind("OK\t1", 0) == 0 && (line.size() == 4 || line[4] == '\t')) return AuthVerdict::Accepted;
            if (line.rfind("FAIL\t1", 0) == 0 && (line.size() == 6 || line[6] == '\t')) {
                // A temporary failure (the user database unreachable) is no wrong password.
                if (line.find("\ttemp") != std::string::npos) return unavailable("Dovecot: temporary failure");
                return AuthVerdict::Refused;
            }
            if (line.rfind("CONT\t1", 0) == 0) return unavailable("Dovecot asked for more than PLAIN");
        }
        if (buffer.size() > 65536) return unavailable("auth socket: line too long");
        char chunk[4096];
        ssize_t n = ::recv(sock.get(), chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return unavailable(n == 0 ? "auth socket closed" : std::string("auth socket: ") + std::strerror(errno));
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
}

}  // namespace easd::dovecot
