#include "dovecot/mirror_queue.h"

#include <algorithm>

#include "common/log.h"

namespace easd::dovecot {

MirrorQueue::MirrorQueue(store::Database& db, Work work, int threads) : db_(db), work_(std::move(work)) {
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { run(); });
}

MirrorQueue::~MirrorQueue() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
}

std::string MirrorQueue::key_of(const mailstore::MailboxEvent& e) {
    return e.user + '\n' + e.mailbox + '\n' + e.old_mailbox;
}

void MirrorQueue::push(mailstore::MailboxEvent event) { enqueue(std::move(event), Clock::now(), 0); }

void MirrorQueue::enqueue(mailstore::MailboxEvent event, Clock::time_point due, int attempts) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const std::string key = key_of(event);
        if (queued_keys_.count(key)) {
            // Still waiting: the one catch-up will see this change too. Keep its event names
            // (a MailboxCreate must still make it read the hierarchy), and the earlier time.
            for (auto& waiting : queue_) {
                if (key_of(waiting.event) != key) continue;
                for (auto& name : event.events)
                    if (std::find(waiting.event.events.begin(), waiting.event.events.end(), name) ==
                        waiting.event.events.end())
                        waiting.event.events.push_back(name);
                waiting.due = std::min(waiting.due, due);
            }
            return;
        }
        queued_keys_.insert(key);
        queue_.push_back(Pending{std::move(event), due, attempts});
    }
    ready_.notify_one();
}

std::size_t MirrorQueue::pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
}

void MirrorQueue::run() {
    for (;;) {
        Pending next;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            for (;;) {
                if (stopping_) return;
                // The first that is due; else wait for the earliest, or for a new one.
                auto due = queue_.end();
                Clock::time_point earliest = Clock::time_point::max();
                const auto now = Clock::now();
                for (auto it = queue_.begin(); it != queue_.end(); ++it) {
                    if (it->due <= now) {
                        due = it;
                        break;
                    }
                    earliest = std::min(earliest, it->due);
                }
                if (due != queue_.end()) {
                    next = std::move(*due);
                    queue_.erase(due);
                    break;
                }
                if (earliest == Clock::time_point::max()) ready_.wait(lock);
                else ready_.wait_until(lock, earliest);
            }
            // From now on a new announcement queues a new catch-up: this one may have read the
            // mailbox before that change.
            queued_keys_.erase(key_of(next.event));
        }
        mailstore::NotifyOutcome outcome = mailstore::NotifyOutcome::Unavailable;
        try {
            store::Database::Lease sql(db_);
            outcome = work_(*sql, next.event);
        } catch (const std::exception& e) {
            EASD_LOG_WARN("catching up %s \"%s\" failed: %s", next.event.user.c_str(), next.event.mailbox.c_str(),
                          e.what());
        }
        if (outcome != mailstore::NotifyOutcome::Unavailable) continue;
        if (next.attempts + 1 >= kMaxAttempts) {
            EASD_LOG_WARN("catching up %s \"%s\": giving up after %d attempts (the poll and FolderSync catch up later)",
                          next.event.user.c_str(), next.event.mailbox.c_str(), kMaxAttempts);
            continue;
        }
        const auto delay = std::chrono::seconds(std::min(30, 1 << std::min(next.attempts, 5)));
        enqueue(std::move(next.event), Clock::now() + delay, next.attempts + 1);
    }
}

}  // namespace easd::dovecot
