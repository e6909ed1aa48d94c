// libFuzzer target for the policy text an administrator writes and the database stores
// (policy::parse_level_settings), and everything built from an accepted policy: resolution over
// the four levels, the provisioning documents of every version and the fingerprint.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policy/documents.h"
#include "policy/fingerprint.h"
#include "policy/policy.h"
#include "wbxml/wbxml.h"

using namespace easd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string error;
    std::vector<std::string> notes;
    auto settings = policy::parse_level_settings(text, &error, &notes);
    if (!settings) {
        if (error.empty() || error.find('\n') != std::string::npos) std::abort();  // one-line reasons
        return 0;
    }
    // The canonical form parses back to the same settings, with nothing left to clamp.
    std::string canonical = policy::format_level_settings(*settings);
    std::vector<std::string> again_notes;
    auto again = policy::parse_level_settings(canonical, &error, &again_notes);
    if (!again || *again != *settings || !again_notes.empty()) std::abort();

    // Enforced at the user level, under a domain that says nothing: documents for every version.
    policy::PolicyLevels levels;
    levels[policy::kDomain] = policy::LevelPolicy{};
    levels[policy::kUser] = policy::LevelPolicy{true, *settings};
    policy::EffectivePolicy effective = policy::resolve(levels);
    for (int version : {120, 121, 140, 141, 160, 161}) {
        std::string encoded = wbxml::encode(policy::provision_doc(effective, version));
        if (!wbxml::decode(encoded)) std::abort();  // what we send, we can read
    }
    if (policy::wap_provisioning_xml(effective).find("wap-provisioningdoc") == std::string::npos) std::abort();
    if (policy::fingerprint(effective) != policy::fingerprint(policy::resolve(levels))) std::abort();
    return 0;
}
