// easd-deliver: a delivery agent for Postfix's pipe transport. Reads one RFC 5322 message on
// stdin and stores it for --recipient, whole or not at all. Exit codes follow sysexits.h, so
// Postfix bounces what will never work and retries what may work later:
//   0 stored, or stored before (a retry, below); 64 usage; 65 unreadable input, or a message over
//   a limit of content/message_limits.h (more than 50,000 attachments or 100,000 MIME boundary
//   lines: refused whole, Postfix bounces it); 67 unknown user; 75 database unreachable or no such
//   --folder (Postfix keeps the message and retries: create the folder, or fix master.cf); 78 no
//   config found or the one named unreadable (fix master.cf: Postfix bounces rather than retry).
//
// Retries are idempotent: a delivery's key (store/deliveries.h: the --queue-id and the SHA-256 of
// the bytes, or the SHA-256 alone) is recorded in the transaction that stores the message. When
// the database committed but the answer was lost (a failover), easd-deliver exits 75, Postfix
// retries, and the retry finds the key: nothing stored again, exit 0, one log line.
//
// master.cf:
//   easd  unix  -  n  n  -  -  pipe
//     flags=DRhu user=easd argv=/usr/bin/easd-deliver --queue-id ${queue_id} --sender ${sender} --recipient ${recipient}
// and in main.cf: virtual_transport = easd (or a transport_maps entry per domain) and
// easd_destination_recipient_limit = 1 (one recipient per run: ${recipient} would expand into
// several arguments, and the D flag's Delivered-To names one recipient).
#include <sysexits.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "cli_common.h"
#include "commands/out_of_office.h"
#include "commands/outgoing_mail.h"
#include "common/log.h"
#include "content/auto_reply.h"
#include "content/draft.h"
#include "content/message.h"
#include "mailstore/native_backend.h"
#include "store/accounts.h"
#include "store/aliases.h"
#include "store/db.h"
#include "store/deliveries.h"
#include "store/folder_store.h"
#include "store/mail.h"
#include "store/pq.h"

using namespace easd;

namespace {

constexpr std::size_t kMaxMessage = 256u << 20;

// One line on stderr, which Postfix puts in its log and bounce: a database error's own lines
// (PostgreSQL's DETAIL, CONTEXT) are joined into it.
int fail(int code, const std::string& message) {
    std::string line;
    for (char c : message) {
        if (c == '\n') {
            while (!line.empty() && line.back() == ' ') line.pop_back();
            line += " | ";
        } else {
            line += c;
        }
    }
    std::fprintf(stderr, "easd-deliver: %s\n", line.c_str());
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    set_log_program("easd-deliver");
    // An Out of Office reply handed to a sendmail that exits early must fail that write, not kill
    // easd-deliver after the message was stored (Postfix would deliver it again).
    std::signal(SIGPIPE, SIG_IGN);
    cli::Args args;
    try {
        args = cli::parse_args(argc, argv, {"--recipient", "--folder", "--sender", "--queue-id"}, {"--version"});
    } catch (const std::exception& e) {
        return fail(EX_USAGE, e.what());
    }
    if (args.flag("--help")) {
        std::puts("usage: easd-deliver [--config FILE] [--database CONNINFO] [--queue-id ID] [--sender ADDRESS] "
                  "--recipient ADDRESS [--folder PATH]\n       easd-deliver --help | --version");
        return 0;
    }
    if (args.flag("--version")) {
        std::puts(cli::version_line("easd-deliver").c_str());
        return 0;
    }
    std::string recipient = args.value("--recipient");
    if (recipient.empty()) return fail(EX_USAGE, "usage: easd-deliver --recipient ADDRESS [--folder PATH]");
    if (!args.words.empty())  // Postfix expands ${recipient} into one argument per recipient
        return fail(EX_USAGE, "one recipient per run (main.cf: easd_destination_recipient_limit = 1), not \"" +
                                  args.words.front() + "\"");
    // Postfix's queue id (pipe(8) ${queue_id}): letters and digits. Without it the key is the bytes'
    // digest alone.
    const std::string queue_id = args.value("--queue-id");
    if (args.values.count("--queue-id") &&
        (queue_id.empty() || queue_id.size() > 64 ||
         queue_id.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != std::string::npos))
        return fail(EX_USAGE, "--queue-id takes Postfix's queue id (letters and digits), not \"" + queue_id + "\"");

    // A configuration that cannot work is permanent (EX_CONFIG, 78): with 75 Postfix would keep the
    // mail and retry a misconfiguration for days. A config file named but unreadable, or none at
    // all (which would mean the default "dbname=easd", never what a mail server set up).
    std::string conninfo;
    try {
        conninfo = cli::conninfo_for(args);
        if (!cli::database_named(args))
            return fail(EX_CONFIG,
                        "no database named: give --config FILE or --database CONNINFO in master.cf, set EASD_CONFIG, "
                        "or create /etc/easd/easd.conf");
    } catch (const std::exception& e) {
        return fail(EX_CONFIG, e.what());
    }

    // Read everything first: a message is stored whole or not at all.
    std::string raw;
    {
        char buf[65536];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
            raw.append(buf, n);
            if (raw.size() > kMaxMessage) return fail(EX_DATAERR, "message larger than 256 MB");
        }
        if (std::ferror(stdin)) return fail(EX_IOERR, "cannot read the message");
    }
    content::init_mime();
    std::string error;
    auto parsed = content::parse_message(raw, &error);
    if (!parsed) return fail(EX_DATAERR, error);  // "not a message: ...", or the limit it is over

