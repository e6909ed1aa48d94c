// Outlook for Windows (recent builds) sends a new DeviceId after every restart, with the same
// DeviceType and user agent (issue 10, part 9). Through nginx with Outlook-shaped requests: the new
// id is recognised as the earlier device — by the policy key it still sends, or by the
// DeviceInformation of its Provision — so its sync keys and policy standing carry on; two
// installations that differ stay two devices, and nothing is merged across users.
#include "e2e_support.h"
#include "support/text.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;
using easd::test::has;

namespace {

const std::string kOutlookAgent = "Outlook/16.0 (16.0.18025.20160; MSI; x64)";

EasClient outlook(const std::string& user, const std::string& device_id) {
    return EasClient(server().http_port(), user, "secret-pw", device_id, "WindowsOutlook15", "16.1");
}

// Every request as Outlook sends it: its own user agent.
EasResponse send(EasClient& c, const std::string& cmd, const std::string& body_xml) {
    auto body = xml(body_xml);
    return c.command(cmd, &body, {}, {{"User-Agent", kOutlookAgent}});
}

// What Outlook tells about itself in Provision (14.1+): the computer's name as FriendlyName.
std::string device_information(const std::string& computer) {
    return "<S:DeviceInformation><S:Set><S:Model>Outlook</S:Model><S:FriendlyName>" + computer +
           "</S:FriendlyName><S:OS>Windows 10.0.22631</S:OS><S:OSLanguage>en-US</S:OSLanguage>"
           "<S:UserAgent>" + kOutlookAgent + "</S:UserAgent></S:Set></S:DeviceInformation>";
}

std::string provision_body(const std::string& info, const std::string& key = "", const std::string& status = "") {
    return "<Provision xmlns='Provision' xmlns:S='Settings'>" + info +
           "<Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>" +
           (key.empty() ? "" : "<PolicyKey>" + key + "</PolicyKey><Status>" + status + "</Status>") +
           "</Policy></Policies></Provision>";
}

std::string policy_key_of(const EasResponse& r) {
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    const auto* policies = r.doc->child(tag::Provision::Policies);
    REQUIRE(policies);
    return text_of(*policies->child(tag::Provision::Policy), tag::Provision::PolicyKey);
}

// The MS-ASPROV handshake with DeviceInformation in the initial request; sets the final key.
void provision(EasClient& c, const std::string& computer) {
    c.set_policy_key("0");
    std::string temporary = policy_key_of(send(c, "Provision", provision_body(device_information(computer))));
    c.set_policy_key(temporary);
    std::string final_key = policy_key_of(send(c, "Provision", provision_body("", temporary, "1")));
    REQUIRE(!final_key.empty());
    c.set_policy_key(final_key);
}

struct Folders {
    std::string status, key, inbox;
};

Folders folder_sync(EasClient& c, const std::string& key) {
    auto r = send(c, "FolderSync", "<FolderSync xmlns='FolderHierarchy'><SyncKey>" + key + "</SyncKey></FolderSync>");
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    Folders f;
    f.status = text_of(*r.doc, tag::FolderHierarchy::Status);
    f.key = text_of(*r.doc, tag::FolderHierarchy::SyncKey);
    if (const auto* changes = r.doc->child(tag::FolderHierarchy::Changes))
        for (const auto* add : changes->children_of(tag::FolderHierarchy::Add))
            if (text_of(*add, tag::FolderHierarchy::DisplayName) == "Inbox")
                f.inbox = text_of(*add, tag::FolderHierarchy::ServerId);
    return f;
}

struct Synced {
    std::string status, key;
    std::vector<std::string> subjects;  // of the Adds
};

Synced sync_inbox(EasClient& c, const std::string& inbox, const std::string& key) {
    auto r = send(c, "Sync",
                  "<Sync xmlns='AirSync' xmlns:E='Email'><Collections><Collection><SyncKey>" + key +
                      "</SyncKey><CollectionId>" + inbox + "</CollectionId>" +
                      (key == "0" ? "" : "<GetChanges>1</GetChanges>") + "</Collection></Collections></Sync>");
    REQUIRE(r.status == 200);
    REQUIRE(r.doc);
    Synced s;
    const auto* collection = r.doc->child(tag::AirSync::Collections);
    if (!collection) {
        s.status = text_of(*r.doc, tag::AirSync::Status);
        return s;
    }
    collection = collection->child(tag::AirSync::Collection);
    s.status = text_of(*collection, tag::AirSync::Status);
    s.key = text_of(*collection, tag::AirSync::SyncKey);
    if (const auto* commands = collection->child(tag::AirSync::Commands))
        for (const auto* add : commands->children_of(tag::AirSync::Add))
            s.subjects.push_back(text_of(*add->child(tag::AirSync::ApplicationData), tag::Email::Subject));
    return s;
}

std::string user_id(const std::string& address) { return sql_one("SELECT id FROM users WHERE address = '" + address + "'"); }

// An enforced policy, so that "policy standing" means something: a device without the key of
// this policy gets nothing.
void enforce_policy(const std::string& address) {
    sql_one("INSERT INTO policies (user_id, enforce, settings) VALUES (" + user_id(address) +
            ", true, 'MinDevicePasswordLength=6\n')");
}

// Outlook's first session: provisioned, hierarchy and Inbox synced (the one message held).
struct Session {
    std::string folder_key, inbox, inbox_key;
};

Session first_session(EasClient& c, const std::string& user, const std::string& computer) {
    provision(c, computer);
    Folders f = folder_sync(c, "0");
    REQUIRE(f.status == "1");
    REQUIRE(!f.inbox.empty());
    deliver(user, simple_message("before the restart"));
    Synced s = sync_inbox(c, f.inbox, "0");
    REQUIRE(s.status == "1");
    s = sync_inbox(c, f.inbox, s.key);
    REQUIRE(s.status == "1");
    REQUIRE(s.subjects == std::vector<std::string>{"before the restart"});
    return {f.key, f.inbox, s.key};
}

int device_count(const std::string& user) {
    return std::stoi(sql_one("SELECT count(*) FROM devices WHERE user_id = " + user_id(user)));
}

}  // namespace

