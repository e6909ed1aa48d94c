// What the Dovecot mail store reads from and writes to the IMAP server itself, end to end: the
// originals of mirrored messages stay on the server and are fetched (through the cache) when a
// phone asks for MIME or an attachment; drafts written on a phone are drafts in the IMAP Drafts
// mailbox (Thunderbird's and Roundcube's), and a draft sent from the phone leaves Drafts for Sent
// on the server too.
#include <chrono>
#include <thread>

#include "dovecot_site.h"
#include "protocol/request.h"
#include "support/process.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

const std::string kAttachment = "%PDF-1.4 not really a pdf, but bytes to compare 0123456789";

std::string message_with_attachment(const std::string& to, const std::string& subject) {
    return "From: Sender <sender@example.com>\r\nTo: " + to + "\r\nSubject: " + subject +
           "\r\nMessage-ID: <" + subject + "@example.com>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe report is attached.\r\n"
           "--b1\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
           "Content-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
           easd::protocol::base64_encode(kAttachment) + "\r\n--b1--\r\n";
}

// The ItemOperations Fetch of one email with one body type; the whole response.
EasResponse fetch_email(EasClient& c, const std::string& folder, const std::string& id, int body_type) {
    auto body = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync' xmlns:B='AirSyncBase'><Fetch>"
                    "<Store>Mailbox</Store><A:CollectionId>" + folder + "</A:CollectionId><A:ServerId>" + id +
                    "</A:ServerId><Options><B:BodyPreference><B:Type>" + std::to_string(body_type) +
                    "</B:Type></B:BodyPreference></Options></Fetch></ItemOperations>");
    return c.command("ItemOperations", &body);
}

EasResponse fetch_file(EasClient& c, const std::string& ref) {
    auto body = xml("<ItemOperations xmlns='ItemOperations' xmlns:B='AirSyncBase'><Fetch><Store>Mailbox</Store>"
                    "<B:FileReference>" + ref + "</B:FileReference></Fetch></ItemOperations>");
    return c.command("ItemOperations", &body);
}

// The Data of the first Fetch's Properties (its Body's Data for an email, the bytes for a file).
std::string fetched_data(const EasResponse& r, bool file) {
    const auto& fetch = first_fetch(r);
    REQUIRE(text_of(fetch, tag::ItemOperations::Status) == "1");
    const auto* props = fetch.child(tag::ItemOperations::Properties);
    REQUIRE(props);
    if (file) {
        auto bytes = easd::protocol::base64_decode(props->child_text(tag::ItemOperations::Data));
        REQUIRE(bytes);
        return *bytes;
    }
    const auto* body = props->child(tag::AirSyncBase::Body);
    REQUIRE(body);
    return text_of(*body, tag::AirSyncBase::Data);
}

// The messages of one mailbox as an IMAP client sees them: subject and flags, by UID.
struct ImapMessage {
    std::uint32_t uid = 0;
    std::string subject;
    std::vector<std::string> flags;
};
std::vector<ImapMessage> imap_messages(easd::imap::Connection& imap, const std::string& mailbox) {
    std::vector<ImapMessage> out;
    auto selected = imap.select(mailbox, true);
    if (selected.exists == 0) return out;
    easd::imap::FetchItems items;
    items.modseq = false;
    items.header_only = true;
    for (const auto& m : imap.fetch("1:*", items)) {
        ImapMessage message{m.uid, "", m.flags};
        if (m.body) {
            auto at = m.body->find("Subject: ");
            if (at != std::string::npos) message.subject = m.body->substr(at + 9, m.body->find("\r\n", at) - at - 9);
        }
        out.push_back(message);
    }
    return out;
}

bool has_flag(const ImapMessage& m, const std::string& flag) {
    return std::find(m.flags.begin(), m.flags.end(), flag) != m.flags.end();
}

}  // namespace

