#include "dovecot/imap_folder_store.h"

#include <algorithm>

#include "common/log.h"
#include "store/folders.h"
#include "store/mirror_state.h"
#include "store/pq.h"

namespace easd::dovecot {

namespace {

class ImapFolderStore final : public store::FolderStore {
public:
    ImapFolderStore(soci::session& sql, ConnectionRunner run)
        : sql_(sql), rows_(store::open_folder_store(sql)), run_(std::move(run)) {}

    std::vector<store::Folder> list(long long user_id) override { return rows_->list(user_id); }
    std::optional<store::Folder> find(long long user_id, long long folder_id) override {
        return rows_->find(user_id, folder_id);
    }

    store::FolderChange create(long long user_id, long long parent_id, const std::string& name, int type) override {
        store::FolderChange change = rows_->create(user_id, parent_id, name, type);
        if (!change.ok() || change.folder.item_class != "Email") return change;
        auto user = store::find_user_by_id(sql_, user_id);
        if (!user) return fail(change, store::FolderError::NotFound);
        std::string mailbox;
        const bool done = with_imap(*user, [&](imap::Connection& imap) {
            auto full = mailbox_name(imap, user_id, parent_id, name);
            if (!full) throw imap::ImapError(imap::ImapError::Kind::No, "the parent folder is on no mailbox");
            mailbox = *full;
            imap.create(mailbox);
            imap.subscribe(mailbox);
        });
        if (!done) return fail(change, store::FolderError::Unavailable);
        store::bind_mailbox(sql_, user_id, change.folder.id, mailbox);
        return change;
    }

    store::FolderChange update(long long user_id, long long folder_id, long long parent_id,
                               const std::string& name) override {
        auto before = store::find_binding_of_folder(sql_, folder_id);
        store::FolderChange change = rows_->update(user_id, folder_id, parent_id, name);
        if (!change.ok() || !before) return change;
        auto user = store::find_user_by_id(sql_, user_id);
        if (!user) return fail(change, store::FolderError::NotFound);
        std::string renamed;
        const bool done = with_imap(*user, [&](imap::Connection& imap) {
            auto full = mailbox_name(imap, user_id, parent_id, name);
            if (!full) throw imap::ImapError(imap::ImapError::Kind::No, "the parent folder is on no mailbox");
            renamed = *full;
            if (renamed != before->name) imap.rename(before->name, renamed);
        });
        if (!done) return fail(change, store::FolderError::Unavailable);
        // The server renamed the children with it; so do the bindings.
        store::pq_query(sql_,
                        "UPDATE imap_mailboxes SET name = $3 || substr(name, length($2) + 1) WHERE user_id = $1 AND "
                        "(name = $2 OR left(name, length($2) + 1) = $2 || $4)",
                        {std::to_string(user_id), before->name, renamed, std::string(1, delimiter_)});
        return change;
    }

    store::FolderChange remove(long long user_id, long long folder_id) override {
        // The mailboxes of the folder and its subfolders, deepest first (a server may refuse to
        // delete a mailbox that still has children).
        store::PqResult tree = store::pq_query(sql_,
            "WITH RECURSIVE t AS (SELECT id, 0 AS depth FROM folders WHERE user_id = $1 AND id = $2 "
            "UNION ALL SELECT f.id, t.depth + 1 FROM folders f JOIN t ON f.parent_id = t.id WHERE f.user_id = $1) "
            "SELECT b.name FROM t JOIN imap_mailboxes b ON b.folder_id = t.id ORDER BY t.depth DESC",
            {std::to_string(user_id), std::to_string(folder_id)});
        store::FolderChange change = rows_->remove(user_id, folder_id);
        if (!change.ok() || tree.rows() == 0) return change;
        auto user = store::find_user_by_id(sql_, user_id);
        if (!user) return fail(change, store::FolderError::NotFound);
        const bool done = with_imap(*user, [&](imap::Connection& imap) {
            for (int row = 0; row < tree.rows(); ++row) {
                try {
                    imap.remove(tree.str(row, 0));
                } catch (const imap::ImapError& e) {
                    // Already gone on the server (another client deleted it): that is what we want.
                    if (e.kind != imap::ImapError::Kind::No || e.code != "NONEXISTENT") throw;
                }
            }
        });
        if (!done) return fail(change, store::FolderError::Unavailable);
        return change;
    }

private:
    static store::FolderChange& fail(store::FolderChange& change, store::FolderError e) {
        change.error = e;
        change.change_seqs.clear();
        return change;
    }

    bool with_imap(const store::User& user, const std::function<void(imap::Connection&)>& work) {
        try {
            run_(user, work);
            return true;
        } catch (const imap::ImapError& e) {
            EASD_LOG_WARN("%s: folder change refused by the IMAP server: %s", user.address.c_str(), e.what());
            return false;
        }
    }

    // The full mailbox name of `name` under the folder `parent_id` (0: the top level); nullopt
    // when the parent is on no mailbox.
    std::optional<std::string> mailbox_name(imap::Connection& imap, long long user_id, long long parent_id,
                                            const std::string& name) {
        if (delimiter_ == 0) {
            for (const auto& m : imap.list())
                if (m.delimiter != 0) {
                    delimiter_ = m.delimiter;
                    break;
                }
            if (delimiter_ == 0) delimiter_ = '/';
        }
        if (parent_id == 0) return name;
        (void)user_id;
        auto parent = store::find_binding_of_folder(sql_, parent_id);
        if (!parent) return std::nullopt;
        return parent->name + delimiter_ + name;
    }

    soci::session& sql_;
    std::unique_ptr<store::FolderStore> rows_;
    ConnectionRunner run_;
    char delimiter_ = 0;
};

}  // namespace

std::unique_ptr<store::FolderStore> open_imap_folder_store(soci::session& sql, ConnectionRunner run) {
    return std::make_unique<ImapFolderStore>(sql, std::move(run));
}

}  // namespace easd::dovecot
