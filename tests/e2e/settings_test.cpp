// Settings end to end through nginx: device information (and the access decision it feeds), user
// information, rights management, the recovery password, and Out of Office from the phone's
// setting to the reply easd-deliver sends.
#include <algorithm>
#include <map>
#include <optional>

#include "e2e_support.h"
#include "support/wbxml_oracle.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

EasResponse settings(EasClient& c, const std::string& inner) {
    auto body = xml("<Settings xmlns='Settings' xmlns:RM='RightsManagement'>" + inner + "</Settings>");
    return c.command("Settings", &body);
}

// The Status of one part of a Settings response.
std::string part_status(const EasResponse& r, easd::wbxml::Tag part) {
    REQUIRE(r.doc);
    const auto* p = r.doc->child(part);
    REQUIRE(p);
    return text_of(*p, tag::Settings::Status);
}

const std::string kDeviceInformation =
    "<DeviceInformation><Set><Model>Pixel 9</Model><IMEI>356938035643809</IMEI><FriendlyName>Work phone</FriendlyName>"
    "<OS>Android 15</OS><OSLanguage>German</OSLanguage><PhoneNumber>+49301234567</PhoneNumber>"
    "<MobileOperator>Telekom</MobileOperator><UserAgent>Android-Mail/2026.11</UserAgent></Set></DeviceInformation>";

// Removes the rule when the test ends, however it ends: the rules are server-wide.
struct RuleGuard {
    std::string id;
    ~RuleGuard() { easd::test::run_easctl(cluster(), {"rule", "remove", id}); }
};

std::string oof_set(EasClient& c, const std::string& set) {
    return part_status(settings(c, "<Oof><Set>" + set + "</Set></Oof>"), tag::Settings::Oof);
}

// easd-deliver with an envelope sender (nullopt: no --sender) and the fake sendmail's config.
void deliver_from(const std::string& recipient, const std::optional<std::string>& sender,
                  const std::string& message) {
    std::vector<std::string> args{EASD_DELIVER_BIN, "--config", fake_sendmail().config, "--database", cluster().conninfo(),
                                  "--recipient", recipient};
    if (sender) {
        args.push_back("--sender");
        args.push_back(*sender);
    }
    auto r = easd::test::run_process(args, message);
    REQUIRE(r.exit_code == 0);
}

std::string message(const std::string& from, const std::string& to, const std::string& subject,
                    const std::string& extra_headers = "") {
    return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject +
           "\r\nMessage-ID: <" + subject + "@sender.example>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n" +
           extra_headers + "Content-Type: text/plain\r\n\r\nHello\r\n";
}

}  // namespace

