// Provisioning, policies in force, remote wipe and refusals, end to end through nginx (issue 5):
// the MS-ASPROV handshake on 2.5, 12.1, 14.1 and 16.1; re-provisioning exactly when the effective
// policy changes; a wipe that reaches a waiting Ping, its acknowledgement and the mail about it;
// refusal notices; blocked devices getting no data.
#include <chrono>
#include <future>
#include <thread>

#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;
using Clock = std::chrono::steady_clock;

namespace {

std::string user_id(const std::string& address) { return sql_one("SELECT id FROM users WHERE address = '" + address + "'"); }

// A policy row at user level (settings in lib/policy's "Name=value" lines).
void set_user_policy(const std::string& address, const std::string& enforce, const std::string& settings) {
    sql_one("INSERT INTO policies (user_id, enforce, settings) VALUES (" + user_id(address) + ", " + enforce + ", '" +
            settings + "') ON CONFLICT (user_id) WHERE user_id IS NOT NULL DO UPDATE SET enforce = EXCLUDED.enforce, "
            "settings = EXCLUDED.settings");
}

std::string policy_type(const EasClient& c) {
    return c.protocol_version() == "2.5" ? "MS-WAP-Provisioning-XML" : "MS-EAS-Provisioning-WBXML";
}

struct InitialAnswer {
    EasResponse r;
    std::string status, policy_status, temporary_key;
    const easd::wbxml::Node* data = nullptr;
};

InitialAnswer provision_initial(EasClient& c, const std::string& device_information = "") {
    auto body = xml("<Provision xmlns='Provision' xmlns:S='Settings'>" + device_information +
                    "<Policies><Policy><PolicyType>" + policy_type(c) + "</PolicyType></Policy></Policies></Provision>");
    InitialAnswer a;
    a.r = c.command("Provision", &body);
    REQUIRE(a.r.status == 200);
    REQUIRE(a.r.doc);
    a.status = text_of(*a.r.doc, tag::Provision::Status);
    const auto* policies = a.r.doc->child(tag::Provision::Policies);
    REQUIRE(policies);
    const auto* policy = policies->child(tag::Provision::Policy);
    REQUIRE(policy);
    CHECK(text_of(*policy, tag::Provision::PolicyType) == policy_type(c));
    a.policy_status = text_of(*policy, tag::Provision::Status);
    a.temporary_key = text_of(*policy, tag::Provision::PolicyKey);
    a.data = policy->child(tag::Provision::Data);
    return a;
}

EasResponse provision_ack(EasClient& c, const std::string& temporary_key, const std::string& status = "1") {
    auto body = xml("<Provision xmlns='Provision'><Policies><Policy><PolicyType>" + policy_type(c) +
                    "</PolicyType><PolicyKey>" + temporary_key + "</PolicyKey><Status>" + status +
                    "</Status></Policy></Policies></Provision>");
    c.set_policy_key(temporary_key);
    return c.command("Provision", &body);
}

// The whole handshake; returns the EASProvisionDoc's text for `element` (or the 2.5 document).
std::string provision(EasClient& c, const std::string& element = "DevicePasswordEnabled") {
    auto initial = provision_initial(c);
    REQUIRE(initial.status == "1");
    REQUIRE(initial.policy_status == "1");
    REQUIRE(!initial.temporary_key.empty());
    REQUIRE(initial.data);
    std::string seen;
    if (c.protocol_version() == "2.5") {
        seen = std::string(initial.data->text());
    } else {
        const auto* doc = initial.data->child(tag::Provision::EASProvisionDoc);
        REQUIRE(doc);
        auto t = easd::wbxml::tag_by_name(14, element);  // the Provision code page
        REQUIRE(t);
        seen = text_of(*doc, *t);
    }
    auto ack = provision_ack(c, initial.temporary_key);
    REQUIRE(ack.status == 200);
    REQUIRE(ack.doc);
    CHECK(text_of(*ack.doc, tag::Provision::Status) == "1");
    const auto* policy = ack.doc->child(tag::Provision::Policies)->child(tag::Provision::Policy);
    CHECK(text_of(*policy, tag::Provision::Status) == "1");
    std::string final_key = text_of(*policy, tag::Provision::PolicyKey);
    CHECK(!final_key.empty());
    CHECK(final_key != initial.temporary_key);
    c.set_policy_key(final_key);
    return seen;
}

}  // namespace

