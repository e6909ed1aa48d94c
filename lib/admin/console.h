// The web console (issue 13, part 1), served by easd under /easd-admin/ behind the front end's TLS:
// sign-in with the account's own password (the mail store's check, through auth::LoginGuard and
// its failed-sign-in limits), sessions in PostgreSQL, and server-rendered pages that work without
// JavaScript. The pages are in files of their own (pages.h lists them; console.cpp's kRoutes maps
// paths to them):
//   /easd-admin/          the device list (administrators: every domain or their domains)
//   /easd-admin/device    one device, its sync state, wipe / account-only wipe / cancel, allow / block
//   /easd-admin/me        self-service for every account: its own devices, wipe / cancel of them
// The actions call the same store functions as easctl (store/admin.h, store/provisioning.h, ...).
#pragma once

#include <optional>
#include <string>

#include "admin/http.h"
#include "auth/login_guard.h"
#include "store/admin_roles.h"
#include "store/accounts.h"
#include "store/db.h"

namespace easd::admin {

struct ConsoleSession;  // pages.h: the signed-in account of a request

struct ConsoleSettings {
    int idle_seconds = 30 * 60;          // a session unused this long ends
    int absolute_seconds = 12 * 60 * 60; // and every session ends this long after sign-in
    int page_size = 50;                  // devices per page of the list
};

class Console {
public:
    // `guard` checks passwords (the mail store's check and the failed-sign-in limits); both it and
    // `db` outlive the console.
    Console(store::Database& db, auth::LoginGuard& guard, ConsoleSettings settings = {});

    // Never throws: every failure becomes a page (503 when the database is out of reach).
    Response handle(const Request& request);

private:
    Response route(const Request& request);
    std::optional<ConsoleSession> session_of(soci::session& sql, const Request& request);
    Response sign_in(const Request& request);
    Response sign_out(soci::session& sql, const Request& request);

    store::Database& db_;
    auth::LoginGuard& guard_;
    ConsoleSettings settings_;
};

}  // namespace easd::admin
