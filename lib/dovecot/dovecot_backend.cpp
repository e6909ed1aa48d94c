#include "dovecot/dovecot_backend.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <unordered_map>
#include <stdexcept>
#include <fstream>

#include "common/log.h"
#include "common/text.h"
#include "content/draft.h"
#include "content/email_item.h"
#include "content/message.h"
#include "dovecot/auth_client.h"
#include "dovecot/imap_flags.h"
#include "dovecot/imap_folder_store.h"
#include "store/accounts.h"
#include "store/mail.h"
#include "store/mirror_state.h"
#include "store/sync_state.h"

namespace easd::dovecot {

namespace {

// The first line of a file (a password or token kept out of the config file itself).
std::optional<std::string> first_line_of(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::string line;
    std::getline(in, line);
    return std::string(trim(line));
}

// `key`, else the first line of the file named by `key_file`. nullopt when the file cannot be read.
std::optional<std::string> secret(const Config& config, const std::string& key, std::string* error) {
    if (config.has(key)) return config.get(key);
    const std::string file = config.get(key + "_file");
    if (file.empty()) return std::string();
    auto value = first_line_of(file);
    if (!value) *error = "cannot read " + key + "_file " + file;
    return value;
}

bool has_event(const mailstore::MailboxEvent& e, std::string_view name) {
    return std::any_of(e.events.begin(), e.events.end(), [&](const std::string& n) { return iequals(n, name); });
}

}  // namespace

std::optional<DovecotSettings> dovecot_settings_from(const Config& config, std::string* error) {
    DovecotSettings s;
    imap::Endpoint& ep = s.pool.endpoint;
    ep.host = config.get("imap_host", "127.0.0.1");
    ep.unix_path = config.get("imap_socket");
    const std::string tls = config.get("imap_tls", "none");
    if (tls == "tls") {
        ep.tls = true;
    } else if (tls == "starttls") {
        ep.starttls = true;
    } else if (tls != "none") {
        *error = "imap_tls must be none, tls or starttls, not \"" + tls + "\"";
        return std::nullopt;
    }
    auto port = config.get_int("imap_port", ep.tls ? 993 : 143);
    if (!port || *port <= 0 || *port > 65535) {
        *error = "imap_port is not a port number";
        return std::nullopt;
    }
    ep.port = static_cast<int>(*port);
    ep.tls_verify = config.get("imap_tls_verify", "yes") != "no";
    ep.ca_file = config.get("imap_ca_file");
    s.pool.master_user = config.get("imap_master_user");
    if (s.pool.master_user.empty()) {
        *error = "mail_store = dovecot needs imap_master_user (a Dovecot master user, see README)";
        return std::nullopt;
    }
    auto master_password = secret(config, "imap_master_password", error);
    if (!master_password) return std::nullopt;
    if (master_password->empty()) {
        *error = "mail_store = dovecot needs imap_master_password_file (or imap_master_password)";
        return std::nullopt;
    }
    s.pool.master_password = *master_password;
    auto max = config.get_int("imap_max_connections", 64);
    if (!max || *max < 1) {
        *error = "imap_max_connections must be a positive number";
        return std::nullopt;
    }
    s.pool.max_connections = static_cast<std::size_t>(*max);
    s.auth_socket = config.get("dovecot_auth_socket");
    auto token = secret(config, "push_token", error);
    if (!token) return std::nullopt;
    s.push_token = *token;
    auto poll = config.get_int("imap_poll_seconds", s.push_token.empty() ? 30 : 300);
    if (!poll || *poll < 0) {
        *error = "imap_poll_seconds must be a number of seconds (0: never)";
        return std::nullopt;
    }
    s.poll_interval = std::chrono::seconds(*poll);
    auto threads = config.get_int("imap_catch_up_threads", 2);
    if (!threads || *threads < 1 || *threads > 64) {
        *error = "imap_catch_up_threads must be between 1 and 64";
        return std::nullopt;
    }
    s.catch_up_threads = static_cast<int>(*threads);
    auto cache_mb = config.get_int("imap_message_cache_mb", 64);
    if (!cache_mb || *cache_mb < 0 || *cache_mb > 65536) {
        *error = "imap_message_cache_mb must be a number of megabytes (0: no cache)";
        return std::nullopt;
    }
    s.message_cache_bytes = static_cast<std::size_t>(*cache_mb) << 20;
    auto keep_kb = config.get_int("imap_body_keep_kb", 64);
    if (!keep_kb || *keep_kb < 0 || *keep_kb > 1048576) {
        *error = "imap_body_keep_kb must be a number of kilobytes (0: whole bodies)";
        return std::nullopt;
    }
    s.body_keep_bytes = static_cast<std::size_t>(*keep_kb) << 10;
    auto inline_first = config.get_int("imap_inline_first_mirror", 500);
    if (!inline_first || *inline_first < 0 || *inline_first > 100000000) {
        *error = "imap_inline_first_mirror must be a number of messages";
        return std::nullopt;
    }
    s.inline_first_mirror = static_cast<std::uint32_t>(*inline_first);
    return s;
}

DovecotBackend::DovecotBackend(DovecotSettings settings)
    : settings_(std::move(settings)), pool_(settings_.pool), cache_(settings_.message_cache_bytes) {
    mirror_hooks_.cancel = &stopping_;
    mirror_hooks_.body_keep_bytes = settings_.body_keep_bytes;
}

// The queues stop after this body (members go in reverse order); each finishes the catch-up in
// progress, which the flag cuts short at its next batch.
DovecotBackend::~DovecotBackend() { stopping_ = true; }

mailstore::AuthResult DovecotBackend::authenticate(soci::session& sql, const std::string& login,
                                                    const std::string& password, const std::string& remote_addr) {
    using Outcome = mailstore::AuthResult::Outcome;
    mailstore::AuthResult result;
    // Accounts are known by address; a bare local part works for an account that exists already.
    std::string address = login;
    if (address.find('@') == std::string::npos) {
        auto known = store::find_login(sql, login);
        if (!known) return result;
        address = known->user.address;
    }
    try {
        address = store::normalize_address(address);
    } catch (const store::InvalidRequest&) {
        return result;
    }
    if (!settings_.auth_socket.empty()) {
        // Dovecot's auth socket: the phone's own address goes with the check, so Dovecot's
        // penalty for wrong passwords falls on that phone, not on easd's address.
        std::string why;
        AuthCheck check;
        check.user = address;
        check.password = password;
        check.remote_ip = remote_addr;
        switch (check_password(settings_.auth_socket, check, settings_.pool.endpoint.timeout, &why)) {
            case AuthVerdict::Accepted: break;
            case AuthVerdict::Refused: return result;
            case AuthVerdict::Unavailable:
                EASD_LOG_WARN("cannot check the password of %s with Dovecot: %s", address.c_str(), why.c_str());
                result.outcome = Outcome::Unavailable;
                return result;
        }
    } else {
        // Any IMAP server: a login as the user. (Dovecot then sees easd's address for every
        // phone; its penalty for wrong passwords slows every user's check: prefer the socket.)
        try {
            auto conn = imap::Connection::open(settings_.pool.endpoint);
            conn->login(address, password);
        } catch (const imap::ImapError& e) {
            if (e.kind == imap::ImapError::Kind::No || e.kind == imap::ImapError::Kind::Bad) return result;
            EASD_LOG_WARN("cannot check the password of %s with the IMAP server: %s", address.c_str(), e.what());
            result.outcome = Outcome::Unavailable;
            return result;
        }
    }
    result.user = store::ensure_external_user(sql, address);
    result.outcome = Outcome::Accepted;
    return result;
}

void DovecotBackend::with_mirror(soci::session& sql, const store::User& user,
                                 const std::function<void(Mirror&)>& work) {
    with_connection(user, [&](imap::Connection& imap) {
        Mirror mirror(sql, imap, user, &mirror_hooks_);
        work(mirror);
    });
}

void DovecotBackend::with_connection(const store::User& user, const std::function<void(imap::Connection&)>& work) {
    for (int attempt = 1;; ++attempt) {
        auto lease = pool_.acquire(user.address);
        try {
            work(*lease);
            return;
        } catch (const imap::ImapError& e) {
            const bool dead = e.kind == imap::ImapError::Kind::Connection || e.kind == imap::ImapError::Kind::Protocol;
            if (!dead || attempt == 2) throw;
            lease.discard();
            pool_.close_idle();
            EASD_LOG_INFO("mirror %s: IMAP connection lost (%s); trying a new one", user.address.c_str(), e.what());
        }
    }
}

void DovecotBackend::start(store::Database& db, mailstore::BackgroundHooks hooks) {
    if (queue_) return;
    mirror_hooks_.new_inbox_mail = std::move(hooks.new_inbox_mail);
    auto work = [this](soci::session& sql, const mailstore::MailboxEvent& event) { return catch_up_event(sql, event); };
    queue_ = std::make_unique<MirrorQueue>(db, work, settings_.catch_up_threads);
    first_mirrors_ = std::make_unique<MirrorQueue>(db, work, 1);
    if (settings_.poll_interval.count() > 0)
        poller_ = std::make_unique<MirrorPoller>(db, pool_, settings_.poll_interval, std::move(hooks.waiting_users),
                                                 &mirror_hooks_);
}

void DovecotBackend::refresh_hierarchy(soci::session& sql, const store::User& user) {
    try {
        CatchUpStats stats;
        std::vector<std::string> in_background;
        with_mirror(sql, user, [&](Mirror& mirror) {
            for (const auto& b : mirror.catch_up_hierarchy(&stats)) {
                // Never mirrored and large: the first mirror goes to the background (once started;
                // a FolderSync during it queues nothing twice, and waits for nothing).
                if (b.uidvalidity == 0 && first_mirrors_ && mirror.message_count(b) > settings_.inline_first_mirror) {
                    in_background.push_back(b.name);
                    continue;
                }
                if (!mirror.unchanged_since_listed(b)) mirror.catch_up_mailbox(b, &stats);
            }
        });
        for (const auto& name : in_background) {
            mailstore::MailboxEvent event;
            event.user = user.address;
            event.mailbox = name;
            event.events = {"FirstMirror"};
            first_mirrors_->push(std::move(event));
        }
        if (stats.added || stats.removed || stats.changed || stats.folders_added || stats.folders_removed ||
            !in_background.empty())
            EASD_LOG_INFO("mirror %s: %d folder(s) added, %d removed; %d message(s) new, %d changed, %d expunged; "
                          "%zu large mailbox(es) mirrored in the background",
                          user.address.c_str(), stats.folders_added, stats.folders_removed, stats.added,
                          stats.changed, stats.removed, in_background.size());
    } catch (const imap::ImapError& e) {
        EASD_LOG_WARN("mirror %s: catching up failed, answering from the mirror as it is: %s", user.address.c_str(),
                      e.what());
    }
}

bool DovecotBackend::notification_token_matches(std::string_view token) const {
    const std::string& expected = settings_.push_token;
    if (expected.empty() || token.size() != expected.size()) return false;
    return CRYPTO_memcmp(token.data(), expected.data(), expected.size()) == 0;
}

mailstore::NotifyOutcome DovecotBackend::mailbox_changed(soci::session& sql, const mailstore::MailboxEvent& event) {
    if (!queue_) return catch_up_event(sql, event);
    queue_->push(event);
    return mailstore::NotifyOutcome::Done;
}

mailstore::NotifyOutcome DovecotBackend::catch_up_event(soci::session& sql, const mailstore::MailboxEvent& event) {
    using Outcome = mailstore::NotifyOutcome;
    std::optional<store::User> user;
    try {
        user = store::find_user(sql, store::normalize_address(event.user));
    } catch (const store::InvalidRequest&) {
        return Outcome::UnknownUser;
    }
    if (!user) return Outcome::UnknownUser;
    const bool hierarchy = event.mailbox.empty() || !event.old_mailbox.empty() ||
                           has_event(event, "MailboxCreate") || has_event(event, "MailboxRename") ||
                           has_event(event, "MailboxDelete");
    try {
        with_mirror(sql, *user, [&](Mirror& mirror) {
            std::optional<store::MailboxBinding> binding;
            if (!hierarchy) binding = store::find_mailbox_binding(sql, user->id, event.mailbox);
            if (hierarchy || !binding) {
                for (const auto& b : mirror.catch_up_hierarchy())
                    if ((event.mailbox.empty() || b.name == event.mailbox) && !mirror.unchanged_since_listed(b))
                        mirror.catch_up_mailbox(b);
            } else {
                mirror.catch_up_mailbox(*binding);
            }
        });
    } catch (const imap::ImapError& e) {
        EASD_LOG_WARN("mirror %s: catching up \"%s\" failed: %s", user->address.c_str(), event.mailbox.c_str(),
                      e.what());
        return Outcome::Unavailable;
    }
    return Outcome::Done;
}

namespace {

// The mod-sequence the server reported for `uid` (0 when it did not).
std::uint64_t modseq_of(const std::vector<imap::FetchedMessage>& reported, std::uint32_t uid) {
    std::uint64_t modseq = 0;
    for (const auto& m : reported)
        if (m.uid == uid && m.modseq > modseq) modseq = m.modseq;
    return modseq;
}

}  // namespace

mailstore::WriteOutcome DovecotBackend::edit_email(soci::session& sql, const store::User& user, long long item_id,
                                                   const store::EmailEdit& edit) {
    store::lock_user_writes(sql, user.id);  // before the IMAP write (dovecot_backend.h)
    using Op = imap::Connection::FlagOp;
    if (auto at = store::find_mirrored_item(sql, item_id)) {
        std::uint64_t modseq = 0;
        try {
            with_connection(user, [&](imap::Connection& imap) {
                imap.select(at->mailbox, false);
                const std::string uid = std::to_string(at->uid);
                auto note = [&](const std::vector<imap::FetchedMessage>& reported) {
                    modseq = std::max(modseq, modseq_of(reported, at->uid));
                };
                if (edit.read) note(imap.store_flags(uid, *edit.read ? Op::Add : Op::Remove, {"\\Seen"}));
                if (edit.flag)
                    note(imap.store_flags(uid, flag_status_of(*edit.flag) == 2 ? Op::Add : Op::Remove, {"\\Flagged"}));
                if (edit.categories) {
                    imap::FetchItems items;
                    items.modseq = false;
                    auto now = imap.fetch(uid, items);
                    std::vector<std::string> had = now.empty() ? std::vector<std::string>{} : category_keywords(now[0].flags);
                    std::vector<std::string> wanted;
                    for (const auto& name : categories_of(*edit.categories))
                        if (auto k = keyword_for_category(name); !k.empty()) wanted.push_back(k);
                    std::vector<std::string> add, remove;
                    for (const auto& k : wanted)
                        if (std::find(had.begin(), had.end(), k) == had.end()) add.push_back(k);
                    for (const auto& k : had)
                        if (std::find(wanted.begin(), wanted.end(), k) == wanted.end()) remove.push_back(k);
                    if (!remove.empty()) note(imap.store_flags(uid, Op::Remove, remove));
                    if (!add.empty()) note(imap.store_flags(uid, Op::Add, add));
                }
            });
        } catch (const imap::ImapError& e) {
            EASD_LOG_WARN("%s: cannot change the flags of UID %u in \"%s\": %s", user.address.c_str(), at->uid,
                          at->mailbox.c_str(), e.what());
            return mailstore::WriteOutcome::Unavailable;
        }
        // The server's new mod-sequence: the next catch-up does not take this change for another's.
        if (modseq != 0) store::set_mirrored_modseq(sql, item_id, modseq);
    }
    store::update_email(sql, item_id, edit);
    return mailstore::WriteOutcome::Done;
}

mailstore::WriteOutcome DovecotBackend::move_item(soci::session& sql, const store::User& user, long long item_id,
                                                  long long folder_id) {
    store::lock_user_writes(sql, user.id);  // before the IMAP write (dovecot_backend.h)
    auto at = store::find_mirrored_item(sql, item_id);
    if (!at) {  // contacts, calendar, ...: rows only
        store::move_item(sql, item_id, folder_id);
        return mailstore::WriteOutcome::Done;
    }
    auto destination = store::find_binding_of_folder(sql, folder_id);
    if (!destination) {
        EASD_LOG_WARN("%s: folder %lld is on no IMAP mailbox; the message stays where it is", user.address.c_str(),
                      folder_id);
        return mailstore::WriteOutcome::Unavailable;
    }
    std::vector<std::uint32_t> new_uids;
    try {
        with_connection(user, [&](imap::Connection& imap) {
            imap.select(at->mailbox, false);
            new_uids = imap.move(std::to_string(at->uid), destination->name);
        });
    } catch (const imap::ImapError& e) {
        EASD_LOG_WARN("%s: cannot move UID %u from \"%s\" to \"%s\": %s", user.address.c_str(), at->uid,
                      at->mailbox.c_str(), destination->name.c_str(), e.what());
        return mailstore::WriteOutcome::Unavailable;
    }
    if (new_uids.size() == 1) {
        store::move_item(sql, item_id, folder_id);
        store::rebind_mirrored_message(sql, item_id, folder_id, new_uids[0]);
    } else {
        // The server did not say the new UID (no UIDPLUS): the destination's next catch-up adds the
        // message as a new item, so this one goes (the device gets a Delete and that Add).
        store::delete_item(sql, item_id);
    }
    return mailstore::WriteOutcome::Done;
}

void DovecotBackend::expunge_message(const store::User& user, const store::MirroredLocation& at) {
    with_connection(user, [&](imap::Connection& imap) {
        imap.select(at.mailbox, false);
        imap.expunge(std::to_string(at.uid));
    });
}

std::uint32_t DovecotBackend::append_to_folder(soci::session& sql, const store::User& user, long long folder_id,
                                               const std::string& mime, const std::vector<std::string>& flags,
                                               bool* bound) {
    auto binding = store::find_binding_of_folder(sql, folder_id);
    *bound = binding.has_value();
    if (!binding) return 0;
    std::uint32_t uid = 0;
    with_connection(user, [&](imap::Connection& imap) {
        uid = imap.append(binding->name, mime, flags, static_cast<std::int64_t>(std::time(nullptr)));
    });
    return uid;
}

mailstore::WriteOutcome DovecotBackend::store_message(soci::session& sql, const store::User& user, long long folder_id,
                                                      const std::string& mime, bool read,
                                                      const content::ParsedMessage* parsed) {
    store::lock_user_writes(sql, user.id);  // before the IMAP write (dovecot_backend.h)
    std::optional<content::ParsedMessage> parsed_here;
    const content::ParsedMessage& message = content::parse_unless_given(mime, parsed, parsed_here);
    bool bound = false;
    std::uint32_t uid = 0;
    try {
        uid = append_to_folder(sql, user, folder_id, mime,
                               read ? std::vector<std::string>{"\\Seen"} : std::vector<std::string>{}, &bound);
    } catch (const imap::ImapError& e) {
        EASD_LOG_WARN("%s: cannot APPEND to folder %lld: %s", user.address.c_str(), folder_id, e.what());
        return mailstore::WriteOutcome::Unavailable;
    }
    // Without the new UID (no UIDPLUS) the next catch-up stores it: storing it here as well
    // would make two.
    if (bound && uid == 0) return mailstore::WriteOutcome::Done;
    store::NewEmail email = content::email_from_parsed(mime, message);
    email.read = read;
    email.follow_conversation_moves = false;
    email.keep_original = !bound;
    long long item_id = store::insert_email(sql, user.id, folder_id, email);
    if (bound) store::record_mirrored_message(sql, item_id, folder_id, uid, 0);
    return mailstore::WriteOutcome::Done;
}

std::optional<long long> DovecotBackend::save_draft(soci::session& sql, const store::User& user, long long folder_id,
                                                    long long item_id, const store::NewEmail& email) {
    store::lock_user_writes(sql, user.id);  // before the IMAP write (dovecot_backend.h)
    std::optional<store::MirroredLocation> replaced;
    if (item_id != 0) replaced = store::find_mirrored_item(sql, item_id);
    bool bound = false;
    std::uint32_t uid = 0;
    try {
        uid = append_to_folder(sql, user, folder_id, email.mime, {"\\Draft", "\\Seen"}, &bound);
        // The old version goes only once the new one is safely on the server.
        if (replaced) expunge_message(user, *replaced);
    } catch (const imap::ImapError& e) {
        EASD_LOG_WARN("%s: cannot save a draft in folder %lld: %s", user.address.c_str(), folder_id, e.what());
        return std::nullopt;
    }
    store::NewEmail stored = email;
    // Without UIDPLUS (uid 0) the rows keep the original and stay unbound; the next catch-up then
    // adds the server's copy as a second draft. Dovecot always says the UID.
    stored.keep_original = !(bound && uid != 0);
    if (item_id == 0) {
        item_id = store::insert_email(sql, user.id, folder_id, stored);
    } else {
        store::replace_email_message(sql, user.id, item_id, stored);
    }
    if (bound && uid != 0) store::rebind_mirrored_message(sql, item_id, folder_id, uid);
    return item_id;
}

void DovecotBackend::file_sent_draft(soci::session& sql, const store::User& user, long long item_id,
                                     long long sent_folder_id, const store::NewEmail& sent_copy) {
    store::lock_user_writes(sql, user.id);  // before the IMAP write (dovecot_backend.h)
    auto draft = store::find_mirrored_item(sql, item_id);
    bool bound = false;
    std::uint32_t uid = 0;
    try {
        uid = append_to_folder(sql, user, sent_folder_id, sent_copy.mime, {"\\Seen"}, &bound);
        if (draft) expunge_message(user, *draft);
    } catch (const imap::ImapError& e) {
        // Sent already: the draft stays a draft rather than the phone sending it again.
        EASD_LOG_WARN("%s: draft %lld was sent, but its Sent copy cannot be filed: %s", user.address.c_str(), item_id,
                      e.what());
        return;
    }
    store::NewEmail stored = sent_copy;
    stored.keep_original = !(bound && uid != 0);
    store::replace_email_message(sql, user.id, item_id, stored);
    store::move_item(sql, item_id, sent_folder_id);
    if (bound && uid != 0) {
        store::rebind_mirrored_message(sql, item_id, sent_folder_id, uid);
    } else if (draft) {
        // The draft's UID is gone and the copy's is unknown: the item is a message of no mailbox now
        // (kept, with its original) until the Sent mailbox's catch-up adds the server's copy.
        store::forget_mirrored_message(sql, item_id);
    }
}

std::vector<store::EmailRow> DovecotBackend::load_emails(soci::session& sql, const store::User& user,
                                                         const std::vector<long long>& ids,
                                                         const content::BodyNeed& need) {
    auto rows = store::load_emails(sql, user.id, ids, need.mime);
    // A row whose body preview is shorter than the render reads: its original, parsed, gives the
    // whole texts (fetched into the row's mime when that is wanted anyway).
    std::vector<std::string> originals(rows.size());
    std::vector<std::pair<long long, std::string*>> wanted;
    std::vector<std::size_t> to_restore;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        store::EmailRow& row = rows[i];
        const bool short_preview = !content::preview_suffices(row, need);
        if (short_preview) to_restore.push_back(i);
        if (need.mime && row.mime.empty()) wanted.emplace_back(row.item_id, &row.mime);
        else if (short_preview) wanted.emplace_back(row.item_id, &originals[i]);
    }
    fetch_originals(sql, user, wanted);
    for (std::size_t i : to_restore) {
        store::EmailRow& row = rows[i];
        const std::string& original = need.mime ? row.mime : originals[i];
        if (original.empty()) continue;  // gone from the server: the preview is all there is
        std::string error;
        auto parsed = content::parse_message(original, &error);
        if (!parsed) {
            EASD_LOG_WARN("%s: the original of item %lld does not parse again: %s", user.address.c_str(), row.item_id,
                          error.c_str());
            continue;
        }
        content::restore_whole_body(row, std::move(parsed->body_plain), std::move(parsed->body_html));
    }
    return rows;
}

