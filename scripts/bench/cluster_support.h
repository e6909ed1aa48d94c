// What the cluster drivers (cluster_bench: the scenarios; cluster_soak: the soak) share: the
// cluster's addresses and state (scripts/cluster), shell and SQL access to it, easd-deliver in a
// host's namespace, and a phone that syncs its Inbox over real WBXML and remembers what it holds.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "support/eas_client.h"

namespace easd::cluster {

using Clock = std::chrono::steady_clock;

extern const std::string root;   // the source tree
extern const std::string state;  // var/cluster, written by scripts/cluster
extern const std::string lb, host1, host2;

double ms_since(Clock::time_point t0, Clock::time_point t1 = Clock::now());
std::string first_line(const std::string& path);
std::string shell_quote(const std::string& s);

// Runs a shell command, returns its stdout (input, when given, goes to its stdin instead); the exit
// status in *status.
std::string run(const std::string& cmd, int* status = nullptr, const std::string& input = {});

// easd's connection string, as the hosts have it.
std::string easd_conninfo();
// SQL as easd's own role, through HAProxy (so on whichever database host is primary).
std::string sql(const std::string& query);
std::string sql_literal(const std::string& s);  // 'text', quotes doubled
// scripts/cluster ARGS; throws with its output when it fails.
void scripts_cluster(const std::string& args);
// The database host Patroni calls primary now ("db1", "db2"; empty when none answers).
std::string primary_db();
// Waits up to `seconds` for a synchronous standby (only with one does a failover promise to lose
// nothing committed); throws when none comes.
void wait_for_sync_standby(int seconds);

// A message delivered with easd-deliver in host `host`'s namespace (1 or 2), with its config, as
// Postfix there would. Returns easd-deliver's exit status (0, or 75 when the database is away).
int deliver(const std::string& recipient, const std::string& subject, int host = 2);
void add_user(const std::string& address, const std::string& password);
// How many messages the server holds in the user's Inbox.
long server_count(const std::string& address);
// The same, with how many are read, for every user whose address is LIKE the pattern.
struct InboxCounts {
    long messages = 0, read = 0;
};
std::map<std::string, InboxCounts> server_inbox_counts(const std::string& address_like);

// One phone: its client, its Inbox and what it holds (ServerId -> read flag).
struct Phone {
    test::EasClient client;
    std::string user, inbox, key = "0";
    std::map<std::string, bool> held;
    int duplicates = 0;                   // Adds of a ServerId the phone already held
    std::vector<std::string> pending_read;  // marked read on the phone, not yet acknowledged by the server
    Phone(const std::string& host, const std::string& user_, const std::string& password, const std::string& device);
};

void folder_sync(Phone& p);
// One Sync round, sending the phone's pending changes. Returns an empty string on success, else
// what went wrong (pending changes stay pending, the key stays: the next round sends both again);
// *more when the server has more, *changes how many commands came.
std::string sync_once(Phone& p, bool* more = nullptr, int* changes = nullptr);
// Syncs until the server has nothing more (two quiet rounds), retrying errors for up to 60 s.
void catch_up(Phone& p);
// FolderSync and the Inbox's first sync.
void setup(Phone& p);

// A Ping on the phone's Inbox; its Ping status (0: no answer or an error) and when it came.
struct PingResult {
    int status = 0;
    int http = 0;
    std::string error;
    Clock::time_point at;
};
PingResult ping(Phone& p, int heartbeat);

// What must hold in every run (nothing lost, nothing twice, everyone served again, no 500s): a
// failed check is printed and makes the exit status 1, so the run can stand in CI.
void expect(bool ok, const std::string& what);
int failed_checks();

double median(std::vector<double> v);
// The q-quantile (0..1) of v.
double quantile(std::vector<double> v, double q);

}  // namespace easd::cluster
