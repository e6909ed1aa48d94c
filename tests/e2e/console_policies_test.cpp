// The console's policy page (/easd-admin/policies, issue 13 part 1) through nginx over TLS, as a
// browser without JavaScript uses it: values set at the domain level shown with their source on a
// user's page, a device override that wins, greyed values while not enforced, easctl's refusal of a
// bad value as a 400 page with nothing saved, domain administrators kept to their domains (and the
// global level read-only), the CSRF check, and a provisioned phone that gets the changed policy.
// Then the same in headless Chromium (tests/browser/console_policy_flow.py).
#include "console_browser.h"
#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;

namespace {

const std::string kPolicies = "/easd-admin/policies";

std::string domain_path(const std::string& domain) { return kPolicies + "?level=domain&domain=" + EasClient::url_encode(domain); }
std::string user_path(const std::string& user) { return kPolicies + "?level=user&user=" + EasClient::url_encode(user); }
std::string device_path(const std::string& user, const std::string& device) {
    return kPolicies + "?level=device&user=" + EasClient::url_encode(user) + "&id=" + EasClient::url_encode(device);
}

// The table row of one setting on a policy page ("" when there is none).
std::string setting_row(const std::string& page, const std::string& name) {
    auto at = page.find("<tr id=\"setting-" + name + "\"");
    if (at == std::string::npos) return {};
    return page.substr(at, page.find("</tr>", at) - at);
}

bool row_has(const std::string& row, const std::string& css_class, const std::string& value) {
    return row.find("<td class=\"" + css_class + "\">" + value + "</td>") != std::string::npos;
}

// The form fields that name a level, as the page's forms send them.
std::map<std::string, std::string> domain_level(const std::string& domain) { return {{"level", "domain"}, {"domain", domain}}; }
std::map<std::string, std::string> user_level(const std::string& user) { return {{"level", "user"}, {"user", user}}; }
std::map<std::string, std::string> device_level(const std::string& user, const std::string& device) {
    return {{"level", "device"}, {"user", user}, {"id", device}};
}

// POSTs one action of the policy page: `level` plus action and its fields, with the CSRF token.
EasResponse act(ConsoleBrowser& b, const std::string& csrf, std::map<std::string, std::string> level,
                const std::map<std::string, std::string>& fields) {
    if (!csrf.empty()) level["csrf"] = csrf;
    for (const auto& [name, value] : fields) level[name] = value;
    return b.post(kPolicies, level);
}
EasResponse set_value(ConsoleBrowser& b, const std::string& csrf, const std::map<std::string, std::string>& level,
                      const std::string& name, const std::string& value) {
    return act(b, csrf, level, {{"action", "set"}, {"name", name}, {"value", value}});
}

// The stored row of a level, as `SELECT enforce, settings` shows it ("" when there is none).
std::string domain_row(const std::string& domain) {
    return sql_one("SELECT COALESCE(max(COALESCE(p.enforce::text, 'inherit') || '|' || rtrim(p.settings, E'\\n')), '') FROM policies p "
                   "JOIN domains d ON d.id = p.domain_id WHERE d.name = '" + domain + "'");
}
std::string device_row(const std::string& user, const std::string& device) {
    return sql_one("SELECT COALESCE(max(COALESCE(p.enforce::text, 'inherit') || '|' || rtrim(p.settings, E'\\n')), '') FROM policies p "
                   "WHERE p.device_id = " + device_column(user, device, "d.id"));
}

// As admin::text() escapes.
std::string escaped(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// The Provision handshake of a 14.1 phone; returns the policy document's values of `elements`.
std::map<std::string, std::string> provision_values(EasClient& c, const std::vector<std::string>& elements) {
    c.set_policy_key("0");
    auto body = xml("<Provision xmlns='Provision'><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>"
                    "</Policy></Policies></Provision>");
    auto first = c.command("Provision", &body);
    REQUIRE(first.doc);
    const auto* policy = first.doc->child(tag::Provision::Policies)->child(tag::Provision::Policy);
    REQUIRE(policy);
    const auto* data = policy->child(tag::Provision::Data);
    REQUIRE(data);
    const auto* doc = data->child(tag::Provision::EASProvisionDoc);
    REQUIRE(doc);
    std::map<std::string, std::string> values;
    for (const auto& e : elements) {
        auto t = easd::wbxml::tag_by_name(14, e);  // the Provision code page
        REQUIRE(t);
        values[e] = text_of(*doc, *t);
    }
    std::string key = text_of(*policy, tag::Provision::PolicyKey);
    auto ack = xml("<Provision xmlns='Provision'><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>"
                   "<PolicyKey>" + key + "</PolicyKey><Status>1</Status></Policy></Policies></Provision>");
    c.set_policy_key(key);
    auto done = c.command("Provision", &ack);
    REQUIRE(done.doc);
    c.set_policy_key(text_of(*done.doc->child(tag::Provision::Policies)->child(tag::Provision::Policy), tag::Provision::PolicyKey));
    return values;
}

}  // namespace

TEST_CASE("console policies: a domain value shows on a user's page, a device override wins, not enforced is greyed",
          "[e2e][console][policies]") {
    std::string admin = new_user("policies-admin");
    set_console_role({admin, "admin"});
    const std::string domain = "policies-one.test", owner = "olga@policies-one.test";
    easd::test::create_user(cluster(), owner, "secret-pw");
    register_device(owner, "POLPHONE1");

    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(admin).status == 303);
    auto device_page = browser.get(device_page_path(owner, "POLPHONE1"));
    REQUIRE(device_page.status == 200);
    CHECK(device_page.body.find("href=\"/easd-admin/policies?level=device&amp;user=") != std::string::npos);
    CHECK(device_page.body.find(">Policies</a>") != std::string::npos);  // the navigation
    auto domain_page = browser.get(domain_path(domain));
    REQUIRE(domain_page.status == 200);
    std::string csrf = csrf_of(domain_page.body);
    REQUIRE(csrf.size() == 64);
    // Nothing set anywhere: the built-in default, not enforced, greyed.
    std::string row = setting_row(domain_page.body, "MinDevicePasswordLength");
    REQUIRE_FALSE(row.empty());
    CHECK(row_has(row, "source", "default"));
    CHECK(row.find("class=\"unenforced\"") != std::string::npos);

