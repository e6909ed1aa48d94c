// A real Dovecot for the tests of the Dovecot mail store: IMAP on a free loopback port, LMTP on a
// socket, Maildir and users from a passwd-file in a temporary directory (removed by the
// destructor), a master user for easd, and optionally the push script (dovecot/easd-push.lua).
// The configuration is dovecot/easd-local.conf.in, the one EASD_STORE=dovecot scripts/run renders.
// Works as root (Dovecot's own users, mail owned by `mail`) and as an ordinary user.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace easd::test {

class DovecotServer {
public:
    struct Options {
        bool push = false;            // load the push_notification Lua driver with easd-push.lua
        std::string push_url = "http://127.0.0.1:9/easd-notify";  // set_push_url() changes it later
        std::string push_token = "test-push-token";
        std::vector<std::string> extra_config;  // lines appended to dovecot.conf
    };

    DovecotServer();
    explicit DovecotServer(Options options);
    ~DovecotServer();  // stops Dovecot, removes the directory
    DovecotServer(const DovecotServer&) = delete;
    DovecotServer& operator=(const DovecotServer&) = delete;

    // A user with a password (Dovecot notices the changed passwd-file by itself).
    void add_user(const std::string& address, const std::string& password);
    // Many at once (address, password): the file is written once, not once per user.
    void add_users(const std::vector<std::pair<std::string, std::string>>& users);

    int imap_port() const { return imap_port_; }
    const std::string& master_user() const { return master_user_; }
    const std::string& master_password() const { return master_password_; }
    const std::string& dir() const { return dir_; }
    std::string base_dir() const { return dir_ + "/run"; }
    std::string lmtp_socket() const { return base_dir() + "/lmtp"; }
    std::string auth_socket() const { return base_dir() + "/auth-easd"; }
    std::string maildir(const std::string& address) const;  // MAIL_DIR/<domain>/<user>
    std::string log() const;

    // Delivers a message through LMTP, as Postfix would. Throws with the server's answer when
    // refused.
    void deliver(const std::string& address, const std::string& message, const std::string& sender = "sender@example.com");

    // Points the push script at another URL (rewrites the config and restarts Dovecot).
    void set_push_url(const std::string& url);

    // Gives one of the user's mailboxes a new UIDVALIDITY, as a restore from backup or a lost
    // index does: with Dovecot stopped, the mailbox's dovecot-uidlist and indexes (and the user's
    // mailbox list index, which would still say the old one) are removed; started again, Dovecot
    // numbers the messages anew under a UIDVALIDITY from dovecot-uidvalidity (always a larger one).
    // The messages, their flags and INTERNALDATEs (file times) stay. Every IMAP connection is cut.
    void reset_uidvalidity(const std::string& address, const std::string& mailbox = "INBOX");

    void stop();
    void start();    // waits until IMAP answers
    void restart();  // stop + start: every IMAP connection is cut

private:
    void write_config();
    std::string user_file_line(const std::string& user, const std::string& password) const;

    Options options_;
    std::string dir_;
    int imap_port_ = 0;
    std::string master_user_ = "easdmaster";
    std::string master_password_;
    std::vector<std::string> users_;
    pid_t pid_ = -1;
};

}  // namespace easd::test
