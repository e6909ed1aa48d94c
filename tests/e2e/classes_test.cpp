// Contacts, calendar, tasks and notes end to end, through real nginx with real WBXML (issue 3,
// "Tests"): for each class and version a device adds items with every field of the class, a second
// device of the same user receives them with every field intact, changes them, and the first device
// receives the changes. Then the versions meet (16.1 -> 14.1 and 12.1; 2.5 -> 16.1), a Change that
// omits properties the client declared unsupported keeps them, and elements the server never reads
// come back as they were sent.
//
// Every comparison is of the whole ApplicationData, element by element (compare_items below), so a
// field lost or altered anywhere in the conversion layer, the store or the codec shows up with its
// path.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "e2e_support.h"

using namespace e2e;
namespace tag = easd::wbxml::tag;
using easd::wbxml::Node;
using easd::wbxml::Tag;

namespace {

// ---- comparing two ApplicationData trees -------------------------------------------------------------

// Elements the server computes in its responses and a client never sends as data.
const std::set<Tag> kServerComputed = {
    tag::AirSyncBase::NativeBodyType, tag::AirSyncBase::EstimatedDataSize, tag::AirSyncBase::Truncated,
    tag::Contacts::BodyTruncated,     tag::Contacts::BodySize,             tag::Tasks::BodyTruncated,
    tag::Tasks::BodySize,             tag::Calendar::BodyTruncated};

std::string label(Tag t) {
    return std::string(easd::wbxml::page_name(easd::wbxml::tag_page(t))) + ":" + std::string(easd::wbxml::tag_name(t));
}

std::string shown(const Node& n) {
    if (!n.children.empty()) return "<" + std::to_string(n.children.size()) + " children>";
    std::string s = n.content.size() > 60 ? n.content.substr(0, 60) + "..." : n.content;
    return "'" + s + "'";
}

// Element order among different tags carries no meaning in ApplicationData; the order of repeated
// tags (attendees, categories, exceptions) does. So children are matched tag by tag, in order.
void compare(const Node& want, const Node& got, const std::string& path, const std::set<Tag>& ignored,
             std::vector<std::string>& out) {
    if (want.children.empty() && got.children.empty()) {
        if (want.content != got.content) out.push_back(path + ": sent " + shown(want) + ", received " + shown(got));
        return;
    }
    if (want.children.empty() != got.children.empty()) {
        out.push_back(path + ": sent " + shown(want) + ", received " + shown(got));
        return;
    }
    std::vector<Tag> order;
    std::map<Tag, std::vector<const Node*>> w, g;
    for (const auto& c : want.children) {
        if (ignored.count(c.tag)) continue;
        if (!w.count(c.tag) && !g.count(c.tag)) order.push_back(c.tag);
        w[c.tag].push_back(&c);
    }
    for (const auto& c : got.children) {
        if (ignored.count(c.tag)) continue;
        if (!w.count(c.tag) && !g.count(c.tag)) order.push_back(c.tag);
        g[c.tag].push_back(&c);
    }
    for (Tag t : order) {
        const auto& a = w[t];
        const auto& b = g[t];
        const std::size_t n = std::max(a.size(), b.size());
        for (std::size_t i = 0; i < n; ++i) {
            std::string sub = path + "/" + label(t) + (n > 1 ? "[" + std::to_string(i + 1) + "]" : "");
            if (i >= b.size()) out.push_back(sub + ": missing (sent " + shown(*a[i]) + ")");
            else if (i >= a.size()) out.push_back(sub + ": unexpected (received " + shown(*b[i]) + ")");
            else compare(*a[i], *b[i], sub, ignored, out);
        }
    }
}

// "" when equal, else one line per difference (the failing CHECK prints them). `also_ignored`:
// elements left out of this comparison because another test case is about them.
std::string compare_items(const Node& want, const Node& got, const std::set<Tag>& also_ignored = {}) {
    std::vector<std::string> diffs;
    std::set<Tag> ignored = kServerComputed;
    ignored.insert(also_ignored.begin(), also_ignored.end());
    compare(want, got, "ApplicationData", ignored, diffs);
    std::string out;
    for (const auto& d : diffs) out += d + "\n";
    return out;
}

std::string compare_items(const std::string& want_xml, const Node& got, const std::set<Tag>& also_ignored = {}) {
    return compare_items(xml(want_xml), got, also_ignored);
}

// Every tag of a tree, at any depth.
void collect(const Node& n, std::set<Tag>& out) {
    out.insert(n.tag);
    for (const auto& c : n.children) collect(c, out);
}
std::set<Tag> tags_of(const Node& n) {
    std::set<Tag> s;
    collect(n, s);
    return s;
}

// The tree without the given elements (at any depth).
Node without(Node n, const std::set<Tag>& tags) {
    std::vector<Node> kept;
    for (auto& c : n.children)
        if (!tags.count(c.tag)) kept.push_back(without(std::move(c), tags));
    n.children = std::move(kept);
    return n;
}

// The tree without the given top-level properties.
Node without_top(Node n, const std::set<Tag>& tags) {
    std::vector<Node> kept;
    for (auto& c : n.children)
        if (!tags.count(c.tag)) kept.push_back(std::move(c));
    n.children = std::move(kept);
    return n;
}

// Sets the text of top-level properties.
Node with_values(Node n, const std::map<Tag, std::string>& values) {
    for (auto& c : n.children) {
        auto it = values.find(c.tag);
        if (it == values.end()) continue;
        c.content = it->second;
        c.content_kind = Node::Content::Text;
    }
    return n;
}

// What a receiver should get of what a client sent: request-only elements are not sent back.
std::string as_received(const std::string& sent) {
    return easd::wbxml::to_xml(without(xml(sent), {tag::Calendar::ClientUid}));
}

// ---- the items: every field of each class, in the form a client of some version writes ----------------

// `fields`: the version whose fields the item has (the writer's, or the older of writer and reader);
// `form`: the version whose representation is used (bodies, calendar locations, exception ids).
// `client`: as a client sends it (with request-only elements); `changed`: the second device's edit.
struct Form {
    int fields = 141;
    int form = 141;
    bool client = true;
    bool changed = false;
};
Form same(int v) { return {v, v, true, false}; }
Form edited(int v) { return {v, v, true, true}; }

std::string leaf(const std::string& name, const std::string& value) {
    return "<" + name + ">" + value + "</" + name + ">";
}

const char* const kOpen =
    "<ApplicationData xmlns='AirSync' xmlns:C='Contacts' xmlns:C2='Contacts2' xmlns:A='Calendar' "
    "xmlns:T='Tasks' xmlns:N='Notes' xmlns:B='AirSyncBase' xmlns:M='MeetingResponse'>";
const char* const kClose = "</ApplicationData>";

// A body in the form of `f.form`; `legacy` is the 2.5 element (e.g. "C:Body"), empty for Notes.
std::string body(const Form& f, const std::string& legacy, const std::string& text, int type = 1) {
    if (f.form >= 120 || legacy.empty())
        return "<B:Body><B:Type>" + std::to_string(type) + "</B:Type><B:Data>" + text + "</B:Data></B:Body>";
    return leaf(legacy, text);
}

const char* const kPicture =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const char* const kPicture2 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQAY3Y2wAAAAAElFTkSuQmCC";

std::string contact(const Form& f) {
    static const char* const kText[] = {
        "AssistantName", "AssistantPhoneNumber", "Business2PhoneNumber", "BusinessAddressCity",
        "BusinessAddressCountry", "BusinessAddressPostalCode", "BusinessAddressState", "BusinessAddressStreet",
        "BusinessFaxNumber", "BusinessPhoneNumber", "CarPhoneNumber", "Department", "Email2Address",
        "Email3Address", "FileAs", "FirstName", "Home2PhoneNumber", "HomeAddressCity", "HomeAddressCountry",
        "HomeAddressPostalCode", "HomeAddressState", "HomeAddressStreet", "HomeFaxNumber", "HomePhoneNumber",
        "JobTitle", "LastName", "MiddleName", "MobilePhoneNumber", "OfficeLocation", "OtherAddressCity",
        "OtherAddressCountry", "OtherAddressPostalCode", "OtherAddressState", "OtherAddressStreet", "PagerNumber",
        "RadioPhoneNumber", "Spouse", "Suffix", "Title", "WebPage", "YomiCompanyName", "YomiFirstName",
        "YomiLastName"};
    static const char* const kText2[] = {"CustomerId", "GovernmentId", "IMAddress", "IMAddress2", "IMAddress3",
                                         "ManagerName", "CompanyMainPhone", "AccountName", "NickName", "MMS"};
    const std::string suffix = f.changed ? " (edited)" : "";
    std::string x = kOpen;
    x += leaf("C:Anniversary", f.changed ? "2002-05-06T00:00:00.000Z" : "2001-05-06T00:00:00.000Z");
    x += leaf("C:Birthday", "1970-01-02T00:00:00.000Z");
    x += body(f, "C:Body", "Met at the Grüße conference &amp; again in Paris" + suffix);
    for (const char* n : kText) x += leaf(std::string("C:") + n, std::string(n) + " value ä" + suffix);
    x += leaf("C:CompanyName", "Smith &amp; Sons" + suffix);
    x += leaf("C:Email1Address", "\"Ada Lovelace\" &lt;ada@example.com&gt;");
    x += f.changed ? "<C:Categories><C:Category>Family</C:Category></C:Categories>"
                   : "<C:Categories><C:Category>Friends</C:Category><C:Category>Work</C:Category></C:Categories>";
    x += "<C:Children><C:Child>Anna</C:Child><C:Child>Ben</C:Child>" +
         std::string(f.changed ? "<C:Child>Cleo</C:Child>" : "") + "</C:Children>";
    x += leaf("C:Picture", f.changed ? kPicture2 : kPicture);
    if (f.fields >= 140) {
        x += leaf("C:Alias", "jdoe");
        x += leaf("C:WeightedRank", "7");
    }
    for (const char* n : kText2) x += leaf(std::string("C2:") + n, std::string(n) + " value" + suffix);
    return x + kClose;
}

// W. Europe Standard Time (UTC+1, DST from the last Sunday of March to the last Sunday of October).
const char* const kTimeZone =
    "xP///1cALgAgAEUAdQByAG8AcABlACAAUwB0AGEAbgBkAGEAcgBkACAAVABpAG0AZQAAAAAAAAAAAAAAAAAAAAAAAAAAAAoAAAAFAAMAAAAAAAAAAAAAAFcA"
    "LgAgAEUAdQByAG8AcABlACAARABhAHkAbABpAGcAaAB0ACAAVABpAG0AZQAAAAAAAAAAAAAAAAAAAAAAAAAAAAMAAAAFAAIAAAAAAAAAxP///w==";

std::string location(const Form& f, const std::string& name, bool full) {
    if (f.form < 160) return leaf("A:Location", name);
    std::string x = "<B:Location>" + leaf("B:DisplayName", name);
    if (full && f.fields >= 160)
        x += "<B:Annotation>2nd floor</B:Annotation><B:Street>1 Main St</B:Street><B:City>Springfield</B:City>"
             "<B:State>IL</B:State><B:Country>US</B:Country><B:PostalCode>62701</B:PostalCode>"
             "<B:Latitude>39.78</B:Latitude><B:Longitude>-89.65</B:Longitude><B:Accuracy>5</B:Accuracy>"
             "<B:Altitude>180</B:Altitude><B:AltitudeAccuracy>3</B:AltitudeAccuracy>"
             "<B:LocationUri>geo:39.78,-89.65</B:LocationUri>";
    return x + "</B:Location>";
}

struct Attendee {
    const char* email;
    const char* name;
    int status;  // 0 unknown, 2 tentative, 3 accept, 4 decline, 5 not responded
    int type;    // 1 required, 2 optional, 3 resource
};

std::string attendees(const Form& f, const std::vector<Attendee>& list) {
    std::string x = "<A:Attendees>";
    for (const auto& a : list) {
        x += "<A:Attendee>" + leaf("A:Email", a.email) + leaf("A:Name", a.name);
        if (f.fields >= 120)
            x += leaf("A:AttendeeStatus", std::to_string(a.status)) + leaf("A:AttendeeType", std::to_string(a.type));
        x += "</A:Attendee>";
    }
    return x + "</A:Attendees>";
}

std::string exception_id(const Form& f, const std::string& start) {
    std::string x = f.form >= 160 ? leaf("B:InstanceId", start) : leaf("A:ExceptionStartTime", start);
    if (f.form < 120) x += leaf("A:UID", "series-uid-1");  // 2.5: the series' UID in each exception
    return x;
}

std::string recurrence(const Form& f, int kind) {
    std::string x = "<A:Recurrence>";
    switch (kind) {
        case 0:  // weekly on Monday and Wednesday, until a date
            x += leaf("A:Type", "1") + leaf("A:Interval", f.changed ? "2" : "1") + leaf("A:DayOfWeek", "10") +
                 leaf("A:Until", "20271231T235959Z");
            break;
        case 1:  // yearly on 24 December, 10 times
            x += leaf("A:Type", "5") + leaf("A:Occurrences", f.changed ? "20" : "10") + leaf("A:Interval", "1") +
                 leaf("A:DayOfMonth", "24") + leaf("A:MonthOfYear", "12");
            break;
        case 2:  // every other month on the last Friday, 12 times
            x += leaf("A:Type", "3") + leaf("A:Occurrences", "12") + leaf("A:Interval", "2") +
                 leaf("A:WeekOfMonth", "5") + leaf("A:DayOfWeek", f.changed ? "16" : "32");
            break;
        case 3:  // every third day until a date
            x += leaf("A:Type", "0") + leaf("A:Interval", "3") + leaf("A:Until", f.changed ? "20270301T000000Z" : "20270201T000000Z");
            break;
        case 4:  // monthly on the 15th, 6 times
            x += leaf("A:Type", "2") + leaf("A:Occurrences", "6") + leaf("A:Interval", "1") +
                 leaf("A:DayOfMonth", f.changed ? "16" : "15");
            break;
        default:  // yearly on the second Monday of March, until a date
            x += leaf("A:Type", "6") + leaf("A:Interval", "1") + leaf("A:WeekOfMonth", "2") + leaf("A:DayOfWeek", "2") +
                 leaf("A:MonthOfYear", "3") + leaf("A:Until", "20351231T000000Z");
            break;
    }
    if (f.fields >= 140) x += leaf("A:CalendarType", "0") + leaf("A:IsLeapMonth", "0");
    if (f.fields >= 141) x += leaf("A:FirstDayOfWeek", "1");
    return x + "</A:Recurrence>";
}

std::string modified_exception(const Form& f, const std::string& start, const std::string& subject) {
    std::string x = "<A:Exception>" + exception_id(f, start);
    x += leaf("A:Subject", subject);
    x += leaf("A:StartTime", "20261202T090000Z") + leaf("A:EndTime", "20261202T100000Z");
    x += body(f, "A:Body", "Exception notes");
    x += location(f, "Room 2", false);
    x += "<A:Categories><A:Category>Moved</A:Category></A:Categories>";
    x += leaf("A:Sensitivity", "0") + leaf("A:BusyStatus", "1") + leaf("A:AllDayEvent", "0");
    x += leaf("A:Reminder", "10") + leaf("A:DtStamp", "20261101T120000Z");
    if (f.fields >= 140) {
        x += leaf("A:MeetingStatus", "1");
        x += attendees(f, {{"bob@example.com", "Bob", 3, 1}});
    }
    return x + "</A:Exception>";
}

std::string deleted_exception(const Form& f, const std::string& start) {
    return "<A:Exception>" + leaf("A:Deleted", "1") + exception_id(f, start) + "</A:Exception>";
}

// Six calendar items: a meeting (weekly, exceptions incl. a deleted occurrence), an all-day event
// (yearly, a number of occurrences) and one of each remaining recurrence type.
const int kCalendarKinds = 6;

std::string calendar(const Form& f, int kind) {
    const bool meeting = kind == 0 || kind == 2;
    const bool all_day = kind == 1;
    std::string x = kOpen;
    x += leaf("A:TimeZone", kTimeZone);
    x += leaf("A:AllDayEvent", all_day ? "1" : "0");
    x += body(f, "A:Body", std::string("Agenda: everything &lt;important&gt;") + (f.changed ? ", and more" : ""));
    x += leaf("A:BusyStatus", all_day ? "0" : "2");
    if (meeting) x += leaf("A:OrganizerName", "Jane Doe") + leaf("A:OrganizerEmail", "jane@example.com");
    x += leaf("A:DtStamp", f.changed ? "20261102T120000Z" : "20261101T120000Z");
    if (all_day) {
        x += leaf("A:StartTime", "20261223T230000Z") + leaf("A:EndTime", "20261224T230000Z");
    } else {
        x += leaf("A:StartTime", f.changed ? "20261125T080000Z" : "20261125T075000Z");
        x += leaf("A:EndTime", "20261125T085000Z");
    }
    x += location(f, f.changed && kind == 0 ? "Room 7" : "Room 1", true);  // the others keep their place
    x += leaf("A:Reminder", all_day ? "1080" : f.changed ? "5" : "15");
    x += leaf("A:Sensitivity", kind == 3 ? "2" : "0");
    x += leaf("A:Subject", "Item " + std::to_string(kind) + (f.changed ? " (edited)" : ""));
    // 16.x clients MUST NOT send a UID (MS-ASCAL 2.2.2.46): the server makes one.
    if (!(f.client && f.form >= 160)) x += leaf("A:UID", kind == 0 ? "series-uid-1" : "uid-" + std::to_string(kind));
    x += leaf("A:MeetingStatus", meeting ? "1" : "0");
    if (meeting) {
        std::vector<Attendee> list = {{"bob@example.com", "Bob", f.changed ? 3 : 0, 1},
                                      {"carol@example.com", "Carol", f.changed ? 4 : 2, 2},
                                      {"room7@example.com", "Room 7", 3, 3}};
        if (f.changed) list.push_back({"dan@example.com", "Dan", 5, 1});
        x += attendees(f, list);
    }
    x += f.changed ? "<A:Categories><A:Category>Team</A:Category></A:Categories>"
                   : "<A:Categories><A:Category>Team</A:Category><A:Category>Blue</A:Category></A:Categories>";
    x += recurrence(f, kind);
    if (kind == 0) {
        x += "<A:Exceptions>" + deleted_exception(f, "20261209T080000Z") +
             modified_exception(f, "20261202T080000Z", "Moved weekly");
        if (f.changed) x += deleted_exception(f, "20261216T080000Z");
        x += "</A:Exceptions>";
    }
    if (f.fields >= 140 && meeting) {
        x += leaf("A:ResponseRequested", "1");
        x += leaf("A:DisallowNewTimeProposal", f.changed ? "1" : "0");
        x += leaf("A:ResponseType", "1");
    }
    if (f.fields >= 160 && f.client) x += leaf("A:ClientUid", "client-uid-" + std::to_string(kind));
    return x + kClose;
}

// Two tasks: a recurring one with a reminder (weekly, a number of occurrences), and a completed one
// (yearly until a date).
const int kTaskKinds = 2;

std::string task(const Form& f, int kind) {
    std::string x = kOpen;
    x += leaf("T:Subject", (kind == 0 ? std::string("Water plants") : std::string("File taxes")) + (f.changed ? " (edited)" : ""));
    x += body(f, "T:Body", kind == 0 ? "The fern too" : "Forms in the drawer");
    x += leaf("T:Importance", f.changed ? "0" : kind == 0 ? "1" : "2");
    x += leaf("T:UtcStartDate", "2026-03-01T08:00:00.000Z") + leaf("T:StartDate", "2026-03-01T09:00:00.000Z");
    x += leaf("T:UtcDueDate", "2026-04-15T08:00:00.000Z") + leaf("T:DueDate", "2026-04-15T09:00:00.000Z");
    x += f.changed ? "<T:Categories><T:Category>Home</T:Category><T:Category>Urgent</T:Category></T:Categories>"
                   : "<T:Categories><T:Category>Home</T:Category></T:Categories>";
    x += "<T:Recurrence>";
    if (kind == 0) {
        x += leaf("T:Type", "1") + leaf("T:Start", "2026-03-01T08:00:00.000Z") +
             leaf("T:Occurrences", f.changed ? "8" : "10") + leaf("T:Interval", "1") + leaf("T:DayOfWeek", "64") +
             leaf("T:Regenerate", "0") + leaf("T:DeadOccur", "0");
    } else {
        x += leaf("T:Type", "5") + leaf("T:Start", "2026-03-01T08:00:00.000Z") +
             leaf("T:Until", "2030-04-15T08:00:00.000Z") + leaf("T:Interval", "1") + leaf("T:DayOfMonth", "15") +
             leaf("T:MonthOfYear", "4") + leaf("T:Regenerate", "1") + leaf("T:DeadOccur", "1");
    }
    if (f.fields >= 140) x += leaf("T:CalendarType", "0") + leaf("T:IsLeapMonth", "0");
    if (f.fields >= 141) x += leaf("T:FirstDayOfWeek", "1");
    x += "</T:Recurrence>";
    const bool complete = (kind == 1) != f.changed;
    x += leaf("T:Complete", complete ? "1" : "0");
    if (complete) x += leaf("T:DateCompleted", "2026-04-10T10:00:00.000Z");
    x += leaf("T:Sensitivity", "0");
    x += leaf("T:ReminderSet", complete ? "0" : "1");
    x += leaf("T:ReminderTime", f.changed ? "2026-04-14T07:00:00.000Z" : "2026-04-14T08:00:00.000Z");
    if (f.fields >= 120)
        x += leaf("T:OrdinalDate", "2026-03-01T08:00:00.000Z") + leaf("T:SubOrdinalDate", kind == 0 ? "5" : "6");
    return x + kClose;
}

std::string note(const Form& f) {
    std::string x = kOpen;
    x += leaf("N:Subject", f.changed ? "Shopping (edited)" : "Shopping");
    x += body(f, "", f.changed ? "&lt;p&gt;milk, eggs, &lt;b&gt;bread&lt;/b&gt;&lt;/p&gt;" : "&lt;p&gt;milk, eggs&lt;/p&gt;", 2);
    x += leaf("N:MessageClass", "IPM.StickyNote");
    x += leaf("N:LastModifiedDate", f.changed ? "2026-01-03T03:04:05.000Z" : "2026-01-02T03:04:05.000Z");
    x += f.changed ? "<N:Categories><N:Category>Errands</N:Category><N:Category>Today</N:Category></N:Categories>"
                   : "<N:Categories><N:Category>Errands</N:Category></N:Categories>";
    return x + kClose;
}

// The items of a class in the given form.
std::vector<std::string> items_of(const std::string& cls, const Form& f) {
    std::vector<std::string> out;
    if (cls == "Contacts") out.push_back(contact(f));
    else if (cls == "Calendar") for (int k = 0; k < kCalendarKinds; ++k) out.push_back(calendar(f, k));
    else if (cls == "Tasks") for (int k = 0; k < kTaskKinds; ++k) out.push_back(task(f, k));
    else if (cls == "Notes") out.push_back(note(f));
    return out;
}

// ---- a device syncing one collection -------------------------------------------------------------------

std::string version_text(int v) {
    switch (v) {
        case 25: return "2.5";
        case 120: return "12.0";
        case 121: return "12.1";
        case 140: return "14.0";
        case 141: return "14.1";
        case 160: return "16.0";
        default: return "16.1";
    }
}

struct Received {
    std::map<std::string, Node> adds, changes;       // ServerId -> ApplicationData
    std::vector<std::string> deletes;
    std::map<std::string, std::string> added;        // ClientId -> ServerId (our Adds' responses)
    std::vector<std::string> failures;               // responses with a status other than 1
    std::map<std::string, Node> fetched;             // ServerId -> ApplicationData
};

struct Device {
    EasClient client;
    int version;
    std::string cls, collection, key = "0";
    EasResponse keep;

