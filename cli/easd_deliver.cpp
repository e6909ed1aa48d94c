// easd-deliver: a delivery agent for Postfix's pipe transport. Reads one RFC 5322 message on
// stdin and stores it for --recipient, whole or not at all. Exit codes follow sysexits.h, so
// Postfix bounces what will never work and retries what may work later:
//   0 stored; 64 usage; 65 unreadable input; 67 unknown user; 75 database unreachable (retry).
//
// master.cf:
//   easd  unix  -  n  n  -  -  pipe
//     flags=DRhu user=easd argv=/usr/bin/easd-deliver --recipient ${recipient}
// and in main.cf: virtual_transport = easd (or a transport_maps entry per domain).
#include <sysexits.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "cli_common.h"
#include "common/log.h"
#include "content/attachment.h"
#include "content/message.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/folders.h"
#include "store/mail.h"

using namespace easd;

namespace {

constexpr std::size_t kMaxMessage = 256u << 20;

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "easd-deliver: %s\n", message.c_str());
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    set_log_program("easd-deliver");
    cli::Args args;
    try {
        args = cli::parse_args(argc, argv, {"--recipient", "--folder"}, {});
    } catch (const std::exception& e) {
        return fail(EX_USAGE, e.what());
    }
    if (args.flag("--help")) {
        std::puts("usage: easd-deliver [--config FILE] [--database CONNINFO] --recipient ADDRESS [--folder NAME]");
        return 0;
    }
    std::string recipient = args.value("--recipient");
    if (recipient.empty() || !args.words.empty()) return fail(EX_USAGE, "usage: easd-deliver --recipient ADDRESS [--folder NAME]");

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
    if (!parsed) return fail(EX_DATAERR, "not a message: " + error);

    try {
        std::string address = store::normalize_address(recipient);
        auto sql = store::open_session(cli::conninfo_for(args));
        soci::transaction tr(*sql);
        auto user = store::find_user(*sql, address);
        if (!user) return fail(EX_NOUSER, "unknown recipient " + address);
        std::string folder_name = args.value("--folder", "Inbox");
        auto folder = store::find_folder_by_name(*sql, user->id, folder_name);
        if (!folder || folder->item_class != "Email")
            return fail(EX_CANTCREAT, "no mail folder \"" + folder_name + "\" for " + address);

        store::NewEmail e;
        e.mime = std::move(raw);
        e.from = parsed->from;
        e.to = parsed->to;
        e.cc = parsed->cc;
        e.reply_to = parsed->reply_to;
        e.display_to = parsed->display_to;
        e.subject = parsed->subject;
        e.thread_topic = parsed->thread_topic;
        e.message_id = parsed->message_id;
        e.date_sent = parsed->date;
        e.importance = parsed->importance;
        e.message_class = parsed->message_class;
        e.has_attachments = parsed->has_attachments;
        e.body_plain = std::move(parsed->body_plain);
        e.body_html = std::move(parsed->body_html);
        for (const auto& a : parsed->attachments) {
            // A part no FileReference can name (more than 9999 siblings: hostile input) is not listed.
            if (!content::valid_part_path(a.part_path)) continue;
            store::EmailAttachment row;
            row.part_path = a.part_path;
            row.file_name = a.file_name;
            row.content_type = a.content_type;
            row.content_id = a.content_id;
            row.is_inline = a.is_inline;
            row.size = static_cast<long long>(a.size);
            row.method = content::attachment_method(a);
            e.attachments.push_back(std::move(row));
        }
        store::insert_email(*sql, user->id, folder->id, e);
        tr.commit();
        return EX_OK;
    } catch (const store::InvalidRequest& e) {
        return fail(EX_NOUSER, e.what());
    } catch (const store::Unavailable& e) {
        return fail(EX_TEMPFAIL, e.what());
    } catch (const soci::soci_error& e) {
        return fail(store::is_connection_error(e) ? EX_TEMPFAIL : EX_SOFTWARE,
                    std::string("database error: ") + e.get_error_message());
    } catch (const std::exception& e) {
        return fail(EX_SOFTWARE, e.what());
    }
}