    try {
        // Of the bytes as received, before they move into the stored message.
        const std::string key = store::delivery_key(queue_id, raw);
        std::string address = store::normalize_address(recipient);
        auto sql = store::open_session(conninfo);
        soci::transaction tr(*sql);
        auto user = store::find_recipient(*sql, address);  // the account, or the one the alias is of
        if (!user) return fail(EX_NOUSER, "unknown recipient " + address);
        // A path from the top ("Inbox/Lists/easd"), through the folder store like every folder
        // lookup by name. A missing folder is temporary for Postfix: it keeps the message and
        // retries, so mail is not bounced because a folder was renamed or deleted on a phone.
        std::string folder_path = args.value("--folder", "Inbox");
        auto folders = store::open_folder_store(*sql);
        auto folder = store::resolve_folder_path_or_name(*folders, user->id, folder_path);
        if (!folder || folder->item_class != "Email")
            return fail(EX_TEMPFAIL, "no mail folder \"" + folder_path + "\" for " + address);
        // Before anything of the user is written or locked (the lookups above only read): a
        // concurrent delivery of the same key waits here for this one's end, holding nothing this
        // one needs. The key commits with the message or rolls back with it. After the folder, so
        // a missing folder is reported (75) whether or not the message is a retry.
        if (!store::claim_delivery(*sql, user->id, key)) {
            tr.rollback();
            EASD_LOG_INFO("already delivered to %s (%s %s): not stored again", address.c_str(),
                          queue_id.empty() ? "SHA-256" : "queue id", queue_id.empty() ? key.c_str() : queue_id.c_str());
            return EX_OK;
        }

        // Out of Office below reads only the header section: keep that, hand over the rest.
        std::string headers(content::header_section(raw));
        store::insert_email(*sql, user->id, folder->id, content::email_from_parsed(std::move(raw), *parsed));
        tr.commit();
        // Expired keys, a few per delivery, on their own: the message is stored whatever happens.
        try {
            store::prune_deliveries(*sql);
        } catch (const std::exception& e) {
            EASD_LOG_WARN("expired delivery keys not removed: %s", e.what());
        }
        // Out of Office answers mail to the Inbox only: not what a filter sorted elsewhere.
        if (folder->type == store::kFolderInbox) {
            std::optional<std::string> sender;
            if (args.values.count("--sender")) sender = args.value("--sender");
            std::string sendmail = cli::config_value(args, "sendmail");
            mailstore::NativeBackend native;  // easd-deliver is the native store's delivery
            commands::send_out_of_office_reply(*sql, native, sendmail.empty() ? commands::kDefaultSendmailCommand : sendmail,
                                               *user, headers, *parsed, sender);
        }
        return EX_OK;
    } catch (const content::MessageRefused& e) {
        return fail(EX_DATAERR, e.what());  // nothing stored: the transaction was not committed
    } catch (const store::InvalidRequest& e) {
        return fail(EX_NOUSER, e.what());
    } catch (const store::Unavailable& e) {
        return fail(EX_TEMPFAIL, e.what());
    } catch (const store::QueryError& e) {
        // A connection lost in a failover (or a standby reached) is temporary: Postfix retries,
        // and the key above makes the retry store nothing twice. EX_SOFTWARE would bounce.
        return fail(e.connection_lost() ? EX_TEMPFAIL : EX_SOFTWARE, std::string("database error: ") + e.what());
    } catch (const soci::soci_error& e) {
        return fail(store::is_connection_error(e) ? EX_TEMPFAIL : EX_SOFTWARE,
                    std::string("database error: ") + e.get_error_message());
    } catch (const std::exception& e) {
        return fail(EX_SOFTWARE, e.what());
    }
}
