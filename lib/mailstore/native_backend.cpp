#include "mailstore/native_backend.h"

namespace easd::mailstore {

AuthResult NativeBackend::authenticate(soci::session& sql, const std::string& login, const std::string& password) {
    AuthResult result;
    auto found = store::find_login(sql, login);
    if (found && store::verify_password(password, found->password_hash)) {
        result.outcome = AuthResult::Outcome::Accepted;
        result.user = found->user;
    }
    return result;
}

}  // namespace easd::mailstore