TEST_CASE("Settings: DeviceInformation of a 12.1 device is stored and decides access at once", "[e2e][settings]") {
    std::string user = new_user("devinfo");
    auto c = client(user, "INFO121", "12.1");
    auto r = settings(c, kDeviceInformation);
    REQUIRE(r.status == 200);
    CHECK(text_of(*r.doc, tag::Settings::Status) == "1");
    CHECK(part_status(r, tag::Settings::DeviceInformation) == "1");
    CHECK(device_column(user, "INFO121", "model || '|' || os || '|' || imei || '|' || friendly_name || '|' || "
                                         "os_language || '|' || phone_number || '|' || mobile_operator") ==
          "Pixel 9|Android 15|356938035643809|Work phone|German|+49301234567|Telekom");
    auto show = easd::test::run_easctl(cluster(), {"device", "show", user, "INFO121"});
    CHECK(show.out.find("Pixel 9") != std::string::npos);

    // A block rule on the model refuses the very request that names it: 403 before 14.0, status
    // 129 in Provision from 14.1.
    RuleGuard rule{add_rule("block", "model", "Blocked Phone*")};
    auto blocked = client(user, "BLOCK121", "12.1");
    auto refused = settings(blocked, "<DeviceInformation><Set><Model>Blocked Phone 3</Model></Set></DeviceInformation>");
    CHECK(refused.status == 403);
    CHECK(device_column(user, "BLOCK121", "model || '|' || access_state") == "Blocked Phone 3|blocked");

    auto blocked141 = client(user, "BLOCK141", "14.1");
    auto prov = xml("<Provision xmlns='Provision' xmlns:S='Settings'><S:DeviceInformation><S:Set><S:Model>Blocked "
                    "Phone 4</S:Model></S:Set></S:DeviceInformation><Policies><Policy><PolicyType>"
                    "MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>");
    auto pr = blocked141.command("Provision", &prov);
    REQUIRE(pr.status == 200);
    CHECK(text_of(*pr.doc, tag::Provision::Status) == "129");
    CHECK(device_column(user, "BLOCK141", "access_state") == "blocked");

    // A Provision that carries only DeviceInformation is answered for it too.
    auto only_info = client(user, "INFO141", "14.1");
    auto info = xml("<Provision xmlns='Provision' xmlns:S='Settings'><S:DeviceInformation><S:Set><S:Model>Pixel 9a"
                    "</S:Model></S:Set></S:DeviceInformation></Provision>");
    auto ir = only_info.command("Provision", &info);
    REQUIRE(ir.doc);
    CHECK(text_of(*ir.doc, tag::Provision::Status) == "1");
    REQUIRE(ir.doc->child(tag::Settings::DeviceInformation));
    CHECK(text_of(*ir.doc->child(tag::Settings::DeviceInformation), tag::Settings::Status) == "1");
    CHECK(device_column(user, "INFO141", "model") == "Pixel 9a");
}

TEST_CASE("Settings: UserInformation in the 12.1 and 14.1 forms, no rights templates, bad requests", "[e2e][settings]") {
    std::string user = new_user("userinfo");
    sql_one("UPDATE users SET display_name = 'Ada Lovelace' WHERE address = '" + user + "'");

    auto old = client(user, "UI121", "12.1");
    auto r = settings(old, "<UserInformation><Get/></UserInformation>");
    REQUIRE(part_status(r, tag::Settings::UserInformation) == "1");
    const auto* get = r.doc->child(tag::Settings::UserInformation)->child(tag::Settings::Get);
    REQUIRE(get);
    CHECK(text_of(*get->child(tag::Settings::EmailAddresses), tag::Settings::SmtpAddress) == user);
    CHECK_FALSE(get->has(tag::Settings::Accounts));

    auto c = client(user, "UI161", "16.1");
    r = settings(c, "<UserInformation><Get/></UserInformation><RightsManagementInformation><Get/></RightsManagementInformation>");
    REQUIRE(part_status(r, tag::Settings::UserInformation) == "1");
    const auto* account = r.doc->child(tag::Settings::UserInformation)
                              ->child(tag::Settings::Get)
                              ->child(tag::Settings::Accounts)
                              ->child(tag::Settings::Account);
    REQUIRE(account);
    CHECK(text_of(*account, tag::Settings::UserDisplayName) == "Ada Lovelace");
    CHECK(text_of(*account->child(tag::Settings::EmailAddresses), tag::Settings::PrimarySmtpAddress) == user);
    CHECK(part_status(r, tag::Settings::RightsManagementInformation) == "1");
    CHECK(r.doc->child(tag::Settings::RightsManagementInformation)
              ->child(tag::Settings::Get)
              ->has(tag::RightsManagement::RightsManagementTemplates));
    // libwbxml2 reads the same document.
    if (!easd::test::have_wbxml_tools()) WARN("libwbxml2-utils (wbxml2xml) not installed: libwbxml2 check skipped");
    if (easd::test::have_wbxml_tools()) {
        std::string theirs = easd::test::libwbxml_decode(r.body);
        CHECK(theirs.find("<PrimarySmtpAddress>" + user + "</PrimarySmtpAddress>") != std::string::npos);
        CHECK(theirs.find("<UserDisplayName>Ada Lovelace</UserDisplayName>") != std::string::npos);
    }

    // A part the server does not know makes none of the request happen.
    r = settings(c, "<DevicePassword><Set><Password>9999</Password></Set></DevicePassword><Oof><Set><OofState>1"
                    "</OofState></Set></Oof><UserInformation><Get/></UserInformation><Get/>");
    CHECK(text_of(*r.doc, tag::Settings::Status) == "2");
    CHECK_FALSE(r.doc->has(tag::Settings::Oof));
    CHECK(device_column(user, "UI161", "recovery_password IS NULL") == "t");
    CHECK(oof_get(c, "Text").state == "0");
    // Not a Settings document at all.
    auto ping = xml("<Ping xmlns='Ping'><HeartbeatInterval>60</HeartbeatInterval></Ping>");
    r = c.command("Settings", &ping);
    CHECK(text_of(*r.doc, tag::Settings::Status) == "2");
}

