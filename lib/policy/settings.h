// The security-policy settings an administrator can set: one table with each setting's kind,
// default, accepted range, admin-facing unit and the lowest EAS version that carries it, and the
// syntax of their values (what `easctl` accepts, and the canonical form stored in `policies`).
//
// A setting's name is the MS-ASPROV element name (DevicePasswordEnabled, MinDevicePasswordLength,
// ...). Two settings are the server's own and never sent to a device: RefreshIntervalHours and
// AllowNonProvisionableDevices.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/request.h"
#include "wbxml/codepages.h"

namespace easd::policy {

enum class SettingKind : uint8_t {
    Bool,    // canonical "0" / "1"
    Number,  // decimal integer in [min, max]; out-of-range input is clamped (and said so)
    Choice,  // one of a few enumerated integers (see choices); anything else is refused
    Hours,   // RefreshIntervalHours: a Number in [min, max], or "off"
    List,    // comma-separated strings, canonical: sorted, without duplicates
};

struct SettingSpec {
    std::string_view name;           // the MS-ASPROV element name (or the server setting's name)
    SettingKind kind = SettingKind::Bool;
    std::string_view default_value;  // canonical
    long long min = 0, max = 0;      // Number, Hours
    uint32_t choice_mask = 0;        // Choice: bit v set = value v allowed (values 0..31)
    std::string_view choices;        // Choice: the allowed values with their meaning, for messages
    std::string_view unit;           // admin-facing unit of a Number ("minutes", "KB", ...), or empty
    protocol::ProtocolVersion since = 0;  // lowest version whose EASProvisionDoc has it; 0: not sent
    wbxml::Tag tag = 0;              // the element's token; 0 for server-side settings
    wbxml::Tag item_tag = 0;         // List: the token of each entry (ApplicationName, Hash)
    std::string_view summary;        // one line for help texts

    bool sent_to_device() const { return tag != 0; }
};

// Every setting: first the EASProvisionDoc elements in the order MS-ASPROV's schema (and its
// examples) put them, then the two server-side settings.
const std::vector<SettingSpec>& settings();

// Case-insensitive lookup ("minDevicePasswordLength" finds MinDevicePasswordLength).
const SettingSpec* find_setting(std::string_view name);

// Friendly booleans: true/false, yes/no, on/off, 1/0 (any case, surrounding blanks ignored).
std::optional<bool> parse_bool(std::string_view text);

// Validates one value for a setting and returns its canonical form. Numbers outside the range
// are clamped into it and *note says so ("MinDevicePasswordLength 40 is above 18: using 18");
// otherwise *note is cleared. Refused values return nullopt with a one-line reason in *error.
std::optional<std::string> normalize_value(const SettingSpec& spec, std::string_view value,
                                           std::string* error = nullptr, std::string* note = nullptr);

// The entries of a List setting's canonical value ("" -> none).
std::vector<std::string> split_list(std::string_view canonical);

}  // namespace easd::policy
