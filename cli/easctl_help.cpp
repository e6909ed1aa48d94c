// easctl's help: the whole usage, and a command's part of it (`easctl help user`, `easctl user`).
// One text, so the two never disagree.
#include "easctl_help.h"

#include <algorithm>
#include <string_view>

namespace easd::cli {

namespace {

// Each command's entry starts "  COMMAND ..." on a line of its own; the lines after it that are
// indented further continue it.
const char* const kUsage =
    "usage: easctl [--config FILE] [--database CONNINFO] [--json] COMMAND\n"
    "       easctl help [COMMAND] | easctl COMMAND --help | easctl --version\n"
    "commands:\n"
    "  migrate                                   apply schema migrations (safe to re-run)\n"
    "  domain add NAME                          a domain served here (an internationalized name is stored\n"
    "                                           in its xn-- form)\n"
    "  domain list                              the domains and how many accounts each has\n"
    "  domain remove NAME [--force]             refused while it has accounts or aliases; --force removes\n"
    "                                           them with it (their mail, folders and devices too)\n"
    "  user add ADDRESS [--name NAME] [--password-stdin]\n"
    "  user passwd ADDRESS [--password-stdin]\n"
    "  user list [--domain DOMAIN]\n"
    "  user set ADDRESS [--name NAME] [--phone P] [--mobile P] [--office O] [--title T] [--company C]\n"
    "                                           directory (GAL) fields Search and Find show; \"\" clears one\n"
    "  user activesync ADDRESS on|off|default  the account's ActiveSync flag; default follows access_mode\n"
    "  user enable ADDRESS | user disable ADDRESS  the same as activesync on | off\n"
    "  user oof ADDRESS [off|on|scheduled START END] [--internal TEXT] [--external-known TEXT]\n"
    "           [--external-unknown TEXT] [--html]\n"
    "                                           Out of Office: shows it, or sets it (UTC times such as\n"
    "                                           2026-12-20T09:00:00Z; a reply per audience, \"\" for none;\n"
    "                                           off keeps the replies)\n"
    "  user alias add|remove ADDRESS ALIAS      another address of the account: mail to it lands in the\n"
    "                                           account, autodiscover for it redirects to ADDRESS\n"
    "  user alias list ADDRESS\n"
    "  user role ADDRESS admin|domain-admin DOMAIN|none\n"
    "                                           the web console (/easd-admin/): admin administers every\n"
    "                                           domain; domain-admin adds DOMAIN to those it administers\n"
    "                                           (repeat for more); none: only the user's own devices\n"
    "  server show                              access mode, default device access, administrator address\n"
    "  server set NAME VALUE                    access_mode all|flagged, default_access allow|block|quarantine,\n"
    "                                           admin_address ADDRESS (\"\" for none)\n"
    "  rule add allow|block|quarantine FIELD PATTERN\n"
    "                                           device access rule on model, os, device_type or user_agent;\n"
    "                                           case is ignored, '*' matches anything\n"
    "  rule list                                the rules, in the order they are weighed\n"
    "  rule remove ID\n"
    "  lockout list                             failed sign-ins counted per account, client address and known\n"
    "                                           device, and which are delayed or locked now\n"
    "  lockout clear ACCOUNT|IP|KEY|--all       forget them (an account: with its devices' keys)\n"
    "  log enable ADDRESS [--device DEVICEID]   protocol log for a user or one of their devices\n"
    "  log disable ADDRESS [--device DEVICEID]\n"
    "  device list [ADDRESS | --domain DOMAIN] [--all] [--not-seen-days N]\n"
    "                                           devices with model, OS, sync times, access, policy and wipe\n"
    "                                           status (--all: wiped devices too; --not-seen-days: only those\n"
    "                                           whose last request is older than N days)\n"
    "  device show ADDRESS DEVICEID             a device, its standing (access, policy, wipe, autoblock), its sync\n"
    "                                           state (keys, items per folder) and the items held back from it\n"
    "  device allow ADDRESS DEVICEID            the administrator's decision, which beats the rules\n"
    "  device block ADDRESS DEVICEID\n"
    "  device access ADDRESS DEVICEID allow|block|default\n"
    "                                           the same; default drops the decision and the rules decide\n"
    "  device resync ADDRESS DEVICEID           discard its sync state (never data): full sync next\n"
    "  device remove ADDRESS DEVICEID           delete the device with its sync state and its own policy\n"    "  device remove [ADDRESS | --domain DOMAIN] --not-seen-days N [--dry-run]\n"
    "                                           the same for every device not seen for N days (stale devices),\n"
    "                                           one at a time; --dry-run lists them\n"
    "  device wipe ADDRESS DEVICEID [--account-only]\n"
    "                                           remote wipe at the device's next request (--account-only: only\n"
    "                                           this account's data, EAS 16.1 devices); the owner is mailed\n"
    "  device wipe ADDRESS DEVICEID --cancel    cancel a wipe the device has not acknowledged\n"
    "  device unblock ADDRESS DEVICEID          lift an autoblock (a device that kept sending requests after\n"
    "                                           being told to wait)\n"
    "  device retry ADDRESS DEVICEID            send the items held back from the device again (items it could\n"
    "                                           not take, listed by device show)\n"
    "  device recovery-password ADDRESS DEVICEID\n"
    "                                           the recovery password the device sent (PasswordRecoveryEnabled)\n"
    "  folder list ADDRESS                      the user's folders, types and item counts\n"
    "  folder add ADDRESS PATH [--type TYPE]    a folder (\"Inbox/Projects\"); TYPE mail|calendar|contacts|tasks|\n"
    "                                           notes|journal, by default what the parent folder holds\n"
    "  folder rename ADDRESS PATH NEWPATH       rename and/or move it (phones see it at their next FolderSync)\n"
    "  folder remove ADDRESS PATH               delete it with its items and subfolders\n"
    "  export ADDRESS DIR                       the user's mail folders and messages into a new Maildir at DIR as\n"
    "                                           Dovecot reads it (maildir:DIR, Maildir++): read, flagged, replied,\n"
    "                                           categories as keywords, date received as mtime; DIR must not hold\n"
    "                                           a Maildir. Contacts, calendar, tasks and notes stay in easd\n"
    "  import ADDRESS DIR                       a Maildir's folders and messages into the user's store, as\n"
    "                                           delivered mail; messages already there are skipped (safe to re-run)\n"
    "  maintenance [--tombstone-days N] [--sync-state-days N] [--batch N] [--dry-run]\n"
    "                                           prune deletion records (tombstones) older than N days (30) and\n"
    "                                           the sync states they leave stale, and the sync states of devices\n"
    "                                           not seen for N days (90; 0 keeps them), N rows a transaction\n"
    "                                           (5000); a device behind gets a full resync, never a wrong delta.\n"
    "                                           Run daily by easd-maintenance.timer\n"
    "  stats [--interval S]                     what every easd process on this database is doing: requests/s\n"
    "                                           and latency by command over S seconds (1; 0: totals only),\n"
    "                                           parked Pings, the slowest requests of the last minute with their\n"
    "                                           user and device, the latest errors; --json for monitoring\n"
    "  top [--interval S] [--iterations N]      the same, redrawn every S seconds (1) until Ctrl-C or N times\n"
    "  backup FILE [--pg-bindir DIR]            pg_dump (custom format) of the database into a new FILE\n"
    "  restore FILE [--pg-bindir DIR]           pg_restore of such a FILE into the (new, empty) database\n"
    "  policy show [TARGET]                     each setting in effect at TARGET: value, unit, whether it is\n"
    "                                           sent (no: not enforced, the neutral policy goes out; server:\n"
    "                                           the server's own) and where it comes from; for a device also\n"
    "                                           its policy fingerprint and whether the device acknowledged it\n"
    "  policy set [TARGET] NAME=VALUE...        set at that level, all or nothing; enforce=on|off|inherit too\n"
    "  policy unset [TARGET] NAME...            those settings (or enforce) inherit again at that level\n"
    "  policy inherit [TARGET]                  delete the level's own policy: it inherits everything\n"
    "  policy settings                          every setting: kind, values, unit, default, first EAS version\n"
    "                                           TARGET: global (the default), domain DOMAIN, user ADDRESS or\n"
    "                                           device ADDRESS DEVICEID\n"
    "Passwords are read from the terminal (asked twice) or, with --password-stdin, from the first\n"
    "line of standard input; never from the command line. They have at least password_min_length\n"
    "characters (config, default 8).\n"
    "The database: --database CONNINFO, else the `database` of the --config FILE, else $EASD_DATABASE,\n"
    "else the `database` of $EASD_CONFIG's file or of /etc/easd/easd.conf, else dbname=easd.\n"
    "Environment:\n"
    "  EASD_CONFIG    the config file when there is no --config (instead of /etc/easd/easd.conf)\n"
    "  EASD_DATABASE  a PostgreSQL connection string, as --database\n"
    "Exit status: 0 done; 1 refused (unknown user, device or domain, a bad name, a short password);\n"
    "64 usage; 69 database unreachable.\n";

const char* const kCommands[] = {"migrate", "domain", "user",   "server", "rule",   "lockout",     "log",
                                 "device",  "folder", "export", "import", "policy", "maintenance", "stats", "top", "backup",
                                 "restore"};

}  // namespace

const char* easctl_usage() { return kUsage; }

bool easctl_knows(const std::string& command) {
    return std::find(std::begin(kCommands), std::end(kCommands), command) != std::end(kCommands);
}

std::string easctl_command_usage(const std::string& command) {
    std::string_view text = kUsage;
    std::string entries;
    bool in_entry = false;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (line.size() > 2 && line.substr(0, 2) == "  " && line[2] != ' ') {
            std::string_view words = line.substr(2);
            in_entry = words.substr(0, words.find(' ')) == command;
        } else if (line.substr(0, 3) != "   ") {
            in_entry = false;  // the end of the list
        }
        if (in_entry) entries.append(line).append("\n");
    }
    if (entries.empty()) return {};
    return "usage: easctl [--config FILE] [--database CONNINFO] [--json] " + command + " ...\n" + entries;
}

}  // namespace easd::cli
