#include "easctl_policy.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/text.h"
#include "policy/fingerprint.h"
#include "policy/policy.h"
#include "policy/settings.h"
#include "protocol/request.h"
#include "store/accounts.h"
#include "store/policies.h"

namespace easd::cli {

namespace {

using store::PolicyTarget;
using Level = PolicyTarget::Level;

// ---------------------------------------------------------------------------------------------
// the command line

// The words after `policy SUBCOMMAND`, taken from the front.
class Words {
public:
    explicit Words(const Args& a) : words_(a.words), next_(2) {}
    bool empty() const { return next_ >= words_.size(); }
    const std::string& peek() const { return words_[next_]; }
    const std::string& take(const char* what) {
        if (empty()) throw UsageError(std::string("missing ") + what);
        return words_[next_++];
    }
    std::vector<std::string> rest() {
        std::vector<std::string> out(words_.begin() + static_cast<std::ptrdiff_t>(std::min(next_, words_.size())),
                                     words_.end());
        next_ = words_.size();
        return out;
    }
    void expect_end() const {
        if (!empty()) throw UsageError("unexpected argument " + peek());
    }

private:
    const std::vector<std::string>& words_;
    std::size_t next_;
};

// TARGET: nothing or `global`, `domain DOMAIN`, `user ADDRESS`, `device ADDRESS DEVICEID`. Words,
// not options, because `set` and `unset` go on with words: no setting is called global, domain,
// user or device, so the first word tells whether a target is named.
PolicyTarget read_target(Words& w) {
    PolicyTarget t;
    if (w.empty()) return t;
    const std::string keyword = w.peek();
    if (keyword == "global") {
        w.take("target");
    } else if (keyword == "domain") {
        w.take("target");
        t.level = Level::Domain;
        t.domain = w.take("domain name");
    } else if (keyword == "user") {
        w.take("target");
        t.level = Level::User;
        t.address = w.take("address");
    } else if (keyword == "device") {
        w.take("target");
        t.level = Level::Device;
        t.address = w.take("address");
        t.device_id = w.take("device id");
    }
    return t;
}

bool is_enforce(const std::string& name) { return iequals(name, "enforce"); }

std::string joined(const std::vector<std::string>& parts, const char* separator = ", ") {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : separator) + p;
    return out;
}


// ---------------------------------------------------------------------------------------------
// where values come from

using store::source_of;

std::size_t index_of(Level level) { return store::level_index(level); }

// "set here" or "inherited from default|global|domain|user", as seen from the target's level.
std::string origin(policy::Source source, Level here) {
    if (source == source_of(here)) return "set here";
    return "inherited from " + std::string(policy::source_name(source));
}

const char* on_off(bool b) { return b ? "on" : "off"; }

// What a level says of its own, in a few words.
std::string own_summary(const std::optional<policy::LevelPolicy>& own) {
    if (!own) return "none: everything is inherited";
    std::vector<std::string> parts;
    if (own->enforce) parts.push_back(std::string("enforce ") + on_off(*own->enforce));
    if (!own->settings.empty())
        parts.push_back(std::to_string(own->settings.size()) + (own->settings.size() == 1 ? " setting" : " settings"));
    return joined(parts, " and ");
}

std::string enforcement_text(const policy::EffectivePolicy& p, Level here) {
    std::string text = std::string(p.enforce ? "yes" : "no") + " (" + origin(p.enforce_source, here) + ")";
    if (!p.enforce)
        text += ": devices get the neutral policy; the values below are kept for reference and not sent";
    return text;
}

// SENT column: a device setting goes out only while the policy is enforced; the server's own
// settings never go out, and count only while it is enforced.
std::string sent_text(const policy::EffectiveSetting& s, bool enforced) {
    if (!enforced) return "no";
    return s.spec->sent_to_device() ? "yes" : "server";
}

// ---------------------------------------------------------------------------------------------
// policy show

struct Shown {
    PolicyTarget target;
    policy::PolicyLevels levels;
    policy::EffectivePolicy effective;
    std::optional<store::PolicyAcknowledgement> acknowledgement;  // device targets
    std::string fingerprint;                                       // device targets
};

Shown gather(soci::session& sql, const PolicyTarget& target) {
    Shown s;
    s.target = target;
    s.levels = store::load_levels_at(sql, target);
    s.effective = policy::resolve(s.levels);
    if (target.level == Level::Device) {
        s.acknowledgement = store::load_acknowledgement(sql, target);
        s.fingerprint = policy::fingerprint(s.effective);
    }
    return s;
}

bool fingerprint_matches(const Shown& s) {
    return s.acknowledgement && store::fingerprint_matches(*s.acknowledgement, s.fingerprint);
}

// What the device's acknowledgement means for its next request (commands/admission.cpp).
std::string acknowledgement_text(const Shown& s) {
    return store::acknowledgement_text(*s.acknowledgement, s.effective, s.fingerprint);
}

// "Label:" padded so that the values line up.
void print_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::size_t width = 0;
    for (const auto& f : fields) width = std::max(width, f.first.size() + 1);
    for (const auto& [label, value] : fields)
        std::cout << label << ":" << std::string(width - label.size() + 1, ' ') << value << "\n";
}

