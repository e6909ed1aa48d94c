#include "store/access.h"

#include <algorithm>
#include <array>
#include <utility>

#include "common/text.h"
#include "store/admin.h"
#include "store/db.h"
#include "store/pq.h"

namespace easd::store {

namespace {

template <typename E, std::size_t N>
using Words = std::array<std::pair<E, const char*>, N>;

constexpr Words<AccessMode, 2> kModeWords{{{AccessMode::all, "all"}, {AccessMode::flagged, "flagged"}}};
constexpr Words<AccessAction, 3> kActionWords{
    {{AccessAction::allow, "allow"}, {AccessAction::block, "block"}, {AccessAction::quarantine, "quarantine"}}};
constexpr Words<AccessState, 3> kStateWords{{{AccessState::allowed, "allowed"},
                                             {AccessState::blocked, "blocked"},
                                             {AccessState::quarantined, "quarantined"}}};
constexpr Words<RuleField, 4> kFieldWords{{{RuleField::model, "model"},
                                           {RuleField::os, "os"},
                                           {RuleField::device_type, "device_type"},
                                           {RuleField::user_agent, "user_agent"}}};

template <typename E, std::size_t N>
const char* word_of(const Words<E, N>& words, E value) {
    for (const auto& [v, w] : words)
        if (v == value) return w;
    return "";
}

template <typename E, std::size_t N>
std::optional<E> value_of(const Words<E, N>& words, const std::string& word) {
    for (const auto& [v, w] : words)
        if (iequals(word, w)) return v;
    return std::nullopt;
}

// The order in which rules are weighed, in SQL over device_access_rules r.
//
// The most specific field wins because it says the most about the device: a model names one
// product; an OS release spans many models; a device type is a broad family that the client names
// itself ("iPhone", "Android"); the user agent is the least reliable, since it names the mail app
// rather than the device, changes with every app update, and two apps on one phone send different
// ones. An administrator who writes a rule for a model has singled those devices out, and that
// must not be undone by a broader rule. Among rules on the same field the most restrictive wins,
// so that adding an allow rule never silently opens what a block rule on the same field closes;
// the id only makes the choice (and so the reason shown) stable.
constexpr const char* kRulePrecedence =
    "array_position(ARRAY['model', 'os', 'device_type', 'user_agent'], r.field), "
    "array_position(ARRAY['block', 'quarantine', 'allow'], r.action), r.id";

AccessRule rule_from_row(const soci::row& r) {
    AccessRule rule;
    rule.id = r.get<long long>(0);
    rule.action = parse_access_action(r.get<std::string>(1)).value_or(AccessAction::allow);
    rule.field = parse_rule_field(r.get<std::string>(2)).value_or(RuleField::model);
    rule.pattern = r.get<std::string>(3);
    rule.created_at = r.get<std::string>(4);
    return rule;
}

std::string rule_columns() {
    return "SELECT r.id, r.action, r.field, r.pattern, " + utc_text_sql("r.created_at") + " ";
}

AccessMode access_mode_or_default(const std::string& value) {
    return parse_access_mode(value).value_or(AccessMode::all);
}

}  // namespace

const char* to_string(AccessMode mode) { return word_of(kModeWords, mode); }
const char* to_string(AccessAction action) { return word_of(kActionWords, action); }
const char* to_string(AccessState state) { return word_of(kStateWords, state); }
const char* to_string(RuleField field) { return word_of(kFieldWords, field); }
std::optional<AccessMode> parse_access_mode(const std::string& word) { return value_of(kModeWords, word); }
std::optional<AccessAction> parse_access_action(const std::string& word) { return value_of(kActionWords, word); }
std::optional<AccessState> parse_access_state(const std::string& word) { return value_of(kStateWords, word); }
std::optional<RuleField> parse_rule_field(const std::string& word) { return value_of(kFieldWords, word); }

// ---------------------------------------------------------------------------------------------

ServerWideSettings read_server_settings(soci::session& sql) {
    ServerWideSettings s;
    soci::rowset<soci::row> rs = (sql.prepare << "SELECT name, value FROM server_settings");
    for (const auto& r : rs) {
        std::string name = r.get<std::string>(0);
        std::string value = r.get<std::string>(1);
        if (name == "access_mode") s.access_mode = access_mode_or_default(value);
        if (name == "default_access") s.default_access = parse_access_action(value).value_or(AccessAction::allow);
        if (name == "admin_address") s.admin_address = value;
    }
    return s;
}

const std::vector<std::string>& server_setting_names() {
    static const std::vector<std::string> names = {"access_mode", "default_access", "admin_address"};
    return names;
}

namespace {
// The value as it is stored, or InvalidRequest saying what is allowed.
std::string validated_setting(const std::string& name, const std::string& value) {
    if (name == "access_mode") {
        auto mode = parse_access_mode(value);
        if (!mode) throw InvalidRequest("access_mode must be all or flagged, not '" + value + "'");
        return to_string(*mode);
    }
    if (name == "default_access") {
        auto action = parse_access_action(value);
        if (!action) throw InvalidRequest("default_access must be allow, block or quarantine, not '" + value + "'");
        return to_string(*action);
    }
    if (name == "admin_address") return value.empty() ? value : normalize_address(value);
    throw InvalidRequest("unknown setting " + name + " (access_mode, default_access, admin_address)");
}
}  // namespace

std::string set_server_setting(soci::session& sql, const std::string& name, const std::string& value) {
    std::string stored = validated_setting(name, value);
    sql << "INSERT INTO server_settings (name, value) VALUES (:n, :v) "
           "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
        soci::use(name), soci::use(stored);
    return stored;
}

// ---------------------------------------------------------------------------------------------

bool may_use_activesync(const User& user, AccessMode mode) {
    switch (user.activesync) {
        case ActiveSyncFlag::on: return true;
        case ActiveSyncFlag::off: return false;
        case ActiveSyncFlag::unset: return mode == AccessMode::all;
    }
    return false;
}

AccessMode AccessModeCache::get(Database& db, std::chrono::seconds max_age) {
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (mode_ && now - read_at_ < max_age) return *mode_;
    }
    // Read without holding the lock: a slow database must not queue every request thread behind
    // one reader. Two threads that find the value stale at once both read; that is harmless.
    AccessMode mode = AccessMode::all;
    {
        Database::Lease sql(db);
        PqResult r = pq_query(*sql, "SELECT value FROM server_settings WHERE name = 'access_mode'");
        if (r.rows() == 1) mode = access_mode_or_default(r.str(0, 0));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    mode_ = mode;
    read_at_ = now;
    return mode;
}

// ---------------------------------------------------------------------------------------------

AccessRule add_access_rule(soci::session& sql, AccessAction action, RuleField field, const std::string& pattern) {
    if (pattern.empty()) throw InvalidRequest("the pattern must not be empty");
    // Device properties are one line of text; a control character could only be a typo.
    if (std::any_of(pattern.begin(), pattern.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
        throw InvalidRequest("the pattern must not contain control characters");
    std::string field_word = to_string(field);
    std::string action_word = to_string(action);
    long long existing = 0;
    soci::indicator existing_ind = soci::i_null;
    sql << "SELECT id FROM device_access_rules WHERE field = :f AND lower(pattern) = lower(:p) LIMIT 1",
        soci::use(field_word), soci::use(pattern), soci::into(existing, existing_ind);
    auto duplicate = [&](long long id) {
        return InvalidRequest("rule " + std::to_string(id) + " already matches " + field_word + " '" + pattern + "'");
    };
    if (existing_ind == soci::i_ok) throw duplicate(existing);

    // ON CONFLICT: another easctl may have added the same rule since the check above.
    soci::rowset<soci::row> rs = (sql.prepare <<
        "WITH r AS (INSERT INTO device_access_rules (action, field, pattern) VALUES (:a, :f, :p) "
        "ON CONFLICT (field, pattern) DO NOTHING RETURNING *) " + rule_columns() + "FROM r",
        soci::use(action_word), soci::use(field_word), soci::use(pattern));
    for (const auto& r : rs) return rule_from_row(r);
    throw InvalidRequest("a rule already matches " + field_word + " '" + pattern + "'");
}

std::vector<AccessRule> list_access_rules(soci::session& sql) {
    std::vector<AccessRule> out;
    soci::rowset<soci::row> rs = (sql.prepare << rule_columns() + "FROM device_access_rules r ORDER BY " +
                                                     kRulePrecedence);
    for (const auto& r : rs) out.push_back(rule_from_row(r));
    return out;
}

AccessRule remove_access_rule(soci::session& sql, long long id) {
    soci::rowset<soci::row> rs = (sql.prepare <<
        "WITH r AS (DELETE FROM device_access_rules WHERE id = :id RETURNING *) " + rule_columns() + "FROM r",
        soci::use(id));
    for (const auto& r : rs) return rule_from_row(r);
    throw InvalidRequest("no rule " + std::to_string(id));
}

// ---------------------------------------------------------------------------------------------

std::string access_facts_select() {
    return "d.access_override, d.access_state, d.access_reason, r.id, r.action, r.field, r.pattern, "
           "(SELECT value FROM server_settings WHERE name = 'default_access')";
}

// The rule that weighs most among those matching the device. A pattern becomes a LIKE pattern:
// LIKE's own wildcards and its escape character (backslash, the default) are escaped, then '*'
// becomes '%'; ILIKE ignores case.
std::string access_facts_join() {
    return std::string(
        "LEFT JOIN LATERAL ("
        "  SELECT r.id, r.action, r.field, r.pattern FROM device_access_rules r "
        "  CROSS JOIN LATERAL (SELECT CASE r.field WHEN 'model' THEN d.model WHEN 'os' THEN d.os "
        "    WHEN 'device_type' THEN d.device_type ELSE d.user_agent END AS value) v "
        "  WHERE v.value <> '' AND v.value ILIKE "
        "    replace(replace(replace(replace(r.pattern, '\\', '\\\\'), '%', '\\%'), '_', '\\_'), '*', '%') "
        "  ORDER BY ") + kRulePrecedence + " LIMIT 1"
        ") r ON true";
}

AccessFacts access_facts_from_row(const PqResult& r, int c) {
    AccessFacts f;
    f.override_word = r.str(0, c);
    f.recorded_state = parse_access_state(r.str(0, c + 1)).value_or(AccessState::allowed);
    f.recorded_reason = r.str(0, c + 2);
    if (!r.is_null(0, c + 3)) {
        AccessRule rule;
        rule.id = r.int64(0, c + 3);
        rule.action = parse_access_action(r.str(0, c + 4)).value_or(AccessAction::allow);
        rule.field = parse_rule_field(r.str(0, c + 5)).value_or(RuleField::model);
        rule.pattern = r.str(0, c + 6);
        f.rule = std::move(rule);
    }
    f.default_access = parse_access_action(r.str(0, c + 7)).value_or(AccessAction::allow);
    return f;
}

namespace {

// One round trip: the device's access columns, the rule that weighs most among those matching it,
// and the default access.
const PreparedQuery& facts_query() {
    static const PreparedQuery query{"easd_access_facts", "SELECT " + access_facts_select() + " FROM devices d " +
                                                              access_facts_join() + " WHERE d.id = $1"};
    return query;
}

AccessFacts read_access_facts(soci::session& sql, long long device_row) {
    PqResult r = pq_prepared(sql, facts_query(), {std::to_string(device_row)});
    if (r.rows() != 1) throw InvalidRequest("no device row " + std::to_string(device_row));
    return access_facts_from_row(r, 0);
}

AccessState state_for(AccessAction action) {
    switch (action) {
        case AccessAction::allow: return AccessState::allowed;
        case AccessAction::block: return AccessState::blocked;
        case AccessAction::quarantine: return AccessState::quarantined;
    }
    return AccessState::allowed;
}

AccessDecision decide(const AccessFacts& f) {
    if (f.override_word == "allow") return {AccessState::allowed, "allowed by the administrator", false};
    if (f.override_word == "block") return {AccessState::blocked, "blocked by the administrator", false};
    AccessDecision d;
    if (f.rule) {
        d.state = state_for(f.rule->action);
        d.reason = std::string(to_string(d.state)) + " by rule " + std::to_string(f.rule->id) + ": " +
                   to_string(f.rule->field) + " matches '" + f.rule->pattern + "'";
    } else {
        d.state = state_for(f.default_access);
        d.reason = std::string(to_string(d.state)) + ": no rule matches and the default access is " +
                   to_string(f.default_access);
    }
    // Quarantine means "waiting for the administrator's approval": only an explicit verdict about
    // this device (an allow rule that matches it) releases it, not a default that became allow.
    // It keeps the reason it was quarantined for.
    if (f.recorded_state == AccessState::quarantined && d.state == AccessState::allowed && !f.rule) {
        d.state = AccessState::quarantined;
        d.reason = f.recorded_reason.empty() ? "quarantined: waiting for the administrator's approval"
                                             : f.recorded_reason;
    }
    return d;
}

// Records the decision only if the row still holds what we read (compare and set), so that of
// several workers deciding at once exactly one records a change, and a concurrent `easctl device
// allow` is never overwritten with a decision taken before it. False when the row had moved on.
bool record_decision(soci::session& sql, long long device_row, const AccessFacts& read, const AccessDecision& d) {
    PqResult r = pq_query(sql,
        "UPDATE devices SET access_state = $2, access_reason = $3 "
        "WHERE id = $1 AND access_state = $4 AND access_reason = $5 "
        "AND access_override IS NOT DISTINCT FROM NULLIF($6, '') RETURNING id",
        {std::to_string(device_row), to_string(d.state), d.reason, to_string(read.recorded_state),
         read.recorded_reason, read.override_word});
    return r.rows() == 1;
}

}  // namespace

AccessDecision decide_device_access(soci::session& sql, long long device_row, const AccessFacts* known) {
    // Retried when another writer changed the row between our read and our write; a few rounds
    // settle it, since each round sees the other writer's result.
    AccessDecision decision;
    for (int attempt = 0; attempt < 3; ++attempt) {
        // What the device read of this request brought counts as a read of our own, once.
        AccessFacts facts = attempt == 0 && known ? *known : read_access_facts(sql, device_row);
        decision = decide(facts);
        if (decision.state == facts.recorded_state && decision.reason == facts.recorded_reason) return decision;
        if (record_decision(sql, device_row, facts, decision)) {
            decision.changed = decision.state != facts.recorded_state;
            return decision;
        }
    }
    return decision;  // the row keeps changing under us; the next request decides again
}

}  // namespace easd::store
