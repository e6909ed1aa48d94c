// The mail store the config chooses: `mail_store = native` (the default) or `dovecot`.
#pragma once

#include <memory>
#include <string>

#include "common/config.h"
#include "mailstore/mail_backend.h"

namespace easd::mailstore {

// nullptr and a one-line reason in *error when the config names an unknown store or the chosen
// store's settings are incomplete.
std::unique_ptr<MailBackend> open_mail_backend(const Config& config, std::string* error);

}  // namespace easd::mailstore
