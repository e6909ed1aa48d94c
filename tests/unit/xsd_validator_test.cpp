// The XSD validator every e2e WBXML response goes through (tests/support/xsd_validator.h): it must
// load Microsoft's XSDs with libxml2 and tell a valid response from a misordered or foreign one,
// or the e2e suite's validation could pass anything.
#include <catch2/catch.hpp>

#include "support/xsd_validator.h"

using namespace easd::wbxml;
using easd::test::xsd_validate;

namespace {

Node user_information(bool primary_first) {
    Node root(tag::Settings::Settings);
    root.add(tag::Settings::Status, 1LL);
    Node& info = root.add(tag::Settings::UserInformation);
    info.add(tag::Settings::Status, 1LL);
    Node& account = info.add(tag::Settings::Get).add(tag::Settings::Accounts).add(tag::Settings::Account);
    Node& addresses = account.add(tag::Settings::EmailAddresses);
    if (primary_first) addresses.add(tag::Settings::PrimarySmtpAddress, "a@example.org");
    addresses.add(tag::Settings::SmtpAddress, "a@example.org");
    if (!primary_first) addresses.add(tag::Settings::PrimarySmtpAddress, "a@example.org");
    return root;
}

}  // namespace

TEST_CASE("XSD validator accepts a response in the schema's shape", "[xsd]") {
    auto r = xsd_validate(user_information(false));
    INFO(r.errors << r.xml);
    CHECK(r.valid);

    // Several namespaces in one document (FolderHierarchy's files are loaded together).
    Node fs(tag::FolderHierarchy::FolderSync);
    fs.add(tag::FolderHierarchy::Status, 1LL);
    fs.add(tag::FolderHierarchy::SyncKey, "1");
    Node& changes = fs.add(tag::FolderHierarchy::Changes);
    changes.add(tag::FolderHierarchy::Count, 1LL);
    Node& add = changes.add(tag::FolderHierarchy::Add);
    add.add(tag::FolderHierarchy::ServerId, "1");
    add.add(tag::FolderHierarchy::ParentId, "0");
    add.add(tag::FolderHierarchy::DisplayName, "Inbox");
    add.add(tag::FolderHierarchy::Type, 2LL);
    auto f = xsd_validate(fs);
    INFO(f.errors << f.xml);
    CHECK(f.valid);
}

TEST_CASE("XSD validator rejects wrong order, foreign children and unknown roots", "[xsd]") {
    auto misordered = xsd_validate(user_information(true));
    CHECK_FALSE(misordered.valid);
    INFO(misordered.errors);
    CHECK(misordered.errors.find("SMTPAddress") != std::string::npos);
    // The XML the message shows uses the XSDs' namespace names, no libwbxml-style trailing colon.
    CHECK(misordered.xml.find("xmlns:Settings=\"Settings\"") != std::string::npos);

    // GetItemEstimate's response has no Class in the Collection (the request does).
    Node gie(tag::GetItemEstimate::GetItemEstimate);
    Node& response = gie.add(tag::GetItemEstimate::Response);
    response.add(tag::GetItemEstimate::Status, 1LL);
    Node& col = response.add(tag::GetItemEstimate::Collection);
    col.add(tag::GetItemEstimate::Class, "Email");
    col.add(tag::GetItemEstimate::CollectionId, "5");
    col.add(tag::GetItemEstimate::Estimate, 3LL);
    CHECK_FALSE(xsd_validate(gie).valid);

    // A Ping request (no Status) is not a Ping response.
    Node ping(tag::Ping::Ping);
    ping.add(tag::Ping::HeartbeatInterval, 480LL);
    CHECK_FALSE(xsd_validate(ping).valid);
}