TEST_CASE("Outlook's new DeviceId after a restart keeps its sync state: recognised by its policy key",
          "[e2e][devices][outlook]") {
    std::string user = new_user("olk");
    enforce_policy(user);
    auto before = outlook(user, "4F2C0A9D61B34E1A8C7E0D5B3A2F1E01");
    Session s = first_session(before, user, "DESKTOP-ANN");

    // Outlook restarts: a new DeviceId, the same type, user agent and policy key; it goes on with
    // the keys it holds.
    auto after = outlook(user, "9B7D3E5F20A14C6B8E1F4A2D6C0B9E02");
    after.set_policy_key(before.policy_key());
    Folders f = folder_sync(after, s.folder_key);
    CHECK(f.status == "1");
    deliver(user, simple_message("after the restart"));
    Synced synced = sync_inbox(after, s.inbox, s.inbox_key);
    CHECK(synced.status == "1");
    // Only what is new: no full sync.
    CHECK(synced.subjects == std::vector<std::string>{"after the restart"});

    // One device, under its new id, with its standing; the administrator sees why.
    CHECK(device_count(user) == 1);
    CHECK(device_column(user, after.device_id(), "policy_status") == "applied");
    CHECK(device_column(user, after.device_id(), "array_to_string(previous_device_ids, ',')") == before.device_id());
    auto shown = easd::test::run_easctl(cluster(), {"device", "show", user, after.device_id()});
    INFO(shown.out);
    CHECK(shown.exit_code == 0);
    CHECK(has(shown.out, "Recognised"));
    CHECK(has(shown.out, "the device " + before.device_id() + ": same user, device type, user agent and policy key"));
    CHECK(has(shown.out, "Previous DeviceIds"));
    auto json = easd::test::run_easctl(cluster(), {"device", "show", user, after.device_id(), "--json"});
    CHECK(has(json.out, "\"previous_device_ids\":\"" + before.device_id() + "\""));
    // The old id names nothing any more; asked for, easctl says what it is now.
    auto old = easd::test::run_easctl(cluster(), {"device", "show", user, before.device_id()});
    CHECK(old.exit_code != 0);
    CHECK(has(old.err, "is now known as " + after.device_id()));
}

TEST_CASE("Outlook's new DeviceId is recognised by the DeviceInformation of its Provision", "[e2e][devices][outlook]") {
    std::string user = new_user("olk");
    enforce_policy(user);
    auto before = outlook(user, "A1000000000000000000000000000001");
    Session s = first_session(before, user, "DESKTOP-BOB");

    // After the restart it holds no key the server knows for this id: it is asked to provision
    // (142), and its Provision names the same computer.
    auto after = outlook(user, "A1000000000000000000000000000002");
    after.set_policy_key("0");
    CHECK(folder_sync(after, s.folder_key).status == "142");
    provision(after, "DESKTOP-BOB");
    CHECK(device_count(user) == 1);
    CHECK(folder_sync(after, s.folder_key).status == "1");
    Synced synced = sync_inbox(after, s.inbox, s.inbox_key);
    CHECK(synced.status == "1");
    CHECK(synced.subjects.empty());
    CHECK(has(device_column(user, after.device_id(), "recognised_by"),
              "same user, device type, user agent, friendly name, model, OS and OS language"));

    // A second restart: the chain of ids is kept.
    auto third = outlook(user, "A1000000000000000000000000000003");
    third.set_policy_key(after.policy_key());
    CHECK(sync_inbox(third, s.inbox, s.inbox_key).status == "1");
    CHECK(device_column(user, third.device_id(), "array_to_string(previous_device_ids, ',')") ==
          before.device_id() + "," + after.device_id());

    // A key the server never gave does not get in the way: the DeviceInformation still counts.
    auto fourth = outlook(user, "A1000000000000000000000000000004");
    fourth.set_policy_key("12345");
    CHECK(!policy_key_of(send(fourth, "Provision", provision_body(device_information("DESKTOP-BOB")))).empty());
    CHECK(device_count(user) == 1);
    CHECK(device_column(user, fourth.device_id(), "array_length(previous_device_ids, 1)") == "3");
}

