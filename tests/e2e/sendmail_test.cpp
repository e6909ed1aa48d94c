// Mail sent from the phone (SendMail, SmartReply, SmartForward) end to end through nginx: who gets
// what, the copy in Sent Items, a ClientId sent once, nothing half sent when submission fails,
// and the original a smart reply or forward brings along.
#include "content/message_limits.h"
#include "e2e_support.h"
#include "support/wbxml_oracle.h"
#include "support/text.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

std::string folder_subjects(const std::string& address, const std::string& folder) {
    return sql_one("SELECT COALESCE(string_agg(e.subject, '|' ORDER BY i.id), '') FROM emails e "
                   "JOIN items i ON i.id = e.item_id JOIN folders f ON f.id = i.folder_id "
                   "JOIN users u ON u.id = f.user_id WHERE u.address = '" + address + "' AND f.name = '" + folder + "'");
}

// The stored bytes of the newest message in a user's folder.
std::string newest_mime(const std::string& address, const std::string& folder) {
    return sql_one("SELECT convert_from(e.mime, 'UTF8') FROM emails e JOIN items i ON i.id = e.item_id "
                   "JOIN folders f ON f.id = i.folder_id JOIN users u ON u.id = f.user_id WHERE u.address = '" +
                   address + "' AND f.name = '" + folder + "' ORDER BY i.id DESC LIMIT 1");
}

using easd::test::has;

EasResponse send_mail(EasClient& c, const std::string& client_id, const std::string& mime, bool save = true) {
    easd::wbxml::Node body(tag::ComposeMail::SendMail);
    body.add(tag::ComposeMail::ClientId, client_id);
    if (save) body.add(tag::ComposeMail::SaveInSentItems);
    body.add_opaque(tag::ComposeMail::Mime, mime);
    return c.command("SendMail", &body);
}

// "sent" for the empty 200 that means success, else the Status the response carries.
std::string compose_status(const EasResponse& r) {
    REQUIRE(r.status == 200);
    if (!r.doc) {
        REQUIRE(r.body.empty());  // not a body that failed to decode
        return "sent";
    }
    return text_of(*r.doc, tag::ComposeMail::Status);
}

}  // namespace

TEST_CASE("SendMail: local recipients, sendmail for the others without Bcc, Sent Items, a ClientId once",
          "[e2e][sendmail]") {
    std::string alice = new_user("alice");
    std::string bob = new_user("bob");
    std::string carol = new_user("carol");
    const std::size_t before = fake_sendmail().calls().size();
    auto c = client(alice, "SEND", "16.1");
    const std::string mime = "From: Boss <boss@e2e.test>\r\nTo: Bob <" + bob + ">\r\nCc: ext1@far.example\r\n"
                             "Bcc: " + carol + ", Ext Two <EXT2@far.example>\r\nSubject: Plans\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n\r\nSee you at 10.\r\n";
    auto r = send_mail(c, "client-1", mime);
    CHECK(compose_status(r) == "sent");
    CHECK(r.body.empty());

    CHECK(folder_subjects(bob, "Inbox") == "Plans");
    CHECK(folder_subjects(carol, "Inbox") == "Plans");  // a Bcc recipient here gets it too
    std::string at_bob = newest_mime(bob, "Inbox");
    CHECK_FALSE(has(at_bob, "Bcc:"));
    CHECK_FALSE(has(at_bob, "boss@e2e.test"));  // From is the account, whatever the phone wrote
    CHECK(has(at_bob, "From: " + alice));
    CHECK(has(at_bob, "Message-ID: <"));
    CHECK(has(at_bob, "Date: "));

    auto calls = fake_sendmail().calls_since(before);
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].first == "-i\n-f\n" + alice + "\n--\next1@far.example\next2@far.example\n");
    CHECK_FALSE(has(calls[0].second, "Bcc:"));
    CHECK(has(calls[0].second, "See you at 10."));

    CHECK(folder_subjects(alice, "Sent Items") == "Plans");
    CHECK(has(newest_mime(alice, "Sent Items"), "Bcc: "));  // the sender's copy keeps its Bcc
    CHECK(sql_one("SELECT e.read FROM emails e JOIN items i ON i.id = e.item_id JOIN folders f ON f.id = i.folder_id "
                  "JOIN users u ON u.id = f.user_id WHERE u.address = '" + alice + "' AND f.name = 'Sent Items'") == "t");

    // The same ClientId again (a lost response): nothing is sent twice.
    CHECK(compose_status(send_mail(c, "client-1", mime)) == "118");
    CHECK(folder_subjects(bob, "Inbox") == "Plans");
    CHECK(fake_sendmail().calls_since(before).size() == 1);

    // Without SaveInSentItems, no copy.
    CHECK(compose_status(send_mail(c, "client-2", "To: " + bob + "\r\nSubject: Quick\r\n\r\nok\r\n", false)) == "sent");
    CHECK(folder_subjects(alice, "Sent Items") == "Plans");
    CHECK(folder_subjects(bob, "Inbox") == "Plans|Quick");
}

