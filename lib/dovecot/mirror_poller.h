// The fallback for a mail server that does not announce changes (no push script): every
// `interval`, the mailboxes of each user with a parked request are compared with the mirror by
// STATUS (UIDVALIDITY, HIGHESTMODSEQ: one short command per mailbox, nothing fetched), and only
// the ones that moved are caught up. With the push script it still runs, rarely, as a safety net
// for announcements lost while easd was down.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "dovecot/mirror.h"
#include "imap/imap_pool.h"
#include "store/db.h"

namespace easd::dovecot {

class MirrorPoller {
public:
    // `hooks` (may be null) outlives the poller.
    MirrorPoller(store::Database& db, imap::Pool& pool, std::chrono::seconds interval,
                 std::function<std::vector<long long>()> waiting_users, const MirrorHooks* hooks = nullptr);
    ~MirrorPoller();  // stops and joins the thread
    MirrorPoller(const MirrorPoller&) = delete;
    MirrorPoller& operator=(const MirrorPoller&) = delete;

    // One round now, on the caller's thread (the thread runs the same). Returns the mailboxes
    // caught up.
    int poll_once();

private:
    void run();

    store::Database& db_;
    imap::Pool& pool_;
    std::chrono::seconds interval_;
    std::function<std::vector<long long>()> waiting_users_;
    const MirrorHooks* hooks_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace easd::dovecot
