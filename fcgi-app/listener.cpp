#include "listener.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace easd::app {

namespace {

std::runtime_error sys_error(const std::string& what) { return std::runtime_error(what + ": " + std::strerror(errno)); }

sockaddr_un unix_address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

void set_owner(const std::string& path, const std::string& owner) {
    std::string user = owner, group_name;
    auto colon = owner.find(':');
    if (colon != std::string::npos) {
        user = owner.substr(0, colon);
        group_name = owner.substr(colon + 1);
    }
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    if (!user.empty()) {
        passwd* pw = getpwnam(user.c_str());
        if (!pw) throw std::runtime_error("unknown socket owner " + user);
        uid = pw->pw_uid;
        gid = pw->pw_gid;
    }
    if (!group_name.empty()) {
        struct group* gr = getgrnam(group_name.c_str());
        if (!gr) throw std::runtime_error("unknown socket group " + group_name);
        gid = gr->gr_gid;
    }
    if (chown(path.c_str(), uid, gid) != 0) throw sys_error("chown " + path);
}

}  // namespace

Listener Listener::open_unix(const std::string& path, int mode, const std::string& owner) {
    sockaddr_un addr = unix_address(path);
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path + " exists and is not a socket");
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        if (probe >= 0) close(probe);
        if (live) throw std::runtime_error(path + " is in use by another running server");
        unlink(path.c_str());
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw sys_error("socket");
    // Create the socket with no permissions, then set the mode we want: no window in which the
    // umask decides who may connect.
    mode_t old_mask = umask(0777);
    int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int bind_errno = errno;
    umask(old_mask);
    if (rc != 0) {
        close(fd);
        errno = bind_errno;
        throw sys_error("bind " + path);
    }
    try {
        if (!owner.empty()) set_owner(path, owner);
        if (chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) throw sys_error("chmod " + path);
        // The kernel caps the backlog at net.core.somaxconn.
        if (listen(fd, 4096) != 0) throw sys_error("listen " + path);
    } catch (...) {
        close(fd);
        unlink(path.c_str());
        throw;
    }
    return Listener(fd, path, "unix:" + path);
}

Listener Listener::inherit(int fd, const std::string& from) {
    const std::string name = "fd " + std::to_string(fd);
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
        throw std::runtime_error(name + " from " + from + " is not a socket");
    int listening = 0, type = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
        throw std::runtime_error(name + " from " + from + " is a socket but not a listening one");
    len = sizeof type;
    // A datagram socket (ListenDatagram=) cannot carry FastCGI.
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
        throw std::runtime_error(name + " from " + from + " is not a stream socket");
    return Listener(fd, "", "inherited " + name + " (" + from + ")");
}

Listener Listener::inherit_stdin() {
    struct stat st {};
    if (fstat(0, &st) != 0 || !S_ISSOCK(st.st_mode))
        throw std::runtime_error("no socket configured and fd 0 is not a socket (use --socket PATH)");
    return inherit(0, "the parent, as spawn-fcgi passes it");
}

Listener Listener::inherit_systemd(int fd) { return inherit(fd, "systemd"); }

Listener::Listener(Listener&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), description_(std::move(other.description_)) {
    other.fd_ = -1;
    other.path_.clear();
}

Listener::~Listener() {
    if (fd_ < 0) return;
    close(fd_);
    if (!path_.empty()) unlink(path_.c_str());
}

}  // namespace easd::app
