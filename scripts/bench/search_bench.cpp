// Mailbox Search and Find latency through nginx over a large mailbox, on a PostgreSQL cluster of
// its own (started as the end-to-end tests do, tests/support).
//
// Loads N messages (default 100,000) into one user's Inbox with a single INSERT ... SELECT: each
// has a subject and text with a word shared by N/5000 messages (a "rare" word), one of five
// common words (N/5 messages each), one of 300 senders, and a date 5 minutes before the previous
// one. 1,000 colleagues fill the GAL. Then, one client, sequential requests, each a new HTTP
// connection, median and p99 of:
//   Search  FreeText, a rare word          (Inbox, first 10 results)
//   Search  FreeText, a common word        (every mail folder, first 10 of N/5)
//   Search  no FreeText: Inbox, DateReceived GreaterThan (the last 30 days), first 10
//   Find    mailbox, a rare word           (Inbox and below, first 10) at 16.1
//   Find    mailbox, two words, a prefix   ("invo" and a sender)
//   Find    GAL, a name prefix
//
// usage: search_bench [--messages N] [--requests N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_args.h"
#include "support/cluster.h"
#include "support/eas_client.h"
#include "support/server.h"
#include "wbxml/wbxml.h"

using namespace easd;
using Clock = std::chrono::steady_clock;
namespace tag = wbxml::tag;

