// The FastCGI listening socket: a unix socket we create (with a mode and owner), or one we inherit
// on fd 0 from spawn-fcgi, mod_fcgid or systemd.
#pragma once

#include <string>

namespace easd::app {

class Listener {
public:
    // Creates, binds and listens on `path`. A stale socket file (nobody accepting) is replaced; a
    // live one is an error, so two servers never steal each other's socket. Throws
    // std::runtime_error with a one-line reason.
    static Listener open_unix(const std::string& path, int mode, const std::string& owner);
    // Uses fd 0; throws when fd 0 is not a listening socket.
    static Listener inherit_stdin();

    Listener(Listener&& other) noexcept;
    Listener& operator=(Listener&&) = delete;
    ~Listener();

    int fd() const { return fd_; }
    const std::string& description() const { return description_; }
    // Wakes every thread blocked in accept() on this socket (shutdown), without closing the fd.
    void stop_accepting();

private:
    Listener(int fd, std::string path, std::string description)
        : fd_(fd), path_(std::move(path)), description_(std::move(description)) {}
    int fd_;
    std::string path_;  // unlinked on destruction when we created it
    std::string description_;
};

}  // namespace easd::app
