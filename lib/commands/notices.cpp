#include "commands/notices.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <sstream>
#include <vector>

#include "common/log.h"
#include "content/draft.h"
#include "content/message.h"
#include "store/access.h"
#include "store/folders.h"
#include "store/mail.h"

extern char** environ;

namespace easd::commands {

namespace {

std::string domain_of(const std::string& address) {
    auto at = address.rfind('@');
    return at == std::string::npos ? std::string("localhost") : address.substr(at + 1);
}

// Stores the message in the Inbox of a local account. False when the address has no account here.
bool store_locally(soci::session& sql, const std::string& address, const std::string& message) {
    auto user = store::find_user(sql, address);
    if (!user) return false;
    std::string error;
    auto parsed = content::parse_message(message, &error);
    if (!parsed) throw std::runtime_error("notice does not parse: " + error);
    auto inbox = store::find_folder_by_name(sql, user->id, "Inbox");
    if (!inbox) throw std::runtime_error("no Inbox for " + address);
    soci::transaction tr(sql);
    store::insert_email(sql, user->id, inbox->id, content::email_from_parsed(message, *parsed));
    tr.commit();
    return true;
}

// Hands the message to `sendmail -i -f FROM -- RCPT` (the command's words split on spaces).
void send_with_sendmail(const std::string& command, const std::string& from, const std::string& recipient,
                        const std::string& message) {
    std::vector<std::string> words;
    std::istringstream split(command);
    for (std::string w; split >> w;) words.push_back(w);
    if (words.empty()) throw std::runtime_error("no sendmail command is configured");
    for (const char* extra : {"-i", "-f"}) words.emplace_back(extra);
    words.push_back(from);
    words.emplace_back("--");
    words.push_back(recipient);
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);

    int in[2];
    if (pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    if (rc != 0) {
        close(in[1]);
        throw std::runtime_error("cannot run " + words[0] + ": " + std::strerror(rc));
    }
    std::size_t sent = 0;
    while (sent < message.size()) {
        ssize_t n = write(in[1], message.data() + sent, message.size() - sent);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    close(in[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (sent < message.size() || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(words[0] + " failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")");
}

}  // namespace

std::string describe_device(const store::Device& device) {
    return (device.device_type.empty() ? std::string("device") : device.device_type) + " (DeviceId " +
           device.device_id + ")";
}

Notice policy_refusal_notice(const store::Device& device, const store::User& owner, const std::string& why) {
    Notice n;
    n.subject = "Your device cannot synchronise: security policy";
    n.body = "Your " + describe_device(device) + " tried to synchronise " + owner.address + " and was refused: " + why +
             ".\n\nIt will not synchronise until it accepts the policy; ask your administrator which security "
             "settings are required.\n";
    return n;
}

void send_notice(soci::session& sql, const ServerSettings& settings, const store::User& owner, const Notice& notice) {
    try {
        std::string admin = store::read_server_settings(sql).admin_address;
        std::string domain = domain_of(owner.address);
        content::Draft d;
        d.from = "ActiveSync <postmaster@" + domain + ">";
        d.to = owner.display_name.empty() ? owner.address : "\"" + owner.display_name + "\" <" + owner.address + ">";
        if (!admin.empty() && admin != owner.address) d.cc = admin;
        d.subject = notice.subject;
        d.body = notice.body;
        std::string message = content::build_draft_message(d, static_cast<long long>(std::time(nullptr)), domain);

        std::vector<std::string> recipients{owner.address};
        if (!d.cc.empty()) recipients.push_back(admin);
        for (const auto& rcpt : recipients) {
            try {
                if (!store_locally(sql, rcpt, message))
                    send_with_sendmail(settings.sendmail_command, "postmaster@" + domain, rcpt, message);
            } catch (const std::exception& e) {
                EASD_LOG_WARN("notice \"%s\" to %s not sent: %s", notice.subject.c_str(), rcpt.c_str(), e.what());
            }
        }
    } catch (const std::exception& e) {
        EASD_LOG_WARN("notice \"%s\" for %s not sent: %s", notice.subject.c_str(), owner.address.c_str(), e.what());
    }
}

}  // namespace easd::commands