    Device(const std::string& user, const std::string& id, int v, const std::string& item_class,
           const std::string& supported = "")
        : client(e2e::client(user, id, version_text(v))), version(v), cls(item_class) {
        auto h = folder_sync(client);
        collection = h.ids[cls];
        REQUIRE_FALSE(collection.empty());
        sync("", supported.empty() ? "" : "<Supported>" + supported + "</Supported>");
        REQUIRE(key != "0");
    }

    // The body the receiving device asks for: the type the items were written with, whole.
    std::string options() const {
        if (version < 120) return "<Options><Truncation>9</Truncation></Options>";
        return std::string("<Options><B:BodyPreference><B:Type>") + (cls == "Notes" ? "2" : "1") +
               "</B:Type></B:BodyPreference></Options>";
    }

    Received sync(const std::string& commands = "", const std::string& supported = "") {
        std::string x = "<Sync xmlns='AirSync' xmlns:B='AirSyncBase' xmlns:C='Contacts' xmlns:A='Calendar' "
                        "xmlns:T='Tasks' xmlns:N='Notes'><Collections><Collection>";
        if (version < 120) x += "<Class>" + cls + "</Class>";
        x += "<SyncKey>" + key + "</SyncKey><CollectionId>" + collection + "</CollectionId>" + supported;
        if (key != "0") x += "<WindowSize>100</WindowSize>" + options();
        if (!commands.empty()) x += "<Commands>" + commands + "</Commands>";
        x += "</Collection></Collections></Sync>";
        auto request = xml(x);
        keep = client.command("Sync", &request);
        auto col = collection_of(keep);
        INFO(easd::wbxml::to_xml(*keep.doc));
        REQUIRE(col.status == "1");
        REQUIRE_FALSE(col.more_available);
        key = col.key;
        Received r;
        for (const auto* a : col.adds)
            r.adds.emplace(text_of(*a, tag::AirSync::ServerId), *a->child(tag::AirSync::ApplicationData));
        for (const auto* c : col.changes)
            r.changes.emplace(text_of(*c, tag::AirSync::ServerId), *c->child(tag::AirSync::ApplicationData));
        for (const auto* d : col.deletes) r.deletes.push_back(text_of(*d, tag::AirSync::ServerId));
        const auto* c = keep.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection);
        if (const auto* resp = c->child(tag::AirSync::Responses)) {
            for (const auto& e : resp->children) {
                std::string status = text_of(e, tag::AirSync::Status);
                if (status != "1") {
                    r.failures.push_back(std::string(easd::wbxml::tag_name(e.tag)) + " " +
                                         text_of(e, tag::AirSync::ClientId) + text_of(e, tag::AirSync::ServerId) +
                                         ": status " + status);
                    continue;
                }
                if (e.tag == tag::AirSync::Add) r.added[text_of(e, tag::AirSync::ClientId)] = text_of(e, tag::AirSync::ServerId);
                if (e.tag == tag::AirSync::Fetch)
                    r.fetched.emplace(text_of(e, tag::AirSync::ServerId), *e.child(tag::AirSync::ApplicationData));
            }
        }
        return r;
    }

