#include "fcgi_records.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

namespace easd::app {

namespace {

constexpr unsigned char kVersion = 1;
constexpr unsigned char kStdout = 6;
constexpr unsigned char kEndRequest = 3;
constexpr std::size_t kMaxContent = 65535;  // contentLength is 16 bits

void append_header(std::string& out, unsigned char type, int request_id, std::size_t length) {
    const unsigned char h[8] = {kVersion,
                                type,
                                static_cast<unsigned char>((request_id >> 8) & 0xff),
                                static_cast<unsigned char>(request_id & 0xff),
                                static_cast<unsigned char>((length >> 8) & 0xff),
                                static_cast<unsigned char>(length & 0xff),
                                0,   // paddingLength
                                0};  // reserved
    out.append(reinterpret_cast<const char*>(h), sizeof h);
}

void append_stdout(std::string& out, int request_id, std::string_view data) {
    while (!data.empty()) {
        std::size_t n = std::min(data.size(), kMaxContent);
        append_header(out, kStdout, request_id, n);
        out.append(data.data(), n);
        data.remove_prefix(n);
    }
}

}  // namespace

bool write_fcgi_answer(int fd, int request_id, std::string_view head, std::string_view body, int timeout_ms) {
    std::string out;
    out.reserve(head.size() + body.size() + 64);
    append_stdout(out, request_id, head);
    append_stdout(out, request_id, body);
    append_header(out, kStdout, request_id, 0);  // end of the stdout stream
    append_header(out, kEndRequest, request_id, 8);
    // appStatus 0 (4 bytes), protocolStatus FCGI_REQUEST_COMPLETE (0), 3 reserved bytes.
    out.append(8, '\0');

    std::size_t sent = 0;
    while (sent < out.size()) {
        ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // The web server reads slowly: wait for room, but not forever (a pool thread is held).
            pollfd p{fd, POLLOUT, 0};
            int ready = poll(&p, 1, timeout_ms);
            if (ready > 0) continue;
            if (ready < 0 && errno == EINTR) continue;
        }
        return false;
    }
    return true;
}

}  // namespace easd::app