std::optional<store::FoundAttachment> DovecotBackend::find_attachment(soci::session& sql, const store::User& user,
                                                                      long long item_id, const std::string& part_path) {
    auto found = store::find_attachment(sql, user.id, item_id, part_path);
    if (found && found->mime.empty()) fetch_originals(sql, user, {{item_id, &found->mime}});
    return found;
}

void DovecotBackend::fetch_originals(soci::session& sql, const store::User& user,
                                     const std::vector<std::pair<long long, std::string*>>& wanted) {
    if (wanted.empty()) return;
    std::unordered_map<long long, std::string*> target;
    std::vector<long long> ids;
    for (const auto& [id, out] : wanted) {
        target.emplace(id, out);
        ids.push_back(id);
    }
    // Misses by folder: one EXAMINE and one UID FETCH each.
    std::map<long long, std::vector<store::MirroredLocation>> missing;
    for (auto& at : store::find_mirrored_items(sql, ids)) {
        if (auto cached = cache_.get({at.folder_id, at.uidvalidity, at.uid})) {
            *target[at.item_id] = std::move(*cached);
            continue;
        }
        missing[at.folder_id].push_back(std::move(at));
    }
    if (missing.empty()) return;
    try {
        with_connection(user, [&](imap::Connection& imap) {
            for (const auto& [folder_id, locations] : missing) {
                imap::SelectResult selected = imap.select(locations.front().mailbox, true);
                // Another UIDVALIDITY: these UIDs name other messages now; the next catch-up
                // recognises the messages and binds these items to their new UIDs (fetched then).
                if (selected.uidvalidity != locations.front().uidvalidity) continue;
                std::unordered_map<std::uint32_t, long long> item_of_uid;
                std::vector<std::uint32_t> uids;
                for (const auto& at : locations) {
                    item_of_uid.emplace(at.uid, at.item_id);
                    uids.push_back(at.uid);
                }
                imap::FetchItems items;
                items.flags = false;
                items.modseq = false;
                items.full_message = true;
                for (auto& m : imap.fetch(imap::uid_set(uids), items)) {
                    auto it = item_of_uid.find(m.uid);
                    if (!m.body || it == item_of_uid.end()) continue;
                    cache_.put({folder_id, selected.uidvalidity, m.uid}, *m.body);
                    *target[it->second] = std::move(*m.body);
                }
            }
        });
    } catch (const imap::ImapError& e) {
        // A mailbox deleted meanwhile (NO to EXAMINE) is a change the next catch-up brings; the
        // rest is the server out of reach.
        if (e.kind == imap::ImapError::Kind::No) return;
        EASD_LOG_WARN("%s: cannot fetch originals from the IMAP server: %s", user.address.c_str(), e.what());
        throw mailstore::MailUnavailable("the IMAP server cannot be reached");
    }
}

