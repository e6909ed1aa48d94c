// lib/content/pim_item: contacts, calendar, tasks and notes <-> ApplicationData, across 2.5..16.1.
#include <catch2/catch.hpp>

#include "content/pim_item.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

using namespace easd::content;
namespace wbxml = easd::wbxml;
namespace tag = easd::wbxml::tag;
using wbxml::Node;

namespace {

const int kVersions[] = {25, 120, 121, 140, 141, 160, 161};

Node xml(const std::string& text) {
    std::string err;
    auto n = wbxml::from_xml(text, &err);
    INFO(err << "\n" << text);
    REQUIRE(n);
    return *n;
}

Node canonical(ItemClass cls, const Node& data, int version) {
    std::string err;
    auto c = canonical_from_client(cls, data, version, &err);
    INFO(err);
    REQUIRE(c);
    return *c;
}

Node render(ItemClass cls, const Node& stored, int version, const EmailOptions& options = {}) {
    Node out(tag::AirSync::ApplicationData);
    append_pim_data(out, cls, stored, options, version);
    return out;
}

// Removes, at any depth, the elements the server computes in its responses.
Node strip(Node n, const std::set<wbxml::Tag>& tags) {
    std::vector<Node> kept;
    for (auto& c : n.children)
        if (!tags.count(c.tag)) kept.push_back(strip(std::move(c), tags));
    n.children = std::move(kept);
    return n;
}

const std::set<wbxml::Tag> kServerComputed = {
    tag::AirSyncBase::EstimatedDataSize, tag::AirSyncBase::NativeBodyType, tag::Contacts::BodyTruncated,
    tag::Tasks::BodyTruncated, tag::Calendar::BodyTruncated};

// Every tag of a tree, at any depth.
void collect(const Node& n, std::set<wbxml::Tag>& out) {
    out.insert(n.tag);
    for (const auto& c : n.children) collect(c, out);
}
std::set<wbxml::Tag> tags_of(const Node& n) {
    std::set<wbxml::Tag> s;
    collect(n, s);
    return s;
}

std::string leaf(const std::string& prefix, const std::string& name, const std::string& value) {
    return "<" + prefix + name + ">" + value + "</" + prefix + name + ">";
}

const char* const kOpen =
    "<ApplicationData xmlns='AirSync' xmlns:C='Contacts' xmlns:C2='Contacts2' xmlns:A='Calendar' "
    "xmlns:T='Tasks' xmlns:N='Notes' xmlns:B='AirSyncBase' xmlns:M='MeetingResponse'>";

// ---- one full item per class, in the form a client of `v` sends --------------------------------------

std::string contact_xml(int v) {
    static const char* const kText[] = {
        "AssistantName", "AssistantPhoneNumber", "Business2PhoneNumber", "BusinessAddressCity",
        "BusinessAddressCountry", "BusinessAddressPostalCode", "BusinessAddressState", "BusinessAddressStreet",
        "BusinessFaxNumber", "BusinessPhoneNumber", "CarPhoneNumber", "CompanyName", "Department",
        "Email1Address", "Email2Address", "Email3Address", "FileAs", "FirstName", "Home2PhoneNumber",
        "HomeAddressCity", "HomeAddressCountry", "HomeAddressPostalCode", "HomeAddressState", "HomeAddressStreet",
        "HomeFaxNumber", "HomePhoneNumber", "JobTitle", "LastName", "MiddleName", "MobilePhoneNumber",
        "OfficeLocation", "OtherAddressCity", "OtherAddressCountry", "OtherAddressPostalCode", "OtherAddressState",
        "OtherAddressStreet", "PagerNumber", "RadioPhoneNumber", "Spouse", "Suffix", "Title", "WebPage",
        "YomiCompanyName", "YomiFirstName", "YomiLastName"};
    static const char* const kText2[] = {"CustomerId", "GovernmentId", "IMAddress", "IMAddress2", "IMAddress3",
                                         "ManagerName", "CompanyMainPhone", "AccountName", "NickName", "MMS"};
    std::string x = kOpen;
    x += leaf("C:", "Anniversary", "2001-05-06T00:00:00.000Z");
    x += leaf("C:", "Birthday", "1970-01-02T00:00:00.000Z");
    if (v >= 120) {
        x += "<B:Body><B:Type>1</B:Type><B:Data>Met at the Grüße conference</B:Data></B:Body>";
    } else {
        x += leaf("C:", "Body", "Met at the Grüße conference");
    }
    for (const char* n : kText) x += leaf("C:", n, std::string(n) + " value ä");
    x += "<C:Categories><C:Category>Friends</C:Category><C:Category>Work</C:Category></C:Categories>";
    x += "<C:Children><C:Child>Anna</C:Child><C:Child>Ben</C:Child></C:Children>";
    x += leaf("C:", "Picture", "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
    if (v >= 140) {
        x += leaf("C:", "Alias", "jdoe");
        x += leaf("C:", "WeightedRank", "7");
    }
    for (const char* n : kText2) x += leaf("C2:", n, std::string(n) + " value");
    return x + "</ApplicationData>";
}

std::string exception_xml(int v, bool with_uid_25) {
    std::string start = "20261202T080000Z";
    std::string x = "<A:Exception>";
    if (v >= 160) {
        x += leaf("B:", "InstanceId", start);
    } else {
        x += leaf("A:", "ExceptionStartTime", start);
        if (v < 120 && with_uid_25) x += leaf("A:", "UID", "series-uid-1");
    }
    x += leaf("A:", "Subject", "Moved weekly");
    x += leaf("A:", "StartTime", "20261202T090000Z");
    x += leaf("A:", "EndTime", "20261202T100000Z");
    if (v >= 120) x += "<B:Body><B:Type>1</B:Type><B:Data>Exception notes</B:Data></B:Body>";
    else x += leaf("A:", "Body", "Exception notes");
    if (v >= 160) x += "<B:Location><B:DisplayName>Room 2</B:DisplayName></B:Location>";
    else x += leaf("A:", "Location", "Room 2");
    x += "<A:Categories><A:Category>Moved</A:Category></A:Categories>";
    x += leaf("A:", "Sensitivity", "0") + leaf("A:", "BusyStatus", "1") + leaf("A:", "AllDayEvent", "0");
    x += leaf("A:", "Reminder", "10") + leaf("A:", "DtStamp", "20261101T120000Z");
    if (v >= 140) {
        x += leaf("A:", "MeetingStatus", "1");
        x += "<A:Attendees><A:Attendee><A:Email>bob@example.com</A:Email><A:Name>Bob</A:Name>"
             "<A:AttendeeStatus>3</A:AttendeeStatus><A:AttendeeType>1</A:AttendeeType></A:Attendee></A:Attendees>";
    }
    return x + "</A:Exception>";
}

std::string deleted_exception_xml(int v, bool with_uid_25) {
    std::string x = "<A:Exception><A:Deleted>1</A:Deleted>";
    if (v >= 160) {
        x += leaf("B:", "InstanceId", "20261209T080000Z");
    } else {
        x += leaf("A:", "ExceptionStartTime", "20261209T080000Z");
        if (v < 120 && with_uid_25) x += leaf("A:", "UID", "series-uid-1");
    }
    return x + "</A:Exception>";
}

// `client`: what a client sends (16.x: with ClientUid); otherwise what a client of v receives.
std::string calendar_xml(int v, bool client) {
    std::string x = kOpen;
    x += leaf("A:", "TimeZone", "xP///wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==");
    x += leaf("A:", "AllDayEvent", "0");
    if (v >= 120) x += "<B:Body><B:Type>1</B:Type><B:Data>Agenda: everything</B:Data></B:Body>";
    else x += leaf("A:", "Body", "Agenda: everything");
    x += leaf("A:", "BusyStatus", "2");
    x += leaf("A:", "OrganizerName", "Jane Doe") + leaf("A:", "OrganizerEmail", "jane@example.com");
    x += leaf("A:", "DtStamp", "20261101T120000Z");
    x += leaf("A:", "EndTime", "20261125T085000Z");
    if (v >= 160) {
        x += "<B:Location><B:DisplayName>Room 1</B:DisplayName><B:Annotation>2nd floor</B:Annotation>"
             "<B:Street>1 Main St</B:Street><B:City>Springfield</B:City><B:State>IL</B:State>"
             "<B:Country>US</B:Country><B:PostalCode>62701</B:PostalCode><B:Latitude>39.78</B:Latitude>"
             "<B:Longitude>-89.65</B:Longitude><B:Accuracy>5</B:Accuracy><B:Altitude>180</B:Altitude>"
             "<B:AltitudeAccuracy>3</B:AltitudeAccuracy><B:LocationUri>geo:39.78,-89.65</B:LocationUri>"
             "</B:Location>";
    } else {
        x += leaf("A:", "Location", "Room 1");
    }
    x += leaf("A:", "Reminder", "15") + leaf("A:", "Sensitivity", "0");
    x += leaf("A:", "Subject", "Weekly sync");
    x += leaf("A:", "StartTime", "20261125T075000Z");
    x += leaf("A:", "UID", "series-uid-1");
    x += leaf("A:", "MeetingStatus", "1");
    x += "<A:Attendees>";
    for (const char* who : {"bob", "carol"}) {
        x += "<A:Attendee>" + leaf("A:", "Email", std::string(who) + "@example.com") + leaf("A:", "Name", who);
        if (v >= 120) x += leaf("A:", "AttendeeStatus", "0") + leaf("A:", "AttendeeType", "1");
        x += "</A:Attendee>";
    }
    x += "</A:Attendees>";
    x += "<A:Categories><A:Category>Team</A:Category></A:Categories>";
    x += "<A:Recurrence><A:Type>1</A:Type><A:Interval>1</A:Interval><A:DayOfWeek>4</A:DayOfWeek>"
         "<A:Until>20271231T235959Z</A:Until>";
    if (v >= 140) x += "<A:CalendarType>0</A:CalendarType><A:IsLeapMonth>0</A:IsLeapMonth>";
    if (v >= 141) x += "<A:FirstDayOfWeek>1</A:FirstDayOfWeek>";
    x += "</A:Recurrence>";
    x += "<A:Exceptions>" + deleted_exception_xml(v, true) + exception_xml(v, true) + "</A:Exceptions>";
    if (v >= 140) {
        x += leaf("A:", "ResponseRequested", "1");
        x += leaf("A:", "DisallowNewTimeProposal", "0");
        x += leaf("A:", "ResponseType", "1");
    }
    if (v >= 160 && client) x += leaf("A:", "ClientUid", "client-uid-42");
    return x + "</ApplicationData>";
}

std::string task_xml(int v) {
    std::string x = kOpen;
    x += leaf("T:", "Subject", "File taxes");
    if (v >= 120) x += "<B:Body><B:Type>1</B:Type><B:Data>Forms in the drawer</B:Data></B:Body>";
    else x += leaf("T:", "Body", "Forms in the drawer");
    x += leaf("T:", "Importance", "2");
    x += leaf("T:", "UtcStartDate", "2026-03-01T08:00:00.000Z") + leaf("T:", "StartDate", "2026-03-01T09:00:00.000Z");
    x += leaf("T:", "UtcDueDate", "2026-04-15T08:00:00.000Z") + leaf("T:", "DueDate", "2026-04-15T09:00:00.000Z");
    x += "<T:Categories><T:Category>Home</T:Category></T:Categories>";
    x += "<T:Recurrence><T:Type>5</T:Type><T:Start>2026-03-01T08:00:00.000Z</T:Start>"
         "<T:Until>2030-04-15T08:00:00.000Z</T:Until><T:Interval>1</T:Interval><T:DayOfMonth>15</T:DayOfMonth>"
         "<T:MonthOfYear>4</T:MonthOfYear><T:Regenerate>0</T:Regenerate><T:DeadOccur>0</T:DeadOccur>";
    if (v >= 140) x += "<T:CalendarType>0</T:CalendarType><T:IsLeapMonth>0</T:IsLeapMonth>";
    if (v >= 141) x += "<T:FirstDayOfWeek>0</T:FirstDayOfWeek>";
    x += "</T:Recurrence>";
    x += leaf("T:", "Complete", "1") + leaf("T:", "DateCompleted", "2026-04-10T10:00:00.000Z");
    x += leaf("T:", "Sensitivity", "0");
    x += leaf("T:", "ReminderTime", "2026-04-14T08:00:00.000Z") + leaf("T:", "ReminderSet", "1");
    if (v >= 120) x += leaf("T:", "OrdinalDate", "2026-03-01T08:00:00.000Z") + leaf("T:", "SubOrdinalDate", "5");
    return x + "</ApplicationData>";
}

std::string note_xml() {
    std::string x = kOpen;
    x += leaf("N:", "Subject", "Shopping");
    x += "<B:Body><B:Type>1</B:Type><B:Data>milk, eggs</B:Data></B:Body>";
    x += leaf("N:", "MessageClass", "IPM.StickyNote");
    x += leaf("N:", "LastModifiedDate", "2026-01-02T03:04:05.000Z");
    x += "<N:Categories><N:Category>Errands</N:Category></N:Categories>";
    return x + "</ApplicationData>";
}

void check_round_trip(ItemClass cls, const std::string& sent, const std::string& expected, int v) {
    Node stored = canonical(cls, xml(sent), v);
    Node out = strip(render(cls, stored, v), kServerComputed);
    INFO("version " << v);
    CHECK(wbxml::to_xml(out) == wbxml::to_xml(xml(expected)));
}

}  // namespace

TEST_CASE("pim: item class names", "[pim]") {
    for (auto c : {ItemClass::Email, ItemClass::Contacts, ItemClass::Calendar, ItemClass::Tasks, ItemClass::Notes})
        CHECK(item_class_from_name(item_class_name(c)) == c);
    CHECK_FALSE(item_class_from_name("SMS"));
    CHECK_FALSE(item_class_from_name("contacts"));
}

TEST_CASE("pim: every contact field round trips in every version", "[pim]") {
    for (int v : kVersions) check_round_trip(ItemClass::Contacts, contact_xml(v), contact_xml(v), v);
}

TEST_CASE("pim: every calendar field round trips in every version", "[pim]") {
    for (int v : kVersions) check_round_trip(ItemClass::Calendar, calendar_xml(v, true), calendar_xml(v, false), v);
}

TEST_CASE("pim: every task field round trips in every version", "[pim]") {
    for (int v : kVersions) check_round_trip(ItemClass::Tasks, task_xml(v), task_xml(v), v);
}

TEST_CASE("pim: every note field round trips (14.0 and later)", "[pim]") {
    for (int v : {140, 141, 160, 161}) check_round_trip(ItemClass::Notes, note_xml(), note_xml(), v);
}

TEST_CASE("pim: canonical form is the 16.1 form", "[pim]") {
    SECTION("2.5 contact body becomes airsyncbase:Body") {
        Node c = canonical(ItemClass::Contacts,
                           xml(std::string(kOpen) + "<C:FirstName>Jo</C:FirstName><C:Body>Call back</C:Body>"
                                                    "<C:BodySize>9</C:BodySize><C:BodyTruncated>0</C:BodyTruncated>"
                                                    "</ApplicationData>"),
                           25);
        REQUIRE(c.children.size() == 2);
        CHECK(c.children[0].tag == tag::Contacts::FirstName);
        const Node& b = c.children[1];
        CHECK(b.tag == tag::AirSyncBase::Body);
        CHECK(b.child_text(tag::AirSyncBase::Type) == "1");
        CHECK(b.child_text(tag::AirSyncBase::Data) == "Call back");
    }
    SECTION("2.5 task and calendar bodies, calendar:Location and exception start times") {
        Node t = canonical(ItemClass::Tasks, xml(task_xml(25)), 25);
        CHECK_FALSE(t.has(tag::Tasks::Body));
        REQUIRE(t.child(tag::AirSyncBase::Body));
        CHECK(t.child(tag::AirSyncBase::Body)->child_text(tag::AirSyncBase::Data) == "Forms in the drawer");

        Node c = canonical(ItemClass::Calendar, xml(calendar_xml(25, true)), 25);
        auto tags = tags_of(c);
        for (auto old : {tag::Calendar::Body, tag::Calendar::Location, tag::Calendar::ExceptionStartTime})
            CHECK_FALSE(tags.count(old));
        REQUIRE(c.child(tag::AirSyncBase::Location));
        CHECK(c.child(tag::AirSyncBase::Location)->child_text(tag::AirSyncBase::DisplayName) == "Room 1");
        const Node* ex = c.child(tag::Calendar::Exceptions);
        REQUIRE(ex);
        REQUIRE(ex->children.size() == 2);
        CHECK(ex->children[1].child_text(tag::AirSyncBase::InstanceId) == "20261202T080000Z");
        CHECK_FALSE(ex->children[1].has(tag::Calendar::UID));  // 2.5-only child of Exception
        CHECK(ex->children[1].child(tag::AirSyncBase::Body));
    }
    SECTION("server-computed elements are dropped, HTML and RTF bodies kept as sent") {
        Node c = canonical(ItemClass::Calendar,
                           xml(std::string(kOpen) +
                               "<A:Subject>x</A:Subject><B:Body><B:Type>2</B:Type><B:EstimatedDataSize>9</B:EstimatedDataSize>"
                               "<B:Truncated>0</B:Truncated><B:Data>&lt;b&gt;hi&lt;/b&gt;</B:Data></B:Body>"
                               "<B:NativeBodyType>2</B:NativeBodyType><A:AppointmentReplyTime>20260101T000000Z"
                               "</A:AppointmentReplyTime><A:OnlineMeetingConfLink>sip:x</A:OnlineMeetingConfLink>"
                               "</ApplicationData>"),
                           141);
        REQUIRE(c.children.size() == 2);
        const Node& b = c.children[1];
        REQUIRE(b.children.size() == 2);
        CHECK(b.child_text(tag::AirSyncBase::Type) == "2");
        CHECK(b.child_text(tag::AirSyncBase::Data) == "<b>hi</b>");

        Node r = canonical(ItemClass::Contacts,
                           xml(std::string(kOpen) + "<B:Body><B:Type>3</B:Type><B:Data>e1xydGYxfQ==</B:Data></B:Body>"
                                                    "</ApplicationData>"),
                           161);
        CHECK(r.children.at(0).child_text(tag::AirSyncBase::Type) == "3");
        CHECK(r.children.at(0).child_text(tag::AirSyncBase::Data) == "e1xydGYxfQ==");
    }
    SECTION("a body the client marks truncated is not stored") {
        Node c = canonical(ItemClass::Contacts,
                           xml(std::string(kOpen) + "<C:FirstName>Jo</C:FirstName><C:Body>Call b</C:Body>"
                                                    "<C:BodySize>900</C:BodySize><C:BodyTruncated>1</C:BodyTruncated>"
                                                    "</ApplicationData>"),
                           25);
        CHECK_FALSE(c.has(tag::AirSyncBase::Body));
        Node d = canonical(ItemClass::Tasks,
                           xml(std::string(kOpen) + "<B:Body><B:Type>1</B:Type><B:Truncated>1</B:Truncated>"
                                                    "<B:Data>abc</B:Data></B:Body></ApplicationData>"),
                           141);
        CHECK_FALSE(d.has(tag::AirSyncBase::Body));
    }
    SECTION("elements of another class are refused") {
        std::string err;
        CHECK_FALSE(canonical_from_client(
            ItemClass::Contacts, xml(std::string(kOpen) + "<Subject xmlns='Email'>x</Subject></ApplicationData>"), 141,
            &err));
        CHECK(err.find("Email:Subject") != std::string::npos);
        CHECK_FALSE(canonical_from_client(
            ItemClass::Notes, xml(std::string(kOpen) + "<T:Subject>x</T:Subject></ApplicationData>"), 141, &err));
        CHECK_FALSE(canonical_from_client(
            ItemClass::Tasks, xml(std::string(kOpen) + "<A:Categories><T:Category>x</T:Category></A:Categories>"
                                                       "</ApplicationData>"),
            141, &err));
        // MeetingResponse elements belong inside calendar attendees, not at the top level.
        CHECK_FALSE(canonical_from_client(
            ItemClass::Calendar,
            xml(std::string(kOpen) + "<M:ProposedStartTime>20260101T000000Z</M:ProposedStartTime></ApplicationData>"),
            161, &err));
        CHECK(canonical_from_client(
            ItemClass::Calendar,
            xml(std::string(kOpen) + "<A:Attendees><A:Attendee><A:Email>a@b.c</A:Email><A:Name>A</A:Name>"
                                     "<M:ProposedStartTime>20260101T000000Z</M:ProposedStartTime></A:Attendee>"
                                     "</A:Attendees></ApplicationData>"),
            161, &err));
        CHECK_FALSE(canonical_from_client(ItemClass::Email, xml(note_xml()), 161, &err));
    }
    SECTION("ClientUid (16.x) is stored but only ever travels from the client") {
        Node c = canonical(ItemClass::Calendar, xml(calendar_xml(161, true)), 161);
        CHECK(c.child_text(tag::Calendar::ClientUid) == "client-uid-42");
        for (int v : kVersions) CHECK_FALSE(render(ItemClass::Calendar, c, v).has(tag::Calendar::ClientUid));
    }
}

TEST_CASE("pim: elements we do not interpret are kept and sent back", "[pim]") {
    // A valid Calendar-page element in a place the tables do not mention, a Contacts2 element, and
    // a Tasks element: all survive canonicalisation, merging and rendering in every version.
    Node cal = canonical(ItemClass::Calendar,
                         xml(std::string(kOpen) + "<A:Subject>s</A:Subject><A:IsLeapMonth>1</A:IsLeapMonth>"
                                                  "</ApplicationData>"),
                         141);
    Node con = canonical(ItemClass::Contacts,
                         xml(std::string(kOpen) + "<C2:MMS>+15550100</C2:MMS><C:YomiLastName>ヤマダ</C:YomiLastName>"
                                                  "</ApplicationData>"),
                         121);
    for (int v : kVersions) {
        CHECK(render(ItemClass::Calendar, cal, v).child_text(tag::Calendar::IsLeapMonth) == "1");
        auto r = render(ItemClass::Contacts, con, v);
        CHECK(r.child_text(tag::Contacts2::MMS) == "+15550100");
        CHECK(r.child_text(tag::Contacts::YomiLastName) == "ヤマダ");
    }
}

TEST_CASE("pim: added as 16.1, rendered for older versions", "[pim]") {
    SECTION("contacts") {
        Node stored = canonical(ItemClass::Contacts, xml(contact_xml(161)), 161);
        Node r25 = render(ItemClass::Contacts, stored, 25);
        CHECK_FALSE(r25.has(tag::AirSyncBase::Body));
        CHECK(r25.child_text(tag::Contacts::Body) == "Met at the Grüße conference");
        CHECK(r25.child_text(tag::Contacts::BodyTruncated) == "0");
        CHECK_FALSE(r25.has(tag::Contacts::Alias));
        CHECK_FALSE(r25.has(tag::Contacts::WeightedRank));
        CHECK(r25.has(tag::Contacts2::NickName));
        CHECK(r25.has(tag::Contacts::Picture));

        Node r121 = render(ItemClass::Contacts, stored, 121);
        CHECK(r121.has(tag::AirSyncBase::Body));
        CHECK_FALSE(r121.has(tag::Contacts::Body));
        CHECK_FALSE(r121.has(tag::Contacts::Alias));

        Node r141 = render(ItemClass::Contacts, stored, 141);
        CHECK(r141.child_text(tag::Contacts::Alias) == "jdoe");
        CHECK(wbxml::to_xml(strip(r141, kServerComputed)) == wbxml::to_xml(xml(contact_xml(141))));
    }
    SECTION("calendar") {
        Node stored = canonical(ItemClass::Calendar, xml(calendar_xml(161, true)), 161);
        for (int v : {25, 121, 141}) {
            INFO("version " << v);
            Node r = render(ItemClass::Calendar, stored, v);
            CHECK(wbxml::to_xml(strip(r, kServerComputed)) == wbxml::to_xml(xml(calendar_xml(v, false))));
        }
        Node r141 = render(ItemClass::Calendar, stored, 141);
        CHECK(r141.child_text(tag::Calendar::Location) == "Room 1");
        CHECK_FALSE(tags_of(r141).count(tag::AirSyncBase::Location));
        CHECK_FALSE(tags_of(r141).count(tag::AirSyncBase::InstanceId));
        CHECK(r141.child_text(tag::AirSyncBase::NativeBodyType) == "1");

        Node r25 = render(ItemClass::Calendar, stored, 25);
        CHECK(r25.child_text(tag::Calendar::Body) == "Agenda: everything");
        CHECK_FALSE(r25.has(tag::AirSyncBase::NativeBodyType));
        auto t25 = tags_of(r25);
        for (auto absent : {tag::Calendar::AttendeeStatus, tag::Calendar::AttendeeType, tag::Calendar::CalendarType,
                            tag::Calendar::ResponseRequested, tag::Calendar::DisallowNewTimeProposal,
                            tag::AirSyncBase::Body, tag::AirSyncBase::Location})
            CHECK_FALSE(t25.count(absent));
        // 2.5 exceptions carry the series UID.
        const Node* ex = r25.child(tag::Calendar::Exceptions);
        REQUIRE(ex);
        for (const auto& e : ex->children) {
            CHECK(e.child_text(tag::Calendar::UID) == "series-uid-1");
            CHECK_FALSE(e.has(tag::Calendar::BodyTruncated));  // not a child of Exception
        }
        CHECK(ex->children.at(1).child_text(tag::Calendar::Body) == "Exception notes");

        Node r161 = render(ItemClass::Calendar, stored, 161);
        CHECK_FALSE(tags_of(r161).count(tag::Calendar::ExceptionStartTime));
        CHECK_FALSE(tags_of(r161).count(tag::Calendar::Location));
    }
    SECTION("calendar stored from 14.1 renders the 16.x forms") {
        Node stored = canonical(ItemClass::Calendar, xml(calendar_xml(141, true)), 141);
        Node r = render(ItemClass::Calendar, stored, 161);
        REQUIRE(r.child(tag::AirSyncBase::Location));
        CHECK(r.child(tag::AirSyncBase::Location)->child_text(tag::AirSyncBase::DisplayName) == "Room 1");
        const Node* ex = r.child(tag::Calendar::Exceptions);
        REQUIRE(ex);
        CHECK(ex->children.at(0).child_text(tag::AirSyncBase::InstanceId) == "20261209T080000Z");
        CHECK_FALSE(ex->children.at(0).has(tag::Calendar::ExceptionStartTime));
    }
    SECTION("airsyncbase:Location without a DisplayName becomes readable text") {
        Node stored = xml(std::string(kOpen) + "<B:Location><B:Street>1 Main St</B:Street><B:City>Springfield</B:City>"
                                               "</B:Location></ApplicationData>");
        CHECK(render(ItemClass::Calendar, stored, 140).child_text(tag::Calendar::Location) == "1 Main St, Springfield");
    }
    SECTION("tasks") {
        Node stored = canonical(ItemClass::Tasks, xml(task_xml(161)), 161);
        for (int v : {25, 121, 140}) {
            INFO("version " << v);
            CHECK(wbxml::to_xml(strip(render(ItemClass::Tasks, stored, v), kServerComputed)) ==
                  wbxml::to_xml(xml(task_xml(v))));
        }
    }
    SECTION("notes do not exist before 14.0") {
        Node stored = canonical(ItemClass::Notes, xml(note_xml()), 161);
        CHECK(render(ItemClass::Notes, stored, 121).children.empty());
        CHECK(render(ItemClass::Notes, stored, 25).children.empty());
        CHECK(render(ItemClass::Notes, stored, 140).children.size() == 5);
    }
}

TEST_CASE("pim: body preference, truncation, AllOrNone, Preview", "[pim]") {
    // 10 ASCII bytes, then "é" (2 bytes) straddling a cut at 11, then more.
    const std::string text = "0123456789\xC3\xA9 and the rest";
    Node plain(tag::AirSync::ApplicationData);
    plain.children.push_back(Node(tag::Contacts::FirstName, "x"));
    {
        auto& b = plain.add(tag::AirSyncBase::Body);
        b.add(tag::AirSyncBase::Type, "1");
        b.add(tag::AirSyncBase::Data, text);
    }
    auto body_of = [](const Node& n) -> Node {  // a copy: the rendered tree is a temporary
        const Node* b = n.child(tag::AirSyncBase::Body);
        REQUIRE(b);
        return *b;
    };
    auto opts = [](int type, std::optional<uint32_t> size = std::nullopt, bool all_or_none = false,
                   std::optional<int> preview = std::nullopt) {
        EmailOptions o;
        BodyPreference p;
        p.type = type;
        p.truncation_size = size;
        p.all_or_none = all_or_none;
        p.preview = preview;
        o.body_preferences.push_back(p);
        return o;
    };

    SECTION("truncation never splits a UTF-8 character") {
        const Node b = body_of(render(ItemClass::Contacts, plain, 141, opts(1, 11)));
        CHECK(b.child_text(tag::AirSyncBase::Type) == "1");
        CHECK(b.child_text(tag::AirSyncBase::Truncated) == "1");
        CHECK(b.child_text(tag::AirSyncBase::EstimatedDataSize) == std::to_string(text.size()));
        CHECK(b.child_text(tag::AirSyncBase::Data) == "0123456789");
    }
    SECTION("no truncation when it fits") {
        const Node b = body_of(render(ItemClass::Contacts, plain, 141, opts(1, 1000)));
        CHECK_FALSE(b.has(tag::AirSyncBase::Truncated));
        CHECK(b.child_text(tag::AirSyncBase::Data) == text);
    }
    SECTION("AllOrNone: the whole body or none of it") {
        const Node b = body_of(render(ItemClass::Contacts, plain, 141, opts(1, 11, true)));
        CHECK(b.child_text(tag::AirSyncBase::Truncated) == "1");
        CHECK_FALSE(b.has(tag::AirSyncBase::Data));
        const Node all = body_of(render(ItemClass::Contacts, plain, 141, opts(1, 100, true)));
        CHECK(all.child_text(tag::AirSyncBase::Data) == text);
    }
    SECTION("Preview from 14.0 on") {
        const Node b = body_of(render(ItemClass::Tasks, plain, 140, opts(1, std::nullopt, false, 11)));
        CHECK(b.child_text(tag::AirSyncBase::Preview) == "0123456789");
        const Node old = body_of(render(ItemClass::Tasks, plain, 121, opts(1, std::nullopt, false, 11)));
        CHECK_FALSE(old.has(tag::AirSyncBase::Preview));
    }
    SECTION("HTML asked of a plain body wraps it") {
        const Node b = body_of(render(ItemClass::Contacts, plain, 141, opts(2)));
        CHECK(b.child_text(tag::AirSyncBase::Type) == "2");
        CHECK(b.child_text(tag::AirSyncBase::Data) == plain_to_html(text));
    }
    SECTION("plain text asked of an HTML body is converted; HTML is sent as stored") {
        Node html(tag::AirSync::ApplicationData);
        auto& b = html.add(tag::AirSyncBase::Body);
        b.add(tag::AirSyncBase::Type, "2");
        b.add(tag::AirSyncBase::Data, "<p>Hello <b>there</b></p>");
        const Node asplain = body_of(render(ItemClass::Calendar, html, 141, opts(1)));
        CHECK(asplain.child_text(tag::AirSyncBase::Type) == "1");
        CHECK(asplain.child_text(tag::AirSyncBase::Data).find("Hello there") != std::string_view::npos);
        CHECK(asplain.child_text(tag::AirSyncBase::Data).find('<') == std::string_view::npos);
        const Node ashtml = body_of(render(ItemClass::Calendar, html, 141, opts(2)));
        CHECK(ashtml.child_text(tag::AirSyncBase::Data) == "<p>Hello <b>there</b></p>");
        CHECK(render(ItemClass::Calendar, html, 141, opts(2)).child_text(tag::AirSyncBase::NativeBodyType) == "2");
        // 2.5 gets text too.
        CHECK(render(ItemClass::Calendar, html, 25).child_text(tag::Calendar::Body).find("Hello there") !=
              std::string_view::npos);
    }
    SECTION("RTF: as stored only when stored as RTF") {
        Node rtf(tag::AirSync::ApplicationData);
        auto& b = rtf.add(tag::AirSyncBase::Body);
        b.add(tag::AirSyncBase::Type, "3");
        b.add(tag::AirSyncBase::Data, "e1xydGYxIGhpfQ==");
        const Node asrtf = body_of(render(ItemClass::Tasks, rtf, 141, opts(3)));
        CHECK(asrtf.child_text(tag::AirSyncBase::Type) == "3");
        CHECK(asrtf.child_text(tag::AirSyncBase::Data) == "e1xydGYxIGhpfQ==");
        // Asked as RTF of a plain body: plain.
        const Node fallback = body_of(render(ItemClass::Tasks, plain, 141, opts(3)));
        CHECK(fallback.child_text(tag::AirSyncBase::Type) == "1");
        CHECK(fallback.child_text(tag::AirSyncBase::Data) == text);
        // Asked as text of an RTF body: we cannot convert; the client is told its copy is incomplete.
        const Node none = body_of(render(ItemClass::Tasks, rtf, 141, opts(1)));
        CHECK(none.child_text(tag::AirSyncBase::Truncated) == "1");
        CHECK_FALSE(none.has(tag::AirSyncBase::Data));
        // 2.5 carries the RTF in its own element.
        CHECK(render(ItemClass::Tasks, rtf, 25).child_text(tag::Tasks::CompressedRTF) == "e1xydGYxIGhpfQ==");
    }
    SECTION("no preference: plain text, whole") {
        const Node b = body_of(render(ItemClass::Notes, plain, 161));
        CHECK(b.child_text(tag::AirSyncBase::Type) == "1");
        CHECK(b.child_text(tag::AirSyncBase::Data) == text);
    }
    SECTION("2.5 Truncation codes") {
        std::string big(600, 'a');
        Node item(tag::AirSync::ApplicationData);
        auto& b = item.add(tag::AirSyncBase::Body);
        b.add(tag::AirSyncBase::Type, "1");
        b.add(tag::AirSyncBase::Data, big);
        EmailOptions o;
        o.truncation = 1;  // 512
        Node r = render(ItemClass::Contacts, item, 25, o);
        CHECK(r.child_text(tag::Contacts::Body).size() == 512);
        CHECK(r.child_text(tag::Contacts::BodySize) == "600");
        CHECK(r.child_text(tag::Contacts::BodyTruncated) == "1");
        o.truncation = 0;
        r = render(ItemClass::Tasks, item, 25, o);
        CHECK_FALSE(r.has(tag::Tasks::Body));
        CHECK(r.child_text(tag::Tasks::BodyTruncated) == "1");
        o.truncation = 9;  // everything
        r = render(ItemClass::Calendar, item, 25, o);
        CHECK(r.child_text(tag::Calendar::Body) == big);
        CHECK(r.child_text(tag::Calendar::BodyTruncated) == "0");
        o.truncation = 2;  // 1024: fits
        r = render(ItemClass::Contacts, item, 25, o);
        CHECK(r.child_text(tag::Contacts::Body) == big);
        CHECK_FALSE(r.has(tag::Contacts::BodySize));
    }
}

TEST_CASE("pim: ghosting (Supported) and merging a Change", "[pim]") {
    const std::string stored_xml = std::string(kOpen) +
                                   "<C:FirstName>Jo</C:FirstName><C:LastName>Doe</C:LastName>"
                                   "<C:MobilePhoneNumber>+1555</C:MobilePhoneNumber>"
                                   "<B:Body><B:Type>1</B:Type><B:Data>notes</B:Data></B:Body>"
                                   "<C:Categories><C:Category>A</C:Category><C:Category>B</C:Category></C:Categories>"
                                   "</ApplicationData>";
    const Node stored = canonical(ItemClass::Contacts, xml(stored_xml), 141);
    const Node change = canonical(ItemClass::Contacts,
                                  xml(std::string(kOpen) + "<C:FirstName>Joanna</C:FirstName>"
                                                           "<C:Categories><C:Category>C</C:Category></C:Categories>"
                                                           "</ApplicationData>"),
                                  141);
    auto names = [](const Node& n) {
        std::vector<std::string> out;
        for (const auto& c : n.children) out.emplace_back(wbxml::tag_name(c.tag));
        return out;
    };

    SECTION("parse_supported") {
        CHECK_FALSE(parse_supported(nullptr));
        Node empty(tag::AirSync::Supported);
        auto e = parse_supported(&empty);
        REQUIRE(e);
        CHECK(e->empty());
        Node s = xml("<Supported xmlns='AirSync' xmlns:C='Contacts'><C:FirstName/><C:Body/></Supported>");
        auto p = parse_supported(&s);
        REQUIRE(p);
        CHECK(*p == std::set<wbxml::Tag>{tag::Contacts::FirstName, tag::Contacts::Body});
    }
    SECTION("no Supported: omitted properties are removed (the body only when the client has it all)") {
        MergeOptions full;
        full.body_truncated_on_client = false;
        Node m = merge_change(ItemClass::Contacts, stored, change, std::nullopt, full);
        CHECK(names(m) == std::vector<std::string>{"FirstName", "Categories"});
        // Default: the client may hold a truncated body, so a Change without one keeps it.
        Node d = merge_change(ItemClass::Contacts, stored, change, std::nullopt);
        CHECK(names(d) == std::vector<std::string>{"FirstName", "Body", "Categories"});
    }
    SECTION("Supported with children: those are managed by the client, the rest is ghosted") {
        std::set<wbxml::Tag> sup{tag::Contacts::FirstName, tag::Contacts::LastName, tag::Contacts::Categories,
                                 tag::Contacts::Body /* 2.5 spelling of the body */};
        MergeOptions full;
        full.body_truncated_on_client = false;
        Node m = merge_change(ItemClass::Contacts, stored, change, sup, full);
        CHECK(names(m) == std::vector<std::string>{"FirstName", "MobilePhoneNumber", "Categories"});
        CHECK(m.child_text(tag::Contacts::FirstName) == "Joanna");
        // Containers are replaced whole.
        const Node* cats = m.child(tag::Contacts::Categories);
        REQUIRE(cats);
        REQUIRE(cats->children.size() == 1);
        CHECK(cats->children[0].text() == "C");
        // The body is not in the list: ghosted.
        std::set<wbxml::Tag> no_body{tag::Contacts::FirstName};
        Node g = merge_change(ItemClass::Contacts, stored, change, no_body, full);
        CHECK(names(g) == std::vector<std::string>{"FirstName", "LastName", "MobilePhoneNumber", "Body", "Categories"});
    }
    SECTION("empty Supported: everything is ghosted") {
        Node m = merge_change(ItemClass::Contacts, stored, change, std::set<wbxml::Tag>{});
        CHECK(names(m) == std::vector<std::string>{"FirstName", "LastName", "MobilePhoneNumber", "Body", "Categories"});
        CHECK(m.child_text(tag::Contacts::LastName) == "Doe");
    }
    SECTION("a Change adds new properties and replaces bodies it carries") {
        Node ch = canonical(ItemClass::Contacts,
                            xml(std::string(kOpen) + "<C:JobTitle>CEO</C:JobTitle><C:Body>new notes</C:Body>"
                                                     "</ApplicationData>"),
                            25);
        Node m = merge_change(ItemClass::Contacts, stored, ch, std::set<wbxml::Tag>{});
        CHECK(m.child(tag::AirSyncBase::Body)->child_text(tag::AirSyncBase::Data) == "new notes");
        CHECK(m.child_text(tag::Contacts::JobTitle) == "CEO");
        CHECK(m.child_text(tag::Contacts::FirstName) == "Jo");
    }
    SECTION("calendar: 16.x ghosts every omitted top-level property; Attendees and Exceptions are whole units") {
        Node cal = canonical(ItemClass::Calendar, xml(calendar_xml(161, true)), 161);
        Node ch = canonical(ItemClass::Calendar,
                            xml(std::string(kOpen) + "<A:Subject>Renamed</A:Subject><A:Attendees><A:Attendee>"
                                                     "<A:Email>dan@example.com</A:Email><A:Name>Dan</A:Name>"
                                                     "<A:AttendeeType>2</A:AttendeeType></A:Attendee></A:Attendees>"
                                                     "</ApplicationData>"),
                            161);
        MergeOptions v16;
        v16.version = 161;
        v16.body_truncated_on_client = false;
        Node m = merge_change(ItemClass::Calendar, cal, ch, std::nullopt, v16);
        CHECK(m.child_text(tag::Calendar::Subject) == "Renamed");
        CHECK(m.child_text(tag::Calendar::UID) == "series-uid-1");
        CHECK(m.has(tag::Calendar::Exceptions));
        CHECK(m.has(tag::AirSyncBase::Body));
        REQUIRE(m.child(tag::Calendar::Attendees));
        CHECK(m.child(tag::Calendar::Attendees)->children.size() == 1);
        CHECK(m.children.size() == cal.children.size());

        // The same Change from 14.1 without Supported: the rest is gone.
        MergeOptions v14;
        v14.version = 141;
        v14.body_truncated_on_client = false;
        Node m14 = merge_change(ItemClass::Calendar, cal, ch, std::nullopt, v14);
        CHECK(names(m14) == std::vector<std::string>{"Subject", "Attendees"});
        // 14.1 client listing calendar:Location in Supported manages airsyncbase:Location.
        std::set<wbxml::Tag> sup{tag::Calendar::Subject, tag::Calendar::Attendees, tag::Calendar::Location};
        Node s14 = merge_change(ItemClass::Calendar, cal, ch, sup, v14);
        CHECK_FALSE(s14.has(tag::AirSyncBase::Location));
        CHECK(s14.has(tag::Calendar::Recurrence));
    }
}

TEST_CASE("pim: extract_fields", "[pim]") {
    SECTION("calendar, single and recurring") {
        Node single = xml(std::string(kOpen) + "<A:Subject>Dentist</A:Subject><A:StartTime>20261125T075000Z"
                                               "</A:StartTime><A:EndTime>20261125T085000Z</A:EndTime></ApplicationData>");
        auto f = extract_fields(ItemClass::Calendar, single);
        CHECK(f.subject == "Dentist");
        CHECK(f.start_time == 1795593000);
        CHECK(f.end_time == 1795596600);
        CHECK_FALSE(f.recurring);

        auto r = extract_fields(ItemClass::Calendar, canonical(ItemClass::Calendar, xml(calendar_xml(141, true)), 141));
        CHECK(r.recurring);
        CHECK(r.subject == "Weekly sync");
        CHECK(r.start_time == 1795593000);
        CHECK(r.end_time == parse_eas_datetime("20271231T235959Z"));

        Node endless = xml(std::string(kOpen) + "<A:StartTime>20261125T075000Z</A:StartTime><A:EndTime>20261125T085000Z"
                                                "</A:EndTime><A:Recurrence><A:Type>0</A:Type></A:Recurrence>"
                                                "</ApplicationData>");
        auto e = extract_fields(ItemClass::Calendar, endless);
        CHECK(e.recurring);
        CHECK_FALSE(e.end_time);
    }
    SECTION("tasks") {
        auto f = extract_fields(ItemClass::Tasks, canonical(ItemClass::Tasks, xml(task_xml(141)), 141));
        CHECK(f.subject == "File taxes");
        CHECK(f.complete);
        CHECK(f.start_time == parse_eas_datetime("2026-03-01T08:00:00.000Z"));
        CHECK(f.due == parse_eas_datetime("2026-04-15T08:00:00.000Z"));
        CHECK(f.recurring);
        Node local = xml(std::string(kOpen) + "<T:Subject>x</T:Subject><T:DueDate>2026-04-15T09:00:00.000Z</T:DueDate>"
                                              "<T:Complete>0</T:Complete></ApplicationData>");
        auto l = extract_fields(ItemClass::Tasks, local);
        CHECK_FALSE(l.complete);
        CHECK(l.due == parse_eas_datetime("2026-04-15T09:00:00.000Z"));
        CHECK_FALSE(l.start_time);
    }
    SECTION("contacts and notes") {
        CHECK(extract_fields(ItemClass::Contacts, xml(contact_xml(141))).subject == "FileAs value ä");
        Node names = xml(std::string(kOpen) + "<C:LastName>Doe</C:LastName><C:FirstName>Jane</C:FirstName>"
                                              "</ApplicationData>");
        CHECK(extract_fields(ItemClass::Contacts, names).subject == "Jane Doe");
        CHECK(extract_fields(ItemClass::Notes, xml(note_xml())).subject == "Shopping");
    }
    SECTION("parse_eas_datetime") {
        CHECK(parse_eas_datetime("2026-11-25T07:50:00.000Z") == 1795593000);
        CHECK(parse_eas_datetime("20261125T075000Z") == 1795593000);
        CHECK(parse_eas_datetime("2026-11-25T07:50:00Z") == 1795593000);
        CHECK(parse_eas_datetime("1970-01-01T00:00:00.000Z") == 0);
        CHECK(parse_eas_datetime("2024-02-29T00:00:00.000Z"));
        for (const char* bad : {"", "2026-11-25", "2026-13-25T07:50:00.000Z", "2026-11-31T07:50:00.000Z",
                                "2025-02-29T00:00:00.000Z", "2026-11-25T24:00:00.000Z", "20261125T0750Z",
                                "2026-11-25T07:50:00.000Zjunk", "2026-1125T07:50:00Z", "x0261125T075000Z"})
            CHECK_FALSE(parse_eas_datetime(bad));
    }
}

TEST_CASE("drop_cleared_fields removes empty top-level fields only", "[unit][pim][cleared]") {
    Node event = xml("<ApplicationData xmlns='AirSync' xmlns:A='Calendar' xmlns:B='AirSyncBase'><A:Subject>S</A:Subject>"
                     "<A:Location/><A:Categories/><A:Exceptions><A:Exception><B:InstanceId>20261209T080000Z"
                     "</B:InstanceId><A:Subject/></A:Exception></A:Exceptions></ApplicationData>");
    drop_cleared_fields(event);
    CHECK(wbxml::to_xml(event).find("Location") == std::string::npos);
    CHECK(wbxml::to_xml(event).find("Categories") == std::string::npos);
    // Inside the exception the empty Subject says "no subject for this occurrence": kept.
    const Node* ex = event.child(tag::Calendar::Exceptions)->child(tag::Calendar::Exception);
    REQUIRE(ex);
    CHECK(ex->has(tag::Calendar::Subject));
    CHECK(event.child_text(tag::Calendar::Subject) == "S");
}
