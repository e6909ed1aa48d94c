#include "support/dovecot_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>

#include "support/cluster.h"
#include "support/process.h"
#include "support/server.h"

namespace easd::test {

namespace {

std::string random_token() {
    std::random_device rd;
    std::string out;
    const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 24; ++i) out.push_back(alphabet[rd() % 36]);
    return out;
}

std::string current_user() {
    passwd* pw = getpwuid(getuid());
    return pw ? pw->pw_name : std::to_string(getuid());
}
std::string current_group() {
    group* gr = getgrgid(getgid());
    return gr ? gr->gr_name : std::to_string(getgid());
}

bool port_accepts(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// A tiny LMTP client (RFC 2033) over the unix socket: enough for tests to deliver like Postfix.
class LmtpSession {
public:
    explicit LmtpSession(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("LMTP: cannot connect to " + path + ": " + std::strerror(errno));
        timeval tv{30, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        expect("220");
    }
    ~LmtpSession() {
        if (fd_ >= 0) ::close(fd_);
    }
    void command(const std::string& line, const char* code) {
        send(line + "\r\n");
        expect(code);
    }
    void send(const std::string& data) {
        std::size_t done = 0;
        while (done < data.size()) {
            ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
            if (n <= 0) throw std::runtime_error("LMTP: write failed");
            done += static_cast<std::size_t>(n);
        }
    }
    // Reads one (possibly multi-line) reply and checks its code.
    void expect(const char* code) {
        for (;;) {
            std::string line = read_line();
            if (line.size() < 4) throw std::runtime_error("LMTP: short reply: " + line);
            if (line.compare(0, 3, code) != 0) throw std::runtime_error("LMTP: expected " + std::string(code) + ", got " + line);
            if (line[3] == ' ') return;
        }
    }

private:
    std::string read_line() {
        for (;;) {
            auto eol = buffer_.find("\r\n");
            if (eol != std::string::npos) {
                std::string line = buffer_.substr(0, eol);
                buffer_.erase(0, eol + 2);
                return line;
            }
            char chunk[4096];
            ssize_t n = ::read(fd_, chunk, sizeof chunk);
            if (n <= 0) throw std::runtime_error("LMTP: connection closed");
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }
    int fd_ = -1;
    std::string buffer_;
};

// CRLF line ends and dot-stuffing for DATA.
std::string data_block(const std::string& message) {
    std::string out;
    std::size_t start = 0;
    while (start < message.size()) {
        std::size_t eol = message.find('\n', start);
        std::string line = message.substr(start, eol == std::string::npos ? std::string::npos : eol - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty() && line[0] == '.') out.push_back('.');
        out += line + "\r\n";
        if (eol == std::string::npos) break;
        start = eol + 1;
    }
    return out + ".\r\n";
}

}  // namespace

DovecotServer::DovecotServer() : DovecotServer(Options{}) {}

DovecotServer::DovecotServer(Options options) : options_(std::move(options)) {
    dir_ = make_temp_dir("easd-dovecot");
    master_password_ = random_token();
    for (const char* sub : {"/run", "/mail"}) ::mkdir((dir_ + sub).c_str(), 0755);
    if (running_as_root()) {
        // Dovecot never runs mail processes as root: the mail belongs to `mail`.
        passwd* pw = getpwnam("mail");
        group* gr = getgrnam("mail");
        if (!pw || !gr) throw std::runtime_error("no 'mail' user or group for Dovecot's mail");
        if (::chown((dir_ + "/mail").c_str(), pw->pw_uid, gr->gr_gid) != 0)
            throw std::runtime_error("cannot chown the Maildir root");
    }
    write_file(dir_ + "/users", "", 0644);
    write_file(dir_ + "/master-users", user_file_line(master_user_, master_password_), 0644);
    imap_port_ = free_port();
    write_config();
    start();
}

DovecotServer::~DovecotServer() {
    try {
        stop();
    } catch (...) {
    }
    if (!keep_test_dirs()) remove_tree(dir_);
}

std::string DovecotServer::user_file_line(const std::string& user, const std::string& password) const {
    return user + ":{PLAIN}" + password + "::::::\n";
}

void DovecotServer::add_user(const std::string& address, const std::string& password) {
    add_users({{address, password}});
}

void DovecotServer::add_users(const std::vector<std::pair<std::string, std::string>>& users) {
    for (const auto& [address, password] : users) users_.push_back(user_file_line(address, password));
    std::string all;
    for (const auto& u : users_) all += u;
    // Written whole and renamed into place, so Dovecot never reads half a file.
    write_file(dir_ + "/users.new", all, 0644);
    if (::rename((dir_ + "/users.new").c_str(), (dir_ + "/users").c_str()) != 0)
        throw std::runtime_error("cannot replace the passwd-file");
}

std::string DovecotServer::maildir(const std::string& address) const {
    auto at = address.find('@');
    return dir_ + "/mail/" + address.substr(at + 1) + "/" + address.substr(0, at);
}

void DovecotServer::reset_uidvalidity(const std::string& address, const std::string& mailbox) {
    const std::string root = maildir(address);
    // Maildir++: INBOX is the root, "A/B" is ".A.B" (the layout easd-local.conf.in configures).
    std::string dir = root;
    if (mailbox != "INBOX") {
        std::string dotted = mailbox;
        for (auto& c : dotted)
            if (c == '/') c = '.';
        dir += "/." + dotted;
    }
    stop();
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw std::runtime_error("no Maildir " + dir);
    std::vector<std::string> doomed;
    while (dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name == "dovecot-uidlist" || name.rfind("dovecot.index", 0) == 0 || name.rfind("dovecot.list.index", 0) == 0)
            doomed.push_back(dir + "/" + name);
    }
    ::closedir(d);
    for (const auto& p : doomed) ::unlink(p.c_str());
    // The list index lives at the root, whichever mailbox it is.
    for (const char* name : {"/dovecot.list.index", "/dovecot.list.index.log"}) ::unlink((root + name).c_str());
    start();
}

std::string DovecotServer::log() const { return read_file(dir_ + "/dovecot.log"); }

void DovecotServer::write_config() {
    const bool root = running_as_root();
    std::string conf = render_template(
        read_file(std::string(EASD_SOURCE_DIR) + "/dovecot/easd-local.conf.in"),
        {{"BASE_DIR", base_dir()},
         {"MAIL_DIR", dir_ + "/mail"},
         {"LOG_PATH", dir_ + "/dovecot.log"},
         {"IMAP_PORT", std::to_string(imap_port_)},
         {"PASSWD_FILE", dir_ + "/users"},
         {"MASTER_PASSWD_FILE", dir_ + "/master-users"},
         {"INTERNAL_USER", root ? "dovecot" : current_user()},
         {"LOGIN_USER", root ? "dovenull" : current_user()},
         {"MAIL_USER", root ? "mail" : current_user()},
         {"MAIL_GROUP", root ? "mail" : current_group()},
         {"MAIL_PLUGINS", options_.push ? "mail_lua notify push_notification push_notification_lua" : ""},
         {"PUSH_LUA", std::string(EASD_SOURCE_DIR) + "/dovecot/easd-push.lua"},
         {"PUSH_URL", options_.push_url},
         {"PUSH_TOKEN", options_.push_token}});
    for (const auto& line : options_.extra_config) conf += line + "\n";
    write_file(dir_ + "/dovecot.conf", conf, 0644);
}

void DovecotServer::start() {
    if (pid_ > 0) return;
    SpawnOptions so;
    so.log_path = dir_ + "/dovecot.stderr";
    pid_ = spawn_child({"/usr/sbin/dovecot", "-F", "-c", dir_ + "/dovecot.conf"}, so);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!port_accepts(imap_port_)) {
        int status = 0;
        if (!child_running(pid_, &status)) {
            pid_ = -1;
            throw std::runtime_error("dovecot exited (" + std::to_string(status) + "):\n" +
                                     read_file(dir_ + "/dovecot.stderr") + log());
        }
        if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("dovecot did not start:\n" + log());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void DovecotServer::stop() {
    if (pid_ <= 0) return;
    stop_child(pid_, SIGTERM, std::chrono::seconds(15));
    pid_ = -1;
    // The listening port is free again once every child of the master has gone.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (port_accepts(imap_port_) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // The master leaves its IMAP sessions running (they end when their clients go); a stopped
    // server is one whose sessions are gone too, as after `systemctl stop dovecot`. Their titles
    // carry this instance's name (instance_name in the config).
    run_process({"pkill", "-KILL", "-f", "^dovecot-easd-dovecot-" + std::to_string(imap_port_) + "/"});
}

void DovecotServer::restart() {
    stop();
    start();
}

void DovecotServer::set_push_url(const std::string& url) {
    options_.push_url = url;
    write_config();
    restart();
}

void DovecotServer::deliver(const std::string& address, const std::string& message, const std::string& sender) {
    LmtpSession lmtp(lmtp_socket());
    lmtp.command("LHLO easd-tests", "250");
    lmtp.command("MAIL FROM:<" + sender + ">", "250");
    lmtp.command("RCPT TO:<" + address + ">", "250");
    lmtp.command("DATA", "354");
    lmtp.send(data_block(message));
    lmtp.expect("250");  // one reply per recipient
    lmtp.command("QUIT", "221");
}

}  // namespace easd::test