    auto saved = set_value(browser, csrf, domain_level(domain), "MinDevicePasswordLength", "6");
    REQUIRE(saved.status == 303);
    CHECK(browser.get(saved.header("location")).body.find("MinDevicePasswordLength is saved at this level") != std::string::npos);
    REQUIRE(act(browser, csrf, domain_level(domain), {{"action", "enforce"}, {"value", "on"}}).status == 303);
    CHECK(domain_row(domain) == "true|MinDevicePasswordLength=6");

    // The user's page: the value comes from the domain, enforced, not greyed.
    auto user_page = browser.get(user_path(owner));
    REQUIRE(user_page.status == 200);
    row = setting_row(user_page.body, "MinDevicePasswordLength");
    CHECK(row_has(row, "value", "6"));
    CHECK(row_has(row, "source", "domain"));
    CHECK(row_has(row, "own", "inherited"));
    CHECK(row.find("unenforced") == std::string::npos);
    CHECK(row_has(setting_row(user_page.body, "AllowCamera"), "source", "default"));

    // The device's own value wins over the domain's, on the device's page only.
    REQUIRE(set_value(browser, csrf, device_level(owner, "POLPHONE1"), "MinDevicePasswordLength", "8").status == 303);
    auto device_policy = browser.get(device_path(owner, "POLPHONE1"));
    REQUIRE(device_policy.status == 200);
    row = setting_row(device_policy.body, "MinDevicePasswordLength");
    CHECK(row_has(row, "value", "8"));
    CHECK(row_has(row, "source", "device"));
    CHECK(row_has(row, "own", "8"));
    CHECK(device_policy.body.find("<dt>Acknowledged</dt>") != std::string::npos);
    CHECK(row_has(setting_row(browser.get(user_path(owner)).body, "MinDevicePasswordLength"), "source", "domain"));
    auto shown = easd::test::run_easctl(cluster(), {"policy", "show", "device", owner, "POLPHONE1", "--json"});
    CHECK(shown.out.find("{\"name\":\"MinDevicePasswordLength\",\"value\":\"8\"") != std::string::npos);

