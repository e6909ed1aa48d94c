// The FastCGI listening socket: a unix socket we create (with a mode and owner), or one we inherit:
// on fd 0 from spawn-fcgi or mod_fcgid, or from fd 3 on from systemd's socket activation.
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
    // Uses a listening socket passed by systemd (common/systemd.h, take_listen_fds); throws when
    // `fd` is not a listening stream socket.
    static Listener inherit_systemd(int fd);

    Listener(Listener&& other) noexcept;
    Listener& operator=(Listener&&) = delete;
    ~Listener();

    int fd() const { return fd_; }
    const std::string& description() const { return description_; }

private:
    Listener(int fd, std::string path, std::string description)
        : fd_(fd), path_(std::move(path)), description_(std::move(description)) {}
    // Checks that `fd` (inherited from `from`) is a listening stream socket.
    static Listener inherit(int fd, const std::string& from);
    int fd_;
    std::string path_;  // unlinked on destruction when we created it
    std::string description_;
};

}  // namespace easd::app