TEST_CASE("SendMail: bad requests and a failed submission leave nothing behind", "[e2e][sendmail]") {
    std::string alice = new_user("alice");
    std::string bob = new_user("bob");
    auto c = client(alice, "SENDERR", "14.1");
    CHECK(compose_status(send_mail(c, "e1", "Subject: nobody\r\n\r\nto no one\r\n")) == "119");
    CHECK(compose_status(send_mail(c, "e2", "")) == "107");
    easd::wbxml::Node no_client_id(tag::ComposeMail::SendMail);
    no_client_id.add(tag::ComposeMail::Mime, "To: " + bob + "\r\nSubject: x\r\n\r\nx\r\n");
    CHECK(compose_status(c.command("SendMail", &no_client_id)) == "103");

    const std::size_t before = fake_sendmail().calls().size();
    EasResponse failed;
    {
        FailingSendmail failing;
        failed = send_mail(c, "e3", "To: " + bob + ", out@far.example\r\nSubject: Retry me\r\n\r\nx\r\n");
    }
    CHECK(compose_status(failed) == "120");
    CHECK(folder_subjects(bob, "Inbox").empty());          // not delivered here either
    CHECK(folder_subjects(alice, "Sent Items").empty());
    CHECK(fake_sendmail().calls_since(before).empty());
    // The phone tries again with the same ClientId: now it goes, once.
    CHECK(compose_status(send_mail(c, "e3", "To: " + bob + ", out@far.example\r\nSubject: Retry me\r\n\r\nx\r\n")) == "sent");
    CHECK(folder_subjects(bob, "Inbox") == "Retry me");
    CHECK(fake_sendmail().calls_since(before).size() == 1);
}

TEST_CASE("SendMail before 14.0: the MIME message is the body, SaveInSent in the query", "[e2e][sendmail]") {
    std::string alice = new_user("alice");
    std::string bob = new_user("bob");
    auto c = client(alice, "SEND121", "12.1");
    auto r = c.command_bytes("SendMail", "To: " + bob + "\r\nSubject: Old phone\r\n\r\nHello from 12.1\r\n",
                             {{"SaveInSent", "T"}}, {{"Content-Type", "message/rfc822"}});
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(folder_subjects(bob, "Inbox") == "Old phone");
    CHECK(folder_subjects(alice, "Sent Items") == "Old phone");
    r = c.command_bytes("SendMail", "Subject: nobody\r\n\r\nx\r\n", {}, {{"Content-Type", "message/rfc822"}});
    CHECK(r.status == 400);
}