TEST_CASE("Settings: the recovery password is kept for the administrator and never logged", "[e2e][settings]") {
    std::string user = new_user("recovery");
    REQUIRE(easd::test::run_easctl(cluster(), {"log", "enable", user}).exit_code == 0);
    auto c = client(user, "RECOV");
    CHECK(easd::test::run_easctl(cluster(), {"device", "recovery-password", user, "RECOV"}).exit_code == 1);
    auto r = settings(c, "<DevicePassword><Set><Password>r3cover-8812</Password></Set></DevicePassword>");
    CHECK(part_status(r, tag::Settings::DevicePassword) == "1");

    auto shown = easd::test::run_easctl(cluster(), {"device", "recovery-password", user, "RECOV"});
    CHECK(shown.exit_code == 0);
    CHECK(shown.out == "r3cover-8812\n");
    CHECK(easd::test::run_easctl(cluster(), {"device", "show", user, "RECOV"}).out.find("Recovery password: sent ") !=
          std::string::npos);
    std::string log = easd::test::read_file(server().protocol_log_dir() + "/" + user + "/RECOV.log");
    CHECK(log.find("cmd=Settings") != std::string::npos);
    CHECK(log.find("<Password>(hidden)</Password>") != std::string::npos);
    CHECK(log.find("r3cover") == std::string::npos);
}