void print_shown_text(const Shown& s) {
    const Level here = s.target.level;
    std::vector<std::pair<std::string, std::string>> fields = {
        {"Policy of", store::describe(s.target)},
        {"Own settings", own_summary(s.levels[index_of(here)])},
        {"Enforced", enforcement_text(s.effective, here)},
    };
    if (s.acknowledgement) {
        fields.emplace_back("Fingerprint", s.fingerprint);
        fields.emplace_back("Acknowledged", acknowledgement_text(s));
    }
    print_fields(fields);
    std::cout << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const policy::EffectiveSetting& e : s.effective.settings)
        rows.push_back({std::string(e.spec->name), or_dash(e.value), or_dash(std::string(e.spec->unit)),
                        sent_text(e, s.effective.enforce), origin(e.source, here)});
    print_table({"SETTING", "VALUE", "UNIT", "SENT", "SOURCE"}, rows);
}

std::string json_own(const std::optional<policy::LevelPolicy>& own) {
    if (!own) return "null";
    JsonObject settings;
    for (const auto& [name, value] : own->settings) settings.text(name, value);
    return JsonObject()
        .raw("enforce", own->enforce ? (*own->enforce ? "true" : "false") : "null")
        .raw("settings", settings.str())
        .str();
}

void print_shown_json(const Shown& s) {
    const Level here = s.target.level;
    std::vector<std::string> settings;
    for (const policy::EffectiveSetting& e : s.effective.settings)
        settings.push_back(JsonObject()
                               .text("name", std::string(e.spec->name))
                               .text("value", e.value)
                               .text("unit", std::string(e.spec->unit))
                               .text("source", std::string(policy::source_name(e.source)))
                               .boolean("set_here", e.source == source_of(here))
                               .boolean("sent", s.effective.enforce && e.spec->sent_to_device())
                               .boolean("server_side", !e.spec->sent_to_device())
                               .str());
    JsonObject out;
    out.text("target", store::describe(s.target))
        .raw("own", json_own(s.levels[index_of(here)]))
        .boolean("enforce", s.effective.enforce)
        .text("enforce_source", std::string(policy::source_name(s.effective.enforce_source)))
        .boolean("enforce_set_here", s.effective.enforce_source == source_of(here))
        .boolean("neutral_policy_sent", !s.effective.enforce)
        .raw("settings", json_array(settings));
    if (s.acknowledgement)
        out.text("fingerprint", s.fingerprint)
            .text("policy_status", s.acknowledgement->policy_status)
            .raw("acknowledged_fingerprint",
                 s.acknowledgement->fingerprint ? json_string(*s.acknowledgement->fingerprint) : "null")
            .boolean("fingerprint_matches", fingerprint_matches(s));
    std::cout << out.str() << "\n";
}

// ---------------------------------------------------------------------------------------------
// policy set / unset / inherit

// "in force (set here)" or "not enforced (inherited from global): ...": what the change means.
std::string enforcement_after(soci::session& sql, const PolicyTarget& target) {
    const policy::EffectivePolicy p = policy::resolve(store::load_levels_at(sql, target));
    const std::string from = origin(p.enforce_source, target.level);
    if (p.enforce) return "enforced (" + from + ")";
    return "not enforced (" + from + "): devices get the neutral policy; saved settings are kept for reference";
}