TEST_CASE("provisioning handshake on 2.5, 12.1, 14.1 and 16.1", "[e2e][provision]") {
    for (std::string version : {"2.5", "12.1", "14.1", "16.1"}) {
        INFO("protocol " << version);
        std::string user = new_user("prov");
        auto c = client(user, "PROV", version);
        c.set_policy_key("0");
        bool before_14 = version == "2.5" || version == "12.1";
        // Not provisioned yet: HTTP 449 before 14.0, status 142 from 14.0.
        CHECK(folder_sync_status(c) == (before_14 ? "449" : "142"));
        std::string device_information;
        if (!before_14)
            device_information = "<S:DeviceInformation><S:Set><S:Model>Pixel 9</S:Model><S:OS>Android 15</S:OS>"
                                 "<S:FriendlyName>Work phone</S:FriendlyName></S:Set></S:DeviceInformation>";
        auto initial = provision_initial(c, device_information);
        CHECK(initial.status == "1");
        CHECK(initial.policy_status == "1");
        REQUIRE(initial.data);
        if (version == "2.5") {
            CHECK(std::string(initial.data->text()).find("wap-provisioningdoc") != std::string::npos);
        } else {
            const auto* doc = initial.data->child(tag::Provision::EASProvisionDoc);
            REQUIRE(doc);
            // Nothing enforced: the neutral document.
            CHECK(text_of(*doc, tag::Provision::DevicePasswordEnabled) == "0");
            CHECK(doc->has(tag::Provision::AllowCamera));  // a 12.1 element: none of these versions lacks it
        }
        if (!device_information.empty()) {
            REQUIRE(initial.r.doc->child(tag::Settings::DeviceInformation));
            CHECK(text_of(*initial.r.doc->child(tag::Settings::DeviceInformation), tag::Settings::Status) == "1");
            CHECK(device_column(user, "PROV", "model || '/' || os || '/' || friendly_name") == "Pixel 9/Android 15/Work phone");
        }
        CHECK(device_column(user, "PROV", "policy_status") == "pending");
        // The temporary key is only good for the acknowledgement.
        c.set_policy_key(initial.temporary_key);
        CHECK(folder_sync_status(c) != "1");
        // A wrong key in the acknowledgement: Policy status 5, nothing recorded.
        auto wrong = provision_ack(c, "12345");
        REQUIRE(wrong.doc);
        CHECK(text_of(*wrong.doc->child(tag::Provision::Policies)->child(tag::Provision::Policy), tag::Provision::Status) == "5");
        auto ack = provision_ack(c, initial.temporary_key);
        REQUIRE(ack.doc);
        std::string final_key =
            text_of(*ack.doc->child(tag::Provision::Policies)->child(tag::Provision::Policy), tag::Provision::PolicyKey);
        c.set_policy_key(final_key);
        CHECK(folder_sync_status(c) == "1");
        CHECK(device_column(user, "PROV", "policy_status") == "applied");
        CHECK(device_column(user, "PROV", "policy_key") == final_key);
        // A device that never sends X-MS-PolicyKey cannot be provisioned: allowed while nothing is enforced.
        auto plain = client(user, "NOKEY", version);
        CHECK(folder_sync_status(plain) == "1");
    }
}