namespace {

wbxml::Node parse(const std::string& text) {
    std::string error;
    auto node = wbxml::from_xml(text, &error);
    if (!node) throw std::runtime_error("bad XML: " + error);
    return *node;
}

// Runs `request` n times; prints the median and p99 in ms and what the last response said.
void measure(const char* name, int n, const std::function<std::string()>& request) {
    std::vector<double> ms;
    std::string note;
    for (int i = 0; i < n; ++i) {
        auto t0 = Clock::now();
        note = request();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%-44s median %7.2f ms   p99 %7.2f ms   (%s)\n", name, ms[ms.size() / 2],
                ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], note.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    const int messages = bench::arg_int(argc, argv, "--messages", 100000);
    const int requests = bench::arg_int(argc, argv, "--requests", 200);

    test::PgCluster cluster;
    test::EasServer::Options options;
    options.config_lines = {"threads = 16", "db_pool = 8"};
    test::EasServer server(cluster, options);
    const std::string user = "bench@bench.test";
    test::create_user(cluster, user, "bench-password");

    auto load_start = Clock::now();
    // Bulk insert through SQL: delivery speed is not what this measures. The full-text vector is
    // computed and indexed by PostgreSQL on the way in, as for delivered mail.
    cluster.psql(
        "WITH f AS (SELECT f.id, f.user_id FROM folders f JOIN users u ON u.id = f.user_id "
        "           WHERE u.address = '" + user + "' AND f.type = 2), "
        "i AS (INSERT INTO items (user_id, folder_id) SELECT f.user_id, f.id FROM f, generate_series(1, " +
        std::to_string(messages) + ") RETURNING id), "
        "n AS (SELECT id, row_number() OVER (ORDER BY id) AS k, substr(md5((id % 5000)::text), 1, 8) AS rare, "
        "      (ARRAY['budget','meeting','travel','invoice','lunch'])[id % 5 + 1] AS common, id % 300 AS s FROM i) "
        "INSERT INTO emails (item_id, mime, from_addr, to_addr, subject, body_plain, date_received, size) "
        "SELECT id, convert_to('Subject: ' || rare || E'\\r\\n\\r\\nbody\\r\\n', 'UTF8'), "
        "'Sender ' || s || ' <sender' || s || '@example.com>', '" + user + "', 'Re: ' || common || ' ' || rare, "
        "'Hello, this is message ' || k || ' about ' || rare || ' and the ' || common || E'.\\r\\nRegards\\r\\n', "
        "now() - k * interval '5 minutes', 100 FROM n");
    cluster.psql(
        "INSERT INTO users (domain_id, address, display_name, password_hash) SELECT d.id, 'colleague' || g || "
        "'@bench.test', 'Colleague ' || g || ' Person', 'x' FROM domains d, generate_series(1, 1000) g "
        "WHERE d.name = 'bench.test'");
    cluster.psql("VACUUM ANALYZE");
    double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();
    const std::string rare = cluster.psql("SELECT substr(md5('1234'), 1, 8)");

    test::EasClient c14(server.http_port(), user, "bench-password", "SEARCHBENCH", "TestDevice", "14.1");
    test::EasClient c161(server.http_port(), user, "bench-password", "FINDBENCH", "TestDevice", "16.1");
    // FolderSync first, as a phone does; the Inbox's id for the queries.
    auto fs_body = parse("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    std::string inbox;
    for (auto* c : {&c14, &c161}) {
        auto fs = c->command("FolderSync", &fs_body);
        if (!fs.doc) throw std::runtime_error("FolderSync failed: " + std::to_string(fs.status));
        for (const auto* add : fs.doc->child(tag::FolderHierarchy::Changes)->children_of(tag::FolderHierarchy::Add))
            if (add->child_text(tag::FolderHierarchy::Type) == "2")
                inbox = std::string(add->child_text(tag::FolderHierarchy::ServerId));
    }

    std::printf("easd behind nginx (1 worker, 16 threads, 8 db connections), %d messages in one Inbox, "
                "loaded and indexed in %.1f s; %d sequential requests each, one client\n",
                messages, load_s, requests);

    auto search = [&](const std::string& conditions) {
        auto body = parse("<Search xmlns='Search' xmlns:A='AirSync' xmlns:B='AirSyncBase' xmlns:E='Email'><Store>"
                          "<Name>Mailbox</Name><Query><And>" + conditions + "</And></Query><Options><Range>0-9"
                          "</Range><B:BodyPreference><B:Type>1</B:Type><B:TruncationSize>500</B:TruncationSize>"
                          "</B:BodyPreference></Options></Store></Search>");
        return [&c14, body] {
            auto r = c14.command("Search", &body);
            const auto* store = r.doc ? r.doc->child(tag::Search::Response)->child(tag::Search::Store) : nullptr;
            if (!store || store->child_text(tag::Search::Status) != "1") throw std::runtime_error("Search failed");
            return "Total " + std::string(store->child_text(tag::Search::Total));
        };
    };
    auto find = [&](const std::string& criterion) {
        auto body = parse("<Find xmlns='Find' xmlns:A='AirSync'><SearchId>9f2c1b1e-0d1c-4a7e-9a51-5e2d7b2b6a11"
                          "</SearchId><ExecuteSearch>" + criterion + "</ExecuteSearch></Find>");
        return [&c161, body] {
            auto r = c161.command("Find", &body);
            const auto* resp = r.doc ? r.doc->child(tag::Find::Response) : nullptr;
            if (!resp || resp->child_text(tag::Find::Status) != "1") throw std::runtime_error("Find failed");
            return "Total " + std::string(resp->child_text(tag::Find::Total));
        };
    };
    const std::string in_inbox = "<A:Class>Email</A:Class><A:CollectionId>" + inbox + "</A:CollectionId>";
    const std::string month_ago = cluster.psql("SELECT to_char((now() - interval '30 days') AT TIME ZONE 'UTC', "
                                               "'YYYY-MM-DD\"T\"HH24:MI:SS.000\"Z\"')");

    measure("Search: a rare word, Inbox", requests, search(in_inbox + "<FreeText>" + rare + "</FreeText>"));
    measure("Search: a common word, every folder", requests, search("<FreeText>invoice</FreeText>"));
    measure("Search: no FreeText, Inbox, last 30 days", requests,
            search(in_inbox + "<GreaterThan><E:DateReceived/><Value>" + month_ago + "</Value></GreaterThan>"));
    measure("Find: a rare word, Inbox and below", requests,
            find("<MailBoxSearchCriterion><Query>" + in_inbox + "<FreeText>" + rare + "</FreeText></Query><Options>"
                 "<Range>0-9</Range><DeepTraversal/></Options></MailBoxSearchCriterion>"));
    measure("Find: \"invo sender12\" (prefixes), all mail", requests,
            find("<MailBoxSearchCriterion><Query><A:Class>Email</A:Class><FreeText>invo sender12</FreeText></Query>"
                 "<Options><Range>0-9</Range></Options></MailBoxSearchCriterion>"));
    measure("Find: GAL \"colleague12\" (11 of 1,000)", requests,
            find("<GalSearchCriterion><Query>colleague12</Query><Options><Range>0-9</Range></Options>"
                 "</GalSearchCriterion>"));
    return 0;
}
