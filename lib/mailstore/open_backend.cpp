#include "mailstore/open_backend.h"

#include "dovecot/dovecot_backend.h"
#include "mailstore/native_backend.h"

namespace easd::mailstore {

std::unique_ptr<MailBackend> open_mail_backend(const Config& config, std::string* error) {
    const std::string kind = config.get("mail_store", "native");
    if (kind == "native") return std::make_unique<NativeBackend>();
    if (kind == "dovecot") {
        auto settings = dovecot::dovecot_settings_from(config, error);
        if (!settings) return nullptr;
        return std::make_unique<dovecot::DovecotBackend>(std::move(*settings));
    }
    *error = "mail_store must be native or dovecot, not \"" + kind + "\"";
    return nullptr;
}

}  // namespace easd::mailstore
