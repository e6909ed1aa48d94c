// Schema 011 on a database with mail stored before it: the rows get the conversation the code
// would give them (same hash, same index header) without becoming changes, and a reply stored
// afterwards joins its original's conversation.
#include <catch2/catch.hpp>

#include <dirent.h>

#include <cstdlib>

#include "support/text.h"
#include "common/conversation_index.h"
#include "content/conversation.h"
#include "content/draft.h"
#include "content/message.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/folders.h"
#include "store/mail.h"
#include "support/cluster.h"

using namespace easd;

using easd::test::hex;

namespace {

// A copy of the schema directory with the migrations before `version` only.
std::string schema_before(int version) {
    std::string src = store::default_schema_dir();
    std::string dst = test::make_temp_dir("easd-schema");
    DIR* dir = opendir(src.c_str());
    REQUIRE(dir);
    while (dirent* e = readdir(dir)) {
        std::string name = e->d_name;
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".sql") == 0 && std::atoi(name.c_str()) > 0 &&
            std::atoi(name.c_str()) < version)
            test::write_file(dst + "/" + name, test::read_file(src + "/" + name));
    }
    closedir(dir);
    return dst;
}

}  // namespace

TEST_CASE("schema 011 fills the conversation of older mail without making it a change", "[store][conversation]") {
    test::PgCluster::Options options;
    options.migrate = false;
    test::PgCluster cluster(options);
    auto sql = store::open_session(cluster.conninfo());
    store::migrate(*sql, schema_before(11));
    store::add_domain(*sql, "conv.test");
    auto user = store::add_user(*sql, "old@conv.test", "pw");
    auto inbox = store::find_folder_by_name(*sql, user.id, "Inbox");
    REQUIRE(inbox);
    auto old_row = [&](const std::string& subject, const std::string& topic, const std::string& message_id) {
        return cluster.psql("WITH i AS (INSERT INTO items (user_id, folder_id) VALUES (" + std::to_string(user.id) + ", " +
                            std::to_string(inbox->id) + ") RETURNING id) INSERT INTO emails (item_id, mime, subject, "
                            "thread_topic, message_id, date_sent) SELECT id, 'x', '" + subject + "', '" + topic + "', '" +
                            message_id + "', to_timestamp(1795514400) FROM i RETURNING item_id");
    };
    std::string first = old_row("Lunch", "Lunch", "lunch-1@far.example");
    std::string second = old_row("RE: lunch", "lunch", "lunch-2@far.example");
    std::string other = old_row("Budget", "Budget", "budget@far.example");
    std::string modseqs = cluster.psql("SELECT string_agg(modseq::text, ',' ORDER BY id) FROM items");

    store::migrate(*sql, store::default_schema_dir());
    auto column = [&](const std::string& item, const char* name) {
        return cluster.psql(std::string("SELECT encode(") + name + ", 'hex') FROM emails WHERE item_id = " + item);
    };
    // The code's topic key, and the index header of the Date.
    CHECK(column(first, "conversation_id") == hex(content::derived_conversation_id("topic:lunch")));
    CHECK(column(second, "conversation_id") == column(first, "conversation_id"));
    CHECK(column(other, "conversation_id") == hex(content::derived_conversation_id("topic:budget")));
    CHECK(column(first, "conversation_index") == hex(conversation_index_header(1795514400)));
    // Filled in, not changed: no device downloads its mailbox again.
    CHECK(cluster.psql("SELECT string_agg(modseq::text, ',' ORDER BY id) FROM items") == modseqs);

    // A reply stored now finds its original by Message-ID and joins it.
    std::string reply = "From: dora@far.example\r\nTo: old@conv.test\r\nSubject: Re: Lunch\r\n"
                        "Message-ID: <lunch-3@far.example>\r\nIn-Reply-To: <lunch-1@far.example>\r\n"
                        "Date: Tue, 24 Nov 2026 11:00:00 +0000\r\n\r\nYes\r\n";
    auto parsed = content::parse_message(reply);
    REQUIRE(parsed);
    long long id = store::insert_email(*sql, user.id, inbox->id, content::email_from_parsed(reply, *parsed));
    CHECK(column(std::to_string(id), "conversation_id") == column(first, "conversation_id"));
    std::string index = column(std::to_string(id), "conversation_index");
    CHECK(index.size() == 20);  // the original's header and one response level
    CHECK(index.substr(0, 10) == column(first, "conversation_index"));
}
