#include "commands/outgoing_mail.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "store/folders.h"

extern char** environ;

namespace easd::commands {

void hand_to_sendmail(const std::string& command, const std::string& from, const std::vector<std::string>& recipients,
                      const std::string& message) {
    if (recipients.empty()) return;
    std::vector<std::string> words;
    std::istringstream split(command);
    for (std::string w; split >> w;) words.push_back(w);
    if (words.empty()) throw std::runtime_error("no sendmail command is configured");
    for (const char* extra : {"-i", "-f"}) words.emplace_back(extra);
    words.push_back(from.empty() ? std::string("<>") : from);  // "<>": the null sender
    words.emplace_back("--");
    for (const auto& r : recipients) words.push_back(r);
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);

    int in[2];
    if (pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    // easd and easd-deliver ignore SIGPIPE; sendmail gets the default back, as from a shell.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
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
    if (!WIFEXITED(status))
        throw std::runtime_error(words[0] + " was killed by signal " + std::to_string(WTERMSIG(status)));
    if (sent < message.size() || WEXITSTATUS(status) != 0)
        throw std::runtime_error(words[0] + " failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")");
}

void send_server_mail(soci::session& sql, mailstore::MailBackend& mail, const std::string& sendmail_command,
                      const std::string& envelope_from, const std::string& recipient, const std::string& message) {
    auto user = mail.local_recipient(sql, recipient);
    if (!user) return hand_to_sendmail(sendmail_command, envelope_from, {recipient}, message);
    auto inbox = store::find_folder_by_name(sql, user->id, "Inbox");
    if (!inbox) throw DeliveryError("no Inbox folder for " + user->address);
    soci::transaction tr(sql);
    if (mail.store_message(sql, *user, inbox->id, message, false, nullptr) != mailstore::WriteOutcome::Done)
        throw DeliveryError("the mail store did not take the message for " + user->address);
    tr.commit();
}

}  // namespace easd::commands