    // Adds the items; returns their ServerIds in order.
    std::vector<std::string> add(const std::vector<std::string>& items) {
        std::string commands;
        for (std::size_t i = 0; i < items.size(); ++i)
            commands += "<Add><ClientId>c" + std::to_string(i) + "</ClientId>" + items[i] + "</Add>";
        auto r = sync(commands);
        CHECK(r.failures == std::vector<std::string>{});
        CHECK(r.adds.empty());  // not echoed
        std::vector<std::string> ids;
        for (std::size_t i = 0; i < items.size(); ++i) {
            auto it = r.added.find("c" + std::to_string(i));
            REQUIRE(it != r.added.end());
            ids.push_back(it->second);
        }
        return ids;
    }

    void change(const std::vector<std::string>& ids, const std::vector<std::string>& items) {
        REQUIRE(ids.size() == items.size());
        std::string commands;
        for (std::size_t i = 0; i < items.size(); ++i)
            commands += "<Change><ServerId>" + ids[i] + "</ServerId>" + items[i] + "</Change>";
        auto r = sync(commands);
        CHECK(r.failures == std::vector<std::string>{});
        CHECK(r.changes.empty());  // not echoed
    }
};

// Device `a` adds `sent`; `b` receives `expected_on_b`; `b` sends `changed`; `a` receives
// `expected_on_a`. Every comparison is of the whole item. Returns the items' ServerIds.
std::vector<std::string> round_trip(Device& a, Device& b, const std::vector<std::string>& sent,
                                    const std::vector<std::string>& expected_on_b, const std::vector<std::string>& changed,
                                    const std::vector<std::string>& expected_on_a, const std::set<Tag>& ignored_here = {}) {
    // A 16.x client sends no UID, organizer or DtStamp for a new event: the server makes them (checked
    // on their own in "[calendar16]"), so they are not part of what must come back unchanged.
    std::set<Tag> also_ignored = ignored_here;
    if (a.version >= 160 || b.version >= 160)
        also_ignored.insert({tag::Calendar::OrganizerEmail, tag::Calendar::OrganizerName, tag::Calendar::DtStamp,
                             tag::Calendar::UID});
    auto ids = a.add(sent);
    auto got = b.sync();
    REQUIRE(got.adds.size() == sent.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        INFO("item " << i << " added on " << version_text(a.version) << ", received on " << version_text(b.version));
        REQUIRE(got.adds.count(ids[i]));
        CHECK(compare_items(expected_on_b[i], got.adds.at(ids[i]), also_ignored) == "");
    }
    if (changed.empty()) return ids;
    b.change(ids, changed);
    auto back = a.sync();
    CHECK(back.adds.empty());
    REQUIRE(back.changes.size() == changed.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        INFO("item " << i << " changed on " << version_text(b.version) << ", received on " << version_text(a.version));
        REQUIRE(back.changes.count(ids[i]));
        CHECK(compare_items(expected_on_a[i], back.changes.at(ids[i]), also_ignored) == "");
    }
    // Nothing more for either: the edits are not echoed, and nothing is left over.
    auto quiet_a = a.sync();
    auto quiet_b = b.sync();
    CHECK(quiet_a.adds.size() + quiet_a.changes.size() + quiet_b.adds.size() + quiet_b.changes.size() == 0);
    return ids;
}

