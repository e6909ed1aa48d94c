#include "mailstore/native_backend.h"

#include <stdexcept>

#include "content/draft.h"
#include "content/message.h"
#include "store/aliases.h"
#include "store/mail.h"

namespace easd::mailstore {

AuthResult NativeBackend::authenticate(soci::session& sql, const std::string& login, const std::string& password,
                                       const std::string& /*remote_addr*/) {
    AuthResult result;
    auto found = store::find_login(sql, login);
    if (!found) {
        // An unknown login costs the same hash as a wrong password, so the time of the answer
        // does not tell which accounts exist.
        store::verify_password(password, store::dummy_password_hash());
        return result;
    }
    if (store::verify_password(password, found->password_hash)) {
        result.outcome = AuthResult::Outcome::Accepted;
        result.user = found->user;
        result.credential_stamp = found->password_hash;
    }
    return result;
}

WriteOutcome NativeBackend::store_message(soci::session& sql, const store::User& user, long long folder_id,
                                          const std::string& mime, bool read, const content::ParsedMessage* parsed) {
    std::optional<content::ParsedMessage> parsed_here;
    store::NewEmail email =
        content::email_from_parsed(mime, content::parse_unless_given(mime, parsed, parsed_here));
    email.read = read;
    store::insert_email(sql, user.id, folder_id, email);
    return WriteOutcome::Done;
}

std::optional<long long> NativeBackend::save_draft(soci::session& sql, const store::User& user, long long folder_id,
                                                   long long item_id, const store::NewEmail& email) {
    if (item_id == 0) return store::insert_email(sql, user.id, folder_id, email);
    store::replace_email_message(sql, user.id, item_id, email);
    return item_id;
}

void NativeBackend::file_sent_draft(soci::session& sql, const store::User& user, long long item_id,
                                    long long sent_folder_id, const store::NewEmail& sent_copy) {
    store::replace_email_message(sql, user.id, item_id, sent_copy);
    store::move_item(sql, item_id, sent_folder_id);
}

std::optional<store::User> NativeBackend::local_recipient(soci::session& sql, const std::string& address) {
    return store::find_recipient(sql, address);  // an alias reaches its account
}

}  // namespace easd::mailstore
