// The provisioning documents of MS-ASPROV for an effective policy:
//   12.0 and later: the EASProvisionDoc WBXML tree (PolicyType MS-EAS-Provisioning-WBXML), with the
//                   elements the protocol version defines, in the order of MS-ASPROV's schema;
//   2.5:            the wap-provisioningdoc XML string (PolicyType MS-WAP-Provisioning-XML).
// A policy that is not enforced gives the neutral document: no password, everything allowed, no
// limits, which replaces whatever policy the device applied before.
#pragma once

#include <string>
#include <vector>

#include "policy/policy.h"
#include "protocol/request.h"
#include "wbxml/wbxml.h"

namespace easd::policy {

// One EASProvisionDoc element as it goes on the wire.
struct WireElement {
    const SettingSpec* spec = nullptr;  // the setting it renders
    std::string value;                  // its text; empty: sent as an empty element ("no limit")
    std::vector<std::string> entries;   // List settings: one child element (item_tag) per entry
};

// Every element of the newest protocol version, in document order: the enforced policy's values
// converted to the wire's units and ranges, or the neutral values when it is not enforced.
std::vector<WireElement> wire_elements(const EffectivePolicy& policy);

// The provision:EASProvisionDoc element for `version` (120 and later; throws std::invalid_argument
// for 2.5, which has no such document: use wap_provisioning_xml).
wbxml::Node provision_doc(const EffectivePolicy& policy, protocol::ProtocolVersion version);

// The 2.5 document, as the text of provision:Data.
std::string wap_provisioning_xml(const EffectivePolicy& policy);

}  // namespace easd::policy
