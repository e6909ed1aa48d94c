// Contacts, calendar items, tasks and notes <-> Sync ApplicationData (MS-ASCNTC, MS-ASCAL,
// MS-ASTASK, MS-ASNOTE), for every protocol version 2.5..16.1.
//
// Storage model: what a client sends is kept whole, as a tree (every field, including ones we never
// interpret), in a version-neutral form: the "canonical" form is the 16.1 one, with the body as an
// AirSyncBase:Body element. Rendering for a client filters and converts to that client's version
// and body preference. The few fields the server itself needs (time range, recurrence, completion,
// subject) are extracted into columns.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "content/email_item.h"
#include "wbxml/wbxml.h"

namespace easd::content {

enum class ItemClass { Email, Contacts, Calendar, Tasks, Notes };

// "Email", "Contacts", "Calendar", "Tasks", "Notes" <-> ItemClass. nullopt for anything else.
std::optional<ItemClass> item_class_from_name(std::string_view name);
std::string_view item_class_name(ItemClass c);

// Converts the ApplicationData a client sent (Add, or the full content of a Change) into the
// canonical stored form: 2.5 bodies (e.g. contacts:Body / contacts:BodySize / BodyTruncated) become
// airsyncbase:Body with Type 1 and Data; elements the server computes (e.g. NativeBodyType,
// airsyncbase:Body/EstimatedDataSize, Truncated) are dropped; everything else is kept as sent, in
// order. Returns nullopt and sets *error when the data is not valid for the class (an element of a
// code page that does not belong to the class, e.g. Email:Subject in a contact) — the caller
// answers status 6.
std::optional<wbxml::Node> canonical_from_client(ItemClass cls, const wbxml::Node& application_data, int version,
                                                 std::string* error = nullptr);

// A field the client cleared with an empty element (<Birthday/>, <Categories/>, MS-ASCMD 2.2.3.11)
// is removed, not kept empty: an empty date or list is not a valid value to send back. Top-level
// only: inside an occurrence exception an empty element says the occurrence differs from the series.
void drop_cleared_fields(wbxml::Node& canonical);

// The client's <Supported> list for a collection (MS-ASCMD 2.2.3.168): the tags it declared it
// supports. nullopt when the client sent no Supported element.
using SupportedSet = std::optional<std::set<wbxml::Tag>>;
SupportedSet parse_supported(const wbxml::Node* supported);

// Applies a Change to stored data (both canonical). The change replaces the item: properties it
// carries replace the stored ones, properties it omits are removed — except "ghosted" ones: when
// the client declared a Supported list, stored properties not in that list are kept (MS-ASCMD
// 2.2.3.168). A Change carrying no body keeps the stored body when the client cannot have sent it
// (body truncated on that client). Children of container properties (Attendees, Recurrence,
// Exceptions, Categories, Children) are replaced as a whole.
wbxml::Node merge_change(ItemClass cls, const wbxml::Node& stored, const wbxml::Node& change,
                         const SupportedSet& supported);

// What merge_change may know beyond the two trees. The defaults are the conservative reading.
struct MergeOptions {
    // The client's protocol version (25..161); 0 when unknown. In 16.0 and 16.1 every top-level
    // calendar property the Change omits is ghosted (MS-ASCAL 3.1.5.3).
    int version = 0;
    // Whether the client holds only a truncated copy of the stored body (so a Change without a body
    // says nothing about it). Unknown (nullopt) keeps the stored body, as does true; false lets a
    // Change that omits the body remove it, unless the body is ghosted.
    std::optional<bool> body_truncated_on_client;
};
wbxml::Node merge_change(ItemClass cls, const wbxml::Node& stored, const wbxml::Node& change,
                         const SupportedSet& supported, const MergeOptions& options);

// Appends the stored item's properties to <ApplicationData> for a client of `version`: elements
// that version does not define are left out, the body is rendered per `options`
// (BodyPreference for 12.0+, Truncation for 2.5) in the form of that version, and renamed or
// reshaped elements are converted (e.g. 16.x airsyncbase:Location <-> calendar:Location text for
// older versions).
void append_pim_data(wbxml::Node& application_data, ItemClass cls, const wbxml::Node& stored,
                     const EmailOptions& options, int version);

// What the server itself reads from an item.
struct PimFields {
    std::string subject;                // Subject, or FileAs / names for contacts
    std::optional<int64_t> start_time;  // calendar StartTime, task StartDate (seconds since epoch, UTC)
    std::optional<int64_t> end_time;    // calendar EndTime; for a recurring event the recurrence's
                                        // Until (or nullopt when it recurs without end)
    bool recurring = false;
    bool complete = false;              // tasks
    std::optional<int64_t> due;         // tasks DueDate / UtcDueDate
};
PimFields extract_fields(ItemClass cls, const wbxml::Node& stored);

// What looking people up (ResolveRecipients, Out of Office's known senders) needs of a contact.
struct ContactCard {
    std::string display_name;            // FileAs, else "FirstName LastName"
    std::vector<std::string> names;      // FileAs, FirstName, LastName as given, lower case
    std::vector<std::string> addresses;  // Email1/2/3Address, lower case
};
// The card of a stored contact (canonical WBXML); nullopt when it does not decode.
std::optional<ContactCard> contact_card(std::string_view stored_wbxml);

// MS-ASDTYPE dateTime ("2026-11-25T07:50:00.000Z", also the compact "20261125T075000Z" form that
// calendar items use) -> seconds since the epoch. nullopt when malformed.
std::optional<int64_t> parse_eas_datetime(std::string_view text);

}  // namespace easd::content