TEST_CASE("SmartReply and SmartForward add the original; ReplaceMime sends what the phone wrote", "[e2e][sendmail]") {
    std::string alice = new_user("alice");
    std::string bob = new_user("bob");
    deliver(alice, "From: Dora <dora@far.example>\r\nTo: " + alice + "\r\nSubject: Report\r\n"
                   "Message-ID: <report-1@far.example>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
                   "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                   "--b\r\nContent-Type: text/plain\r\n\r\nThe numbers are in.\r\n"
                   "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=q4.pdf\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n");
    auto c = client(alice, "SMART", "14.1");
    auto h = folder_sync(c);
    EasResponse keep;
    std::string key = sync(c, h.ids["Inbox"], "0", keep).key;
    auto got = sync(c, h.ids["Inbox"], key, keep);
    REQUIRE(got.adds.size() == 1);
    std::string item = text_of(*got.adds[0], tag::AirSync::ServerId);
    const std::size_t before = fake_sendmail().calls().size();

    auto smart = [&](easd::wbxml::Tag root, const std::string& client_id, const std::string& mime, bool replace,
                     const std::string& item_id) {
        easd::wbxml::Node body(root);
        body.add(tag::ComposeMail::ClientId, client_id);
        auto& source = body.add(tag::ComposeMail::Source);
        source.add(tag::ComposeMail::FolderId, h.ids["Inbox"]);
        source.add(tag::ComposeMail::ItemId, item_id);
        body.add(tag::ComposeMail::SaveInSentItems);
        if (replace) body.add(tag::ComposeMail::ReplaceMime);
        body.add(tag::ComposeMail::Mime, mime);
        return c.command(root == tag::ComposeMail::SmartReply ? "SmartReply" : "SmartForward", &body);
    };

    auto r = smart(tag::ComposeMail::SmartReply, "r1",
                   "To: dora@far.example\r\nSubject: Re: Report\r\nIn-Reply-To: <report-1@far.example>\r\n\r\nThanks!\r\n",
                   false, item);
    CHECK(compose_status(r) == "sent");
    auto calls = fake_sendmail().calls_since(before);
    REQUIRE(calls.size() == 1);
    const std::string& reply = calls[0].second;
    CHECK(has(reply, "Thanks!"));
    CHECK(has(reply, "-----Original Message-----"));
    CHECK(has(reply, "The numbers are in."));
    CHECK(has(reply, "In-Reply-To: <report-1@far.example>"));
    CHECK_FALSE(has(reply, "q4.pdf"));  // a reply does not carry the attachments

    r = smart(tag::ComposeMail::SmartForward, "f1",
              "To: " + bob + "\r\nSubject: Fw: Report\r\nContent-Type: text/html\r\n\r\n<html><body><p>FYI</p></body></html>\r\n",
              false, item);
    CHECK(compose_status(r) == "sent");
    std::string forwarded = newest_mime(bob, "Inbox");
    CHECK(has(forwarded, "FYI"));
    CHECK(has(forwarded, "q4.pdf"));  // a forward does
    CHECK(has(forwarded, "The numbers are in."));
    CHECK(sql_one("SELECT e.has_attachments FROM emails e JOIN items i ON i.id = e.item_id JOIN users u ON "
                  "u.id = i.user_id WHERE u.address = '" + bob + "'") == "t");

    r = smart(tag::ComposeMail::SmartReply, "r2", "To: " + bob + "\r\nSubject: Mine\r\n\r\nonly this\r\n", true, item);
    CHECK(compose_status(r) == "sent");
    CHECK_FALSE(has(newest_mime(bob, "Inbox"), "Original Message"));

    // An original that is not the user's, or not there.
    std::string other = new_user("other");
    deliver(other, simple_message("not yours"));
    std::string foreign = sql_one("SELECT i.id FROM items i JOIN users u ON u.id = i.user_id WHERE u.address = '" +
                                  other + "' ORDER BY i.id DESC LIMIT 1");
    CHECK(compose_status(smart(tag::ComposeMail::SmartReply, "r3", "To: " + bob + "\r\nSubject: x\r\n\r\nx\r\n", false,
                               foreign)) == "150");
    CHECK(compose_status(smart(tag::ComposeMail::SmartForward, "f2", "To: " + bob + "\r\nSubject: x\r\n\r\nx\r\n", false,
                               "999999999")) == "150");
    CHECK(folder_subjects(alice, "Sent Items") == "Re: Report|Fw: Report|Mine");
}