    // Enforcement off for the device: its values are greyed, the user's are not.
    REQUIRE(act(browser, csrf, device_level(owner, "POLPHONE1"), {{"action", "enforce"}, {"value", "off"}}).status == 303);
    CHECK(device_row(owner, "POLPHONE1") == "false|MinDevicePasswordLength=8");
    device_policy = browser.get(device_path(owner, "POLPHONE1"));
    CHECK(setting_row(device_policy.body, "MinDevicePasswordLength").find("class=\"unenforced\"") != std::string::npos);
    CHECK(device_policy.body.find("devices get the neutral policy") != std::string::npos);
    CHECK(setting_row(browser.get(user_path(owner)).body, "MinDevicePasswordLength").find("unenforced") == std::string::npos);

    // Back to inherited, the value cleared: the domain's again; then the row deleted.
    REQUIRE(act(browser, csrf, device_level(owner, "POLPHONE1"), {{"action", "enforce"}, {"value", "inherit"}}).status == 303);
    REQUIRE(act(browser, csrf, device_level(owner, "POLPHONE1"), {{"action", "unset"}, {"name", "MinDevicePasswordLength"}}).status == 303);
    CHECK(device_row(owner, "POLPHONE1") == "");  // nothing of its own left: no row (save_level's rule)
    row = setting_row(browser.get(device_path(owner, "POLPHONE1")).body, "MinDevicePasswordLength");
    CHECK(row_has(row, "source", "domain"));
    auto deleted = act(browser, csrf, domain_level(domain), {{"action", "delete"}});
    REQUIRE(deleted.status == 303);
    CHECK(browser.get(deleted.header("location")).body.find("inherits everything again") != std::string::npos);
    CHECK(domain_row(domain) == "");
    CHECK(row_has(setting_row(browser.get(user_path(owner)).body, "MinDevicePasswordLength"), "source", "default"));

    // Unknown levels are 404, not 500.
    CHECK(browser.get(domain_path("no-such-domain.test")).status == 404);
    CHECK(browser.get(user_path("nobody@policies-one.test")).status == 404);
    CHECK(browser.get(device_path(owner, "NOSUCHPHONE")).status == 404);
    CHECK(browser.get(kPolicies + "?level=planet").status == 404);
    CHECK(set_value(browser, csrf, device_level(owner, "NOSUCHPHONE"), "MinDevicePasswordLength", "4").status == 404);
}

TEST_CASE("console policies: a bad value is refused as easctl refuses it, and nothing is saved", "[e2e][console][policies]") {
    std::string admin = new_user("policies-bad-admin");
    set_console_role({admin, "admin"});
    const std::string domain = "policies-bad.test";
    easd::test::create_user(cluster(), "bea@" + domain, "secret-pw");
    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(admin).status == 303);
    std::string csrf = csrf_of(browser.get(domain_path(domain)).body);
    REQUIRE_FALSE(csrf.empty());
    REQUIRE(set_value(browser, csrf, domain_level(domain), "MinDevicePasswordLength", "5").status == 303);
    const std::string before = domain_row(domain);
    REQUIRE(before == "inherit|MinDevicePasswordLength=5");

    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"MinDevicePasswordLength", "five"}, {"DevicePasswordEnabled", "maybe"}, {"NoSuchSetting", "1"}}) {
        INFO(name << "=" << value);
        auto refused = set_value(browser, csrf, domain_level(domain), name, value);
        CHECK(refused.status == 400);
        // easctl's one line, word for word.
        auto cli = easd::test::run_easctl(cluster(), {"policy", "set", "domain", domain, name + "=" + value});
        CHECK(cli.exit_code != 0);
        std::string line = cli.err.substr(0, cli.err.find('\n'));
        REQUIRE(line.rfind("easctl: ", 0) == 0);
        line = line.substr(8);
        INFO(line << "\n" << refused.body);
        CHECK(line.find("nothing was saved") != std::string::npos);
        CHECK(refused.body.find(escaped(line)) != std::string::npos);
        CHECK(domain_row(domain) == before);
    }
    CHECK(act(browser, csrf, domain_level(domain), {{"action", "enforce"}, {"value", "sometimes"}}).status == 400);
    CHECK(act(browser, csrf, domain_level(domain), {{"action", "explode"}}).status == 400);
    CHECK(domain_row(domain) == before);
    // A number out of range is brought into it, as easctl does, and the page says so.
    auto clamped = set_value(browser, csrf, domain_level(domain), "MinDevicePasswordLength", "40");
    REQUIRE(clamped.status == 303);
    CHECK(browser.get(clamped.header("location")).body.find("outside its range") != std::string::npos);
    CHECK(domain_row(domain) == "inherit|MinDevicePasswordLength=18");
}