TEST_CASE("Settings: Out of Office is set from the phone and read back; bad sets change nothing", "[e2e][settings][oof]") {
    std::string user = new_user("oofset");
    auto c = client(user, "OOF");
    CHECK(oof_get(c, "Text").state == "0");

    REQUIRE(oof_set(c, "<OofState>2</OofState><StartTime>2026-12-20T00:00:00.000Z</StartTime>"
                       "<EndTime>2027-01-04T00:00:00.000Z</EndTime>"
                       "<OofMessage><AppliesToInternal/><Enabled>1</Enabled><ReplyMessage>Back on 4 January &amp; "
                       "happy holidays</ReplyMessage><BodyType>TEXT</BodyType></OofMessage>"
                       "<OofMessage><AppliesToExternalUnknown/><Enabled>1</Enabled><ReplyMessage>&lt;p&gt;Away "
                       "&lt;b&gt;until 4 January&lt;/b&gt;&lt;/p&gt;</ReplyMessage><BodyType>HTML</BodyType>"
                       "</OofMessage>") == "1");
    auto v = oof_get(c, "Text");
    CHECK(v.state == "2");
    CHECK(v.start == "2026-12-20T00:00:00.000Z");
    CHECK(v.end == "2027-01-04T00:00:00.000Z");
    CHECK(v.body_type == "Text");
    CHECK(v.messages["internal"] == std::make_pair(std::string("1"), std::string("Back on 4 January & happy holidays")));
    CHECK(v.messages["unknown"].first == "1");
    CHECK(v.messages["unknown"].second.find("Away until 4 January") != std::string::npos);  // HTML made text
    CHECK(v.messages["known"].first == "0");
    auto html = oof_get(c, "HTML");
    CHECK(html.body_type == "HTML");
    CHECK(html.messages["unknown"].second == "<p>Away <b>until 4 January</b></p>");
    CHECK(html.messages["internal"].second.find("&amp;") != std::string::npos);  // text made HTML

    // Only what a Set names changes.
    REQUIRE(oof_set(c, "<OofMessage><AppliesToExternalUnknown/><Enabled>0</Enabled></OofMessage>") == "1");
    v = oof_get(c, "Text");
    CHECK(v.state == "2");
    CHECK(v.messages["unknown"].first == "0");
    CHECK(v.messages["unknown"].second.find("Away") != std::string::npos);

    // Refused sets leave everything as it was.
    CHECK(oof_set(c, "<OofState>2</OofState><StartTime>2027-02-01T00:00:00.000Z</StartTime>"
                     "<EndTime>2027-01-01T00:00:00.000Z</EndTime>") == "6");
    CHECK(oof_set(c, "<OofState>7</OofState>") == "5");
    CHECK(oof_set(c, "<StartTime>2027-02-01T00:00:00.000Z</StartTime>") == "5");
    CHECK(oof_set(c, "<OofMessage><AppliesToInternal/><ReplyMessage>no body type</ReplyMessage></OofMessage>") == "5");
    CHECK(oof_set(c, "<OofMessage><AppliesToInternal/><AppliesToExternalKnown/><Enabled>1</Enabled></OofMessage>") ==
          "6");
    auto r = settings(c, "<Oof><Get><BodyType>RTF</BodyType></Get></Oof>");
    CHECK(part_status(r, tag::Settings::Oof) == "2");
    v = oof_get(c, "Text");
    CHECK(v.state == "2");
    CHECK(v.start == "2026-12-20T00:00:00.000Z");
    CHECK(v.messages["internal"].second == "Back on 4 January & happy holidays");

    // The administrator sees it, and can switch it off; the phone reads that back.
    auto shown = easd::test::run_easctl(cluster(), {"user", "oof", user});
    CHECK(shown.exit_code == 0);
    CHECK(shown.out.find("scheduled from 2026-12-20T00:00:00Z to 2027-01-04T00:00:00Z") != std::string::npos);
    CHECK(shown.out.find("Reply internal:    enabled: Back on 4 January & happy holidays") != std::string::npos);
    auto json = easd::test::run_easctl(cluster(), {"user", "oof", user, "--json"});
    CHECK(json.out.find("\"state\":\"scheduled\",\"start\":\"2026-12-20T00:00:00Z\"") != std::string::npos);
    REQUIRE(easd::test::run_easctl(cluster(), {"user", "oof", user, "off"}).exit_code == 0);
    v = oof_get(c, "Text");
    CHECK(v.state == "0");
    CHECK(v.messages["internal"].second == "Back on 4 January & happy holidays");
    CHECK(easd::test::run_easctl(cluster(), {"user", "oof", user, "sometimes"}).exit_code == 64);
}

