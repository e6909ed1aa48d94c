// A stable identity for the policy a device is sent, stored with the device's acknowledgement
// (devices.policy_fingerprint), so that saving a policy that resolves to the same documents asks
// nothing new of the device.
#pragma once

#include <string>

#include "policy/policy.h"

namespace easd::policy {

// Lower-case hex SHA-256 of a canonical text of what is sent: every EASProvisionDoc element of
// the newest protocol version with its wire value, then the 2.5 document. Hence it is the same in
// every process and release for the same documents; every policy that is not enforced has the
// neutral document's fingerprint whatever its greyed settings say; settings that are never sent
// (RefreshIntervalHours, AllowNonProvisionableDevices) do not count; and any change of a value
// that reaches a device of some version changes it. A release that adds an element to the
// documents changes every fingerprint once, which is right: the documents did change.
std::string fingerprint(const EffectivePolicy& policy);

}  // namespace easd::policy
