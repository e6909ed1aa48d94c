#include "policy/policy.h"

#include <stdexcept>

#include "common/text.h"

namespace easd::policy {

namespace {

void set(std::string* out, std::string text) {
    if (out) *out = std::move(text);
}

}  // namespace

std::string format_level_settings(const SettingMap& settings) {
    std::string text;
    for (const auto& [name, value] : settings) text += name + "=" + value + "\n";
    return text;
}

std::optional<SettingMap> parse_level_settings(std::string_view text, std::string* error,
                                               std::vector<std::string>* notes) {
    SettingMap out;
    int line_no = 0;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++line_no;
        if (line.empty()) continue;
        const std::string where = "line " + std::to_string(line_no) + ": ";
        std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            set(error, where + "expected Name=value, got '" + std::string(line) + "'");
            return std::nullopt;
        }
        std::string_view name = trim(line.substr(0, eq));
        const SettingSpec* spec = find_setting(name);
        if (!spec) {
            set(error, where + "unknown setting '" + std::string(name) + "'");
            return std::nullopt;
        }
        std::string why, note;
        auto value = normalize_value(*spec, line.substr(eq + 1), &why, &note);
        if (!value) {
            set(error, where + why);
            return std::nullopt;
        }
        if (!out.emplace(std::string(spec->name), std::move(*value)).second) {
            set(error, where + std::string(spec->name) + " is given twice");
            return std::nullopt;
        }
        if (!note.empty() && notes) notes->push_back(where + note);
    }
    return out;
}

bool set_setting(LevelPolicy& level, std::string_view name, std::string_view value, std::string* message) {
    const SettingSpec* spec = find_setting(name);
    if (!spec) {
        set(message, "unknown setting '" + std::string(name) + "'");
        return false;
    }
    std::string why, note;
    auto canonical = normalize_value(*spec, value, &why, &note);
    if (!canonical) {
        set(message, why);
        return false;
    }
    level.settings[std::string(spec->name)] = std::move(*canonical);
    set(message, note);
    return true;
}

bool unset_setting(LevelPolicy& level, std::string_view name, std::string* error) {
    const SettingSpec* spec = find_setting(name);
    if (!spec) {
        set(error, "unknown setting '" + std::string(name) + "'");
        return false;
    }
    level.settings.erase(std::string(spec->name));
    return true;
}

std::string_view source_name(Source s) {
    switch (s) {
        case Source::Default: return "default";
        case Source::Global: return "global";
        case Source::Domain: return "domain";
        case Source::User: return "user";
        case Source::Device: return "device";
    }
    return "default";
}

const EffectiveSetting& EffectivePolicy::setting(std::string_view name) const {
    const SettingSpec* spec = find_setting(name);
    if (spec)
        for (const EffectiveSetting& s : settings)
            if (s.spec == spec) return s;
    throw std::out_of_range("no policy setting named " + std::string(name));
}

bool EffectivePolicy::flag(std::string_view name) const { return value(name) == "1"; }

long long EffectivePolicy::number(std::string_view name) const { return std::stoll(value(name)); }

std::vector<std::string> EffectivePolicy::list(std::string_view name) const { return split_list(value(name)); }

std::optional<int> EffectivePolicy::refresh_interval_hours() const {
    const std::string& v = value("RefreshIntervalHours");
    if (v == "off") return std::nullopt;
    return std::stoi(v);
}

bool EffectivePolicy::allow_non_provisionable_devices() const { return flag("AllowNonProvisionableDevices"); }

EffectivePolicy resolve(const PolicyLevels& levels) {
    EffectivePolicy policy;
    policy.settings.reserve(settings().size());
    for (const SettingSpec& spec : settings())
        policy.settings.push_back(EffectiveSetting{&spec, std::string(spec.default_value), Source::Default});

    static constexpr Source kLevelSource[] = {Source::Global, Source::Domain, Source::User, Source::Device};
    for (std::size_t i = 0; i < levels.size(); ++i) {
        if (!levels[i]) continue;
        const LevelPolicy& level = *levels[i];
        if (level.enforce) {
            policy.enforce = *level.enforce;
            policy.enforce_source = kLevelSource[i];
        }
        for (const auto& [name, stored] : level.settings) {
            const SettingSpec* spec = find_setting(name);
            if (!spec) continue;  // written by another release, or by hand: inherit instead
            auto canonical = normalize_value(*spec, stored);
            if (!canonical) continue;
            EffectiveSetting& target = policy.settings[static_cast<std::size_t>(spec - settings().data())];
            target.value = std::move(*canonical);
            target.source = kLevelSource[i];
        }
    }
    return policy;
}

}  // namespace easd::policy
