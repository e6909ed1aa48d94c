#include "policy/documents.h"

#include <algorithm>
#include <stdexcept>

namespace easd::policy {

namespace {

// Our settings are stored as the administrator gave them (within the administrator's ranges);
// here they become what MS-ASPROV can carry. Where the two differ:
//   MinDevicePasswordLength          we store 2..18; MS-ASPROV allows 1..16, so 17 and 18 are sent
//                                    as 16 (2.5's MinimumPasswordLength takes them as they are).
//   MaxInactivityTimeDeviceLock      we store minutes, 0 meaning "no limit"; the element is in
//                                    seconds and a client reads 9999 or more as unlimited, so 0 is
//                                    sent empty ("not set") and anything from 167 minutes on as 9999.
//   MaxDevicePasswordFailedAttempts  we store 0..99, 0 meaning "local wipe disabled"; MS-ASPROV
//                                    allows 4..16 or empty ("not set"): 0 is sent empty, 1..3 as 4
//                                    (the strictest the protocol allows) and 17..99 as 16 (a device
//                                    that wipes later than 16 attempts cannot be asked for).
//   MaxAttachmentSize                we store KB, 0 meaning "no limit"; the element is in bytes,
//                                    empty for no limit.
//   DevicePasswordExpiration         0 ("never") is sent empty, as MS-ASPROV's own example does.
std::string wire_value(const SettingSpec& spec, const std::string& canonical) {
    const std::string_view name = spec.name;
    if (spec.kind != SettingKind::Number) return canonical;
    const long long v = std::stoll(canonical);
    if (name == "MinDevicePasswordLength") return std::to_string(std::min(v, 16LL));
    const bool none = v == 0;  // "no limit" / "disabled" / "never" for the settings below
    if (name == "MaxInactivityTimeDeviceLock") return none ? std::string() : std::to_string(std::min(v * 60, 9999LL));
    if (name == "MaxDevicePasswordFailedAttempts") return none ? std::string() : std::to_string(std::clamp(v, 4LL, 16LL));
    if (name == "MaxAttachmentSize") return none ? std::string() : std::to_string(v * 1024);
    if (name == "DevicePasswordExpiration") return none ? std::string() : canonical;
    return canonical;
}

// The neutral document: every element at its most permissive value. The defaults already are,
// except for the password, which is not required, and its limits, which are not set.
std::string neutral_wire_value(const SettingSpec& spec) {
    const std::string_view name = spec.name;
    if (name == "DevicePasswordEnabled") return "0";
    if (name == "MinDevicePasswordLength" || name == "MaxInactivityTimeDeviceLock" ||
        name == "MaxDevicePasswordFailedAttempts")
        return {};
    return wire_value(spec, std::string(spec.default_value));
}

void add_parm(std::string& xml, std::string_view name, long long value) {
    xml += "<parm name=\"";
    xml += name;
    xml += "\" value=\"";
    xml += std::to_string(value);
    xml += "\"/>";
}

}  // namespace

std::vector<WireElement> wire_elements(const EffectivePolicy& policy) {
    std::vector<WireElement> out;
    for (const EffectiveSetting& s : policy.settings) {
        if (!s.spec->sent_to_device()) continue;
        WireElement e;
        e.spec = s.spec;
        if (s.spec->kind == SettingKind::List) {
            if (policy.enforce) e.entries = split_list(s.value);
        } else {
            e.value = policy.enforce ? wire_value(*s.spec, s.value) : neutral_wire_value(*s.spec);
        }
        out.push_back(std::move(e));
    }
    return out;
}

wbxml::Node provision_doc(const EffectivePolicy& policy, protocol::ProtocolVersion version) {
    if (version < 120)
        throw std::invalid_argument("EASProvisionDoc exists from protocol 12.0 on; 2.5 uses wap_provisioning_xml");
    wbxml::Node doc(wbxml::tag::Provision::EASProvisionDoc);
    for (WireElement& e : wire_elements(policy)) {
        if (e.spec->since > version) continue;
        if (e.spec->kind == SettingKind::List) {
            // Always present, empty when there are no entries: an explicit "no list" replaces
            // whatever list the device holds from an earlier policy.
            wbxml::Node& container = doc.add(e.spec->tag);
            for (std::string& entry : e.entries) container.add(e.spec->item_tag, std::move(entry));
        } else {
            doc.add(e.spec->tag, std::move(e.value));  // empty text encodes as an empty element
        }
    }
    return doc;
}

// MS-ASPROV 2.2.2.24.2: parm 4131 of the SecurityPolicy characteristic is 0 when a password is
// required and 1 when not; the Registry characteristic carries the inactivity lock (AEFrequencyType
// 1 with AEFrequencyValue in minutes, or 0 for none), the wipe threshold, the minimum length and the
// complexity (PasswordComplexity 0: alphanumeric required, 2: a simple PIN will do). 2.5 has nothing
// else of ours to say, so a policy that requires no password sends just 4131=1 — the neutral
// document. A disabled wipe (0) leaves DeviceWipeThreshold out, and we send no CodewordFrequency:
// we have no setting for it, and a device that gets none does not ask for a codeword.
std::string wap_provisioning_xml(const EffectivePolicy& policy) {
    const bool password = policy.enforce && policy.flag("DevicePasswordEnabled");
    std::string xml = "<wap-provisioningdoc><characteristic type=\"SecurityPolicy\">";
    add_parm(xml, "4131", password ? 0 : 1);
    xml += "</characteristic>";
    if (password) {
        xml += "<characteristic type=\"Registry\">";
        xml += "<characteristic type=\"HKLM\\Comm\\Security\\Policy\\LASSD\\AE\\"
               "{50C13377-C66D-400C-889E-C316FC4AB374}\">";
        const long long minutes = policy.number("MaxInactivityTimeDeviceLock");
        add_parm(xml, "AEFrequencyType", minutes > 0 ? 1 : 0);
        if (minutes > 0) add_parm(xml, "AEFrequencyValue", minutes);
        xml += "</characteristic>";
        if (const long long attempts = policy.number("MaxDevicePasswordFailedAttempts"); attempts > 0) {
            xml += "<characteristic type=\"HKLM\\Comm\\Security\\Policy\\LASSD\">";
            add_parm(xml, "DeviceWipeThreshold", attempts);
            xml += "</characteristic>";
        }
        xml += "<characteristic type=\"HKLM\\Comm\\Security\\Policy\\LASSD\\LAP\\lap_pw\">";
        add_parm(xml, "MinimumPasswordLength", policy.number("MinDevicePasswordLength"));
        xml += "</characteristic>";
        xml += "<characteristic type=\"HKLM\\Comm\\Security\\Policy\\LASSD\\LAP\\lap_pw\">";
        add_parm(xml, "PasswordComplexity", policy.flag("AlphanumericDevicePasswordRequired") ? 0 : 2);
        xml += "</characteristic>";
        xml += "</characteristic>";
    }
    xml += "</wap-provisioningdoc>";
    return xml;
}

}  // namespace easd::policy