std::vector<std::string> received(const std::vector<std::string>& sent) {
    std::vector<std::string> out;
    for (const auto& s : sent) out.push_back(as_received(s));
    return out;
}

// 16.x clients send no calendar UID; the server is to make one (MS-ASCAL 2.2.2.46). Whether it
// does is the subject of its own test case ("16.x calendar semantics"); the round trips that
// involve a 16.x writer leave the UID out of their comparisons.
// What the server makes for a new event from a 16.x client (which must not send them).
const std::set<Tag> kUidMadeByServer = {tag::Calendar::UID, tag::Calendar::OrganizerEmail, tag::Calendar::OrganizerName,
                                        tag::Calendar::DtStamp};

// The same-version round trip of one class: both devices speak `v`.
void same_version_round_trip(const std::string& cls, int v) {
    std::string user = new_user("cls-" + cls + std::to_string(v) + "-");
    Device a(user, "A" + std::to_string(v), v, cls);
    Device b(user, "B" + std::to_string(v), v, cls);
    auto sent = items_of(cls, same(v));
    auto changed = items_of(cls, edited(v));
    REQUIRE_FALSE(sent.empty());
    round_trip(a, b, sent, received(sent), changed, received(changed), v >= 160 ? kUidMadeByServer : std::set<Tag>{});
}

}  // namespace

