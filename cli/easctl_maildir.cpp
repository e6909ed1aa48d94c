#include "easctl_maildir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/text.h"
#include "common/unique_fd.h"
#include "content/draft.h"
#include "content/maildir.h"
#include "content/message.h"
#include "store/accounts.h"
#include "store/admin.h"
#include "store/folder_store.h"
#include "store/items.h"
#include "store/mail.h"
#include "store/mirror_state.h"

namespace easd::cli {

namespace maildir = content::maildir;

namespace {

// Commit every this many imported messages: a failure loses at most one batch (and a new run
// skips what was committed), and no transaction grows with the mailbox.
constexpr int kBatch = 500;
// The largest message file import reads, as easd-deliver accepts.
constexpr std::size_t kMaxMessage = 256u << 20;

std::string errno_text(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

// --- file system ----------------------------------------------------------------------------------

bool is_dir(const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
    struct stat st{};
    return ::lstat(path.c_str(), &st) == 0;
}

// The names in a directory (without "." and ".."), sorted. Throws on an unreadable directory.
std::vector<std::string> list_dir(const std::string& path) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
    if (!dir) throw store::InvalidRequest(errno_text("cannot read", path));
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(dir.get())) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
        errno = 0;
    }
    if (errno != 0) throw store::InvalidRequest(errno_text("cannot read", path));
    std::sort(names.begin(), names.end());
    return names;
}

// Maildirs are private to their owner: 0700 directories, 0600 files (what Dovecot creates).
void make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
        throw std::runtime_error(errno_text("cannot create", path));
}

// Writes the file in `folder`/tmp and renames it into `folder`/`sub`: a reader (Dovecot) sees the
// whole file or none. Synced before the rename, as the Maildir specification asks of a delivery.
// mtime (when given) is what Dovecot takes for the message's INTERNALDATE.
void write_atomically(const std::string& folder, const std::string& sub, const std::string& name,
                      std::string_view data, std::optional<long long> mtime) {
    std::string tmp = folder + "/tmp/" + name;
    std::string final_path = folder + "/" + sub + "/" + name;
    {
        UniqueFd f(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (f.get() < 0) throw std::runtime_error(errno_text("cannot create", tmp));
        for (std::size_t done = 0; done < data.size();) {
            ssize_t n = ::write(f.get(), data.data() + done, data.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw std::runtime_error(errno_text("cannot write", tmp));
            done += static_cast<std::size_t>(n);
        }
        if (mtime) {
            timespec times[2] = {{static_cast<time_t>(*mtime), 0}, {static_cast<time_t>(*mtime), 0}};
            if (::futimens(f.get(), times) != 0) throw std::runtime_error(errno_text("cannot set the time of", tmp));
        }
        if (::fsync(f.get()) != 0) throw std::runtime_error(errno_text("cannot write", tmp));
    }
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) throw std::runtime_error(errno_text("cannot rename", tmp));
}

// A folder directory of a Maildir: it has cur/ or new/.
bool is_maildir_folder(const std::string& path) { return is_dir(path + "/cur") || is_dir(path + "/new"); }

// DIR holds a Maildir: its INBOX (cur/, new/, tmp/), a Maildir++ folder, or Dovecot's files.
bool holds_maildir(const std::string& root) {
    for (const char* sub : {"cur", "new", "tmp", "subscriptions", "dovecot-uidlist"})
        if (exists(root + "/" + sub)) return true;
    for (const auto& name : list_dir(root))
        if (name.size() > 1 && name[0] == '.' && is_maildir_folder(root + "/" + name)) return true;
    return false;
}

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
    return buf;
}

// "easctl: exported 1500 of 20000 messages (Inbox)" on stderr every few seconds, so a long run
// shows it is alive; nothing for a run shorter than that.
class Progress {
public:
    Progress(const char* verb, std::size_t total) : verb_(verb), total_(total) {}
    void tick(std::size_t done, const std::string& folder) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::seconds(3)) return;
        last_ = now;
        std::fprintf(stderr, "easctl: %s %zu of %zu messages (%s)\n", verb_, done, total_, folder.c_str());
    }