TEST_CASE("Dovecot store: originals stay on the IMAP server and come from it when a phone asks",
          "[e2e][dovecot][originals]") {
    // Verified logins are remembered for a minute, so the phone stays signed in while Dovecot (which
    // checks passwords) is down for a moment below.
    DovecotSite site(true, {"auth_cache_seconds = 60"});
    std::string eve = site.new_account("eve");
    site.dovecot.deliver(eve, message_with_attachment(eve, "report-one"));
    EasClient phone = site.phone(eve, "EVE1");
    Hierarchy h = folder_sync(phone);
    const std::string inbox = h.ids["Inbox"];

    // As iOS asks: the whole MIME of each message.
    EasResponse k;
    std::string key = sync(phone, inbox, "0", k).key;
    auto s = sync(phone, inbox, key, k,
                  "<Options><MIMESupport>2</MIMESupport><B:BodyPreference><B:Type>4</B:Type>"
                  "<B:TruncationSize>200000</B:TruncationSize></B:BodyPreference></Options>");
    REQUIRE(s.adds.size() == 1);
    key = s.key;
    const std::string first = text_of(*s.adds[0], tag::AirSync::ServerId);
    const auto* data = s.adds[0]->child(tag::AirSync::ApplicationData);
    REQUIRE(data);
    REQUIRE(data->child(tag::AirSyncBase::Body));
    std::string mime = text_of(*data->child(tag::AirSyncBase::Body), tag::AirSyncBase::Data);
    CHECK(mime.find("Subject: report-one") != std::string::npos);
    CHECK(mime.find(easd::protocol::base64_encode(kAttachment)) != std::string::npos);
    // ... though easd's rows keep no copy of it: only what Sync reads without MIME, and the size.
    CHECK(sql_one("SELECT octet_length(mime) || '|' || (size >= " + std::to_string(mime.size()) +
                  ") FROM emails WHERE item_id = " + first) == "0|true");
    CHECK(sql_one("SELECT body_plain FROM emails WHERE item_id = " + first) == "The report is attached.");

    // The attachment, fetched from the IMAP server by its FileReference.
    const auto* atts = data->child(tag::AirSyncBase::Attachments);
    REQUIRE(atts);
    const auto* att = atts->child(tag::AirSyncBase::Attachment);
    REQUIRE(att);
    const std::string ref = text_of(*att, tag::AirSyncBase::FileReference);
    CHECK(fetched_data(fetch_file(phone, ref), true) == kAttachment);

    // A second message, synced without MIME (Android's shape): nothing fetched for it.
    site.dovecot.deliver(eve, message_with_attachment(eve, "report-two"));
    h.key = folder_sync_from(phone, h.key);
    s = sync(phone, inbox, key, k, "<Options><B:BodyPreference><B:Type>1</B:Type></B:BodyPreference></Options>");
    REQUIRE(s.adds.size() == 1);
    const std::string second = text_of(*s.adds[0], tag::AirSync::ServerId);

    // Dovecot down: what the rows hold still answers, and so does what the cache holds; an
    // original that must come from the server is a 503 the phone retries, not an empty body.
    site.dovecot.stop();
    CHECK(fetched_data(fetch_email(phone, inbox, second, 1), false) == "The report is attached.");
    CHECK(fetched_data(fetch_file(phone, ref), true) == kAttachment);
    EasResponse down = fetch_email(phone, inbox, second, 4);
    CHECK(down.status == 503);
    // Back: as a phone retries after its Retry-After, the original comes (once the IMAP pool's
    // backoff after the failed connects has passed: at most 10 s).
    site.dovecot.start();
    EasResponse back = fetch_email(phone, inbox, second, 4);
    for (int i = 0; i < 60 && back.status == 503; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        back = fetch_email(phone, inbox, second, 4);
    }
    CHECK(fetched_data(back, false).find("Subject: report-two") != std::string::npos);
}

TEST_CASE("Dovecot store: an original expunged on the server after the phone synced it is not forwarded",
          "[e2e][dovecot][originals]") {
    DovecotSite site(true, {"imap_message_cache_mb = 0"});  // nothing kept: every original from the server
    std::string gil = site.new_account("gil");
    site.dovecot.deliver(gil, message_with_attachment(gil, "to-forward"));
    SyncedPhone p = synced_phone(site, gil, "GIL1");
    REQUIRE(p.inbox_ids.size() == 1);
    auto forward = [&] {
        auto body = xml("<SmartForward xmlns='ComposeMail'><ClientId>fw-" + std::to_string(std::rand()) +
                        "</ClientId><SaveInSentItems/><Source><FolderId>" + p.h.ids["Inbox"] + "</FolderId><ItemId>" +
                        p.inbox_ids[0] + "</ItemId></Source><Mime>From: " + gil +
                        "\r\nTo: zoe@example.com\r\nSubject: Fw: to-forward\r\n\r\nSee below.\r\n</Mime></SmartForward>");
        return p.c.command("SmartForward", &body);
    };
    // Forwarded while the server has it: the attachment goes along (fetched from IMAP).
    const std::size_t before = fake_sendmail().calls().size();
    EasResponse ok = forward();
    CHECK(ok.status == 200);
    CHECK(!ok.doc);  // success has no body
    auto calls = fake_sendmail().calls_since(before);
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].second.find("report.pdf") != std::string::npos);
    CHECK(calls[0].second.find("The report is attached.") != std::string::npos);

    // Expunged in Thunderbird, before easd caught up: status 150 (item not found), nothing sent.
    auto imap = site.imap_as(gil);
    imap->select("INBOX", false);
    imap->expunge("1");
    EasResponse gone = forward();
    REQUIRE(gone.status == 200);
    REQUIRE(gone.doc);
    CHECK(text_of(*gone.doc, easd::wbxml::tag::ComposeMail::Status) == "150");
    CHECK(fake_sendmail().calls_since(before).size() == 1);
}