// ---- the round trip of every class at 14.1 and 16.1 -----------------------------------------------------

TEST_CASE("classes: every contact field (Contacts, Contacts2, Picture) survives a round trip", "[e2e][classes][contacts]") {
    for (int v : {141, 161}) {
        INFO("version " << v);
        same_version_round_trip("Contacts", v);
    }
}

TEST_CASE("classes: every calendar field (all-day, time zone, attendees, recurrences, exceptions) survives a round trip",
          "[e2e][classes][calendar]") {
    for (int v : {141, 161}) {
        INFO("version " << v);
        same_version_round_trip("Calendar", v);
    }
}

TEST_CASE("classes: every task field (recurrence, reminder, completion, importance) survives a round trip",
          "[e2e][classes][tasks]") {
    for (int v : {141, 161}) {
        INFO("version " << v);
        same_version_round_trip("Tasks", v);
    }
}

TEST_CASE("classes: every note field survives a round trip", "[e2e][classes][notes]") {
    for (int v : {141, 161}) {
        INFO("version " << v);
        same_version_round_trip("Notes", v);
    }
}

TEST_CASE("classes: each class also round trips within 2.5, 12.0, 12.1, 14.0 and 16.0", "[e2e][classes][versions]") {
    for (int v : {25, 120, 121, 140, 160})
        for (std::string cls : {"Contacts", "Calendar", "Tasks", "Notes"}) {
            if (cls == "Notes" && v < 140) continue;  // the class exists from 14.0 on
            INFO(cls << " " << version_text(v));
            same_version_round_trip(cls, v);
        }
}

