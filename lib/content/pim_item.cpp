// Contacts, calendar items, tasks and notes <-> Sync ApplicationData. See pim_item.h for the storage
// model; the decisions taken here are written down next to the code they concern.
//
// Which element exists in which protocol version is data, not code: the tables below list, per
// class and per nesting context (top level, calendar Exception, Attendee, Recurrence), the first and
// last version that defines an element (MS-ASCNTC, MS-ASCAL, MS-ASTASK, MS-ASNOTE and MS-ASAIRS,
// the "Protocol Versions" table of each element's section). Elements that are not in a table are
// ones we do not know; they are kept and sent to every version, since the client that wrote them
// obviously speaks them. The few elements that were *replaced* between versions (2.5 bodies,
// calendar:Location vs airsyncbase:Location, ExceptionStartTime vs airsyncbase:InstanceId) are
// converted: to the 16.1 form when stored, back to the client's form when rendered.
#include "content/pim_item.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>

#include "common/text.h"
#include "content/message.h"

namespace easd::content {

namespace tag = wbxml::tag;
using wbxml::Node;
using wbxml::Tag;

namespace {

// Protocol versions as the rest of easd writes them: 2.5 -> 25, 12.1 -> 121, 16.1 -> 161.
constexpr int kV25 = 25, kV120 = 120, kV140 = 140, kV141 = 141, kV160 = 160, kAll = 999;
constexpr int kNever = 1000;  // request-only elements: stored, never sent

constexpr uint8_t kPageAirSync = 0, kPageContacts = 1, kPageCalendar = 4, kPageMeetingResponse = 8,
                  kPageTasks = 9, kPageContacts2 = 12, kPageAirSyncBase = 17, kPageNotes = 23;

struct Rule {
    Tag tag;
    int min_version;  // first version that defines the element
    int max_version;  // last version that defines it (kAll: still defined in 16.1)
};

// ---- Contacts (MS-ASCNTC 2.2.2) -------------------------------------------------------------------
// Every Contacts and Contacts2 element exists in 2.5..16.1 except those listed here.
const Rule kContactsTop[] = {
    {tag::Contacts::Body, kV25, kV25},           // replaced by airsyncbase:Body in 12.0
    {tag::Contacts::BodySize, kV25, kV25},
    {tag::Contacts::BodyTruncated, kV25, kV25},
    {tag::Contacts::CompressedRTF, kV25, kV25},  // 2.5 RTF body; airsyncbase:Body Type 3 later
    {tag::Contacts::Alias, kV140, kAll},
    {tag::Contacts::WeightedRank, kV140, kAll},
    {tag::AirSyncBase::Body, kV120, kAll},
};

// ---- Calendar (MS-ASCAL 2.2.2) --------------------------------------------------------------------
const Rule kCalendarTop[] = {
    {tag::Calendar::Body, kV25, kV25},  // replaced by airsyncbase:Body in 12.0
    {tag::Calendar::BodyTruncated, kV25, kV25},
    {tag::Calendar::Compressed_RTF, kV25, kV25},
    {tag::Calendar::Location, kV25, kV141},  // replaced by airsyncbase:Location in 16.0
    {tag::Calendar::DisallowNewTimeProposal, kV140, kAll},
    {tag::Calendar::ResponseRequested, kV140, kAll},
    {tag::Calendar::AppointmentReplyTime, kV140, kAll},
    {tag::Calendar::ResponseType, kV140, kAll},
    {tag::Calendar::OnlineMeetingConfLink, kV141, kAll},
    {tag::Calendar::OnlineMeetingExternalLink, kV141, kAll},
    {tag::Calendar::ClientUid, kNever, kAll},  // 16.0+, command requests only
    {tag::AirSyncBase::Body, kV120, kAll},
    {tag::AirSyncBase::NativeBodyType, kV120, kAll},
    {tag::AirSyncBase::Location, kV160, kAll},
    {tag::AirSyncBase::Attachments, kV160, kAll},
};

// Children of calendar:Exception.
const Rule kCalendarException[] = {
    {tag::Calendar::ExceptionStartTime, kV25, kV141},  // replaced by airsyncbase:InstanceId in 16.0
    {tag::AirSyncBase::InstanceId, kV160, kAll},
    {tag::Calendar::UID, kV25, kV25},  // child of Exception only in 2.5
    {tag::Calendar::Body, kV25, kV25},
    {tag::Calendar::BodyTruncated, kV25, kV25},
    {tag::Calendar::Compressed_RTF, kV25, kV25},
    {tag::AirSyncBase::Body, kV120, kAll},
    {tag::Calendar::Location, kV25, kV141},
    {tag::AirSyncBase::Location, kV160, kAll},
    {tag::AirSyncBase::Attachments, kV160, kAll},
    {tag::Calendar::Attendees, kV140, kAll},  // "not supported as a child of Exception" in 2.5..12.1
    {tag::Calendar::MeetingStatus, kV140, kAll},
    {tag::Calendar::AppointmentReplyTime, kV140, kAll},
    {tag::Calendar::ResponseType, kV140, kAll},
    {tag::Calendar::OnlineMeetingConfLink, kV141, kAll},
    {tag::Calendar::OnlineMeetingExternalLink, kV141, kAll},
};

const Rule kCalendarAttendee[] = {
    {tag::Calendar::AttendeeStatus, kV120, kAll},
    {tag::Calendar::AttendeeType, kV120, kAll},
    {tag::MeetingResponse::ProposedStartTime, kV141, kAll},
    {tag::MeetingResponse::ProposedEndTime, kV141, kAll},
};

const Rule kCalendarRecurrence[] = {
    {tag::Calendar::CalendarType, kV140, kAll},
    {tag::Calendar::IsLeapMonth, kV140, kAll},
    {tag::Calendar::FirstDayOfWeek, kV141, kAll},
};

// ---- Tasks (MS-ASTASK 2.2.2) ----------------------------------------------------------------------
const Rule kTasksTop[] = {
    {tag::Tasks::Body, kV25, kV25},
    {tag::Tasks::BodySize, kV25, kV25},
    {tag::Tasks::BodyTruncated, kV25, kV25},
    {tag::Tasks::CompressedRTF, kV25, kV25},
    {tag::Tasks::OrdinalDate, kV120, kAll},
    {tag::Tasks::SubOrdinalDate, kV120, kAll},
    {tag::AirSyncBase::Body, kV120, kAll},
};

const Rule kTasksRecurrence[] = {
    {tag::Tasks::CalendarType, kV140, kAll},
    {tag::Tasks::IsLeapMonth, kV140, kAll},
    {tag::Tasks::FirstDayOfWeek, kV141, kAll},
};

// ---- Notes (MS-ASNOTE 2.2.2): the class exists from 14.0 on ------------------------------------------
const Rule kNotesTop[] = {
    {tag::Notes::Subject, kV140, kAll},
    {tag::Notes::MessageClass, kV140, kAll},
    {tag::Notes::LastModifiedDate, kV140, kAll},
    {tag::Notes::Categories, kV140, kAll},
    {tag::AirSyncBase::Body, kV140, kAll},
};

template <std::size_t N>
bool defined_in(const Rule (&rules)[N], Tag t, int version) {
    for (const auto& r : rules)
        if (r.tag == t) return version >= r.min_version && version <= r.max_version;
    return true;  // not ours to judge: kept for every version
}

// Elements a client must not send (the server computes them); dropped from client data.
bool server_computed(ItemClass cls, Tag t) {
    if (t == tag::AirSyncBase::NativeBodyType) return true;
    if (cls == ItemClass::Calendar)
        return t == tag::Calendar::AppointmentReplyTime || t == tag::Calendar::OnlineMeetingConfLink ||
               t == tag::Calendar::OnlineMeetingExternalLink;
    return false;
}

bool page_allowed(ItemClass cls, uint8_t page, bool nested) {
    if (page == kPageAirSyncBase) return true;
    switch (cls) {
        case ItemClass::Contacts: return page == kPageContacts || page == kPageContacts2;
        case ItemClass::Calendar: return page == kPageCalendar || (nested && page == kPageMeetingResponse);
        case ItemClass::Tasks: return page == kPageTasks;
        case ItemClass::Notes: return page == kPageNotes;
        case ItemClass::Email: return false;
    }
    return false;
}

std::optional<long long> to_number(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    long long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

// The 2.5 body tags of a class (Notes has none: the class starts at 14.0).
struct LegacyBodyTags {
    Tag body = 0, size = 0, truncated = 0, rtf = 0;
};
LegacyBodyTags legacy_body_tags(ItemClass cls) {
    switch (cls) {
        case ItemClass::Contacts:
            return {tag::Contacts::Body, tag::Contacts::BodySize, tag::Contacts::BodyTruncated,
                    tag::Contacts::CompressedRTF};
        case ItemClass::Calendar:
            return {tag::Calendar::Body, 0, tag::Calendar::BodyTruncated, tag::Calendar::Compressed_RTF};
        case ItemClass::Tasks:
            return {tag::Tasks::Body, tag::Tasks::BodySize, tag::Tasks::BodyTruncated, tag::Tasks::CompressedRTF};
        default: return {};
    }
}

Node make_body(int type, std::string data) {
    Node b(tag::AirSyncBase::Body);
    b.add(tag::AirSyncBase::Type, static_cast<long long>(type));
    b.add(tag::AirSyncBase::Data, std::move(data));
    return b;
}

// ---- client -> canonical ----------------------------------------------------------------------------

bool check_pages(ItemClass cls, const Node& n, bool nested, std::string* error) {
    if (!page_allowed(cls, wbxml::tag_page(n.tag), nested)) {
        if (error) {
            auto name = wbxml::tag_name(n.tag);
            *error = std::string(wbxml::page_name(wbxml::tag_page(n.tag))) + ":" + std::string(name) +
                     " is not an element of the " + std::string(item_class_name(cls)) + " class";
        }
        return false;
    }
    for (const auto& c : n.children)
        if (!check_pages(cls, c, true, error)) return false;
    return true;
}

// Converts the children of ApplicationData or of a calendar Exception (both carry a body and, for
// calendar, a location) to the canonical form, in order.
std::vector<Node> canonical_children(ItemClass cls, const std::vector<Node>& in, bool exception) {
    const LegacyBodyTags lb = legacy_body_tags(cls);
    const Node* asb_body = nullptr;
    const Node* legacy_body = nullptr;
    const Node* legacy_rtf = nullptr;
    bool legacy_truncated = false;
    bool has_instance_id = false;
    for (const auto& c : in) {
        if (c.tag == tag::AirSyncBase::Body) asb_body = &c;
        else if (lb.body && c.tag == lb.body) legacy_body = &c;
        else if (lb.rtf && c.tag == lb.rtf) legacy_rtf = &c;
        else if (lb.truncated && c.tag == lb.truncated) legacy_truncated = c.text() == "1";
        else if (c.tag == tag::AirSyncBase::InstanceId) has_instance_id = true;
    }
    // The one body we keep: the 12.0+ form if sent, else the 2.5 text, else the 2.5 RTF. A body the
    // client itself marks as truncated is not the item's body: it is not stored (merge_change then
    // keeps the stored one).
    const Node* chosen = asb_body ? asb_body : legacy_body ? legacy_body : legacy_rtf;
    if (chosen == asb_body && asb_body && asb_body->child_text(tag::AirSyncBase::Truncated) == "1") chosen = nullptr;
    if (chosen && chosen != asb_body && legacy_truncated) chosen = nullptr;

    std::vector<Node> out;
    out.reserve(in.size());
    for (const auto& c : in) {
        if (server_computed(cls, c.tag)) continue;
        if (c.tag == tag::AirSyncBase::Body || (lb.body && c.tag == lb.body) || (lb.rtf && c.tag == lb.rtf)) {
            if (&c != chosen) continue;
            if (c.tag == tag::AirSyncBase::Body) {
                Node b(tag::AirSyncBase::Body);
                auto type = to_number(c.child_text(tag::AirSyncBase::Type)).value_or(kBodyPlain);
                b.add(tag::AirSyncBase::Type, type);
                if (const Node* d = c.child(tag::AirSyncBase::Data)) {
                    Node data = *d;
                    if (data.content_kind == Node::Content::None) data.content_kind = Node::Content::Text;
                    b.children.push_back(std::move(data));
                } else {
                    b.add(tag::AirSyncBase::Data, "");
                }
                out.push_back(std::move(b));
            } else if (c.tag == lb.body) {
                out.push_back(make_body(kBodyPlain, c.content));
            } else {
                out.push_back(make_body(kBodyRtf, c.content));
            }
            continue;
        }
        if ((lb.size && c.tag == lb.size) || (lb.truncated && c.tag == lb.truncated)) continue;
        if (cls == ItemClass::Calendar) {
            if (c.tag == tag::Calendar::Location) {
                // 16.1 form: a Location container; an empty calendar:Location clears it.
                Node loc(tag::AirSyncBase::Location);
                if (!c.content.empty()) loc.add(tag::AirSyncBase::DisplayName, c.content);
                out.push_back(std::move(loc));
                continue;
            }
            if (exception && c.tag == tag::Calendar::ExceptionStartTime) {
                if (!has_instance_id) out.emplace_back(tag::AirSyncBase::InstanceId, c.content);
                continue;
            }
            if (exception && c.tag == tag::Calendar::UID) continue;  // 2.5 only; the series' UID
            if (!exception && c.tag == tag::Calendar::Exceptions) {
                Node ex(tag::Calendar::Exceptions);
                for (const auto& e : c.children) {
                    if (e.tag != tag::Calendar::Exception) {
                        ex.children.push_back(e);
                        continue;
                    }
                    Node ne(tag::Calendar::Exception);
                    ne.children = canonical_children(cls, e.children, true);
                    ex.children.push_back(std::move(ne));
                }
                out.push_back(std::move(ex));
                continue;
            }
        }
        out.push_back(c);
    }
    return out;
}

// ---- canonical -> client ----------------------------------------------------------------------------

std::string flatten_for_preview(std::string text) {
    for (auto& ch : text)
        if (ch == '\r' || ch == '\n' || ch == '\t') ch = ' ';
    return text;
}

// The stored body as plain text (RTF cannot be converted: nullopt).
std::optional<std::string> body_as_plain(int stored_type, const std::string& data) {
    if (stored_type == kBodyHtml) return html_to_text(data);
    if (stored_type == kBodyRtf) return std::nullopt;
    return data;
}

// `in_exception`: a calendar Exception, which in 2.5 carries calendar:Body but no BodyTruncated.
void render_body(Node& out, ItemClass cls, const Node& stored, const EmailOptions& options, int version,
                 bool in_exception = false) {
    const int stored_type = static_cast<int>(to_number(stored.child_text(tag::AirSyncBase::Type)).value_or(kBodyPlain));
    const std::string data(stored.child_text(tag::AirSyncBase::Data));

    if (version < kV120) {
        const LegacyBodyTags lb = legacy_body_tags(cls);
        if (!lb.body) return;
        if (stored_type == kBodyRtf) {
            // 2.5 carries RTF in its own element, as the client that wrote it sent it.
            out.add(lb.rtf, data);
            return;
        }
        std::string text = *body_as_plain(stored_type, data);
        std::optional<std::size_t> limit;
        if (options.truncation && *options.truncation >= 0 && *options.truncation <= 8) {
            static const std::size_t sizes[] = {0, 512, 1024, 2048, 5120, 10240, 20480, 51200, 102400};
            limit = sizes[*options.truncation];
        }
        const bool truncated = limit && text.size() > *limit;
        if (!truncated || *limit > 0)
            out.add(lb.body, std::string(truncated ? truncate_utf8(text, *limit) : std::string_view(text)));
        if (truncated && lb.size) out.add(lb.size, static_cast<long long>(text.size()));
        if (!in_exception) out.add(lb.truncated, truncated ? "1" : "0");
        return;
    }

    BodyPreference pref;
    if (!options.body_preferences.empty()) pref = options.body_preferences.front();
    int type = kBodyPlain;
    std::optional<std::string> body;
    switch (pref.type) {
        case kBodyHtml:
            type = kBodyHtml;
            if (stored_type == kBodyHtml) body = data;
            else if (stored_type == kBodyPlain) body = plain_to_html(data);
            break;
        case kBodyRtf:
            if (stored_type == kBodyRtf) {
                type = kBodyRtf;
                body = data;
                break;
            }
            [[fallthrough]];
        default:  // plain text, and anything we do not produce for PIM items (MIME)
            type = kBodyPlain;
            body = body_as_plain(stored_type, data);
            break;
    }
    auto& b = out.add(tag::AirSyncBase::Body);
    b.add(tag::AirSyncBase::Type, static_cast<long long>(type));
    if (!body) {
        // An RTF body asked for as text or HTML: we cannot convert it. Say there is more than we
        // send, so the client treats its copy as incomplete and leaves the body out of its changes.
        b.add(tag::AirSyncBase::EstimatedDataSize, static_cast<long long>(data.size()));
        b.add(tag::AirSyncBase::Truncated, "1");
        return;
    }
    b.add(tag::AirSyncBase::EstimatedDataSize, static_cast<long long>(body->size()));
    const bool truncated = pref.truncation_size && body->size() > *pref.truncation_size;
    if (truncated) {
        b.add(tag::AirSyncBase::Truncated, "1");
        if (!pref.all_or_none) b.add(tag::AirSyncBase::Data, std::string(truncate_utf8(*body, *pref.truncation_size)));
    } else {
        b.add(tag::AirSyncBase::Data, *body);
    }
    if (version >= kV140 && pref.preview && *pref.preview > 0) {
        auto plain = body_as_plain(stored_type, data);
        if (plain) {
            std::string flat = flatten_for_preview(std::move(*plain));
            b.add(tag::AirSyncBase::Preview, std::string(truncate_utf8(flat, static_cast<std::size_t>(*pref.preview))));
        }
    }
}

// airsyncbase:Location -> the text of calendar:Location (up to 14.1).
std::string location_text(const Node& loc) {
    auto name = loc.child_text(tag::AirSyncBase::DisplayName);
    if (!name.empty()) return std::string(name);
    std::string out;
    for (Tag t : {tag::AirSyncBase::Annotation, tag::AirSyncBase::Street, tag::AirSyncBase::City,
                  tag::AirSyncBase::State, tag::AirSyncBase::PostalCode, tag::AirSyncBase::Country}) {
        auto part = loc.child_text(t);
        if (part.empty()) continue;
        if (!out.empty()) out += ", ";
        out += part;
    }
    return out;
}

template <std::size_t N>
Node filtered(const Node& n, const Rule (&rules)[N], int version) {
    Node out(n.tag);
    out.content_kind = n.content_kind;
    out.content = n.content;
    for (const auto& c : n.children)
        if (defined_in(rules, c.tag, version)) out.children.push_back(c);
    return out;
}

Node render_attendees(const Node& attendees, int version) {
    Node out(attendees.tag);
    for (const auto& a : attendees.children)
        out.children.push_back(a.tag == tag::Calendar::Attendee ? filtered(a, kCalendarAttendee, version) : a);
    return out;
}

// Appends the calendar children `in` (top level or an Exception's) for `version`.
void render_calendar_children(Node& out, const std::vector<Node>& in, const EmailOptions& options, int version,
                              bool exception, std::string_view series_uid) {
    for (const auto& c : in) {
        // Replaced elements first: they are converted, not filtered.
        if (c.tag == tag::AirSyncBase::Body) {
            render_body(out, ItemClass::Calendar, c, options, version, exception);
            continue;
        }
        if (c.tag == tag::AirSyncBase::Location) {
            if (version >= kV160) out.children.push_back(c);
            else out.add(tag::Calendar::Location, location_text(c));
            continue;
        }
        if (c.tag == tag::Calendar::Location) {  // stored in the old form by someone else
            if (version >= kV160) {
                auto& loc = out.add(tag::AirSyncBase::Location);
                if (!c.content.empty()) loc.add(tag::AirSyncBase::DisplayName, c.content);
            } else {
                out.children.push_back(c);
            }
            continue;
        }
        if (exception && (c.tag == tag::AirSyncBase::InstanceId || c.tag == tag::Calendar::ExceptionStartTime)) {
            if (version >= kV160) out.add(tag::AirSyncBase::InstanceId, c.content);
            else out.add(tag::Calendar::ExceptionStartTime, c.content);
            if (version < kV120 && !series_uid.empty()) out.add(tag::Calendar::UID, series_uid);
            continue;
        }
        if (!(exception ? defined_in(kCalendarException, c.tag, version) : defined_in(kCalendarTop, c.tag, version)))
            continue;
        if (c.tag == tag::Calendar::Attendees) {
            out.children.push_back(render_attendees(c, version));
        } else if (!exception && c.tag == tag::Calendar::Recurrence) {
            out.children.push_back(filtered(c, kCalendarRecurrence, version));
        } else if (!exception && c.tag == tag::Calendar::Exceptions) {
            auto& ex = out.add(tag::Calendar::Exceptions);
            for (const auto& e : c.children) {
                if (e.tag != tag::Calendar::Exception) {
                    ex.children.push_back(e);
                    continue;
                }
                auto& ne = ex.add(tag::Calendar::Exception);
                render_calendar_children(ne, e.children, options, version, true, series_uid);
            }
        } else {
            out.children.push_back(c);
        }
    }
}

// ---- ghosting -----------------------------------------------------------------------------------------

// Whether the client's Supported list names `t`, in whichever version's form it wrote it.
bool supported_has(const std::set<Tag>& s, Tag t) {
    if (s.count(t)) return true;
    if (t == tag::AirSyncBase::Body)
        return s.count(tag::Contacts::Body) || s.count(tag::Calendar::Body) || s.count(tag::Tasks::Body);
    if (t == tag::AirSyncBase::Location) return s.count(tag::Calendar::Location) > 0;
    return false;
}

// ---- what an older client cannot see --------------------------------------------------------------
//
// A client can only send what its version defines. When its Change replaces an item, a property its
// version cannot express was never shown to it, so leaving it out says nothing about it: it is
// kept, like a ghosted one — at the top level, and inside the containers the Change replaces
// (Recurrence; an Attendee, matched by e-mail address; an Exception, matched by its occurrence). A
// structured 16.x location that a client before 16.0 sends back as the same text it was shown stays
// as it was. Request-only elements (ClientUid) are shown to no client: this does not apply to them.
// Needs MergeOptions::version; with 0 (unknown) nothing here applies.

// Replaced elements: every version sends them in its own spelling, converted when stored.
bool has_older_spelling(Tag t) {
    return t == tag::AirSyncBase::Body || t == tag::AirSyncBase::Location || t == tag::AirSyncBase::InstanceId;
}

template <std::size_t N>
bool expressible(const Rule (&rules)[N], Tag t, int version) {
    if (version <= 0 || has_older_spelling(t)) return true;
    for (const auto& r : rules)
        if (r.tag == t) return r.min_version == kNever || (version >= r.min_version && version <= r.max_version);
    return true;
}

bool expressible_top(ItemClass cls, Tag t, int version) {
    switch (cls) {
        case ItemClass::Contacts: return expressible(kContactsTop, t, version);
        case ItemClass::Calendar: return expressible(kCalendarTop, t, version);
        case ItemClass::Tasks: return expressible(kTasksTop, t, version);
        case ItemClass::Notes: return expressible(kNotesTop, t, version);
        case ItemClass::Email: return true;
    }
    return true;
}

// Adds to the client's copy of a container the stored children its version cannot express.
template <std::size_t N>
void carry_over(Node& changed, const Node& stored, const Rule (&rules)[N], int version) {
    for (const auto& s : stored.children)
        if (!expressible(rules, s.tag, version) && !changed.has(s.tag)) changed.children.push_back(s);
}

bool same_address(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

Node merge_container(ItemClass cls, const Node& stored, Node changed, int version);

void merge_exception(Node& changed, const Node& stored, int version) {
    if (changed.child_text(tag::Calendar::Deleted) == "1") return;  // a deleted occurrence has nothing more
    for (auto& c : changed.children)
        if (const Node* s = stored.child(c.tag)) c = merge_container(ItemClass::Calendar, *s, std::move(c), version);
    carry_over(changed, stored, kCalendarException, version);
}

// The client's replacement of the stored container `stored`, completed with what it cannot see.
Node merge_container(ItemClass cls, const Node& stored, Node changed, int version) {
    if (version <= 0) return changed;
    const Tag t = changed.tag;
    if (t == tag::AirSyncBase::Location && cls == ItemClass::Calendar) {
        // Before 16.0 only the text travels (canonical: a DisplayName alone).
        const bool text_only = changed.children.size() <= 1;
        if (version < kV160 && text_only && changed.child_text(tag::AirSyncBase::DisplayName) == location_text(stored))
            return stored;
    } else if (t == tag::Calendar::Recurrence && cls == ItemClass::Calendar) {
        carry_over(changed, stored, kCalendarRecurrence, version);
    } else if (t == tag::Tasks::Recurrence && cls == ItemClass::Tasks) {
        carry_over(changed, stored, kTasksRecurrence, version);
    } else if (t == tag::Calendar::Attendees && cls == ItemClass::Calendar) {
        for (auto& a : changed.children) {
            if (a.tag != tag::Calendar::Attendee) continue;
            for (const Node* s : stored.children_of(tag::Calendar::Attendee))
                if (same_address(s->child_text(tag::Calendar::Email), a.child_text(tag::Calendar::Email))) {
                    carry_over(a, *s, kCalendarAttendee, version);
                    break;
                }
        }
    } else if (t == tag::Calendar::Exceptions && cls == ItemClass::Calendar) {
        for (auto& e : changed.children) {
            if (e.tag != tag::Calendar::Exception) continue;
            std::string_view id = e.child_text(tag::AirSyncBase::InstanceId);
            if (id.empty()) continue;
            for (const Node* s : stored.children_of(tag::Calendar::Exception))
                if (s->child_text(tag::AirSyncBase::InstanceId) == id) {
                    merge_exception(e, *s, version);
                    break;
                }
        }
    }
    return changed;
}

bool parse_time_fields(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char ch = s[pos + i];
        if (ch < '0' || ch > '9') return false;
        v = v * 10 + (ch - '0');
    }
    pos += n;
    out = v;
    return true;
}

bool expect(std::string_view s, std::size_t& pos, char ch) {
    if (pos < s.size() && s[pos] == ch) {
        ++pos;
        return true;
    }
    return false;
}

std::optional<int64_t> child_time(const Node& n, Tag t) {
    const Node* c = n.child(t);
    if (!c) return std::nullopt;
    return parse_eas_datetime(c->text());
}

}  // namespace

std::optional<ItemClass> item_class_from_name(std::string_view name) {
    if (name == "Email") return ItemClass::Email;
    if (name == "Contacts") return ItemClass::Contacts;
    if (name == "Calendar") return ItemClass::Calendar;
    if (name == "Tasks") return ItemClass::Tasks;
    if (name == "Notes") return ItemClass::Notes;
    return std::nullopt;
}

std::string_view item_class_name(ItemClass c) {
    switch (c) {
        case ItemClass::Email: return "Email";
        case ItemClass::Contacts: return "Contacts";
        case ItemClass::Calendar: return "Calendar";
        case ItemClass::Tasks: return "Tasks";
        case ItemClass::Notes: return "Notes";
    }
    return "";
}

std::optional<Node> canonical_from_client(ItemClass cls, const Node& application_data, int /*version*/,
                                          std::string* error) {
    if (cls == ItemClass::Email) {
        if (error) *error = "Email items are not contacts, calendar, tasks or notes data";
        return std::nullopt;
    }
    for (const auto& c : application_data.children)
        if (!check_pages(cls, c, false, error)) return std::nullopt;
    Node out(tag::AirSync::ApplicationData);
    out.children = canonical_children(cls, application_data.children, false);
    return out;
}

void drop_cleared_fields(Node& canonical) {
    auto& kids = canonical.children;
    kids.erase(std::remove_if(kids.begin(), kids.end(),
                              [](const Node& n) { return n.children.empty() && n.content.empty(); }),
               kids.end());
}

SupportedSet parse_supported(const Node* supported) {
    if (!supported) return std::nullopt;
    std::set<Tag> tags;
    for (const auto& c : supported->children) tags.insert(c.tag);
    return tags;
}

Node merge_change(ItemClass cls, const Node& stored, const Node& change, const SupportedSet& supported) {
    return merge_change(cls, stored, change, supported, MergeOptions{});
}

Node merge_change(ItemClass cls, const Node& stored, const Node& change, const SupportedSet& supported,
                  const MergeOptions& options) {
    // Ghosted: an omitted property keeps its stored value (MS-ASCMD 2.2.3.179: with a Supported
    // list every property not named in it; an empty list ghosts all). In 16.0 and 16.1 every
    // top-level calendar property is ghosted when absent (MS-ASCAL 3.1.5.3).
    auto ghosted = [&](Tag t) {
        if (supported && !supported_has(*supported, t)) return true;
        if (!expressible_top(cls, t, options.version)) return true;  // the client never saw it
        if (cls == ItemClass::Calendar && options.version >= kV160) return true;
        if (t == tag::AirSyncBase::Body) return options.body_truncated_on_client.value_or(true);
        return false;
    };
    std::set<Tag> in_change;
    for (const auto& c : change.children) in_change.insert(c.tag);

    Node out(stored.tag ? stored.tag : change.tag);
    std::set<Tag> emitted;
    for (const auto& s : stored.children) {
        if (in_change.count(s.tag)) {
            if (emitted.insert(s.tag).second)
                for (const auto& c : change.children)
                    if (c.tag == s.tag) out.children.push_back(merge_container(cls, s, c, options.version));
        } else if (ghosted(s.tag)) {
            out.children.push_back(s);
        }
    }
    for (const auto& c : change.children)
        if (!emitted.count(c.tag)) out.children.push_back(c);
    return out;
}

void append_pim_data(Node& application_data, ItemClass cls, const Node& stored, const EmailOptions& options,
                     int version) {
    switch (cls) {
        case ItemClass::Calendar: {
            render_calendar_children(application_data, stored.children, options, version, false,
                                     stored.child_text(tag::Calendar::UID));
            const Node* body = stored.child(tag::AirSyncBase::Body);
            if (body && version >= kV120 && !stored.has(tag::AirSyncBase::NativeBodyType))
                application_data.add(tag::AirSyncBase::NativeBodyType,
                                     to_number(body->child_text(tag::AirSyncBase::Type)).value_or(kBodyPlain));
            return;
        }
        case ItemClass::Contacts:
        case ItemClass::Tasks:
        case ItemClass::Notes: {
            for (const auto& c : stored.children) {
                bool defined = cls == ItemClass::Contacts ? defined_in(kContactsTop, c.tag, version)
                               : cls == ItemClass::Tasks  ? defined_in(kTasksTop, c.tag, version)
                                                          : defined_in(kNotesTop, c.tag, version);
                if (cls == ItemClass::Notes && version < kV140) defined = false;  // no Notes class before 14.0
                if (c.tag == tag::AirSyncBase::Body) {
                    if (cls != ItemClass::Notes || version >= kV140) render_body(application_data, cls, c, options, version);
                    continue;
                }
                if (!defined) continue;
                if (c.children.empty() && c.content.empty()) continue;  // cleared, but stored before drop_cleared_fields
                if (cls == ItemClass::Tasks && c.tag == tag::Tasks::Recurrence)
                    application_data.children.push_back(filtered(c, kTasksRecurrence, version));
                else
                    application_data.children.push_back(c);
            }
            return;
        }
        case ItemClass::Email: return;
    }
}

PimFields extract_fields(ItemClass cls, const Node& stored) {
    PimFields f;
    switch (cls) {
        case ItemClass::Contacts: {
            f.subject = std::string(stored.child_text(tag::Contacts::FileAs));
            if (f.subject.empty()) {
                for (Tag t : {tag::Contacts::FirstName, tag::Contacts::MiddleName, tag::Contacts::LastName}) {
                    auto part = stored.child_text(t);
                    if (part.empty()) continue;
                    if (!f.subject.empty()) f.subject += ' ';
                    f.subject += part;
                }
            }
            if (f.subject.empty()) f.subject = std::string(stored.child_text(tag::Contacts::CompanyName));
            if (f.subject.empty()) f.subject = std::string(stored.child_text(tag::Contacts::Email1Address));
            break;
        }
        case ItemClass::Calendar: {
            f.subject = std::string(stored.child_text(tag::Calendar::Subject));
            f.start_time = child_time(stored, tag::Calendar::StartTime);
            if (const Node* r = stored.child(tag::Calendar::Recurrence)) {
                f.recurring = true;
                f.end_time = child_time(*r, tag::Calendar::Until);
            } else {
                f.end_time = child_time(stored, tag::Calendar::EndTime);
            }
            break;
        }
        case ItemClass::Tasks: {
            f.subject = std::string(stored.child_text(tag::Tasks::Subject));
            f.start_time = child_time(stored, tag::Tasks::UtcStartDate);
            if (!f.start_time) f.start_time = child_time(stored, tag::Tasks::StartDate);
            f.due = child_time(stored, tag::Tasks::UtcDueDate);
            if (!f.due) f.due = child_time(stored, tag::Tasks::DueDate);
            f.complete = stored.child_text(tag::Tasks::Complete) == "1";
            if (const Node* r = stored.child(tag::Tasks::Recurrence)) {
                f.recurring = true;
                f.end_time = child_time(*r, tag::Tasks::Until);
            }
            break;
        }
        case ItemClass::Notes: f.subject = std::string(stored.child_text(tag::Notes::Subject)); break;
        case ItemClass::Email: break;
    }
    return f;
}

std::optional<int64_t> parse_eas_datetime(std::string_view s) {
    std::size_t pos = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!parse_time_fields(s, pos, 4, year)) return std::nullopt;
    const bool extended = expect(s, pos, '-');
    if (!parse_time_fields(s, pos, 2, month)) return std::nullopt;
    if (extended && !expect(s, pos, '-')) return std::nullopt;
    if (!parse_time_fields(s, pos, 2, day)) return std::nullopt;
    if (!expect(s, pos, 'T')) return std::nullopt;
    if (!parse_time_fields(s, pos, 2, hour)) return std::nullopt;
    if (extended && !expect(s, pos, ':')) return std::nullopt;
    if (!parse_time_fields(s, pos, 2, minute)) return std::nullopt;
    if (extended && !expect(s, pos, ':')) return std::nullopt;
    if (!parse_time_fields(s, pos, 2, second)) return std::nullopt;
    if (extended && expect(s, pos, '.')) {  // fractional seconds: any number of digits, ignored
        std::size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return std::nullopt;
    }
    expect(s, pos, 'Z');  // UTC either way; some clients leave the Z out
    if (pos != s.size()) return std::nullopt;
    static const int days_in_month[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > days_in_month[month - 1] || hour > 23 || minute > 59 ||
        second > 60)
        return std::nullopt;
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && day == 29 && !leap) return std::nullopt;
    tm t{};
    t.tm_year = year - 1900;
    t.tm_mon = month - 1;
    t.tm_mday = day;
    t.tm_hour = hour;
    t.tm_min = minute;
    t.tm_sec = second;
    return static_cast<int64_t>(timegm(&t));
}

std::optional<ContactCard> contact_card(std::string_view stored_wbxml) {
    wbxml::DecodeResult decoded = wbxml::decode(stored_wbxml);
    if (!decoded) return std::nullopt;
    const Node& c = *decoded.root;
    ContactCard card;
    std::string first(c.child_text(tag::Contacts::FirstName)), last(c.child_text(tag::Contacts::LastName));
    card.display_name = std::string(c.child_text(tag::Contacts::FileAs));
    if (card.display_name.empty()) card.display_name = std::string(trim(first + " " + last));
    for (const std::string& n : {card.display_name, first, last})
        if (!n.empty()) card.names.push_back(to_lower_ascii(n));
    for (wbxml::Tag t : {tag::Contacts::Email1Address, tag::Contacts::Email2Address, tag::Contacts::Email3Address})
        for (auto& a : addresses_in(c.child_text(t))) card.addresses.push_back(std::move(a));
    return card;
}

}  // namespace easd::content
