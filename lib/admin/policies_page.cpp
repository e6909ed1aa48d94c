// The administrators' policy page (/easd-admin/policies): the security policy at one of its four
// levels (global, a domain, a user, one of the user's devices) as `easctl policy show` tells it:
// every setting's effective value and where it comes from, what the level says of its own, values
// greyed while the policy is not enforced there, and for a device what it acknowledged. Its forms
// set or clear one setting, switch enforcement on, off or back to inherited, and delete the level's
// row, through the same store and policy functions as `easctl policy set|unset|inherit`, so a
// value easctl refuses is refused here with the same words (a 400 page, nothing saved).
//
// A domain administrator sees and edits the domain, user and device levels of their domains, and
// the global level read-only; another domain's level looks as if it did not exist (404).
#include <stdexcept>

#include "admin/pages.h"
#include "common/log.h"
#include "common/text.h"
#include "policy/fingerprint.h"
#include "policy/policy.h"
#include "policy/settings.h"
#include "store/policies.h"

namespace easd::admin {

namespace {

using store::PolicyTarget;
using Level = PolicyTarget::Level;

constexpr std::string_view kPath = "/easd-admin/policies";

// The level a request names, when the signed-in administrator may see it.
struct Chosen {
    PolicyTarget target;
    bool editable = false;      // false: the global level for a domain administrator
    std::string user_domain;    // user and device levels: the account's domain, for the link up
};

// From the `level`, `domain`, `user` and `id` parameters (the query of a GET, the form of a POST);
// no level is the global one. Nullopt reads as 404: an unknown level, another domain's level (it
// looks like one that does not exist), a missing name. Whether the domain, account or device
// exists the store says when it is read (InvalidRequest, also a 404).
std::optional<Chosen> choose(const PageContext& c, const Params& p) {
    const store::AdminRole& role = c.session.role;
    const std::string level = param(p, "level");
    Chosen chosen;
    if (level.empty() || level == "global") {
        chosen.editable = role.all_domains;
        return chosen;
    }
    chosen.editable = true;
    if (level == "domain") {
        const std::string domain = to_lower_ascii(param(p, "domain"));
        if (domain.empty() || !role.covers(domain)) return std::nullopt;
        chosen.target.level = Level::Domain;
        chosen.target.domain = domain;
        return chosen;
    }
    if (level != "user" && level != "device") return std::nullopt;
    auto user = visible_account(c.sql, role, param(p, "user"));
    if (!user) return std::nullopt;
    chosen.target.level = level == "user" ? Level::User : Level::Device;
    chosen.target.address = user->address;
    chosen.user_domain = user->domain;
    if (chosen.target.level == Level::Device) {
        chosen.target.device_id = param(p, "id");
        if (chosen.target.device_id.empty()) return std::nullopt;
    }
    return chosen;
}

const char* level_word(Level level) {
    switch (level) {
        case Level::Global: return "global";
        case Level::Domain: return "domain";
        case Level::User: return "user";
        case Level::Device: return "device";
    }
    return "global";
}

// The parameters that name the target, for links and the hidden fields of the forms.
std::vector<std::pair<std::string, std::string>> target_fields(const PolicyTarget& t) {
    std::vector<std::pair<std::string, std::string>> fields = {{"level", level_word(t.level)}};
    if (t.level == Level::Domain) fields.emplace_back("domain", t.domain);
    if (t.level == Level::User || t.level == Level::Device) fields.emplace_back("user", t.address);
    if (t.level == Level::Device) fields.emplace_back("id", t.device_id);
    return fields;
}

// The page of the target (unescaped: for a Location header), with `extra` appended.
std::string target_location(const PolicyTarget& t, const std::string& extra) {
    std::string out(kPath);
    char sep = '?';
    for (const auto& [name, value] : target_fields(t)) {
        out += sep + name + "=" + url_value(value);
        sep = '&';
    }
    return out + "&" + extra;
}

std::string level_link(const PolicyTarget& t, const std::string& label) {
    return "<a href=\"" + query_href(kPath, target_fields(t)) + "\">" + text(label) + "</a>";
}

// The notice after a change; `name` only ever names a known setting (it came back in the URL).
std::string notice_for(const Params& q) {
    const std::string done = param(q, "done");
    const policy::SettingSpec* spec = policy::find_setting(param(q, "name"));
    const std::string name = spec ? std::string(spec->name) : "The setting";
    if (done == "set") return notice_paragraph(name + " is saved at this level.");
    if (done == "clamped")
        return notice_paragraph(name + " is saved at this level; the value was outside its range and was brought into it.");
    if (done == "unset") return notice_paragraph(name + " is inherited again.");
    if (done == "enforce") return notice_paragraph("Enforcement is saved at this level.");
    if (done == "delete") return notice_paragraph("This level's policy is deleted: it inherits everything again.");
    if (done == "nothing") return notice_paragraph("This level had no policy of its own: nothing to delete.");
    return {};
}

// The forms to pick a level. A domain administrator picks among their domains.
std::string picker(const PageContext& c) {
    const store::AdminRole& role = c.session.role;
    std::string out = "<p><a href=\"" + text(std::string(kPath) + "?level=global") + "\">Global policy</a></p>";
    out += "<form method=\"get\" action=\"/easd-admin/policies\"><fieldset><input type=\"hidden\" name=\"level\" value=\"domain\">";
    if (role.all_domains) {
        out += "<label>Domain <input name=\"domain\" required></label>";
    } else {
        out += "<label>Domain <select name=\"domain\">";
        for (const auto& d : role.domains) out += "<option>" + text(d) + "</option>";
        out += "</select></label>";
    }
    out += "<button type=\"submit\">Show domain</button></fieldset></form>"
           "<form method=\"get\" action=\"/easd-admin/policies\"><fieldset><input type=\"hidden\" name=\"level\" value=\"user\">"
           "<label>User <input name=\"user\" type=\"email\" required></label>"
           "<button type=\"submit\">Show user</button></fieldset></form>"
           "<form method=\"get\" action=\"/easd-admin/policies\"><fieldset><input type=\"hidden\" name=\"level\" value=\"device\">"
           "<label>User <input name=\"user\" type=\"email\" required></label>"
           "<label>Device ID <input name=\"id\" required></label>"
           "<button type=\"submit\">Show device</button></fieldset></form>";
    return out;
}

std::string own_summary(const std::optional<policy::LevelPolicy>& own) {
    if (!own) return "none: everything is inherited";
    std::string out;
    if (own->enforce) out += std::string("enforce ") + (*own->enforce ? "on" : "off");
    if (!own->settings.empty())
        out += (out.empty() ? "" : " and ") + std::to_string(own->settings.size()) +
               (own->settings.size() == 1 ? " setting" : " settings");
    return out;
}

// "set here" or "inherited from domain", as seen from the target's level (easctl's words).
std::string origin(policy::Source source, Level here) {
    if (source == store::source_of(here)) return "set here";
    return "inherited from " + std::string(policy::source_name(source));
}

// A form of this level's page: the CSRF token, the target, the action, then `inner`.
std::string level_form(const PageContext& c, const PolicyTarget& t, const std::string& action, const std::string& inner) {
    std::string out = "<form method=\"post\" action=\"/easd-admin/policies\" class=\"inline\">"
                      "<input type=\"hidden\" name=\"csrf\" value=\"" + text(c.session.csrf_token) + "\">";
    for (const auto& [name, value] : target_fields(t))
        out += "<input type=\"hidden\" name=\"" + text(name) + "\" value=\"" + text(value) + "\">";
    out += "<input type=\"hidden\" name=\"action\" value=\"" + text(action) + "\">" + inner + "</form>";
    return out;
}

std::string level_page(const PageContext& c, const Chosen& chosen) {
    const PolicyTarget& t = chosen.target;
    const policy::PolicyLevels levels = store::load_levels_at(c.sql, t);
    const policy::EffectivePolicy effective = policy::resolve(levels);
    const std::optional<policy::LevelPolicy>& own = levels[store::level_index(t.level)];

    std::string out = notice_for(c.query) + "<dl>";
    detail_row(out, "Policy of", store::describe(t));
    detail_row(out, "Own settings", own_summary(own));
    detail_row(out, "Enforced",
               std::string(effective.enforce ? "yes" : "no") + " (" + origin(effective.enforce_source, t.level) + ")" +
                   (effective.enforce ? ""
                                      : ": devices get the neutral policy; the values below are kept for reference and not sent"));
    if (t.level == Level::Device) {
        // As `easctl policy show device`: what the device acknowledged against what it would get now.
        const store::PolicyAcknowledgement ack = store::load_acknowledgement(c.sql, t);
        const std::string fingerprint = policy::fingerprint(effective);
        detail_row(out, "Fingerprint", fingerprint);
        detail_row(out, "Acknowledged", store::acknowledgement_text(ack, effective, fingerprint));
    }
    out += "</dl>";

    // The levels above this one, and the device itself.
    std::string up;
    if (t.level != Level::Global) up += level_link(PolicyTarget{}, "global");
    if (t.level == Level::User || t.level == Level::Device) {
        PolicyTarget domain{Level::Domain, chosen.user_domain, {}, {}};
        up += " &middot; " + level_link(domain, "domain " + chosen.user_domain);
    }
    if (t.level == Level::Device) {
        up += " &middot; " + level_link(PolicyTarget{Level::User, {}, t.address, {}}, "user " + t.address);
        up += " &middot; <a href=\"" + query_href("/easd-admin/device", {{"user", t.address}, {"id", t.device_id}}) +
              "\">the device</a>";
    }
    if (!up.empty()) out += "<p>Levels above: " + up + "</p>";

    if (chosen.editable) {
        out += "<h2>Enforcement at this level</h2><p>" +
               level_form(c, t, "enforce",
                          "<button type=\"submit\" name=\"value\" value=\"on\">Enforce</button>"
                          "<button type=\"submit\" name=\"value\" value=\"off\">Do not enforce</button>"
                          "<button type=\"submit\" name=\"value\" value=\"inherit\">Inherit</button>") +
               " (now: " + text(own && own->enforce ? (*own->enforce ? "on" : "off") : "inherited") + ")";
        if (own)
            out += " " + level_form(c, t, "delete",
                                    "<button type=\"submit\" class=\"danger\">Delete this level's policy</button>");
        out += "</p>";
    } else {
        out += "<p>Read-only: only an administrator of every domain changes the global policy.</p>";
    }

    out += "<h2>Settings</h2><table><thead><tr><th>Setting</th><th>Effective value</th><th>Unit</th><th>Source</th>"
           "<th>This level</th>";
    if (chosen.editable) out += "<th>Change</th>";
    out += "</tr></thead><tbody>\n";
    for (const policy::EffectiveSetting& e : effective.settings) {
        const std::string name(e.spec->name);
        const std::string* here = nullptr;
        if (own) {
            auto it = own->settings.find(name);
            if (it != own->settings.end()) here = &it->second;
        }
        // Not enforced here: nothing below reaches the device (the neutral policy does), so greyed.
        out += "<tr id=\"setting-" + text(name) + "\"" + (effective.enforce ? "" : " class=\"unenforced\"") +
               "><td title=\"" + text(e.spec->summary) + "\">" + text(name) + "</td><td class=\"value\">" +
               text_or_dash(e.value) + "</td><td>" + text_or_dash(e.spec->unit) + "</td><td class=\"source\">" +
               text(policy::source_name(e.source)) + "</td><td class=\"own\">" +
               (here ? text_or_dash(*here) : std::string("inherited")) + "</td>";
        if (chosen.editable) {
            out += "<td>" +
                   level_form(c, t, "set",
                              "<input type=\"hidden\" name=\"name\" value=\"" + text(name) + "\">"
                              "<input name=\"value\" aria-label=\"" + text(name) + "\" value=\"" +
                                  text(here ? *here : std::string()) + "\" placeholder=\"" + text(e.value) +
                                  "\"><button type=\"submit\">Set</button>");
            if (here)
                out += level_form(c, t, "unset",
                                  "<input type=\"hidden\" name=\"name\" value=\"" + text(name) +
                                      "\"><button type=\"submit\">Inherit</button>");
            out += "</td>";
        }
        out += "</tr>\n";
    }
    out += "</tbody></table>";
    return out;
}

// A value the policy functions refuse, with their one-line reason: nothing is saved.
struct Refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

Response policies_page(const PageContext& c) {
    auto chosen = choose(c, c.query);
    if (!chosen) return c.message(404, "Not found", "No such policy level.");
    std::string content;
    try {
        content = level_page(c, *chosen);
    } catch (const store::InvalidRequest&) {
        return c.message(404, "Not found", "No such policy level.");
    }
    return c.page("Policy: " + store::describe(chosen->target), picker(c) + content);
}

Response policies_action(const PageContext& c) {
    const Params& form = c.form;
    auto chosen = choose(c, form);
    if (!chosen) return c.message(404, "Not found", "No such policy level.");
    if (!chosen->editable)
        return c.message(403, "Refused", "Only an administrator of every domain changes the global policy; nothing was changed.");
    const PolicyTarget& t = chosen->target;
    const std::string action = param(form, "action");
    const std::string name = param(form, "name");
    const std::string value = param(form, "value");
    std::string done = action;
    // The same functions as `easctl policy set|unset|inherit`, with easctl's words for a refusal.
    try {
        if (action == "set") {
            store::update_level(c.sql, t, [&](policy::LevelPolicy& level) {
                std::string message;
                if (!policy::set_setting(level, name, value, &message)) throw Refused(message);
                if (!message.empty()) done = "clamped";
            });
        } else if (action == "unset") {
            store::update_level(c.sql, t, [&](policy::LevelPolicy& level) {
                std::string error;
                if (!policy::unset_setting(level, name, &error)) throw Refused(error);
            });
        } else if (action == "enforce") {
            store::update_level(c.sql, t, [&](policy::LevelPolicy& level) {
                if (iequals(value, "inherit")) level.enforce.reset();
                else if (auto b = policy::parse_bool(value)) level.enforce = *b;
                else throw Refused("enforce is on, off or inherit, not '" + value + "'");
            });
        } else if (action == "delete") {
            if (!store::delete_level(c.sql, t)) done = "nothing";
        } else {
            return c.message(400, "Bad request", "Unknown action.");
        }
    } catch (const Refused& e) {
        return c.message(400, "Not saved", std::string(e.what()) + "; nothing was saved");
    } catch (const store::InvalidRequest&) {
        return c.message(404, "Not found", "No such policy level.");
    }
    EASD_LOG_INFO("console: %s: policy %s of %s%s%s", c.session.user.address.c_str(), action.c_str(),
                  store::describe(t).c_str(), name.empty() ? "" : ": ", name.c_str());
    const policy::SettingSpec* spec = policy::find_setting(name);
    return see_other(target_location(t, "done=" + done + (spec ? "&name=" + url_value(spec->name) : "")));
}

}  // namespace easd::admin
