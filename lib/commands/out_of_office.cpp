#include "commands/out_of_office.h"

#include <algorithm>
#include <ctime>

#include "commands/outgoing_mail.h"
#include "common/log.h"
#include "content/auto_reply.h"
#include "content/pim_item.h"
#include "store/oof.h"

namespace easd::commands {

namespace {

bool in_contacts(soci::session& sql, long long user_id, const std::string& address) {
    for (const std::string& data : store::contact_data(sql, user_id))
        if (auto card = content::contact_card(data))
            for (const std::string& a : card->addresses)
                if (a == address) return true;
    return false;
}

}  // namespace

std::string send_out_of_office_reply(soci::session& sql, mailstore::MailBackend& mail,
                                     const std::string& sendmail_command, const store::User& recipient,
                                     std::string_view raw, const content::ParsedMessage& parsed,
                                     const std::optional<std::string>& envelope_sender) {
    std::string sender;
    try {
        // The usual case first: no Out of Office at all (one query when the account never set it).
        const store::OofSettings oof = store::load_oof(sql, recipient.id);
        auto replies_to = [&](store::OofAudience a) {
            return std::any_of(oof.messages.begin(), oof.messages.end(), [&](const store::OofMessage& m) {
                return m.audience == a && m.enabled && !m.text.empty();
            });
        };
        if (oof.state == store::OofState::off) return {};
        std::string why;
        auto to = content::auto_reply_address(raw, parsed, envelope_sender, recipient.address, &why);
        if (!to) {
            EASD_LOG_INFO("no Out of Office reply for %s: %s", recipient.address.c_str(), why.c_str());
            return {};
        }
        sender = *to;
        // Reading the contacts (known or unknown sender) is worth it only when an outside sender
        // may get a reply at all; claim_oof_reply decides for good (window, sent already).
        store::OofAudience audience = store::OofAudience::internal;
        if (!store::serves_domain(sql, content::domain_of(sender))) {
            if (!replies_to(store::OofAudience::external_known) && !replies_to(store::OofAudience::external_unknown))
                return {};
            audience = in_contacts(sql, recipient.id, sender) ? store::OofAudience::external_known
                                                              : store::OofAudience::external_unknown;
        }
        auto reply = store::claim_oof_reply(sql, recipient.id, audience, sender);
        if (!reply) return {};  // not in its window, nothing for this audience, or answered already
        std::string from = content::mailbox(recipient.display_name, recipient.address);
        std::string message = content::build_auto_reply(raw, parsed, from, sender, reply->text, reply->html,
                                                        static_cast<long long>(std::time(nullptr)));
        try {
            send_server_mail(sql, mail, sendmail_command, "", sender, message);
        } catch (...) {
            store::release_oof_reply(sql, recipient.id, sender);  // try again with the next message
            throw;
        }
        EASD_LOG_INFO("sent the Out of Office reply of %s to %s", recipient.address.c_str(), sender.c_str());
        return sender;
    } catch (const std::exception& e) {
        EASD_LOG_WARN("Out of Office reply of %s to %s not sent: %s", recipient.address.c_str(),
                      sender.empty() ? "the sender" : sender.c_str(), e.what());
        return {};
    }
}

}  // namespace easd::commands
