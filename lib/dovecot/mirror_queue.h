// Catch-ups the mail server announced, done in the background. The push script runs inside
// Dovecot's mail transaction and waits for its HTTP request; if easd caught up right then, its
// IMAP session could wait for a Dovecot lock that the announcing session holds while it waits for
// easd (a mailbox created on first LIST announces itself, for one). So /easd-notify only queues the
// announcement and answers at once; a few threads catch up, each with its own database session.
// Identical announcements still waiting are merged into one. A catch-up that finds the mail server
// out of reach (Dovecot restarting) is tried again after 1, 2, 4 ... 30 seconds, for about five
// minutes; after that the poll and the next FolderSync are the safety net.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mailstore/mail_backend.h"
#include "store/db.h"

namespace easd::dovecot {

class MirrorQueue {
public:
    // Returns whether the catch-up is done: NotifyOutcome::Unavailable tries it again later.
    using Work = std::function<mailstore::NotifyOutcome(soci::session&, const mailstore::MailboxEvent&)>;
    MirrorQueue(store::Database& db, Work work, int threads);
    ~MirrorQueue();  // finishes the catch-up in progress, drops the rest (FolderSync and the poll catch up)
    MirrorQueue(const MirrorQueue&) = delete;
    MirrorQueue& operator=(const MirrorQueue&) = delete;

    void push(mailstore::MailboxEvent event);
    std::size_t pending() const;

    static constexpr int kMaxAttempts = 14;  // 1+2+4+8+16 s, then every 30 s: about five minutes

private:
    using Clock = std::chrono::steady_clock;
    struct Pending {
        mailstore::MailboxEvent event;
        Clock::time_point due;
        int attempts = 0;  // how many times it failed already
    };
    void run();
    void enqueue(mailstore::MailboxEvent event, Clock::time_point due, int attempts);
    static std::string key_of(const mailstore::MailboxEvent& e);

    store::Database& db_;
    Work work_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Pending> queue_;  // in order of arrival; retries wait for their `due`
    std::set<std::string> queued_keys_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace easd::dovecot