private:
    const char* verb_;
    std::size_t total_;
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

std::string plural(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The folder and its ancestors, from the top level down.
std::vector<const store::Folder*> chain_from_top(const std::vector<store::Folder>& all, const store::Folder& f) {
    std::vector<const store::Folder*> chain{&f};
    long long parent = f.parent_id;
    for (std::size_t guard = 0; parent != 0 && guard < all.size(); ++guard) {
        auto it = std::find_if(all.begin(), all.end(), [&](const store::Folder& x) { return x.id == parent; });
        if (it == all.end()) break;
        chain.insert(chain.begin(), &*it);
        parent = it->parent_id;
    }
    return chain;
}

// --- export ---------------------------------------------------------------------------------------

struct ExportFolder {
    store::Folder folder;
    std::string easd_path;                  // "Inbox/Projects", for messages
    std::vector<std::string> maildir_path;  // {"INBOX", "Projects"}
    std::string dir;                        // DIR/.INBOX.Projects
};

// The folder's keyword letter for `keyword`, adding it to the folder's list; nullopt when the 26
// letters are taken (Dovecot would keep further keywords only in its index files, which we do not
// write).
std::optional<char> keyword_letter(std::vector<std::string>& keywords, const std::string& keyword) {
    for (std::size_t i = 0; i < keywords.size(); ++i)
        if (keywords[i] == keyword) return static_cast<char>('a' + i);
    if (keywords.size() >= 26) return std::nullopt;
    keywords.push_back(keyword);
    return static_cast<char>('a' + keywords.size() - 1);
}

// What stays in easd: "3 contacts, 1 calendar item" (empty when nothing).
std::string kept_items(const std::map<std::string, long long>& by_class) {
    static const std::map<std::string, std::pair<const char*, const char*>> kNames = {
        {"Contacts", {"contact", "contacts"}},
        {"Calendar", {"calendar item", "calendar items"}},
        {"Tasks", {"task", "tasks"}},
        {"Notes", {"note", "notes"}},
    };
    std::string out;
    for (const auto& [cls, n] : by_class) {
        if (n == 0) continue;
        auto it = kNames.find(cls);
        auto count = static_cast<std::size_t>(n);
        std::string what = it == kNames.end()
                               ? plural(count, (cls + " item").c_str(), (cls + " items").c_str())
                               : plural(count, it->second.first, it->second.second);
        out += (out.empty() ? "" : ", ") + what;
    }
    return out;
}

// The words of `export|import ADDRESS DIR`: the address, the directory without trailing slashes,
// and the account (InvalidRequest when there is none).
struct UserAndDirectory {
    std::string address;
    std::string root;
    store::User user;
};
UserAndDirectory user_and_directory(const Args& a, soci::session& sql) {
    UserAndDirectory out{word(a, 1, "address"), word(a, 2, "directory"), {}};
    no_more_words(a, 3);
    while (out.root.size() > 1 && out.root.back() == '/') out.root.pop_back();
    auto user = store::find_user(sql, out.address);
    if (!user) throw store::InvalidRequest("unknown user " + out.address);
    out.user = std::move(*user);
    return out;
}

}  // namespace

