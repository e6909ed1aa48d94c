#include "dovecot/mirror_poller.h"

#include <map>

#include "common/log.h"
#include "dovecot/mirror.h"
#include "store/accounts.h"
#include "store/mirror_state.h"

namespace easd::dovecot {

MirrorPoller::MirrorPoller(store::Database& db, imap::Pool& pool, std::chrono::seconds interval,
                           std::function<std::vector<long long>()> waiting_users, const MirrorHooks* hooks)
    : db_(db), pool_(pool), interval_(interval), waiting_users_(std::move(waiting_users)), hooks_(hooks) {
    thread_ = std::thread([this] { run(); });
}

MirrorPoller::~MirrorPoller() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void MirrorPoller::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
        lock.unlock();
        try {
            poll_once();
        } catch (const std::exception& e) {
            EASD_LOG_WARN("mirror poll: %s", e.what());
        }
        lock.lock();
    }
}

int MirrorPoller::poll_once() {
    int caught_up = 0;
    for (long long user_id : waiting_users_()) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) break;
        }
        try {
            store::Database::Lease sql(db_);
            auto user = store::find_user_by_id(*sql, user_id);
            if (!user) continue;
            auto imap = pool_.acquire(user->address);
            Mirror mirror(*sql, *imap, *user, hooks_);
            // One LIST with every mailbox's status when the server has LIST-STATUS; else a STATUS
            // per mailbox.
            std::map<std::string, imap::MailboxStatus> listed;
            if (imap->has_capability("LIST-STATUS"))
                for (auto& m : imap->list())
                    if (m.status) listed.emplace(std::move(m.name), *m.status);
            for (const auto& b : store::list_mailbox_bindings(*sql, user_id)) {
                if (b.uidvalidity == 0) continue;  // never mirrored: FolderSync does that
                imap::MailboxStatus status;
                if (auto it = listed.find(b.name); it != listed.end()) {
                    status = it->second;
                } else if (!listed.empty()) {
                    continue;  // not listed: gone; the next FolderSync or announcement sorts that out
                } else {
                    try {
                        status = imap->status(b.name);
                    } catch (const imap::ImapError& e) {
                        if (e.kind != imap::ImapError::Kind::No) throw;
                        continue;  // gone: the next FolderSync or announcement sorts the hierarchy out
                    }
                }
                if (status.uidvalidity == b.uidvalidity && status.highestmodseq != 0 &&
                    status.highestmodseq == b.highestmodseq)
                    continue;
                mirror.catch_up_mailbox(b);
                ++caught_up;
            }
        } catch (const imap::ImapError& e) {
            EASD_LOG_WARN("mirror poll of user %lld: %s", user_id, e.what());
        }
    }
    return caught_up;
}

}  // namespace easd::dovecot
