// Security policies at four levels (global, domain, user, device) and their resolution into the
// effective policy of one device. Pure values: the store reads and writes the rows
// (schema/006_devices_policies.sql), the Provision command sends what resolve() says.
//
// Each level either has no row (it inherits everything) or says something of its own: `enforce`
// (unset: inherited) and the settings it sets (the others are inherited). Nothing is enforced by
// default: then the device gets the *neutral* provisioning document, which cancels any earlier
// policy and leaves the device's settings to its owner. Switching enforcement off at a level sends
// the neutral document but keeps the level's settings (shown greyed) until they are removed.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/settings.h"

namespace easd::policy {

// Setting name (canonical spelling) -> canonical value.
using SettingMap = std::map<std::string, std::string>;

// What one level says of its own.
struct LevelPolicy {
    std::optional<bool> enforce;  // nullopt: inherited from the level above
    SettingMap settings;          // only the settings set at this level
};

// The text form stored in `policies.settings`: one `Name=value` line per setting, sorted by name,
// values canonical (booleans 0/1, numbers in decimal, lists comma-separated), each line ending in
// '\n'. The empty map is the empty string.
std::string format_level_settings(const SettingMap& settings);

// Parses that form (also as an administrator writes it: names in any case, friendly booleans,
// blank lines, spaces around '=' and CRLF line ends). Unknown names, malformed lines, bad values
// and a name given twice are refused: nullopt and a one-line reason naming the line in *error.
// Numbers outside their range are clamped; each clamping adds a line to *notes.
std::optional<SettingMap> parse_level_settings(std::string_view text, std::string* error = nullptr,
                                               std::vector<std::string>* notes = nullptr);

// Sets one setting at a level after validating it (name case-insensitive, see normalize_value).
// Returns false, the level unchanged and the reason in *message when refused; returns true with
// *message holding a note when the value was clamped, else empty.
bool set_setting(LevelPolicy& level, std::string_view name, std::string_view value, std::string* message = nullptr);

// Lets the level inherit this setting again. False (and *error) for an unknown name; true also
// when the level did not set it.
bool unset_setting(LevelPolicy& level, std::string_view name, std::string* error = nullptr);

// Where an effective value comes from.
enum class Source : uint8_t { Default, Global, Domain, User, Device };
std::string_view source_name(Source s);  // "default", "global", "domain", "user", "device"

struct EffectiveSetting {
    const SettingSpec* spec = nullptr;  // into settings(); never null in a resolved policy
    std::string value;                  // canonical
    Source source = Source::Default;
};

struct EffectivePolicy {
    bool enforce = false;  // false: the neutral document is sent; the settings below are shown greyed
    Source enforce_source = Source::Default;
    std::vector<EffectiveSetting> settings;  // every setting, in the order of settings()

    // Lookups by name (case-insensitive). An unknown name throws std::out_of_range: names come
    // from the program, not from users.
    const EffectiveSetting& setting(std::string_view name) const;
    const std::string& value(std::string_view name) const { return setting(name).value; }
    bool flag(std::string_view name) const;          // a Bool setting
    long long number(std::string_view name) const;   // a Number or Choice setting
    std::vector<std::string> list(std::string_view name) const;  // a List setting

    // The server-side settings (they matter only while the policy is enforced).
    std::optional<int> refresh_interval_hours() const;  // nullopt: "off", provision once
    bool allow_non_provisionable_devices() const;
};

// The levels, from the top: global, domain, user, device; nullopt = that level has no row.
enum LevelIndex : std::size_t { kGlobal = 0, kDomain = 1, kUser = 2, kDevice = 3 };
using PolicyLevels = std::array<std::optional<LevelPolicy>, 4>;

// For each setting, and for `enforce`, the lowest level that sets it wins; else the default.
// Never throws: a stored value this release does not understand (unknown name, bad value) is
// ignored, so the level inherits that setting.
EffectivePolicy resolve(const PolicyLevels& levels);

// The policy nothing changes: every setting at its default, not enforced.
inline EffectivePolicy default_policy() { return resolve({}); }

}  // namespace easd::policy