// ---- versions meeting ---------------------------------------------------------------------------------

TEST_CASE("classes: added by 16.1, received by 14.1 and 12.1 with the fields of their version",
          "[e2e][classes][versions]") {
    for (std::string cls : {"Contacts", "Calendar", "Tasks"}) {
        INFO(cls);
        std::string user = new_user("cls-new-old-");
        Device a(user, "NEW161", 161, cls);
        Device b(user, "OLD141", 141, cls);
        Device c(user, "OLD121", 121, cls);
        auto sent = items_of(cls, same(161));
        auto ids = a.add(sent);
        for (Device* d : {&b, &c}) {
            auto got = d->sync();
            REQUIRE(got.adds.size() == sent.size());
            auto expected = items_of(cls, Form{d->version, d->version, false, false});
            for (std::size_t i = 0; i < ids.size(); ++i) {
                INFO("item " << i << " received on " << version_text(d->version));
                const Node& data = got.adds.at(ids[i]);
                CHECK(compare_items(expected[i], data, kUidMadeByServer) == "");
                // Spelled out, for the reader: the 16.x forms never reach an older client.
                auto tags = tags_of(data);
                for (Tag t : {tag::AirSyncBase::Location, tag::AirSyncBase::InstanceId, tag::Calendar::ClientUid})
                    CHECK_FALSE(tags.count(t));
                if (cls == "Calendar") CHECK(data.child_text(tag::Calendar::Location) == "Room 1");
                if (d->version < 140) {
                    for (Tag t : {tag::Contacts::Alias, tag::Calendar::CalendarType, tag::Calendar::ResponseRequested,
                                  tag::Tasks::CalendarType, tag::Tasks::FirstDayOfWeek})
                        CHECK_FALSE(tags.count(t));
                }
            }
        }
    }
}

TEST_CASE("classes: added by 2.5 with a 2.5 body, received by 16.1 with airsyncbase:Body", "[e2e][classes][versions]") {
    for (std::string cls : {"Contacts", "Calendar", "Tasks"}) {
        INFO(cls);
        std::string user = new_user("cls-old-new-");
        Device a(user, "OLD25", 25, cls);
        Device b(user, "NEW161", 161, cls);
        auto sent = items_of(cls, same(25));
        for (const auto& s : sent) {
            auto tags = tags_of(xml(s));
            CHECK_FALSE(tags.count(tag::AirSyncBase::Body));  // the test sends what a 2.5 client sends
        }
        // Expected: the 2.5 fields, in the 16.1 form (airsyncbase:Body, airsyncbase:Location,
        // InstanceId). The change made on 16.1 goes back to 2.5 in the 2.5 form.
        auto expected_on_b = items_of(cls, Form{25, 161, false, false});
        auto changed = items_of(cls, Form{25, 161, true, true});
        auto expected_on_a = items_of(cls, Form{25, 25, false, true});
        round_trip(a, b, sent, expected_on_b, changed, expected_on_a, kUidMadeByServer);
    }
}

// A Change from an older client replaces the item with what that client holds, and it holds only
// what its version defines: the rest (Alias, the 14.x recurrence fields, exception attendees, a
// structured 16.x location whose text it sent back unchanged...) must stay as it was. The
// conversion layer does this when it knows the client's version (merge_change with
// MergeOptions::version); lib/commands/sync.cpp does not pass it yet, hence "may fail".
TEST_CASE("classes: a change made on 12.1 or 14.1 keeps what only 16.1 sees", "[e2e][classes][versions]") {
    for (std::string cls : {"Contacts", "Calendar", "Tasks"})
        for (int old : {121, 141}) {
            INFO(cls << ", changed on " << version_text(old));
            std::string user = new_user("cls-oldchange-");
            Device a(user, "NEW161", 161, cls);
            Device b(user, "OLD" + std::to_string(old), old, cls);
            auto sent = items_of(cls, same(161));
            auto changed = items_of(cls, Form{old, old, true, true});
            // What the old client changed, plus everything it cannot see, as it was.
            auto expected = items_of(cls, Form{161, 161, false, true});
            if (cls == "Calendar") {
                for (std::size_t k = 0; k < expected.size(); ++k) {
                    Node e = xml(expected[k]);
                    if (old < 140 && e.has(tag::Calendar::DisallowNewTimeProposal))
                        e = with_values(e, {{tag::Calendar::DisallowNewTimeProposal, "0"}});  // unseen: unchanged
                    if (k == 0) {  // the old client renamed the place: its details are gone
                        for (auto& c : e.children)
                            if (c.tag == tag::AirSyncBase::Location) c = xml("<Location xmlns='AirSyncBase'>"
                                                                             "<DisplayName>Room 7</DisplayName></Location>");
                    }
                    expected[k] = easd::wbxml::to_xml(e);
                }
            }
            round_trip(a, b, sent, items_of(cls, Form{old, old, false, false}), changed, expected, kUidMadeByServer);
        }
}

// ---- ghosted properties and elements the server never reads ------------------------------------------------