TEST_CASE("console policies: a domain administrator edits their domains' levels only and reads the global one",
          "[e2e][console][policies]") {
    const std::string mine = "mia@policies-a.test", theirs = "theo@policies-b.test", boss = "boss@policies-a.test";
    for (const auto& u : {mine, theirs, boss}) easd::test::create_user(cluster(), u, "secret-pw");
    set_console_role({boss, "domain-admin", "policies-a.test"});
    register_device(mine, "MIAPHONE");
    register_device(theirs, "THEOPHONE");

    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(boss).status == 303);
    auto own = browser.get(domain_path("policies-a.test"));
    REQUIRE(own.status == 200);
    std::string csrf = csrf_of(own.body);
    REQUIRE_FALSE(csrf.empty());
    // The global level: read-only, no forms but sign-out.
    auto global = browser.get(kPolicies + "?level=global");
    REQUIRE(global.status == 200);
    CHECK(global.body.find("Read-only") != std::string::npos);
    CHECK(global.body.find("name=\"action\"") == std::string::npos);
    const std::string global_row =
        "SELECT COALESCE(max(COALESCE(enforce::text, 'inherit') || '|' || settings), 'none') FROM policies "
        "WHERE domain_id IS NULL AND user_id IS NULL AND device_id IS NULL";
    const std::string global_before = sql_one(global_row);
    CHECK(set_value(browser, csrf, {{"level", "global"}}, "MinDevicePasswordLength", "4").status == 403);
    CHECK(act(browser, csrf, {{"level", "global"}}, {{"action", "delete"}}).status == 403);
    CHECK(sql_one(global_row) == global_before);

    // The other domain's levels look as if they did not exist.
    CHECK(browser.get(domain_path("policies-b.test")).status == 404);
    CHECK(browser.get(domain_path("POLICIES-B.test")).status == 404);
    CHECK(browser.get(user_path(theirs)).status == 404);
    CHECK(browser.get(device_path(theirs, "THEOPHONE")).status == 404);
    CHECK(set_value(browser, csrf, domain_level("policies-b.test"), "MinDevicePasswordLength", "4").status == 404);
    CHECK(set_value(browser, csrf, user_level(theirs), "MinDevicePasswordLength", "4").status == 404);
    CHECK(act(browser, csrf, device_level(theirs, "THEOPHONE"), {{"action", "enforce"}, {"value", "on"}}).status == 404);
    CHECK(domain_row("policies-b.test") == "");
    CHECK(device_row(theirs, "THEOPHONE") == "");

    // Their own domain's levels they change.
    CHECK(set_value(browser, csrf, domain_level("policies-a.test"), "MinDevicePasswordLength", "4").status == 303);
    CHECK(domain_row("policies-a.test") == "inherit|MinDevicePasswordLength=4");
    CHECK(act(browser, csrf, device_level(mine, "MIAPHONE"), {{"action", "enforce"}, {"value", "on"}}).status == 303);
    CHECK(device_row(mine, "MIAPHONE") == "true|");
    CHECK(act(browser, csrf, device_level(mine, "MIAPHONE"), {{"action", "delete"}}).status == 303);
    CHECK(device_row(mine, "MIAPHONE") == "");
    REQUIRE(easd::test::run_easctl(cluster(), {"policy", "inherit", "domain", "policies-a.test"}).exit_code == 0);

    // An account without a role has no policy page at all.
    ConsoleBrowser user(server().https_port(), server().cert_path());
    REQUIRE(user.sign_in(mine).status == 303);
    CHECK(user.get(kPolicies).status == 404);
    CHECK(user.get(device_path(mine, "MIAPHONE")).status == 404);
    std::string user_csrf = csrf_of(user.get("/easd-admin/me").body);
    REQUIRE_FALSE(user_csrf.empty());
    CHECK(act(user, user_csrf, device_level(mine, "MIAPHONE"), {{"action", "enforce"}, {"value", "off"}}).status == 404);
    CHECK(device_row(mine, "MIAPHONE") == "");
}