TEST_CASE("Out of Office: easd-deliver answers each sender once, with the message for its audience",
          "[e2e][settings][oof]") {
    const std::size_t before = fake_sendmail().calls().size();
    std::string user = new_user("away");
    std::string colleague = new_user("colleague");  // same domain, served here: internal
    auto c = client(user, "AWAY");

    // A contact of the user: a sender from outside whom the user knows.
    auto h = folder_sync(c);
    EasResponse keep;
    std::string key = sync(c, h.ids["Contacts"], "0", keep).key;
    auto added = sync(c, h.ids["Contacts"], key, keep,
                      "<Commands><Add><ClientId>k1</ClientId><ApplicationData xmlns='AirSync' xmlns:C='Contacts'>"
                      "<C:FileAs>Known, Karl</C:FileAs><C:Email2Address>\"Karl Known\" &lt;Karl@Known.example&gt;"
                      "</C:Email2Address></ApplicationData></Add></Commands>");
    REQUIRE(added.status == "1");

    REQUIRE(oof_set(c, "<OofState>1</OofState>"
                       "<OofMessage><AppliesToInternal/><Enabled>1</Enabled><ReplyMessage>Internal: away"
                       "</ReplyMessage><BodyType>Text</BodyType></OofMessage>"
                       "<OofMessage><AppliesToExternalKnown/><Enabled>1</Enabled><ReplyMessage>Known: away"
                       "</ReplyMessage><BodyType>Text</BodyType></OofMessage>"
                       "<OofMessage><AppliesToExternalUnknown/><Enabled>1</Enabled><ReplyMessage>Unknown: away"
                       "</ReplyMessage><BodyType>Text</BodyType></OofMessage>") == "1");

    // A colleague here gets the internal reply in their Inbox, once.
    deliver_from(user, colleague, message(colleague, user, "lunch"));
    deliver_from(user, colleague, message(colleague, user, "lunch-again"));
    CHECK(inbox_subjects(colleague) == "Automatic reply: lunch");
    CHECK(inbox_subjects(user) == "lunch|lunch-again");  // the mail itself is always delivered
    std::string reply = sql_one("SELECT convert_from(e.mime, 'UTF8') FROM emails e JOIN items i ON i.id = e.item_id "
                                "JOIN users u ON u.id = i.user_id WHERE u.address = '" + colleague + "'");
    CHECK(reply.find("Internal: away") != std::string::npos);
    CHECK(reply.find("Auto-Submitted: auto-replied") != std::string::npos);
    CHECK(reply.find("In-Reply-To: <lunch@sender.example>") != std::string::npos);

    // Outside senders get theirs through sendmail, from the null sender: the contact the known
    // message, a stranger the unknown one (its address from Return-Path when no --sender).
    deliver_from(user, "karl@known.example", message("Karl <karl@known.example>", user, "hello"));
    deliver_from(user, std::nullopt,
                 "Return-Path: <stranger@far.example>\r\n" + message("stranger@far.example", user, "offer"));
    auto calls = fake_sendmail().calls_since(before);
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].first == "-i\n-f\n<>\n--\nkarl@known.example\n");
    CHECK(calls[0].second.find("Known: away") != std::string::npos);
    CHECK(calls[0].second.find("Subject: Automatic reply: hello") != std::string::npos);
    CHECK(calls[1].first.find("stranger@far.example") != std::string::npos);
    CHECK(calls[1].second.find("Unknown: away") != std::string::npos);

    // Never to lists, bulk mail, robots, bounces, Bcc copies or automatic mail.
    deliver_from(user, "list@lists.example", message("list@lists.example", user, "digest", "List-Id: <l.lists.example>\r\n"));
    deliver_from(user, "news@shop.example", message("news@shop.example", user, "sale", "Precedence: bulk\r\n"));
    deliver_from(user, "MAILER-DAEMON@mx.example", message("MAILER-DAEMON@mx.example", user, "failure"));
    deliver_from(user, "", message("someone@far.example", user, "bounce"));
    deliver_from(user, "bcc@far.example", message("bcc@far.example", "other@far.example", "bcc"));
    deliver_from(user, "bot@far.example", message("bot@far.example", user, "auto", "Auto-Submitted: auto-generated\r\n"));
    CHECK(fake_sendmail().calls_since(before).size() == 2);

    // Switched off from the phone: nothing more.
    REQUIRE(oof_set(c, "<OofState>0</OofState>") == "1");
    deliver_from(user, "new@far.example", message("new@far.example", user, "after"));
    CHECK(fake_sendmail().calls_since(before).size() == 2);

    // A new absence starts afresh: the colleague is answered again.
    REQUIRE(oof_set(c, "<OofState>1</OofState>") == "1");
    deliver_from(user, colleague, message(colleague, user, "back"));
    CHECK(inbox_subjects(colleague) == "Automatic reply: lunch|Automatic reply: back");
}