TEST_CASE("classes: a Change that omits properties the client declared unsupported keeps them",
          "[e2e][classes][supported]") {
    std::string user = new_user("cls-ghost-");
    SECTION("contacts") {
        // A knows only names, the mobile number and the first address.
        Device a(user, "GHOST-A", 141, "Contacts",
                 "<C:FileAs/><C:FirstName/><C:LastName/><C:MobilePhoneNumber/><C:Email1Address/>");
        Device b(user, "FULL-B", 141, "Contacts");
        std::string full = contact(same(141));
        auto ids = b.add({full});
        auto got = a.sync();
        REQUIRE(got.adds.count(ids[0]));
        CHECK(compare_items(full, got.adds.at(ids[0])) == "");  // the server still sends everything

        // A's edit: a new first name; the mobile number (which A manages) removed; everything A did
        // not declare left out.
        a.change(ids, {std::string(kOpen) + "<C:FileAs>Lovelace, Ada</C:FileAs><C:FirstName>Augusta</C:FirstName>"
                                            "<C:LastName>Lovelace</C:LastName><C:Email1Address>ada@example.com"
                                            "</C:Email1Address>" + kClose});
        Node want = without_top(with_values(xml(full), {{tag::Contacts::FileAs, "Lovelace, Ada"},
                                                        {tag::Contacts::FirstName, "Augusta"},
                                                        {tag::Contacts::LastName, "Lovelace"},
                                                        {tag::Contacts::Email1Address, "ada@example.com"}}),
                                {tag::Contacts::MobilePhoneNumber});  // managed by A, omitted: removed
        auto back = b.sync();
        REQUIRE(back.changes.count(ids[0]));
        CHECK(compare_items(want, back.changes.at(ids[0])) == "");
    }
    SECTION("calendar") {
        // A manages the subject, the times, the location and the reminder; nothing else.
        Device a(user, "GHOST-CAL", 141, "Calendar",
                 "<A:Subject/><A:StartTime/><A:EndTime/><A:Location/><A:Reminder/>");
        Device b(user, "FULL-CAL", 141, "Calendar");
        std::string full = calendar(same(141), 0);
        auto ids = b.add({full});
        auto got = a.sync();
        REQUIRE(got.adds.count(ids[0]));
        CHECK(compare_items(full, got.adds.at(ids[0])) == "");

        a.change(ids, {std::string(kOpen) + "<A:Subject>Renamed</A:Subject><A:StartTime>20261125T090000Z</A:StartTime>"
                                            "<A:EndTime>20261125T100000Z</A:EndTime>" + kClose});
        Node want = without_top(with_values(xml(full), {{tag::Calendar::Subject, "Renamed"},
                                                        {tag::Calendar::StartTime, "20261125T090000Z"},
                                                        {tag::Calendar::EndTime, "20261125T100000Z"}}),
                                {tag::Calendar::Location, tag::Calendar::Reminder});  // managed by A, omitted
        auto back = b.sync();
        REQUIRE(back.changes.count(ids[0]));
        CHECK(compare_items(want, back.changes.at(ids[0])) == "");
    }
}

TEST_CASE("classes: elements the server never interprets come back as they were sent", "[e2e][classes][opaque]") {
    // Valid elements of each class's pages that easd does not read itself (it reads subjects, times,
    // recurrence ends, completion), each where the class's XSD allows it (every response is
    // validated; IsLeapMonth and CalendarType belong inside Recurrence, not at the top).
    struct Case {
        std::string cls, item, edited;
    };
    const std::string special = "a &lt; b &amp;&amp; c &gt; d — ✓";
    const std::vector<Case> cases = {
        {"Contacts",
         std::string(kOpen) + "<C:FileAs>X</C:FileAs><C2:MMS>+15550100</C2:MMS><C:YomiCompanyName>" + special +
             "</C:YomiCompanyName><C2:CustomerId>42</C2:CustomerId>" + kClose,
         std::string(kOpen) + "<C:FileAs>Y</C:FileAs><C2:MMS>+15550100</C2:MMS><C:YomiCompanyName>" + special +
             "</C:YomiCompanyName><C2:CustomerId>42</C2:CustomerId>" + kClose},
        {"Calendar",
         std::string(kOpen) + "<A:Subject>X</A:Subject><A:StartTime>20261125T075000Z</A:StartTime><A:EndTime>"
                              "20261125T085000Z</A:EndTime><A:DisallowNewTimeProposal>1"
                              "</A:DisallowNewTimeProposal><A:Attendees><A:Attendee><A:Email>p@example.com</A:Email>"
                              "<A:Name>" + special + "</A:Name><M:ProposedStartTime>20261125T090000Z</M:ProposedStartTime>"
                              "</A:Attendee></A:Attendees>" + kClose,
         std::string(kOpen) + "<A:Subject>Y</A:Subject><A:StartTime>20261125T075000Z</A:StartTime><A:EndTime>"
                              "20261125T085000Z</A:EndTime><A:DisallowNewTimeProposal>1"
                              "</A:DisallowNewTimeProposal><A:Attendees><A:Attendee><A:Email>p@example.com</A:Email>"
                              "<A:Name>" + special + "</A:Name><M:ProposedStartTime>20261125T090000Z</M:ProposedStartTime>"
                              "</A:Attendee></A:Attendees>" + kClose},
        {"Tasks",
         std::string(kOpen) + "<T:Subject>X</T:Subject><T:OrdinalDate>2026-03-01T08:00:00.000Z</T:OrdinalDate>"
                              "<T:SubOrdinalDate>" + special + "</T:SubOrdinalDate>" + kClose,
         std::string(kOpen) + "<T:Subject>Y</T:Subject><T:OrdinalDate>2026-03-01T08:00:00.000Z</T:OrdinalDate>"
                              "<T:SubOrdinalDate>" + special + "</T:SubOrdinalDate>" + kClose},
        {"Notes",
         std::string(kOpen) + "<N:Subject>X</N:Subject><N:MessageClass>IPM.StickyNote.Custom</N:MessageClass>" + kClose,
         std::string(kOpen) + "<N:Subject>Y</N:Subject><N:MessageClass>IPM.StickyNote.Custom</N:MessageClass>" + kClose},
    };
    for (const auto& c : cases) {
        INFO(c.cls);
        std::string user = new_user("cls-opaque-");
        Device a(user, "OPAQUE-A", 161, c.cls);
        Device b(user, "OPAQUE-B", 141, c.cls);
        auto ids = round_trip(a, b, {c.item}, {c.item}, {c.edited}, {c.edited});
        // And a Fetch gives the same.
        auto fetched = a.sync("<Fetch><ServerId>" + ids[0] + "</ServerId></Fetch>");
        REQUIRE(fetched.fetched.count(ids[0]));
        CHECK(compare_items(c.edited, fetched.fetched.at(ids[0])) == "");
    }
}