TEST_CASE("a changed effective policy asks for re-provisioning, the same one does not", "[e2e][provision]") {
    std::string user = new_user("reprov");
    auto c = client(user, "RP", "14.1");
    c.set_policy_key("0");
    CHECK(provision(c) == "0");  // neutral
    CHECK(folder_sync_status(c) == "1");

    // The user's own policy asks for a password of 6: the device is told to refresh, and gets it.
    set_user_policy(user, "true", "MinDevicePasswordLength=6\nRefreshIntervalHours=1\n");
    CHECK(folder_sync_status(c) == "143");
    CHECK(provision(c, "MinDevicePasswordLength") == "6");
    CHECK(folder_sync_status(c) == "1");
    // The refresh interval (an hour here) asks for the policy again once it has run out.
    sql_one("UPDATE devices SET provisioned_at = now() - interval '61 minutes' WHERE id = " + device_column(user, "RP", "d.id"));
    CHECK(folder_sync_status(c) == "143");
    CHECK(provision(c, "MinDevicePasswordLength") == "6");
    CHECK(folder_sync_status(c) == "1");
    // A provisioned device that leaves the key out once is told to provision, not taken for one
    // that cannot: its standing stays.
    std::string key = c.policy_key();
    c.set_policy_key("");
    CHECK(folder_sync_status(c) == "142");
    CHECK(device_column(user, "RP", "policy_status") == "applied");
    c.set_policy_key(key);
    CHECK(folder_sync_status(c) == "1");

    // The same settings from the domain instead of the user: same effective policy, nothing new.
    std::string domain_id = sql_one("SELECT domain_id FROM users WHERE address = '" + user + "'");
    sql_one("INSERT INTO policies (domain_id, enforce, settings) VALUES (" + domain_id +
            ", true, 'MinDevicePasswordLength=6\n') ON CONFLICT (domain_id) WHERE domain_id IS NOT NULL DO UPDATE SET "
            "enforce = true, settings = 'MinDevicePasswordLength=6\n'");
    sql_one("DELETE FROM policies WHERE user_id = " + user_id(user));
    CHECK(folder_sync_status(c) == "1");

    // A device-level exemption: enforcement off for this device sends the neutral provision, and
    // the saved settings stay.
    std::string device_row = device_column(user, "RP", "d.id");
    sql_one("INSERT INTO policies (device_id, enforce) VALUES (" + device_row + ", false)");
    CHECK(folder_sync_status(c) == "143");
    CHECK(provision(c) == "0");
    CHECK(folder_sync_status(c) == "1");
    CHECK(sql_one("SELECT trim(settings, E'\\n') FROM policies WHERE domain_id = " + domain_id) == "MinDevicePasswordLength=6");

    // Another device of another user of the same domain is held to the domain's policy.
    std::string colleague = new_user("reprov-colleague");
    auto other = client(colleague, "RP2", "14.1");
    other.set_policy_key("0");
    CHECK(provision(other, "MinDevicePasswordLength") == "6");
    sql_one("DELETE FROM policies WHERE domain_id = " + domain_id);
}