TEST_CASE("Dovecot store: a phone's drafts are drafts on the IMAP server, and a sent draft is in Sent there",
          "[e2e][dovecot][drafts]") {
    DovecotSite site(true);
    std::string fay = site.new_account("fay");
    EasClient a = site.phone(fay, "FAY-A", "16.1");
    EasClient b = site.phone(fay, "FAY-B", "16.1");
    Hierarchy ha = folder_sync(a);
    Hierarchy hb = folder_sync(b);
    const std::string drafts = ha.ids["Drafts"];
    REQUIRE(!drafts.empty());
    EasResponse ka, kb;
    std::string key_a = sync(a, drafts, "0", ka).key;
    std::string key_b = sync(b, drafts, "0", kb).key;
    auto imap = site.imap_as(fay);

    // Written on phone A: an IMAP client sees it in Drafts, flagged \Draft.
    auto added = sync_with(a, drafts, key_a, ka,
                             "<Commands><Add><ClientId>d-1</ClientId><ApplicationData><E:To>zoe@example.com</E:To>"
                             "<E:Subject>First words</E:Subject><B:Body><B:Type>1</B:Type><B:Data>Dear Zoe,</B:Data>"
                             "</B:Body></ApplicationData></Add></Commands>");
    REQUIRE(added.status == "1");
    key_a = added.key;
    const auto* add = ka.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection)
                          ->child(tag::AirSync::Responses)->child(tag::AirSync::Add);
    REQUIRE(add);
    const std::string id = text_of(*add, tag::AirSync::ServerId);
    auto on_server = imap_messages(*imap, "Drafts");
    REQUIRE(on_server.size() == 1);
    CHECK(on_server[0].subject == "First words");
    CHECK(has_flag(on_server[0], "\\Draft"));
    CHECK(has_flag(on_server[0], "\\Seen"));
    CHECK(sql_one("SELECT octet_length(mime) FROM emails WHERE item_id = " + id) == "0");

    // Edited on phone A: the server holds the new version only, phone A gets no echo, phone B
    // gets one draft, and a catch-up of Drafts (FolderSync) adds no second one.
    auto changed = sync_with(a, drafts, key_a, ka,
                               "<Commands><Change><ServerId>" + id + "</ServerId><ApplicationData><E:Subject>Better "
                               "words</E:Subject></ApplicationData></Change></Commands>");
    CHECK(changed.status == "1");
    key_a = changed.key;
    on_server = imap_messages(*imap, "Drafts");
    REQUIRE(on_server.size() == 1);
    CHECK(on_server[0].subject == "Better words");
    ha.key = folder_sync_from(a, ha.key);
    CHECK(sync(a, drafts, key_a, ka).adds.empty());
    auto seen_b = sync(b, drafts, key_b, kb);
    REQUIRE(seen_b.adds.size() == 1);
    CHECK(text_of(*seen_b.adds[0], tag::AirSync::ServerId) == id);
    key_b = seen_b.key;

    // A draft saved in Thunderbird reaches the phones as a draft.
    imap->append("Drafts",
                 "From: " + fay + "\r\nTo: max@example.com\r\nSubject: From Thunderbird\r\nMessage-ID: <tb-draft@x>\r\n"
                 "Date: Tue, 24 Nov 2026 11:00:00 +0000\r\n\r\nUnfinished\r\n",
                 {"\\Draft", "\\Seen"}, 0);
    hb.key = folder_sync_from(b, hb.key);
    auto from_tb = sync(b, drafts, key_b, kb);
    REQUIRE(from_tb.adds.size() == 1);
    key_b = from_tb.key;

    // Sent from phone A: it leaves Drafts for Sent on the server, once each.
    const std::size_t before = fake_sendmail().calls().size();
    auto sent = sync_with(a, drafts, key_a, ka,
                            "<Commands><Change><ServerId>" + id + "</ServerId><E2:Send/><ApplicationData><E:Subject>"
                            "Final words</E:Subject></ApplicationData></Change></Commands>");
    CHECK(sent.status == "1");
    CHECK(fake_sendmail().calls_since(before).size() == 1);
    on_server = imap_messages(*imap, "Drafts");
    REQUIRE(on_server.size() == 1);
    CHECK(on_server[0].subject == "From Thunderbird");
    auto in_sent = imap_messages(*imap, "Sent");
    REQUIRE(in_sent.size() == 1);
    CHECK(in_sent[0].subject == "Final words");
    CHECK(!has_flag(in_sent[0], "\\Draft"));
    // Phone B: the draft is gone from Drafts; Sent has it once, after a catch-up too.
    hb.key = folder_sync_from(b, hb.key);
    auto gone = sync(b, drafts, key_b, kb);
    REQUIRE(gone.deletes.size() == 1);
    CHECK(text_of(*gone.deletes[0], tag::AirSync::ServerId) == id);
    EasResponse ks;
    std::string sent_key = sync(b, hb.ids["Sent"], "0", ks).key;
    CHECK(sync(b, hb.ids["Sent"], sent_key, ks).adds.size() == 1);
}

