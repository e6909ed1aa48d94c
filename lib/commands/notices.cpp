#include "commands/notices.h"

#include <ctime>
#include <vector>

#include "commands/outgoing_mail.h"
#include "common/log.h"
#include "content/draft.h"
#include "content/message.h"
#include "store/access.h"

namespace easd::commands {

std::string describe_device(const store::Device& device) {
    return (device.device_type.empty() ? std::string("device") : device.device_type) + " (DeviceId " +
           device.device_id + ")";
}

Notice policy_refusal_notice(const store::Device& device, const store::User& owner, const std::string& why) {
    Notice n;
    n.subject = "Your device cannot synchronise: security policy";
    n.body = "Your " + describe_device(device) + " tried to synchronise " + owner.address + " and was refused: " + why +
             ".\n\nIt will not synchronise until it accepts the policy; ask your administrator which security "
             "settings are required.\n";
    return n;
}

void send_notice(soci::session& sql, mailstore::MailBackend& mail, const ServerSettings& settings,
                 const store::User& owner, const Notice& notice) {
    try {
        std::string admin = store::read_server_settings(sql).admin_address;
        std::string domain = content::domain_of(owner.address);
        content::Draft d;
        d.from = "ActiveSync <postmaster@" + domain + ">";
        d.to = content::mailbox(owner.display_name, owner.address);
        if (!admin.empty() && admin != owner.address) d.cc = admin;
        d.subject = notice.subject;
        d.body = notice.body;
        std::string message = content::build_draft_message(d, static_cast<long long>(std::time(nullptr)), domain);

        std::vector<std::string> recipients{owner.address};
        if (!d.cc.empty()) recipients.push_back(admin);
        for (const auto& rcpt : recipients) {
            try {
                send_server_mail(sql, mail, settings.sendmail_command, "postmaster@" + domain, rcpt, message);
            } catch (const std::exception& e) {
                EASD_LOG_WARN("notice \"%s\" to %s not sent: %s", notice.subject.c_str(), rcpt.c_str(), e.what());
            }
        }
    } catch (const std::exception& e) {
        EASD_LOG_WARN("notice \"%s\" for %s not sent: %s", notice.subject.c_str(), owner.address.c_str(), e.what());
    }
}

}  // namespace easd::commands
