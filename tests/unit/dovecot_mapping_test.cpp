// The pure parts of the Dovecot mail store: which mailbox is which default folder, and what IMAP
// flags mean for an email's state.
#include <catch2/catch.hpp>

#include "dovecot/folder_mapping.h"
#include "dovecot/imap_flags.h"
#include "store/folders.h"
#include "wbxml/wbxml.h"

using namespace easd;
using dovecot::MailboxRole;

namespace {
imap::MailboxInfo mailbox(std::string name, std::vector<std::string> attributes = {}, char delimiter = '/') {
    imap::MailboxInfo m;
    m.name = std::move(name);
    m.delimiter = delimiter;
    m.attributes = std::move(attributes);
    return m;
}
}  // namespace

TEST_CASE("SPECIAL-USE attributes decide the default folders", "[dovecot][unit]") {
    auto roles = dovecot::assign_roles({mailbox("INBOX"), mailbox("Gesendete Elemente", {"\\sent"}),
                                        mailbox("Sent"), mailbox("Papierkorb", {"\\trash"}),
                                        mailbox("Entwürfe", {"\\drafts"}), mailbox("Spam", {"\\junk"}),
                                        mailbox("Projects")});
    CHECK(roles.at("INBOX") == MailboxRole::Inbox);
    CHECK(roles.at("Gesendete Elemente") == MailboxRole::Sent);  // the attribute beats the name "Sent"
    CHECK(roles.count("Sent") == 0);
    CHECK(roles.at("Papierkorb") == MailboxRole::Trash);
    CHECK(roles.at("Entwürfe") == MailboxRole::Drafts);
    CHECK(roles.at("Spam") == MailboxRole::Junk);
    CHECK(roles.count("Projects") == 0);
}

TEST_CASE("Without attributes the usual names decide, at the top or under INBOX only", "[dovecot][unit]") {
    auto roles = dovecot::assign_roles({mailbox("inbox", {}, '.'), mailbox("INBOX.Sent Messages", {}, '.'),
                                        mailbox("INBOX.Trash", {}, '.'), mailbox("Projects.Drafts", {}, '.'),
                                        mailbox("Junk E-mail", {}, '.')});
    CHECK(roles.at("inbox") == MailboxRole::Inbox);
    CHECK(roles.at("INBOX.Sent Messages") == MailboxRole::Sent);
    CHECK(roles.at("INBOX.Trash") == MailboxRole::Trash);
    CHECK(roles.count("Projects.Drafts") == 0);  // a project's drafts folder is not the Drafts folder
    CHECK(roles.at("Junk E-mail") == MailboxRole::Junk);
    CHECK(dovecot::folder_type_of(MailboxRole::Sent) == store::kFolderSent);
    CHECK(dovecot::folder_type_of(MailboxRole::Junk) == store::kFolderUserMail);
}

TEST_CASE("Mailbox names split at the server's delimiter", "[dovecot][unit]") {
    CHECK(dovecot::leaf_name("Projects/2026/Q1", '/') == "Q1");
    CHECK(dovecot::parent_name("Projects/2026/Q1", '/') == "Projects/2026");
    CHECK(dovecot::parent_name("Projects", '/').empty());
    CHECK(dovecot::leaf_name("a.b", 0) == "a.b");
}

TEST_CASE("IMAP flags become Read, a follow-up flag and categories", "[dovecot][unit]") {
    dovecot::MailState none;
    auto s = dovecot::state_from_flags({"\\Seen", "\\Flagged", "work", "$Forwarded", "NonJunk", "Family"}, none);
    CHECK(s.read);
    CHECK(dovecot::flag_status_of(s.flag) == 2);
    CHECK(dovecot::categories_of(s.categories) == std::vector<std::string>{"Family", "work"});

    // A phone's follow-up flag (with its dates) stays while \Flagged does.
    dovecot::MailState phone = s;
    wbxml::Node flag(wbxml::tag::Email::Flag);
    flag.add(wbxml::tag::Email::Status, "2");
    flag.add(wbxml::tag::Email::FlagType, "Call back");
    flag.add(wbxml::tag::Email::CompleteTime, "2026-12-01T00:00:00.000Z");
    phone.flag = wbxml::encode(flag);
    auto kept = dovecot::state_from_flags({"\\Flagged", "Family", "work"}, phone);
    CHECK(kept.flag == phone.flag);
    CHECK(kept.categories == phone.categories);
    CHECK_FALSE(kept.read);

    // \Flagged removed: the flag goes; a completed flag (status 1) is no \Flagged and stays.
    CHECK(dovecot::state_from_flags({}, phone).flag.empty());
    CHECK(dovecot::state_from_flags({}, phone).categories.empty());
    wbxml::Node done(wbxml::tag::Email::Flag);
    done.add(wbxml::tag::Email::Status, "1");
    phone.flag = wbxml::encode(done);
    CHECK(dovecot::state_from_flags({}, phone).flag == phone.flag);
    CHECK(dovecot::flag_status_of(dovecot::state_from_flags({"\\Flagged"}, phone).flag) == 2);
    CHECK(dovecot::category_keywords({"\\Answered", "$label1", "Junk", "Ünïcode"}) == std::vector<std::string>{"Ünïcode"});
}