// A refused value: the one-line reason, and that nothing was saved (the whole command is one
// transaction).
[[noreturn]] void refuse(const std::string& reason) { throw store::InvalidRequest(reason + "; nothing was saved"); }

std::optional<bool> parse_enforce(const std::string& value) {
    if (iequals(value, "inherit")) return std::nullopt;
    if (auto b = policy::parse_bool(value)) return b;
    refuse("enforce is on, off or inherit, not '" + value + "'");
}

struct Assignment {
    std::string name;
    std::string value;
};

std::vector<Assignment> read_assignments(Words& w) {
    std::vector<Assignment> out;
    for (const std::string& word : w.rest()) {
        const std::size_t eq = word.find('=');
        if (eq == std::string::npos || eq == 0) throw UsageError("expected NAME=VALUE, not '" + word + "'");
        out.push_back({word.substr(0, eq), word.substr(eq + 1)});
    }
    if (out.empty()) throw UsageError("missing NAME=VALUE");
    return out;
}

// Applies one NAME=VALUE to the level; returns "Name=canonical" and adds a clamping note, if any.
std::string apply(policy::LevelPolicy& level, const Assignment& a, std::vector<std::string>& notes) {
    if (is_enforce(a.name)) {
        level.enforce = parse_enforce(a.value);
        return std::string("enforce=") + (level.enforce ? on_off(*level.enforce) : "inherit");
    }
    std::string message;
    if (!policy::set_setting(level, a.name, a.value, &message)) refuse(message);
    if (!message.empty()) notes.push_back(message);
    const std::string name(policy::find_setting(a.name)->name);
    return name + "=" + level.settings.at(name);
}

std::string canonical_name(const std::string& name) {
    if (is_enforce(name)) return "enforce";
    const policy::SettingSpec* spec = policy::find_setting(name);
    return spec ? std::string(spec->name) : name;
}

void set_command(const Args& a, soci::session& sql, const PolicyTarget& target, Words& w) {
    const std::vector<Assignment> assignments = read_assignments(w);
    std::vector<std::string> notes, applied;
    const policy::LevelPolicy saved = store::update_level(sql, target, [&](policy::LevelPolicy& level) {
        std::set<std::string> seen;
        for (const Assignment& assignment : assignments) {
            if (!seen.insert(canonical_name(assignment.name)).second)
                refuse(canonical_name(assignment.name) + " is given twice");
            applied.push_back(apply(level, assignment, notes));
        }
    });
    std::vector<std::string> json_notes;
    for (const std::string& note : notes) {
        if (!a.flag("--json")) std::cout << "note: " << note << "\n";
        json_notes.push_back(json_string(note));
    }
    done(a, "saved for " + store::describe(target) + ": " + joined(applied) + "; " + enforcement_after(sql, target),
         JsonObject().raw("notes", json_array(json_notes)).raw("own", json_own(saved)));
}

void unset_command(const Args& a, soci::session& sql, const PolicyTarget& target, Words& w) {
    const std::vector<std::string> names = w.rest();
    if (names.empty()) throw UsageError("missing setting name");
    std::vector<std::string> unset;
    const policy::LevelPolicy saved = store::update_level(sql, target, [&](policy::LevelPolicy& level) {
        for (const std::string& name : names) {
            std::string error;
            if (is_enforce(name))
                level.enforce.reset();
            else if (!policy::unset_setting(level, name, &error))
                refuse(error);
            unset.push_back(canonical_name(name));
        }
    });
    const bool nothing_left = !saved.enforce && saved.settings.empty();
    done(a,
         store::describe(target) + ": " + joined(unset) + " inherited again" +
             (nothing_left ? "; the level has nothing of its own left and inherits everything" : ""),
         JsonObject().raw("own", nothing_left ? "null" : json_own(saved)));
}

void inherit_command(const Args& a, soci::session& sql, const PolicyTarget& target) {
    const bool deleted = store::delete_level(sql, target);
    const std::string what = store::describe(target);
    std::string message;
    if (!deleted)
        message = what + " has no policy of its own: nothing to delete";
    else if (target.level == Level::Global)
        message = "deleted the global policy: the built-in defaults apply again";
    else
        message = "deleted the policy of " + what + ": it inherits everything again";
    done(a, message, JsonObject().boolean("deleted", deleted));
}