TEST_CASE("console policies: a change without the session's CSRF token is refused", "[e2e][console][policies]") {
    std::string admin = new_user("policies-csrf-admin");
    set_console_role({admin, "admin"});
    std::string owner = new_user("policies-csrf-owner");
    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(admin).status == 303);
    std::string csrf = csrf_of(browser.get(user_path(owner)).body);
    REQUIRE_FALSE(csrf.empty());
    CHECK(set_value(browser, "", user_level(owner), "MinDevicePasswordLength", "4").status == 403);
    std::string wrong = csrf;
    wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
    CHECK(set_value(browser, wrong, user_level(owner), "MinDevicePasswordLength", "4").status == 403);
    const std::string user_rows = "SELECT count(*) FROM policies p JOIN users u ON u.id = p.user_id WHERE u.address = '" + owner + "'";
    CHECK(sql_one(user_rows) == "0");
    CHECK(set_value(browser, csrf, user_level(owner), "MinDevicePasswordLength", "4").status == 303);
    CHECK(sql_one(user_rows) == "1");
    CHECK(act(browser, "", user_level(owner), {{"action", "delete"}}).status == 403);
    CHECK(sql_one(user_rows) == "1");
}

TEST_CASE("console policies: a provisioned phone gets the policy an administrator changed", "[e2e][console][policies]") {
    std::string admin = new_user("policies-phone-admin");
    set_console_role({admin, "admin"});
    std::string owner = new_user("policies-phone-owner");
    auto phone = client(owner, "POLPROV");
    provision_phone(phone);
    CHECK(folder_sync_status(phone) == "1");

    ConsoleBrowser browser(server().https_port(), server().cert_path());
    REQUIRE(browser.sign_in(admin).status == 303);
    auto page = browser.get(device_path(owner, "POLPROV"));
    REQUIRE(page.status == 200);
    CHECK(page.body.find("matches (policy status applied)") != std::string::npos);
    std::string csrf = csrf_of(page.body);
    REQUIRE(set_value(browser, csrf, user_level(owner), "DevicePasswordEnabled", "yes").status == 303);
    REQUIRE(set_value(browser, csrf, user_level(owner), "MinDevicePasswordLength", "7").status == 303);
    REQUIRE(act(browser, csrf, user_level(owner), {{"action", "enforce"}, {"value", "on"}}).status == 303);
    // The device page tells the administrator the phone is behind.
    CHECK(browser.get(device_path(owner, "POLPROV")).body.find("differs, the device is asked to provision again") !=
          std::string::npos);

    // The phone's next request is told to provision again (14.1: status 143), and gets the new values.
    CHECK(folder_sync_status(phone) == "143");
    auto values = provision_values(phone, {"DevicePasswordEnabled", "MinDevicePasswordLength"});
    CHECK(values["DevicePasswordEnabled"] == "1");
    CHECK(values["MinDevicePasswordLength"] == "7");
    CHECK(folder_sync_status(phone) == "1");
    CHECK(browser.get(device_path(owner, "POLPROV")).body.find("matches (policy status applied)") != std::string::npos);

    // Enforcement off on the device's own level: the neutral policy again.
    REQUIRE(act(browser, csrf, device_level(owner, "POLPROV"), {{"action", "enforce"}, {"value", "off"}}).status == 303);
    CHECK(folder_sync_status(phone) == "143");
    CHECK(provision_values(phone, {"DevicePasswordEnabled"})["DevicePasswordEnabled"] == "0");
}

TEST_CASE("console policies: headless Chromium changes a device's policy", "[e2e][console][browser]") {
    std::string admin = new_user("policies-browser-admin");
    set_console_role({admin, "admin"});
    std::string owner = new_user("policies-browser-owner");
    register_device(owner, "POLBROWSER");
    const std::string shots = std::string(EASD_BINARY_DIR) + "/console-screenshots/policies";
    // Debian's Python, which has Debian's python3-selenium (a python3 earlier on the PATH may not).
    auto r = easd::test::run_process({"/usr/bin/python3", std::string(EASD_SOURCE_DIR) + "/tests/browser/console_policy_flow.py",
                                      "--url", "https://127.0.0.1:" + std::to_string(server().https_port()), "--address",
                                      admin, "--password", "secret-pw", "--owner", owner, "--device", "POLBROWSER",
                                      "--screenshots", shots});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(device_row(owner, "POLBROWSER") == "true|MinDevicePasswordLength=9");
    auto shown = easd::test::run_easctl(cluster(), {"policy", "show", "device", owner, "POLBROWSER", "--json"});
    CHECK(shown.out.find("{\"name\":\"MinDevicePasswordLength\",\"value\":\"9\"") != std::string::npos);
}
