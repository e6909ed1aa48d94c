// Checking a password with Dovecot's authentication service (the auth-client protocol, version 1,
// on a unix socket such as /run/dovecot/auth-client or the auth-easd listener of
// dovecot/conf.d/90-easd.conf). Unlike an IMAP login it carries the phone's own address (rip), so
// Dovecot's failure penalty and its logs concern the phone, not easd's address, which every
// user's checks share.
#pragma once

#include <chrono>
#include <string>

namespace easd::dovecot {

struct AuthCheck {
    std::string user;
    std::string password;
    std::string remote_ip;  // the phone's address as the web server saw it; empty: not sent
    std::string service = "easd";
};

enum class AuthVerdict { Accepted, Refused, Unavailable };

// One request on a new connection. Unavailable when the socket cannot be reached or answers
// something this client does not understand (with the reason in *error).
AuthVerdict check_password(const std::string& socket_path, const AuthCheck& check,
                           std::chrono::milliseconds timeout, std::string* error = nullptr);

}  // namespace easd::dovecot