int run_export(const Args& a, soci::session& sql) {
    auto [address, root, user] = user_and_directory(a, sql);
    // The Dovecot store keeps no originals of mirrored mail (they stay on the IMAP server).
    if (!store::list_mailbox_bindings(sql, user.id).empty())
        throw store::InvalidRequest(address + "'s mail is on the IMAP server (mail_store = dovecot); its Maildir "
                                              "there is the export");

    if (exists(root)) {
        if (!is_dir(root)) throw store::InvalidRequest(root + " is not a directory");
        if (holds_maildir(root))
            throw store::InvalidRequest(root + " already holds a Maildir; export writes only into a new or empty "
                                               "directory");
    } else if (::mkdir(root.c_str(), 0700) != 0) {
        throw store::InvalidRequest(errno_text("cannot create", root));
    }

    // One snapshot: mail arriving during the export is not half in it.
    soci::transaction tr(sql);
    sql << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    auto store = store::open_folder_store(sql);
    auto all = store->list(user.id);

    std::vector<ExportFolder> folders;
    std::map<std::string, std::string> taken;  // Maildir directory -> the easd folder that has it
    for (const auto& f : all) {
        if (f.item_class != "Email") continue;
        ExportFolder e;
        e.folder = f;
        auto chain = chain_from_top(all, f);
        for (const auto* level : chain) {
            e.easd_path += (e.easd_path.empty() ? "" : "/") + level->name;
            e.maildir_path.push_back(level->name);
        }
        // Special uses are the top level's (the defaults are there); their subfolders follow them
        // ("Sent Items/2025" is Sent/2025).
        e.maildir_path[0] = maildir::maildir_top_name(chain[0]->name, chain[0]->type);
        std::string dir = maildir::dir_name(e.maildir_path);
        // A user folder "Trash" beside Deleted Items would share its directory: say so rather
        // than merge them.
        auto [it, fresh] = taken.emplace(dir, e.easd_path);
        if (!fresh)
            throw store::InvalidRequest("folders " + it->second + " and " + e.easd_path +
                                        " would both be the Maildir folder " + (dir.empty() ? "INBOX" : dir) +
                                        "; rename one (easctl folder rename) and export again");
        e.dir = dir.empty() ? root : root + "/" + dir;
        folders.push_back(std::move(e));
    }
    std::sort(folders.begin(), folders.end(),
              [](const ExportFolder& x, const ExportFolder& y) { return x.dir < y.dir; });

    std::vector<std::vector<long long>> ids;
    std::size_t total = 0;
    for (const auto& f : folders) {
        ids.push_back(store::email_ids_in_folder(sql, user.id, f.folder.id));
        total += ids.back().size();
    }

    Progress progress("exported", total);
    const std::string host = host_name();
    std::size_t exported = 0, dropped_keywords = 0;
    for (std::size_t n = 0; n < folders.size(); ++n) {
        const auto& f = folders[n];
        make_dir(f.dir);
        for (const char* sub : {"cur", "new", "tmp"}) make_dir(f.dir + "/" + sub);
        // Maildir++ marks each folder (not the INBOX) with an empty "maildirfolder" file.
        if (f.dir != root) write_atomically(f.dir, ".", "maildirfolder", "", std::nullopt);
        std::vector<std::string> keywords;
        for (long long id : ids[n]) {
            auto rows = store::load_emails(sql, user.id, {id}, true);  // one message in memory at a time
            if (rows.empty()) continue;
            const auto& e = rows.front();
            maildir::Flags flags;
            flags.seen = e.read;
            flags.flagged = maildir::is_flagged(e.flag);
            flags.draft = e.is_draft;
            flags.replied = e.last_verb == 1 || e.last_verb == 2;
            std::vector<std::string> item_keywords;
            for (const auto& c : maildir::categories_of(e.categories))
                item_keywords.push_back(maildir::keyword_for_category(c));
            if (e.last_verb == 3) item_keywords.emplace_back(maildir::kForwardedKeyword);
            for (const auto& k : item_keywords) {
                if (auto letter = keyword_letter(keywords, k)) flags.keywords += *letter;
                else ++dropped_keywords;
            }
            std::string unique = maildir::unique_name(e.date_received, "E" + std::to_string(id), host, e.mime.size());
            write_atomically(f.dir, "cur", maildir::file_name(unique, flags), e.mime, e.date_received);
            progress.tick(++exported, f.easd_path);
        }
        if (!keywords.empty())
            write_atomically(f.dir, ".", "dovecot-keywords", maildir::keywords_file(keywords), std::nullopt);
    }
    std::vector<std::vector<std::string>> paths;
    for (const auto& f : folders) paths.push_back(f.maildir_path);
    write_atomically(root, ".", "subscriptions", maildir::subscriptions_file(paths), std::nullopt);

    std::map<std::string, long long> kept;
    for (const auto& f : store::list_user_folders(sql, user.address))
        if (f.item_class != "Email") kept[f.item_class] += f.items;
    tr.commit();

    if (dropped_keywords)
        std::fprintf(stderr, "easctl: %zu categories were left out: a Maildir folder can name at most 26 keywords\n",
                     dropped_keywords);
    std::string message = "exported " + plural(exported, "message", "messages") + " in " +
                          plural(folders.size(), "folder", "folders") + " of " + user.address + " to " + root;
    std::string stays = kept_items(kept);
    JsonObject kept_json;
    for (const auto& [cls, count] : kept) kept_json.number(cls, count);
    done(a, message, JsonObject().number("messages", static_cast<long long>(exported))
                         .number("folders", static_cast<long long>(folders.size()))
                         .raw("kept_in_easd", kept_json.str()));
    // Not an omission: in the Dovecot mode only mail lives in Dovecot.
    if (!a.flag("--json")) {
        if (stays.empty()) std::printf("note: no contacts, calendar items, tasks or notes to leave in easd's store\n");
        else std::printf("note: kept in easd's store, not exported (only mail goes to Dovecot): %s\n", stays.c_str());
    }
    return 0;
}

