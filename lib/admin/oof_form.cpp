// Out of Office in the console: the one form the administrator's user page (/user) and the
// self-service page (/me) both show, what a sent form changes, and /me/oof, where an account sets
// its own. The checks are those of Settings Oof Set (store::oof_problem, as `easctl user oof`): a
// schedule needs a start before its end, a message is at most 64 KiB. A start and end left empty
// stay as they were, and off keeps the messages, as the phone's own switch does. Times are UTC (the
// form says so): a browser without JavaScript cannot tell its time zone.
#include "admin/pages.h"
#include "common/log.h"
#include "common/text.h"
#include "content/pim_item.h"

namespace easd::admin {

namespace {

struct Audience {
    store::OofAudience audience;
    const char* label;
};
const Audience kAudiences[] = {
    {store::OofAudience::internal, "Senders of this organisation"},
    {store::OofAudience::external_known, "Outside senders in the contacts"},
    {store::OofAudience::external_unknown, "Other outside senders"},
};

const char* state_word(store::OofState s) {
    switch (s) {
        case store::OofState::off: return "off";
        case store::OofState::on: return "on";
        case store::OofState::scheduled: return "scheduled";
    }
    return "off";
}

// The value of a datetime-local input ("2026-12-20T09:00") for unix seconds; "" for none.
std::string local_input_value(long long unix_seconds) {
    return unix_seconds == 0 ? std::string() : utc_time_text(unix_seconds).substr(0, 16);
}

// "2026-12-20T09:00" or with seconds (what browsers send), as UTC; nullopt when malformed.
std::optional<long long> parse_form_time(std::string value) {
    if (value.size() == 16) value += ":00";
    auto t = content::parse_eas_datetime(value);
    if (!t) return std::nullopt;
    return static_cast<long long>(*t);
}

store::OofMessage message_of(const store::OofSettings& s, store::OofAudience audience) {
    for (const auto& m : s.messages)
        if (m.audience == audience) return m;
    store::OofMessage none;
    none.audience = audience;
    return none;
}

}  // namespace

std::string oof_summary(const store::OofSettings& s) {
    std::string out = state_word(s.state);
    if (s.state == store::OofState::scheduled)
        out += " from " + utc_time_text(s.start_time) + " to " + utc_time_text(s.end_time);
    return out;
}

std::string oof_form(const store::OofSettings& s, const std::string& action, const std::string& csrf_token,
                     const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out = "<p>Out of Office: " + text(oof_summary(s)) + ".</p>";
    out += "<form method=\"post\" action=\"" + text(action) + "\" class=\"oof\">"
           "<input type=\"hidden\" name=\"csrf\" value=\"" + text(csrf_token) + "\">";
    for (const auto& [n, v] : fields)
        out += "<input type=\"hidden\" name=\"" + text(n) + "\" value=\"" + text(v) + "\">";
    out += "<fieldset><label>State <select name=\"oof_state\">";
    for (const char* w : {"off", "on", "scheduled"})
        out += std::string("<option value=\"") + w + "\"" + (state_word(s.state) == std::string(w) ? " selected" : "") +
               ">" + w + "</option>";
    out += "</select></label>"
           "<label>From (UTC) <input type=\"datetime-local\" name=\"oof_start\" value=\"" +
           text(local_input_value(s.start_time)) + "\"></label>"
           "<label>Until (UTC) <input type=\"datetime-local\" name=\"oof_end\" value=\"" +
           text(local_input_value(s.end_time)) + "\"></label></fieldset>";
    for (const auto& a : kAudiences) {
        const store::OofMessage m = message_of(s, a.audience);
        const std::string name = store::audience_name(a.audience);
        // The browser drops the line break right after <textarea>, so a message starting with one keeps it.
        out += "<fieldset><legend>" + text(a.label) + "</legend>"
               "<label><input type=\"checkbox\" name=\"" + name + "_enabled\" value=\"1\"" +
               (m.enabled ? " checked" : "") + "> Reply</label>"
               "<label>Format <select name=\"" + name + "_format\">"
               "<option value=\"text\"" + (m.html ? "" : " selected") + ">text</option>"
               "<option value=\"html\"" + (m.html ? " selected" : "") + ">HTML</option></select></label><br>"
               "<textarea name=\"" + name + "_text\" rows=\"4\" cols=\"60\">\n" + text(m.text) + "</textarea></fieldset>";
    }
    out += "<button type=\"submit\">Save Out of Office</button></form>";
    return out;
}

std::string apply_oof_form(const Params& form, store::OofSettings& s) {
    const std::string state = param(form, "oof_state");
    if (state == "off") s.state = store::OofState::off;
    else if (state == "on") s.state = store::OofState::on;
    else if (state == "scheduled") s.state = store::OofState::scheduled;
    else return "The state is off, on or scheduled.";
    const std::string start = param(form, "oof_start"), end = param(form, "oof_end");
    if (!start.empty() || !end.empty()) {
        auto from = parse_form_time(start), to = parse_form_time(end);
        if (!from || !to) return "Give the start and the end as date and time (2026-12-20T09:00), or neither.";
        s.start_time = *from;
        s.end_time = *to;
    }
    std::vector<store::OofMessage> messages;
    for (const auto& a : kAudiences) {
        const std::string name = store::audience_name(a.audience);
        store::OofMessage m;
        m.audience = a.audience;
        const std::string enabled = param(form, name + "_enabled");
        if (!enabled.empty() && enabled != "1") return "Bad reply switch.";
        m.enabled = enabled == "1";
        const std::string format = param(form, name + "_format");
        if (format != "text" && format != "html") return "The format of a message is text or HTML.";
        m.html = format == "html";
        m.text = param(form, name + "_text");
        messages.push_back(std::move(m));
    }
    s.messages = std::move(messages);
    // The checks `easctl user oof` makes too (store/oof.h).
    return store::oof_problem(s);
}

Response save_oof_form(const PageContext& c, const store::User& user, const std::string& back) {
    store::OofSettings s = store::load_oof(c.sql, user.id);
    const std::string error = apply_oof_form(c.form, s);
    if (!error.empty()) return c.message(400, "Not saved", error);
    store::save_oof(c.sql, user.id, s);
    EASD_LOG_INFO("console: %s set Out of Office of %s to %s", c.session.user.address.c_str(), user.address.c_str(),
                  state_word(s.state));
    return see_other(back);
}

Response my_oof_action(const PageContext& c) { return save_oof_form(c, c.session.user, "/easd-admin/me?done=oof"); }

}  // namespace easd::admin
