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

void MirrorQueue::push(mailstore::MailboxEvent event) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const std::string key = key_of(event);
        if (queued_keys_.count(key)) {
            // Still waiting: the one catch-up will see this change too. Keep its event names
            // (a MailboxCreate must still make it read the hierarchy).
            for (auto& waiting : queue_)
                if (key_of(waiting) == key)
                    for (auto& name : event.events)
                        if (std::find(waiting.events.begin(), waiting.events.end(), name) == waiting.events.end())
                            waiting.events.push_back(name);
            return;
        }
        queued_keys_.insert(key);
        queue_.push_back(std::move(event));
    }
    ready_.notify_one();
}

std::size_t MirrorQueue::pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
}

void MirrorQueue::run() {
    for (;;) {
        mailstore::MailboxEvent event;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            event = std::move(queue_.front());
            queue_.pop_front();
            // From now on a new announcement queues a new catch-up: this one may have read the
            // mailbox before that change.
            queued_keys_.erase(key_of(event));
        }
        try {
            store::Database::Lease sql(db_);
            work_(*sql, event);
        } catch (const std::exception& e) {
            EASD_LOG_WARN("catching up %s \"%s\" failed: %s", event.user.c_str(), event.mailbox.c_str(), e.what());
        }
    }
}

}  // namespace easd::dovecot