mailstore::WriteOutcome DovecotBackend::empty_folder(soci::session& sql, const store::User& user, long long folder_id,
                                                     bool subfolders) {
    store::lock_user_writes(sql, user.id);  // before the IMAP write (dovecot_backend.h)
    if (auto binding = store::find_binding_of_folder(sql, folder_id)) {
        try {
            with_connection(user, [&](imap::Connection& imap) {
                imap::SelectResult selected = imap.select(binding->name, false);
                if (selected.exists > 0) imap.expunge("1:*");
            });
        } catch (const imap::ImapError& e) {
            EASD_LOG_WARN("%s: cannot empty \"%s\": %s", user.address.c_str(), binding->name.c_str(), e.what());
            return mailstore::WriteOutcome::Unavailable;
        }
    }
    return empty_folder_rows(sql, user, folder_id, subfolders);
}

std::unique_ptr<store::FolderStore> DovecotBackend::folder_store(soci::session& sql) {
    return open_imap_folder_store(sql, [this](const store::User& user,
                                              const std::function<void(imap::Connection&)>& work) {
        with_connection(user, work);
    });
}

mailstore::WriteOutcome DovecotBackend::delete_item(soci::session& sql, const store::User& user, long long item_id) {
    store::lock_user_writes(sql, user.id);  // before the IMAP write (dovecot_backend.h)
    if (auto at = store::find_mirrored_item(sql, item_id)) {
        try {
            expunge_message(user, *at);
        } catch (const imap::ImapError& e) {
            EASD_LOG_WARN("%s: cannot expunge UID %u in \"%s\": %s", user.address.c_str(), at->uid,
                          at->mailbox.c_str(), e.what());
            return mailstore::WriteOutcome::Unavailable;
        }
    }
    store::delete_item(sql, item_id);
    return mailstore::WriteOutcome::Done;
}

}  // namespace easd::dovecot
