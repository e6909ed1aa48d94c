#include "easctl_lockout.h"

#include <iostream>

#include "store/accounts.h"
#include "store/login_failures.h"

namespace easd::cli {

namespace {

// "delayed 8 s", "locked 874 s" or "-" (counted, but sign-ins are checked at once).
std::string state_text(const store::LoginFailureRow& r) {
    if (r.blocked_seconds <= 0) return "-";
    return std::string(r.locked ? "locked " : "delayed ") + std::to_string(r.blocked_seconds) + " s";
}

}  // namespace

int run_lockout_command(const Args& a, soci::session& sql) {
    const std::string sub = a.words.size() > 1 ? a.words[1] : "";
    if (sub == "list") {
        no_more_words(a, 2);
        auto rows = store::list_login_failures(sql);
        if (a.flag("--json")) {
            std::vector<std::string> objects;
            for (const auto& r : rows)
                objects.push_back(JsonObject()
                                      .text("key", r.key)
                                      .number("failures", r.failures)
                                      .text("first_failure", r.first_failure)
                                      .text("last_failure", r.last_failure)
                                      .number("blocked_seconds", r.blocked_seconds)
                                      .boolean("locked", r.locked)
                                      .str());
            std::cout << json_array(objects) << "\n";
        } else {
            std::vector<std::vector<std::string>> table;
            for (const auto& r : rows)
                table.push_back({r.key, std::to_string(r.failures), r.first_failure, r.last_failure, state_text(r)});
            print_table({"KEY", "FAILURES", "FIRST", "LAST", "SIGN-INS"}, table);
        }
        return 0;
    }
    if (sub == "clear") {
        if (a.flag("--all")) {
            no_more_words(a, 2);
            int n = store::clear_all_login_failures(sql);
            done(a, "cleared " + std::to_string(n) + " key(s)");
            return 0;
        }
        const std::string& what = word(a, 2, "account, address or key (or --all)");
        no_more_words(a, 3);
        int n = 0;
        std::string described;
        if (what.rfind("account:", 0) == 0 || what.rfind("address:", 0) == 0 || what.rfind("device:", 0) == 0) {
            n = store::clear_login_failures(sql, what) ? 1 : 0;
            described = what;
        } else if (what.find('@') != std::string::npos) {
            std::string address = store::normalize_address(what);
            n = store::clear_account_login_failures(sql, address);
            described = address + " and its devices";
        } else {
            std::string key = store::address_login_key(what);
            n = store::clear_login_failures(sql, key) ? 1 : 0;
            described = key;
        }
        done(a, n ? "cleared " + described : "nothing to clear for " + described,
             JsonObject().number("cleared", n));
        return 0;
    }
    throw UsageError("unknown command: lockout" + (sub.empty() ? "" : " " + sub));
}

}  // namespace easd::cli
