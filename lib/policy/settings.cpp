#include "policy/settings.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <limits>
#include <system_error>

#include "common/text.h"

namespace easd::policy {

namespace {

namespace tag = wbxml::tag::Provision;

constexpr protocol::ProtocolVersion k120 = 120;
constexpr protocol::ProtocolVersion k121 = 121;

// What every kind of setting has; the builders below add what their kind needs. Settings of the
// server itself (never sent) have `since` and `t` 0.
SettingSpec base(std::string_view name, SettingKind kind, std::string_view default_value,
                 protocol::ProtocolVersion since, wbxml::Tag t, std::string_view summary) {
    SettingSpec s;
    s.name = name;
    s.kind = kind;
    s.default_value = default_value;
    s.since = since;
    s.tag = t;
    s.summary = summary;
    return s;
}

SettingSpec boolean(std::string_view name, bool on, protocol::ProtocolVersion since, wbxml::Tag t,
                    std::string_view summary) {
    return base(name, SettingKind::Bool, on ? "1" : "0", since, t, summary);
}

SettingSpec number(std::string_view name, std::string_view def, long long min, long long max, std::string_view unit,
                   protocol::ProtocolVersion since, wbxml::Tag t, std::string_view summary) {
    SettingSpec s = base(name, SettingKind::Number, def, since, t, summary);
    s.min = min;
    s.max = max;
    s.unit = unit;
    return s;
}

constexpr uint32_t values(std::initializer_list<int> allowed) {
    uint32_t mask = 0;
    for (int v : allowed) mask |= 1u << v;
    return mask;
}

SettingSpec choice(std::string_view name, std::string_view def, uint32_t mask, std::string_view choices,
                   protocol::ProtocolVersion since, wbxml::Tag t, std::string_view summary) {
    SettingSpec s = base(name, SettingKind::Choice, def, since, t, summary);
    s.choice_mask = mask;
    s.choices = choices;
    return s;
}

SettingSpec list(std::string_view name, wbxml::Tag t, wbxml::Tag item, std::string_view summary) {
    SettingSpec s = base(name, SettingKind::List, "", k121, t, summary);
    s.item_tag = item;
    return s;
}

// Ranges and defaults: the administrator's guide for the password settings (minimum length 2..18,
// default 4; inactivity 0..9999 minutes, default 5; wipe after 0..99 failed attempts, default 8;
// refresh every 1..9999 hours, default 24); Exchange's mailbox-policy limits for history (0..50)
// and expiration (0..730 days); otherwise MS-ASPROV's own ranges. Every other default is the
// permissive value, so that switching enforcement on asks for a password and nothing else until
// the administrator says more. How values that MS-ASPROV cannot carry are sent is decided (and
// explained) where the documents are rendered: lib/policy/documents.cpp.
std::vector<SettingSpec> make_table() {
    return {
        boolean("DevicePasswordEnabled", true, k120, tag::DevicePasswordEnabled,
                "require a device password (the other password settings apply only then)"),
        boolean("AlphanumericDevicePasswordRequired", false, k120, tag::AlphanumericDevicePasswordRequired,
                "require letters and numbers in the password"),
        boolean("PasswordRecoveryEnabled", false, k120, tag::PasswordRecoveryEnabled,
                "let the device store a recovery password on the server"),
        boolean("RequireStorageCardEncryption", false, k121, tag::RequireStorageCardEncryption,
                "require the storage card to be encrypted"),
        boolean("AttachmentsEnabled", true, k120, tag::AttachmentsEnabled, "allow downloading attachments"),
        number("MinDevicePasswordLength", "4", 2, 18, "characters", k120, tag::MinDevicePasswordLength,
               "minimum password length"),
        number("MaxInactivityTimeDeviceLock", "5", 0, 9999, "minutes", k120, tag::MaxInactivityTimeDeviceLock,
               "inactivity before the device locks (0: no limit)"),
        number("MaxDevicePasswordFailedAttempts", "8", 0, 99, "attempts", k120, tag::MaxDevicePasswordFailedAttempts,
               "wipe the device after this many failed unlock attempts (0: local wipe disabled)"),
        number("MaxAttachmentSize", "0", 0, 4194303, "KB", k120, tag::MaxAttachmentSize,
               "largest attachment the device downloads (0: no limit)"),
        boolean("AllowSimpleDevicePassword", true, k120, tag::AllowSimpleDevicePassword,
                "allow simple passwords such as 1111 or 1234"),
        number("DevicePasswordExpiration", "0", 0, 730, "days", k120, tag::DevicePasswordExpiration,
               "days until the password must be changed (0: never)"),
        number("DevicePasswordHistory", "0", 0, 50, "passwords", k120, tag::DevicePasswordHistory,
               "earlier passwords that cannot be reused (0: no history)"),
        boolean("AllowStorageCard", true, k121, tag::AllowStorageCard, "allow the storage card"),
        boolean("AllowCamera", true, k121, tag::AllowCamera, "allow the camera"),
        boolean("RequireDeviceEncryption", false, k121, tag::RequireDeviceEncryption,
                "require the device to be encrypted"),
        boolean("AllowUnsignedApplications", true, k121, tag::AllowUnsignedApplications,
                "allow unsigned applications"),
        boolean("AllowUnsignedInstallationPackages", true, k121, tag::AllowUnsignedInstallationPackages,
                "allow unsigned installation packages"),
        number("MinDevicePasswordComplexCharacters", "1", 1, 4, "character groups", k121,
               tag::MinDevicePasswordComplexCharacters,
               "character groups (lower case, upper case, digits, others) a password needs"),
        boolean("AllowWiFi", true, k121, tag::AllowWiFi, "allow Wi-Fi"),
        boolean("AllowTextMessaging", true, k121, tag::AllowTextMessaging, "allow text messaging"),
        boolean("AllowPOPIMAPEmail", true, k121, tag::AllowPOPIMAPEmail, "allow POP and IMAP accounts"),
        choice("AllowBluetooth", "2", values({0, 1, 2}), "0 (disabled), 1 (hands-free only), 2 (allowed)", k121,
               tag::AllowBluetooth, "Bluetooth"),
        boolean("AllowIrDA", true, k121, tag::AllowIrDA, "allow infrared connections"),
        boolean("RequireManualSyncWhenRoaming", false, k121, tag::RequireManualSyncWhenRoaming,
                "sync only by hand while roaming"),
        boolean("AllowDesktopSync", true, k121, tag::AllowDesktopSync, "allow synchronisation with a computer"),
        choice("MaxCalendarAgeFilter", "0", values({0, 4, 5, 6, 7}),
               "0 (all), 4 (2 weeks), 5 (1 month), 6 (3 months), 7 (6 months)", k121, tag::MaxCalendarAgeFilter,
               "oldest calendar items the device syncs"),
        boolean("AllowHTMLEmail", true, k121, tag::AllowHTMLEmail, "allow HTML mail"),
        choice("MaxEmailAgeFilter", "0", values({0, 1, 2, 3, 4, 5}),
               "0 (all), 1 (1 day), 2 (3 days), 3 (1 week), 4 (2 weeks), 5 (1 month)", k121, tag::MaxEmailAgeFilter,
               "oldest mail the device syncs"),
        number("MaxEmailBodyTruncationSize", "-1", -1, 2147483647, "KB", k121, tag::MaxEmailBodyTruncationSize,
               "truncate plain-text mail to this size (-1: never, 0: headers only)"),
        number("MaxEmailHTMLBodyTruncationSize", "-1", -1, 2147483647, "KB", k121,
               tag::MaxEmailHTMLBodyTruncationSize, "truncate HTML mail to this size (-1: never, 0: headers only)"),
        boolean("RequireSignedSMIMEMessages", false, k121, tag::RequireSignedSMIMEMessages,
                "require S/MIME-signed messages"),
        boolean("RequireEncryptedSMIMEMessages", false, k121, tag::RequireEncryptedSMIMEMessages,
                "require S/MIME-encrypted messages"),
        choice("RequireSignedSMIMEAlgorithm", "0", values({0, 1}), "0 (SHA-1), 1 (MD5)", k121,
               tag::RequireSignedSMIMEAlgorithm, "algorithm for signing S/MIME messages"),
        choice("RequireEncryptionSMIMEAlgorithm", "0", values({0, 1, 2, 3, 4}),
               "0 (TripleDES), 1 (DES), 2 (RC2 128-bit), 3 (RC2 64-bit), 4 (RC2 40-bit)", k121,
               tag::RequireEncryptionSMIMEAlgorithm, "algorithm for encrypting S/MIME messages"),
        choice("AllowSMIMEEncryptionAlgorithmNegotiation", "2", values({0, 1, 2}),
               "0 (not allowed), 1 (strong algorithms only), 2 (any algorithm)", k121,
               tag::AllowSMIMEEncryptionAlgorithmNegotiation, "negotiation of the S/MIME encryption algorithm"),
        boolean("AllowSMIMESoftCerts", true, k121, tag::AllowSMIMESoftCerts, "allow S/MIME soft certificates"),
        boolean("AllowBrowser", true, k121, tag::AllowBrowser, "allow the web browser"),
        boolean("AllowConsumerEmail", true, k121, tag::AllowConsumerEmail, "allow personal mail accounts"),
        boolean("AllowRemoteDesktop", true, k121, tag::AllowRemoteDesktop, "allow Remote Desktop"),
        boolean("AllowInternetSharing", true, k121, tag::AllowInternetSharing, "allow Internet sharing"),
        list("UnapprovedInROMApplicationList", tag::UnapprovedInROMApplicationList, tag::ApplicationName,
             "built-in applications that must not run (names)"),
        list("ApprovedApplicationList", tag::ApprovedApplicationList, tag::Hash,
             "the only installed applications allowed to run (SHA-1 hashes; empty: no restriction)"),
        // The server's own settings, never part of a provisioning document.
        [] {
            SettingSpec s = base("RefreshIntervalHours", SettingKind::Hours, "24", 0, 0,
                                 "ask the device to provision again after this many hours (off: provision once)");
            s.min = 1;
            s.max = 9999;
            s.unit = "hours";
            return s;
        }(),
        base("AllowNonProvisionableDevices", SettingKind::Bool, "1", 0, 0,
             "let devices that cannot apply policies sync anyway"),
    };
}

void set(std::string* out, std::string text) {
    if (out) *out = std::move(text);
}

// A decimal integer, optionally signed. A number too large for long long saturates, so that the
// range check below clamps it like any other out-of-range value.
std::optional<long long> parse_integer(std::string_view s) {
    std::string_view digits = s;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    if (digits.empty() || digits.front() == '+') return std::nullopt;
    long long v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (end != digits.data() + digits.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range)
        return digits.front() == '-' ? std::numeric_limits<long long>::min() : std::numeric_limits<long long>::max();
    if (ec != std::errc()) return std::nullopt;
    return v;
}

std::optional<std::string> normalize_number(const SettingSpec& spec, std::string_view value, std::string* error,
                                            std::string* note) {
    auto v = parse_integer(value);
    if (!v) {
        set(error, std::string(spec.name) + ": '" + std::string(value) + "' is not a whole number (" +
                       std::to_string(spec.min) + ".." + std::to_string(spec.max) +
                       (spec.kind == SettingKind::Hours ? " or off)" : ")"));
        return std::nullopt;
    }
    long long n = *v;
    if (n < spec.min || n > spec.max) {
        const bool below = n < spec.min;
        const long long limit = below ? spec.min : spec.max;
        set(note, std::string(spec.name) + " " + std::string(value) + " is " +
                      (below ? "below the minimum " : "above the maximum ") + std::to_string(limit) +
                      ": using " + std::to_string(limit));
        n = limit;
    }
    return std::to_string(n);
}

}  // namespace

const std::vector<SettingSpec>& settings() {
    static const std::vector<SettingSpec> table = make_table();
    return table;
}

const SettingSpec* find_setting(std::string_view name) {
    name = trim(name);
    for (const SettingSpec& s : settings())
        if (iequals(s.name, name)) return &s;
    return nullptr;
}

std::optional<bool> parse_bool(std::string_view text) {
    text = trim(text);
    for (std::string_view yes : {"1", "true", "yes", "on"})
        if (iequals(text, yes)) return true;
    for (std::string_view no : {"0", "false", "no", "off"})
        if (iequals(text, no)) return false;
    return std::nullopt;
}

std::optional<std::string> normalize_value(const SettingSpec& spec, std::string_view value, std::string* error,
                                           std::string* note) {
    set(note, {});
    value = trim(value);
    switch (spec.kind) {
        case SettingKind::Bool: {
            auto b = parse_bool(value);
            if (!b) {
                set(error, std::string(spec.name) + ": '" + std::string(value) +
                               "' is not a yes/no value (1/0, true/false, yes/no, on/off)");
                return std::nullopt;
            }
            return std::string(*b ? "1" : "0");
        }
        case SettingKind::Hours:
            if (iequals(value, "off")) return std::string("off");
            return normalize_number(spec, value, error, note);
        case SettingKind::Number:
            return normalize_number(spec, value, error, note);
        case SettingKind::Choice: {
            auto v = parse_integer(value);
            if (!v || *v < 0 || *v > 31 || !(spec.choice_mask & (1u << *v))) {
                set(error, std::string(spec.name) + ": '" + std::string(value) + "' is not one of " +
                               std::string(spec.choices));
                return std::nullopt;
            }
            return std::to_string(*v);
        }
        case SettingKind::List: {
            std::vector<std::string> entries;
            for (const std::string& raw : split_list(value)) {
                std::string_view entry = trim(raw);
                if (entry.empty()) continue;  // "a,,b" and a trailing comma are harmless
                const auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20; };
                if (std::any_of(entry.begin(), entry.end(), control)) {
                    set(error, std::string(spec.name) + ": an entry contains a control character");
                    return std::nullopt;
                }
                entries.emplace_back(entry);
            }
            std::sort(entries.begin(), entries.end());
            entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
            std::string canonical;
            for (const std::string& e : entries) canonical += (canonical.empty() ? "" : ",") + e;
            return canonical;
        }
    }
    return std::nullopt;
}

std::vector<std::string> split_list(std::string_view canonical) {
    std::vector<std::string> entries;
    while (!canonical.empty()) {
        std::size_t comma = canonical.find(',');
        entries.emplace_back(canonical.substr(0, comma));
        canonical = comma == std::string_view::npos ? std::string_view() : canonical.substr(comma + 1);
    }
    return entries;
}

}  // namespace easd::policy