// --- import ---------------------------------------------------------------------------------------

namespace {

struct ImportFolder {
    std::string dir;                        // DIR or DIR/.Projects.2026
    std::vector<std::string> easd_names;    // {"Projects", "2026"}
    std::string easd_path;                  // "Projects/2026"
    std::vector<std::string> keywords;      // dovecot-keywords: index -> keyword
    std::vector<std::string> files;         // "cur/<name>", "new/<name>", in name order
    long long folder_id = 0;                // 0: skipped
};

std::string read_small_file(const std::string& path) {
    UniqueFd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (f.get() < 0) return {};
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(f.get(), buf, sizeof buf)) > 0 && out.size() < (1u << 20);)
        out.append(buf, static_cast<std::size_t>(n));
    return out;
}

// The Maildir's folders with their message files. Throws InvalidRequest when DIR is unreadable or
// holds no Maildir.
std::vector<ImportFolder> scan_maildir(const std::string& root) {
    if (!exists(root)) throw store::InvalidRequest("no directory " + root);
    if (!is_dir(root)) throw store::InvalidRequest(root + " is not a directory");
    std::vector<std::pair<std::string, std::vector<std::string>>> found;  // directory, Maildir names
    if (is_maildir_folder(root)) found.push_back({root, {"INBOX"}});
    for (const auto& name : list_dir(root)) {
        if (name.size() < 2 || name[0] != '.' || !is_maildir_folder(root + "/" + name)) continue;
        auto path = maildir::folder_path(name);
        if (!path) {
            std::fprintf(stderr, "easctl: skipped %s/%s: not a Maildir++ folder name\n", root.c_str(), name.c_str());
            continue;
        }
        found.push_back({root + "/" + name, *path});
    }
    if (found.empty())
        throw store::InvalidRequest(root + " is not a Maildir (no cur/ or new/ in it, nor .Folder/ directories)");

    std::vector<ImportFolder> out;
    for (auto& [dir, names] : found) {
        ImportFolder f;
        f.dir = dir;
        f.easd_names = names;
        f.easd_names[0] = maildir::easd_top_name(names[0]);
        for (std::size_t i = 0; i < f.easd_names.size(); ++i) f.easd_path += (i ? "/" : "") + f.easd_names[i];
        f.keywords = maildir::parse_keywords_file(read_small_file(dir + "/dovecot-keywords"));
        for (const char* sub : {"cur", "new"}) {
            std::string subdir = dir + "/" + sub;
            if (!is_dir(subdir)) continue;
            for (auto& name : list_dir(subdir)) {
                struct stat st{};
                // Dot files are the agents' own (and a file being written elsewhere is in tmp/).
                if (name[0] == '.' || ::stat((subdir + "/" + name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
                f.files.push_back(std::string(sub) + "/" + name);
            }
        }
        out.push_back(std::move(f));
    }
    // Parents before their children, so each level exists when the next is made.
    std::sort(out.begin(), out.end(), [](const ImportFolder& x, const ImportFolder& y) {
        return x.easd_names.size() != y.easd_names.size() ? x.easd_names.size() < y.easd_names.size()
                                                            : x.easd_path < y.easd_path;
    });
    return out;
}

// Finds or creates each folder, through the folder store, in one transaction: all or none. A
// level that is one of easd's non-mail folders (an IMAP folder "Calendar" from an Exchange
// migration, say) is refused when the Maildir folder holds messages, skipped when it is empty.
// Returns how many folders were created.
std::size_t resolve_folders(soci::session& sql, long long user_id, std::vector<ImportFolder>& folders) {
    soci::transaction tr(sql);
    auto store = store::open_folder_store(sql);
    auto all = store->list(user_id);
    std::size_t created = 0;
    for (auto& f : folders) {
        long long parent = 0;
        bool usable = true;
        for (const auto& name : f.easd_names) {
            auto it = std::find_if(all.begin(), all.end(), [&](const store::Folder& x) {
                return x.parent_id == parent && iequals(x.name, name);
            });
            if (it != all.end()) {
                if (it->item_class != "Email") {
                    if (!f.files.empty())
                        throw store::InvalidRequest(f.dir + ": easd's folder " + store::folder_path(all, *it) +
                                                    " holds " + it->item_class +
                                                    ", not mail; rename the Maildir folder and import again");
                    std::fprintf(stderr, "easctl: skipped %s: empty, and easd's %s holds %s, not mail\n", f.dir.c_str(),
                                 store::folder_path(all, *it).c_str(), it->item_class.c_str());
                    usable = false;
                    break;
                }
                parent = it->id;
                continue;
            }
            auto change = store->create(user_id, parent, name, store::kFolderUserMail);
            if (!change.ok())
                throw store::InvalidRequest(f.dir + ": cannot create folder " + name + ": " +
                                            store::folder_error_text(change.error));
            all.push_back(change.folder);
            parent = change.folder.id;
            ++created;
        }
        f.folder_id = usable ? parent : 0;
    }
    tr.commit();
    return created;
}

struct MessageFile {
    std::string bytes;
    long long mtime = 0;
};

// nullopt (and a line on stderr) for a file that cannot be read or is too large.
std::optional<MessageFile> read_message(const std::string& path) {
    UniqueFd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st{};
    if (f.get() < 0 || ::fstat(f.get(), &st) != 0) {
        std::fprintf(stderr, "easctl: skipped %s: %s\n", path.c_str(), std::strerror(errno));
        return std::nullopt;
    }
    if (static_cast<std::size_t>(st.st_size) > kMaxMessage) {
        std::fprintf(stderr, "easctl: skipped %s: larger than 256 MB\n", path.c_str());
        return std::nullopt;
    }
    MessageFile m;
    m.mtime = st.st_mtime;
    m.bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < m.bytes.size()) {
        ssize_t n = ::read(f.get(), m.bytes.data() + got, m.bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            std::fprintf(stderr, "easctl: skipped %s: %s\n", path.c_str(), std::strerror(errno));
            return std::nullopt;
        }
        if (n == 0) break;  // shrank while we read: take what is there
        got += static_cast<std::size_t>(n);
    }
    m.bytes.resize(got);
    return m;
}

}  // namespace

int run_import(const Args& a, soci::session& sql) {
    auto [address, root, user] = user_and_directory(a, sql);

    auto folders = scan_maildir(root);
    std::size_t created = resolve_folders(sql, user.id, folders);
    std::size_t total = 0;
    for (const auto& f : folders) total += f.folder_id ? f.files.size() : 0;

    content::init_mime();
    Progress progress("imported", total);
    std::size_t seen = 0, imported = 0, already = 0, failed = 0;
    std::optional<soci::transaction> batch;
    int in_batch = 0;
    for (const auto& f : folders) {
        if (!f.folder_id) continue;
        // Idempotence: a message whose exact bytes the folder already holds is not stored again,
        // so a second run (or one after an interrupted run) adds only what is missing, and
        // importing back a Maildir exported from this user adds nothing. Chosen over recording
        // imported file names because Dovecot renames a file when its flags change, and it needs
        // no table. Flags of a message already there are left as they are; two identical files in
        // one folder become one message.
        auto held = store::message_digests_in_folder(sql, user.id, f.folder_id);
        for (const auto& file : f.files) {
            progress.tick(seen++, f.easd_path);
            std::string path = f.dir + "/" + file;
            auto m = read_message(path);
            if (!m) {
                ++failed;
                continue;
            }
            std::string digest = store::message_digest(m->bytes);
            if (held.count(digest)) {
                ++already;
                continue;
            }
            // The same parsing and storing as easd-deliver (content/message.h, content/draft.h,
            // store/mail.h), so imported mail has exactly the columns delivered mail has.
            std::string error;
            auto parsed = content::parse_message(m->bytes, &error);
            if (!parsed) {
                std::fprintf(stderr, "easctl: skipped %s: %s\n", path.c_str(), error.c_str());
                ++failed;
                continue;
            }
            std::optional<store::NewEmail> stored;
            try {
                stored = content::email_from_parsed(std::move(m->bytes), *parsed);
            } catch (const content::MessageRefused& e) {
                std::fprintf(stderr, "easctl: skipped %s: %s\n", path.c_str(), e.what());
                ++failed;
                continue;
            }
            store::NewEmail& email = *stored;
            held.insert(std::move(digest));
            if (!batch) batch.emplace(sql);
            auto name = maildir::parse_file_name(file.substr(file.find('/') + 1));
            email.read = name.flags.seen;
            email.date_received = m->mtime;  // Dovecot's INTERNALDATE
            long long id = store::insert_email(sql, user.id, f.folder_id, email);

            store::EmailEdit edit;
            if (name.flags.flagged) edit.flag = maildir::flagged_wbxml();
            std::vector<std::string> categories;
            bool forwarded = false;
            for (char letter : name.flags.keywords) {
                auto index = static_cast<std::size_t>(letter - 'a');
                if (index >= f.keywords.size() || f.keywords[index].empty()) continue;
                const std::string& keyword = f.keywords[index];
                if (iequals(keyword, maildir::kForwardedKeyword)) forwarded = true;
                else if (auto category = maildir::category_for_keyword(keyword)) categories.push_back(*category);
            }
            if (!categories.empty()) edit.categories = maildir::categories_wbxml(categories);
            if (edit.flag || edit.categories) store::update_email(sql, id, edit);
            if (name.flags.replied) store::set_last_verb(sql, user.id, id, 1);
            else if (forwarded) store::set_last_verb(sql, user.id, id, 3);
            ++imported;
            if (++in_batch == kBatch) {
                batch->commit();
                batch.reset();
                in_batch = 0;
            }
        }
    }
    if (batch) batch->commit();

    std::size_t used = static_cast<std::size_t>(
        std::count_if(folders.begin(), folders.end(), [](const ImportFolder& f) { return f.folder_id != 0; }));
    std::string message = "imported " + plural(imported, "message", "messages") + " into " +
                          plural(used, "folder", "folders") + " of " + user.address + " from " + root + " (" +
                          plural(created, "folder", "folders") + " created, " +
                          plural(already, "message", "messages") + " already there)";
    done(a, message,
         JsonObject()
             .number("messages", static_cast<long long>(imported))
             .number("folders", static_cast<long long>(used))
             .number("folders_created", static_cast<long long>(created))
             .number("already_there", static_cast<long long>(already))
             .number("failed", static_cast<long long>(failed)));
    if (failed) {
        std::fprintf(stderr, "easctl: %s could not be imported (see above)\n",
                     plural(failed, "message file", "message files").c_str());
        return 1;
    }
    return 0;
}

}  // namespace easd::cli