// ---- 16.x calendar semantics --------------------------------------------------------------------------
//
// In 16.0 and 16.1 a client never sends a UID (the server makes it, MS-ASCAL 2.2.2.46), every
// top-level calendar property a Change omits is ghosted (MS-ASCAL 3.1.5.3), and a single occurrence
// is changed or deleted with airsyncbase:InstanceId under Change or Delete (MS-ASAIRS 2.2.2.25,
// MS-ASCMD 2.2.3.42.2). easd does none of these yet: lib/commands/sync.cpp does not pass the
// client's version to merge_change, makes no UID, and ignores InstanceId in Change and Delete. These
// cases say what is expected; they are marked "may fail" until sync.cpp does it. When they pass,
// drop the tag.
TEST_CASE("classes: 16.x calendar semantics (UID from the server, ghosting, one occurrence)",
          "[e2e][classes][calendar16]") {
    std::string user = new_user("cls-cal16-");
    Device a(user, "CAL16-A", 161, "Calendar");
    Device b(user, "CAL16-B", 161, "Calendar");
    const std::string sent = calendar(same(161), 0);
    auto ids = a.add({sent});
    const Node first_add_response = [&] {  // Responses/Add of that request
        const auto* col = a.keep.doc->child(tag::AirSync::Collections)->child(tag::AirSync::Collection);
        return *col->child(tag::AirSync::Responses)->child(tag::AirSync::Add);
    }();
    auto got = b.sync();
    REQUIRE(got.adds.count(ids[0]));
    const Node on_b = got.adds.at(ids[0]);
    CHECK(compare_items(as_received(sent), on_b, kUidMadeByServer) == "");

    SECTION("the server makes the UID, returns it to the adding client and sends it to the others") {
        std::string uid(on_b.child_text(tag::Calendar::UID));
        CHECK_FALSE(uid.empty());
        const Node* data = first_add_response.child(tag::AirSync::ApplicationData);
        REQUIRE(data);
        CHECK(data->child_text(tag::Calendar::UID) == uid);
    }
    SECTION("a Change that omits top-level properties keeps them") {
        b.change(ids, {std::string(kOpen) + "<A:Subject>Renamed</A:Subject>" + kClose});
        auto back = a.sync();
        REQUIRE(back.changes.count(ids[0]));
        Node want = with_values(xml(as_received(sent)), {{tag::Calendar::Subject, "Renamed"}});
        CHECK(compare_items(want, back.changes.at(ids[0]), kUidMadeByServer) == "");
        CHECK(back.changes.at(ids[0]).child_text(tag::Calendar::UID) == on_b.child_text(tag::Calendar::UID));
    }
    SECTION("Delete with InstanceId deletes one occurrence, not the series") {
        b.sync("<Delete><ServerId>" + ids[0] + "</ServerId><B:InstanceId>20261216T080000Z</B:InstanceId></Delete>");
        CHECK(cluster().psql("SELECT count(*) FROM items WHERE id = " + ids[0]) == "1");
        auto back = a.sync();
        CHECK(back.deletes.empty());
        REQUIRE(back.changes.count(ids[0]));
        const Node& data = back.changes.at(ids[0]);
        CHECK(data.child_text(tag::Calendar::Subject) == "Item 0");
        const Node* ex = data.child(tag::Calendar::Exceptions);
        REQUIRE(ex);
        bool found = false;
        for (const auto* e : ex->children_of(tag::Calendar::Exception))
            if (e->child_text(tag::AirSyncBase::InstanceId) == "20261216T080000Z")
                found = e->child_text(tag::Calendar::Deleted) == "1";
        CHECK(found);
        CHECK(ex->children_of(tag::Calendar::Exception).size() == 3);
    }
    SECTION("Change with InstanceId changes one occurrence, not the series") {
        b.sync("<Change><ServerId>" + ids[0] + "</ServerId><B:InstanceId>20261216T080000Z</B:InstanceId>"
               "<ApplicationData xmlns:A='Calendar'><A:Subject>Only this one</A:Subject></ApplicationData></Change>");
        auto back = a.sync();
        REQUIRE(back.changes.count(ids[0]));
        const Node& data = back.changes.at(ids[0]);
        CHECK(data.child_text(tag::Calendar::Subject) == "Item 0");
        const Node* ex = data.child(tag::Calendar::Exceptions);
        REQUIRE(ex);
        bool found = false;
        for (const auto* e : ex->children_of(tag::Calendar::Exception))
            if (e->child_text(tag::AirSyncBase::InstanceId) == "20261216T080000Z")
                found = e->child_text(tag::Calendar::Subject) == "Only this one";
        CHECK(found);
    }
}

// ---- the comparison itself ------------------------------------------------------------------------------

TEST_CASE("classes: the item comparison finds what differs and nothing else", "[e2e][classes][compare]") {
    auto n = [](const std::string& inner) { return xml(std::string(kOpen) + inner + kClose); };
    const std::string base = "<C:FirstName>A</C:FirstName><C:Categories><C:Category>x</C:Category><C:Category>y"
                             "</C:Category></C:Categories><B:Body><B:Type>1</B:Type><B:Data>d</B:Data></B:Body>";
    CHECK(compare_items(n(base), n(base)) == "");
    // Order among different tags does not matter; server-computed elements are ignored.
    CHECK(compare_items(n(base), n("<B:Body><B:Type>1</B:Type><B:EstimatedDataSize>1</B:EstimatedDataSize><B:Data>d"
                                   "</B:Data></B:Body><B:NativeBodyType>1</B:NativeBodyType><C:Categories><C:Category>x"
                                   "</C:Category><C:Category>y</C:Category></C:Categories><C:FirstName>A</C:FirstName>")) ==
          "");
    // The order of repeated elements does.
    CHECK(compare_items(n(base), n("<C:FirstName>A</C:FirstName><C:Categories><C:Category>y</C:Category><C:Category>x"
                                   "</C:Category></C:Categories><B:Body><B:Type>1</B:Type><B:Data>d</B:Data></B:Body>")) ==
          "ApplicationData/Contacts:Categories/Contacts:Category[1]: sent 'x', received 'y'\n"
          "ApplicationData/Contacts:Categories/Contacts:Category[2]: sent 'y', received 'x'\n");
    CHECK(compare_items(n(base), n("<C:Categories><C:Category>x</C:Category></C:Categories><C:LastName>B</C:LastName>"
                                   "<B:Body><B:Type>2</B:Type><B:Data>d</B:Data></B:Body>")) ==
          "ApplicationData/Contacts:FirstName: missing (sent 'A')\n"
          "ApplicationData/Contacts:Categories/Contacts:Category[2]: missing (sent 'y')\n"
          "ApplicationData/AirSyncBase:Body/AirSyncBase:Type: sent '1', received '2'\n"
          "ApplicationData/Contacts:LastName: unexpected (received 'B')\n");
    CHECK(compare_items(n("<C:Children><C:Child>a</C:Child></C:Children>"), n("<C:Children>a</C:Children>")) ==
          "ApplicationData/Contacts:Children: sent <1 children>, received 'a'\n");
}