TEST_CASE("remote wipe: reaches a waiting Ping, is acknowledged, mails owner and administrator", "[e2e][provision][wipe]") {
    std::string user = new_user("wipe");
    std::string admin = new_user("wipe-admin");
    REQUIRE(easd::test::run_easctl(cluster(), {"server", "set", "admin_address", admin}).exit_code == 0);
    auto lost = client(user, "LOST", "14.1");
    auto kept = client(user, "KEPT", "14.1");
    for (auto* c : {&lost, &kept}) {
        c->set_policy_key("0");
        provision(*c);
    }
    auto h = folder_sync(lost);
    {
        EasResponse k;
        auto s = sync(lost, h.ids["Inbox"], "0", k);
        sync(lost, h.ids["Inbox"], s.key, k);
    }
    auto ping_body = xml("<Ping xmlns='Ping'><HeartbeatInterval>60</HeartbeatInterval><Folders><Folder><Id>" +
                         h.ids["Inbox"] + "</Id><Class>Email</Class></Folder></Folders></Ping>");
    auto waiting = std::async(std::launch::async, [&] { return lost.command("Ping", &ping_body); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto t0 = Clock::now();
    auto r = easd::test::run_easctl(cluster(), {"device", "wipe", user, "LOST"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("waiting") != std::string::npos);
    auto answered = waiting.get();  // the waiting Ping is answered at once
    CHECK(std::chrono::duration<double>(Clock::now() - t0).count() < 2.0);
    REQUIRE(answered.doc);
    // Its next Ping (any request) is told to provision for the wipe.
    auto next = lost.command("Ping", &ping_body);
    REQUIRE(next.doc);
    CHECK(text_of(*next.doc, tag::Ping::Status) == "140");
    CHECK(device_column(user, "LOST", "wipe_status") == "waiting");
    // The other device of the same user goes on syncing.
    CHECK(folder_sync_status(kept) == "1");

    auto empty = xml("<Provision xmlns='Provision'/>");
    lost.set_policy_key("0");
    auto directive = lost.command("Provision", &empty);
    REQUIRE(directive.doc);
    CHECK(text_of(*directive.doc, tag::Provision::Status) == "1");
    CHECK(directive.doc->has(tag::Provision::RemoteWipe));
    CHECK(device_column(user, "LOST", "wipe_sent_at IS NOT NULL") == "t");

    auto ack = xml("<Provision xmlns='Provision'><RemoteWipe><Status>1</Status></RemoteWipe></Provision>");
    auto done = lost.command("Provision", &ack);
    REQUIRE(done.doc);
    CHECK(text_of(*done.doc, tag::Provision::Status) == "1");
    CHECK(device_column(user, "LOST", "wipe_status") == "wiped");
    CHECK(sql_one("SELECT count(*) FROM sync_collections WHERE device_id = " + device_column(user, "LOST", "d.id")) == "0");
    // Gone from the device list; the owner and the administrator have the confirmation.
    auto list = easd::test::run_easctl(cluster(), {"device", "list", user});
    CHECK(list.out.find("LOST") == std::string::npos);
    CHECK(list.out.find("KEPT") != std::string::npos);
    CHECK(inbox_subjects(user) == "Your device was wiped");
    CHECK(inbox_subjects(admin) == "Your device was wiped");
    // The confirmation syncs to the owner's other device like any mail.
    auto kh = folder_sync(kept);
    EasResponse k;
    auto s = sync(kept, kh.ids["Inbox"], "0", k);
    auto got = sync(kept, kh.ids["Inbox"], s.key, k);
    CHECK(got.adds.size() == 1);
    // A wiped device that comes back is wiped again; a repeated acknowledgement mails nobody.
    lost.set_policy_key("");
    CHECK(folder_sync_status(lost) == "140");
    lost.command("Provision", &ack);
    CHECK(inbox_subjects(user) == "Your device was wiped");
    // A wipe can be cancelled while it waits, not after it is done.
    CHECK(easd::test::run_easctl(cluster(), {"device", "wipe", user, "LOST", "--cancel"}).exit_code == 1);
    REQUIRE(easd::test::run_easctl(cluster(), {"device", "wipe", user, "KEPT"}).exit_code == 0);
    REQUIRE(easd::test::run_easctl(cluster(), {"device", "wipe", user, "KEPT", "--cancel"}).exit_code == 0);
    CHECK(folder_sync_status(kept) == "1");
    // Account-only wipe is for 16.1 devices.
    auto refused = easd::test::run_easctl(cluster(), {"device", "wipe", user, "KEPT", "--account-only"});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("16.1") != std::string::npos);
    REQUIRE(easd::test::run_easctl(cluster(), {"server", "set", "admin_address", ""}).exit_code == 0);
}

TEST_CASE("account-only wipe on 16.1", "[e2e][provision][wipe]") {
    std::string user = new_user("wipeacct");
    auto c = client(user, "ACCT", "16.1");
    c.set_policy_key("0");
    provision(c);
    REQUIRE(easd::test::run_easctl(cluster(), {"device", "wipe", user, "ACCT", "--account-only"}).exit_code == 0);
    CHECK(folder_sync_status(c) == "140");
    auto empty = xml("<Provision xmlns='Provision'/>");
    auto directive = c.command("Provision", &empty);
    REQUIRE(directive.doc);
    CHECK(directive.doc->has(tag::Provision::AccountOnlyRemoteWipe));
    CHECK_FALSE(directive.doc->has(tag::Provision::RemoteWipe));
    auto ack = xml("<Provision xmlns='Provision'><AccountOnlyRemoteWipe><Status>1</Status></AccountOnlyRemoteWipe></Provision>");
    c.command("Provision", &ack);
    CHECK(device_column(user, "ACCT", "wipe_status") == "wiped");
    CHECK(inbox_subjects(user) == "Your device's copy of your account was wiped");
}

TEST_CASE("refusals: a declined policy, a device that cannot be provisioned, a blocked device", "[e2e][provision][refusal]") {
    std::string user = new_user("refuse");
    set_user_policy(user, "true", "AllowNonProvisionableDevices=0\nMinDevicePasswordLength=8\n");

    // Sends no X-MS-PolicyKey: cannot be provisioned, and the policy does not allow such devices.
    auto old = client(user, "NOKEY", "14.1");
    CHECK(folder_sync_status(old) == "142");
    CHECK(folder_sync_status(old) == "142");
    CHECK(device_column(user, "NOKEY", "policy_status") == "unsupported");
    CHECK(inbox_subjects(user) == "Your device cannot synchronise: security policy");  // once, not twice

    // Declines the policy in its acknowledgement: refused with 139, mailed once.
    auto decliner = client(user, "DECLINE", "14.1");
    decliner.set_policy_key("0");
    auto initial = provision_initial(decliner);
    auto ack = provision_ack(decliner, initial.temporary_key, "3");
    REQUIRE(ack.doc);
    CHECK(text_of(*ack.doc, tag::Provision::Status) == "139");
    CHECK(device_column(decliner.user(), "DECLINE", "policy_status") == "declined");
    CHECK(folder_sync_status(decliner) != "1");
    CHECK(sql_one("SELECT count(*) FROM emails e JOIN items i ON i.id = e.item_id WHERE i.user_id = " + user_id(user)) == "2");
    // Before 14.0 the refusal is HTTP 403.
    auto old_decliner = client(user, "DECLINE12", "12.1");
    old_decliner.set_policy_key("0");
    auto initial12 = provision_initial(old_decliner);
    CHECK(provision_ack(old_decliner, initial12.temporary_key, "3").status == 403);

    // Blocked by a rule: no data, status 129 (HTTP 403 before 14.0), and the owner is told once.
    std::string rule = add_rule("block", "device_type", "Forbidden*");
    EasClient blocked(server().http_port(), user, "secret-pw", "BLK", "ForbiddenPhone", "14.1");
    blocked.set_policy_key("0");
    CHECK(folder_sync_status(blocked) == "129");
    auto initial_blocked = blocked.command("Provision", nullptr);
    CHECK(initial_blocked.status == 200);
    EasClient blocked_old(server().http_port(), user, "secret-pw", "BLK12", "ForbiddenPhone", "12.1");
    CHECK(folder_sync_status(blocked_old) == "403");
    CHECK(inbox_subjects(user).find("Your device is blocked") != std::string::npos);
    remove_rule(rule);
    sql_one("DELETE FROM policies WHERE user_id = " + user_id(user));
}

TEST_CASE("the base64 query form carries the policy key", "[e2e][provision]") {
    std::string user = new_user("provb64");
    auto c = client(user, "B64P", "14.1");
    c.set_policy_key("0");
    provision(c);
    auto key = static_cast<uint32_t>(std::stoul(c.policy_key()));
    auto folder_sync_b64 = [&](uint32_t policy_key) {
        // MS-ASHTTP 2.2.1.1.1.1: version, command 9 (FolderSync), locale, DeviceId, policy key
        // (length 4, little-endian), DeviceType.
        std::string raw;
        raw += static_cast<char>(141);
        raw += static_cast<char>(9);
        raw += std::string("\x09\x04", 2);
        raw += static_cast<char>(4);
        raw += "B64P";
        raw += static_cast<char>(4);
        for (int shift : {0, 8, 16, 24}) raw += static_cast<char>((policy_key >> shift) & 0xff);
        raw += static_cast<char>(10);
        raw += "TestDevice";
        auto body = easd::wbxml::encode(xml("<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>"));
        auto r = c.raw("POST", "/Microsoft-Server-ActiveSync?" + EasClient::url_encode(EasClient::base64(raw)), body,
                       {{"Authorization", c.auth_header()}, {"Content-Type", "application/vnd.ms-sync.wbxml"}});
        REQUIRE(r.status == 200);
        REQUIRE(r.doc);
        return text_of(*r.doc, tag::FolderHierarchy::Status);
    };
    CHECK(folder_sync_b64(key) == "1");
    CHECK(folder_sync_b64(key ^ 1u) == "144");
}

TEST_CASE("a quarantined device waits for the administrator's approval", "[e2e][provision][refusal]") {
    std::string user = new_user("quarantine");
    std::string rule = add_rule("quarantine", "device_type", "Unvetted*");
    EasClient phone(server().http_port(), user, "secret-pw", "NEWPHONE", "UnvettedPhone", "14.1");
    phone.set_policy_key("0");
    CHECK(folder_sync_status(phone) == "129");
    CHECK(device_column(user, "NEWPHONE", "access_state") == "quarantined");
    CHECK(inbox_subjects(user) == "Your device is waiting for approval");
    CHECK(folder_sync_status(phone) == "129");  // still waiting; told once
    CHECK(inbox_subjects(user) == "Your device is waiting for approval");

    REQUIRE(easd::test::run_easctl(cluster(), {"device", "allow", user, "NEWPHONE"}).exit_code == 0);
    provision(phone);
    CHECK(folder_sync_status(phone) == "1");
    remove_rule(rule);
}