TEST_CASE("Dovecot store: easd's notices to an account go through the MTA, so Dovecot delivers them",
          "[e2e][dovecot][notices]") {
    DovecotSite site(true);
    std::string ivy = site.new_account("ivy");
    std::string rule = add_rule("quarantine", "device_type", "DoveUnvetted*");
    EasClient phone(site.easd.http_port(), ivy, "dove-ivy", "IVYNEW", "DoveUnvettedPhone", "14.1");
    phone.set_policy_key("0");
    const std::size_t before = fake_sendmail().calls().size();
    auto body = xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    auto r = phone.command("FolderSync", &body);
    remove_rule(rule);
    REQUIRE(r.doc);
    CHECK(text_of(*r.doc, tag::FolderHierarchy::Status) == "129");
    // Handed to sendmail for the account (as in the native store for another domain), not written
    // into easd's rows where Thunderbird would never see it.
    auto calls = fake_sendmail().calls_since(before);
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].first.find(ivy) != std::string::npos);
    CHECK(calls[0].second.find("Your device is waiting for approval") != std::string::npos);
    CHECK(sql_one("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id JOIN users u ON u.id = i.user_id "
                  "WHERE u.address = '" + ivy + "'") == "0");
}

TEST_CASE("Dovecot store: Out of Office set on the phone answers mail Dovecot delivers, not mail it had before",
          "[e2e][dovecot][oof]") {
    DovecotSite site(true);
    std::string kim = site.new_account("kim");
    EasClient phone = site.phone(kim, "KIM1");
    auto set = xml("<Settings xmlns='Settings'><Oof><Set><OofState>1</OofState><OofMessage><AppliesToExternalUnknown/>"
                   "<Enabled>1</Enabled><ReplyMessage>Away until Monday</ReplyMessage><BodyType>TEXT</BodyType>"
                   "</OofMessage></Set></Oof></Settings>");
    auto r = phone.command("Settings", &set);
    REQUIRE(r.doc);
    REQUIRE(text_of(*r.doc->child(tag::Settings::Oof), tag::Settings::Status) == "1");
    auto replies_to = [&](std::size_t since, const std::string& sender) {
        int n = 0;
        for (const auto& [args, message] : fake_sendmail().calls_since(since))
            if (args.find(sender) != std::string::npos && message.find("Away until Monday") != std::string::npos) ++n;
        return n;
    };
    const std::size_t before = fake_sendmail().calls().size();

    // In the mailbox before its first mirror: old mail, no reply.
    site.dovecot.deliver(kim, message(kim, "before-mirror"), "early@example.com");
    Hierarchy h = folder_sync(phone);
    // Delivered now: answered once, through sendmail, with the null sender.
    site.dovecot.deliver(kim, message(kim, "while-away"), "late@example.com");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (replies_to(before, "late@example.com") == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(replies_to(before, "late@example.com") == 1);
    CHECK(replies_to(before, "early@example.com") == 0);
    for (const auto& [args, message] : fake_sendmail().calls_since(before))
        if (args.find("late@example.com") != std::string::npos) CHECK(args.find("<>") != std::string::npos);
    // A second message from the same sender gets no second reply (RFC 3834).
    site.dovecot.deliver(kim, message(kim, "again"), "late@example.com");
    h.key = folder_sync_from(phone, h.key);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(replies_to(before, "late@example.com") == 1);
}

TEST_CASE("Dovecot store: the rows keep a preview of a long body; more of it comes from IMAP",
          "[e2e][dovecot][preview]") {
    // A small bound, so a modest message is long; the sign-in is remembered while Dovecot is down.
    DovecotSite site(true, {"auth_cache_seconds = 60", "imap_body_keep_kb = 4"});
    std::string ida = site.new_account("ida");
    std::string text;
    for (int i = 0; text.size() < 20000; ++i) text += "Line " + std::to_string(i) + " of a long letter.\r\n";
    site.dovecot.deliver(ida, "From: Sender <sender@example.com>\r\nTo: " + ida +
                                  "\r\nSubject: long\r\nMessage-ID: <long@example.com>\r\n"
                                  "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text);
    EasClient phone = site.phone(ida, "IDA1");
    Hierarchy h = folder_sync(phone);
    const std::string inbox = h.ids["Inbox"];

    // As Android asks: plain text, a few KB of it. Served from the rows, with the whole size.
    EasResponse k;
    std::string key = sync(phone, inbox, "0", k).key;
    auto s = sync(phone, inbox, key, k,
                  "<Options><B:BodyPreference><B:Type>1</B:Type><B:TruncationSize>2048</B:TruncationSize>"
                  "</B:BodyPreference></Options>");
    REQUIRE(s.adds.size() == 1);
    const std::string id = text_of(*s.adds[0], tag::AirSync::ServerId);
    const auto* data = s.adds[0]->child(tag::AirSync::ApplicationData);
    REQUIRE(data);
    const auto* body = data->child(tag::AirSyncBase::Body);
    REQUIRE(body);
    const std::string whole_size = text_of(*body, tag::AirSyncBase::EstimatedDataSize);
    CHECK(std::stoul(whole_size) >= 20000);
    CHECK(text_of(*body, tag::AirSyncBase::Truncated) == "1");
    CHECK(text_of(*body, tag::AirSyncBase::Data) == text.substr(0, 2048));
    // The rows hold 4 KB of it, and know the whole size.
    CHECK(sql_one("SELECT (octet_length(body_plain) <= 4096)::text || '|' || body_plain_size FROM emails WHERE item_id = " +
                  id) == "true|" + whole_size);

    auto fetch_truncated = [&](const std::string& truncation) {
        auto req = xml("<ItemOperations xmlns='ItemOperations' xmlns:A='AirSync' xmlns:B='AirSyncBase'><Fetch>"
                       "<Store>Mailbox</Store><A:CollectionId>" + inbox + "</A:CollectionId><A:ServerId>" + id +
                       "</A:ServerId><Options><B:BodyPreference><B:Type>1</B:Type>" + truncation +
                       "</B:BodyPreference></Options></Fetch></ItemOperations>");
        return phone.command("ItemOperations", &req);
    };
    // Dovecot down: what the preview covers still answers (no IMAP asked); more of it is a 503.
    site.dovecot.stop();
    CHECK(fetched_data(fetch_truncated("<B:TruncationSize>4000</B:TruncationSize>"), false) == text.substr(0, 4000));
    CHECK(fetch_truncated("").status == 503);
    CHECK(fetch_truncated("<B:TruncationSize>5000</B:TruncationSize>").status == 503);

    // Back: the whole body, as the IMAP server holds it.
    site.dovecot.start();
    EasResponse back = fetch_truncated("");
    for (int i = 0; i < 60 && back.status == 503; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        back = fetch_truncated("");
    }
    const std::string full = fetched_data(back, false);
    CHECK(full.size() == std::stoul(whole_size));
    CHECK(full.rfind(text.substr(0, text.size() - 2), 0) == 0);  // all of it (the last line end aside)
    // And a Sync that asks for all of it gets all of it too.
    site.dovecot.deliver(ida, "From: Sender <sender@example.com>\r\nTo: " + ida +
                                  "\r\nSubject: long again\r\nMessage-ID: <long2@example.com>\r\n"
                                  "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text);
    h.key = folder_sync_from(phone, h.key);
    s = sync(phone, inbox, s.key, k, "<Options><B:BodyPreference><B:Type>1</B:Type></B:BodyPreference></Options>");
    REQUIRE(s.adds.size() == 1);
    data = s.adds[0]->child(tag::AirSync::ApplicationData);
    REQUIRE(data);
    body = data->child(tag::AirSyncBase::Body);
    REQUIRE(body);
    CHECK(text_of(*body, tag::AirSyncBase::Data).size() == std::stoul(text_of(*body, tag::AirSyncBase::EstimatedDataSize)));
    CHECK(text_of(*body, tag::AirSyncBase::Data).size() >= 20000);
    CHECK(!body->has(tag::AirSyncBase::Truncated));
}