TEST_CASE("two Outlook installations stay two devices; nothing is merged across users or for other types",
          "[e2e][devices][outlook]") {
    std::string user = new_user("olk");
    auto first = outlook(user, "B2000000000000000000000000000001");
    Session s = first_session(first, user, "DESKTOP-ONE");

    // Another computer: same Outlook build, other name. A new device with a sync of its own.
    auto second = outlook(user, "B2000000000000000000000000000002");
    second.set_policy_key("0");
    provision(second, "DESKTOP-TWO");
    CHECK(device_count(user) == 2);
    CHECK(sync_inbox(second, s.inbox, s.inbox_key).status != "1");
    // The first keeps its id and its state.
    CHECK(sync_inbox(first, s.inbox, s.inbox_key).status == "1");
    CHECK(device_column(user, first.device_id(), "recognised_at IS NULL") == "t");

    // Two alike (same computer name twice, e.g. two profiles): which one would it be? Neither.
    sql_one("UPDATE devices SET friendly_name = 'DESKTOP-ONE' WHERE device_id = '" + second.device_id() + "'");
    auto third = outlook(user, "B2000000000000000000000000000003");
    provision(third, "DESKTOP-ONE");
    CHECK(device_count(user) == 3);

    // Another user's Outlook on a computer of the same name, even sending this user's key: its own device.
    std::string other = new_user("olk");
    auto stranger = outlook(other, "B2000000000000000000000000000004");
    stranger.set_policy_key(first.policy_key());
    folder_sync(stranger, s.folder_key);
    provision(stranger, "DESKTOP-ONE");
    CHECK(device_count(other) == 1);
    CHECK(device_count(user) == 3);
    CHECK(sync_inbox(first, s.inbox, s.inbox_key).status == "1");

    // A device type not known to change its id: a new id is a new device, whatever it sends.
    EasClient phone(server().http_port(), user, "secret-pw", "PHONE1", "iPhone", "16.1");
    phone.set_policy_key("0");
    provision(phone, "Ann's iPhone");
    EasClient phone_again(server().http_port(), user, "secret-pw", "PHONE2", "iPhone", "16.1");
    phone_again.set_policy_key(phone.policy_key());
    auto r = send(phone_again, "FolderSync", "<FolderSync xmlns='FolderHierarchy'><SyncKey>0</SyncKey></FolderSync>");
    REQUIRE(r.doc);
    CHECK(text_of(*r.doc, tag::FolderHierarchy::Status) == "142");
    CHECK(device_count(user) == 5);
}

TEST_CASE("a wipe waiting for Outlook follows it to its new DeviceId", "[e2e][devices][outlook]") {
    std::string user = new_user("olk");
    auto before = outlook(user, "C3000000000000000000000000000001");
    Session s = first_session(before, user, "DESKTOP-LOST");
    REQUIRE(easd::test::run_easctl(cluster(), {"device", "wipe", user, before.device_id()}).exit_code == 0);

    auto after = outlook(user, "C3000000000000000000000000000002");
    after.set_policy_key(before.policy_key());
    CHECK(folder_sync(after, s.folder_key).status == "140");
    CHECK(device_count(user) == 1);
    CHECK(device_column(user, after.device_id(), "wipe_status") == "waiting");
}

TEST_CASE("rotating_device_types configures which types are recognised", "[e2e][devices][outlook]") {
    // A server that knows only TbSync as changing ids (and spaces in the list): Outlook's new id is a
    // new device there, TbSync's is recognised.
    easd::test::EasServer::Options o;
    o.config_lines = {"rotating_device_types = TbSync , none"};
    easd::test::EasServer own(cluster(), o);
    std::string user = new_user("olk");
    auto on = [&](const std::string& id, const std::string& type) {
        return EasClient(own.http_port(), user, "secret-pw", id, type, "16.1");
    };

    auto before = on("D4000000000000000000000000000001", "WindowsOutlook15");
    provision(before, "DESKTOP-CFG");
    auto after = on("D4000000000000000000000000000002", "WindowsOutlook15");
    after.set_policy_key(before.policy_key());
    CHECK(folder_sync(after, "0").status == "142");
    CHECK(device_count(user) == 2);

    auto tb = on("D4000000000000000000000000000003", "TbSync");
    provision(tb, "TB-CFG");
    auto tb_after = on("D4000000000000000000000000000004", "TbSync");
    tb_after.set_policy_key(tb.policy_key());
    CHECK(folder_sync(tb_after, "0").status == "1");
    CHECK(device_count(user) == 3);
}