// ---------------------------------------------------------------------------------------------
// policy settings

const char* kind_name(policy::SettingKind kind) {
    switch (kind) {
        case policy::SettingKind::Bool: return "bool";
        case policy::SettingKind::Number: return "number";
        case policy::SettingKind::Choice: return "choice";
        case policy::SettingKind::Hours: return "hours";
        case policy::SettingKind::List: return "list";
    }
    return "";
}

// What a value may be, for people.
std::string accepted_values(const policy::SettingSpec& spec) {
    const std::string range = std::to_string(spec.min) + ".." + std::to_string(spec.max);
    switch (spec.kind) {
        case policy::SettingKind::Bool: return "0/1, yes/no";
        case policy::SettingKind::Number: return range;
        case policy::SettingKind::Choice: return std::string(spec.choices);
        case policy::SettingKind::Hours: return range + " or off";
        case policy::SettingKind::List: return "comma-separated";
    }
    return "";
}

std::string since_text(const policy::SettingSpec& spec) {
    return spec.sent_to_device() ? protocol::version_string(spec.since) : "server";
}

std::string json_allowed_choices(const policy::SettingSpec& spec) {
    std::vector<std::string> values;
    for (int v = 0; v < 32; ++v)
        if (spec.choice_mask & (1u << v)) values.push_back(std::to_string(v));
    return json_array(values);
}

void print_settings(bool json) {
    if (json) {
        std::vector<std::string> objects;
        for (const policy::SettingSpec& spec : policy::settings()) {
            JsonObject o;
            o.text("name", std::string(spec.name)).text("kind", kind_name(spec.kind));
            if (spec.kind == policy::SettingKind::Number || spec.kind == policy::SettingKind::Hours)
                o.number("min", spec.min).number("max", spec.max);
            if (spec.kind == policy::SettingKind::Choice) o.raw("choices", json_allowed_choices(spec));
            o.text("values", accepted_values(spec))
                .text("unit", std::string(spec.unit))
                .text("default", std::string(spec.default_value))
                .raw("since", spec.sent_to_device() ? json_string(since_text(spec)) : "null")
                .boolean("sent_to_device", spec.sent_to_device())
                .text("summary", std::string(spec.summary));
            objects.push_back(o.str());
        }
        std::cout << json_array(objects) << "\n";
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const policy::SettingSpec& spec : policy::settings())
        rows.push_back({std::string(spec.name), kind_name(spec.kind), accepted_values(spec),
                        or_dash(std::string(spec.unit)), or_dash(std::string(spec.default_value)), since_text(spec),
                        std::string(spec.summary)});
    print_table({"SETTING", "KIND", "VALUES", "UNIT", "DEFAULT", "SINCE", "SUMMARY"}, rows);
}

}  // namespace

int run_policy_command(const Args& a, soci::session& sql) {
    // --domain and --device are easctl options of other commands; taken here they would be
    // silently ignored and the command would act on the global level.
    if (!a.value("--domain").empty() || !a.value("--device").empty())
        throw UsageError("policy names its target with words: global, domain DOMAIN, user ADDRESS, "
                         "device ADDRESS DEVICEID");
    if (a.words.size() < 2) throw UsageError("missing policy command (show, set, unset, inherit, settings)");
    const std::string& sub = a.words[1];
    Words w(a);
    if (sub == "settings") {
        w.expect_end();
        print_settings(a.flag("--json"));
        return 0;
    }
    if (sub != "show" && sub != "set" && sub != "unset" && sub != "inherit")
        throw UsageError("unknown command: policy " + sub);
    const PolicyTarget target = read_target(w);
    if (sub == "show") {
        w.expect_end();
        const Shown shown = gather(sql, target);
        if (a.flag("--json"))
            print_shown_json(shown);
        else
            print_shown_text(shown);
    } else if (sub == "set") {
        set_command(a, sql, target, w);
    } else if (sub == "unset") {
        unset_command(a, sql, target, w);
    } else {
        w.expect_end();
        inherit_command(a, sql, target);
    }
    return 0;
}

}  // namespace easd::cli