TEST_CASE("A message with more than 50,000 attachments is refused whole: 107 (400 before 14.0), nothing sent",
          "[e2e][sendmail][limits]") {
    std::string alice = new_user("alice");
    std::string bob = new_user("bob");
    // One attachment over the limit (content/message_limits.h), to a local and a remote recipient.
    std::string mime = "To: " + bob + ", out@far.example\r\nSubject: Too many\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nsee\r\n";
    for (std::size_t i = 0; i <= easd::content::kMaxAttachments; ++i)
        mime += "--zz\r\nContent-Type: application/octet-stream; name=a" + std::to_string(i) + ".bin\r\n\r\nx\r\n";
    mime += "--zz--\r\n";
    deliver(alice, simple_message("Original"));
    const std::string original = sql_one("SELECT i.id FROM items i JOIN users u ON u.id = i.user_id WHERE u.address = '" +
                                         alice + "' ORDER BY i.id DESC LIMIT 1");
    const std::size_t before = fake_sendmail().calls().size();

    // 14.1: status 107 (InvalidMIME), as for any message easd cannot take.
    auto c = client(alice, "TOOMANY", "14.1");
    CHECK(compose_status(send_mail(c, "many-1", mime)) == "107");
    // SmartForward: with the original added (the phone's part is refused before), and as the
    // phone wrote it (ReplaceMime).
    for (bool replace : {false, true}) {
        easd::wbxml::Node body(tag::ComposeMail::SmartForward);
        body.add(tag::ComposeMail::ClientId, replace ? "many-2" : "many-3");
        body.add(tag::ComposeMail::Source).add(tag::ComposeMail::LongId, original);
        body.add(tag::ComposeMail::SaveInSentItems);
        if (replace) body.add(tag::ComposeMail::ReplaceMime);
        body.add_opaque(tag::ComposeMail::Mime, mime);
        INFO("ReplaceMime " << replace);
        CHECK(compose_status(c.command("SmartForward", &body)) == "107");
    }
    // 12.1: no Status before 14.0; HTTP 400, as for other messages the phone must fix.
    auto old = client(alice, "TOOMANY12", "12.1");
    CHECK(old.command_bytes("SendMail", mime, {{"SaveInSent", "T"}}, {{"Content-Type", "message/rfc822"}}).status == 400);

    // Refused whole: nobody got it, no copy, nothing for sendmail.
    CHECK(folder_subjects(bob, "Inbox").empty());
    CHECK(folder_subjects(alice, "Sent Items").empty());
    CHECK(fake_sendmail().calls_since(before).empty());
}

TEST_CASE("SendMail as libwbxml2 encodes it", "[e2e][sendmail]") {
    if (!easd::test::have_wbxml_tools()) {
        WARN("libwbxml2-utils (xml2wbxml) not installed: skipped");
        return;
    }
    std::string alice = new_user("alice");
    auto c = client(alice, "SENDLIB", "14.1");
    const std::size_t before = fake_sendmail().calls().size();
    // libwbxml2's XML: the DOCTYPE names the language; it calls Mime "MIME" and reads it as base64.
    const std::string mime = "From: alice@example.com\nTo: bob@example.com\nSubject: Hi & bye\nMIME-Version: 1.0\n"
                             "Content-Type: text/plain; charset=\"utf-8\"\n\nGr\xc3\xbc\xc3\x9f" "e!\n";
    std::string xml_request = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE ActiveSync PUBLIC "
                              "\"-//MICROSOFT//DTD ActiveSync//EN\" \"http://www.microsoft.com/\">\n"
                              "<SendMail xmlns=\"ComposeMail:\"><ClientId>lib-1</ClientId><SaveInSentItems/><MIME>" +
                              EasClient::base64(mime) + "</MIME></SendMail>\n";
    auto r = c.command_bytes("SendMail", easd::test::libwbxml_encode(xml_request));
    CHECK(compose_status(r) == "sent");
    auto calls = fake_sendmail().calls_since(before);
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].first == "-i\n-f\n" + alice + "\n--\nbob@example.com\n");
    CHECK(has(calls[0].second, "Subject: Hi & bye"));
    CHECK(has(calls[0].second, "Grüße!"));
}
