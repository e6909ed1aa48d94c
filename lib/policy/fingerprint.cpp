#include "policy/fingerprint.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "policy/documents.h"

namespace easd::policy {

namespace {

// Version tag of the canonical text: bump it only together with a deliberate change of the text's
// layout (not of the values), since it changes every stored fingerprint.
constexpr std::string_view kCanonicalForm = "easd-policy/1\n";

std::string canonical_text(const EffectivePolicy& policy) {
    std::string text(kCanonicalForm);
    for (const WireElement& e : wire_elements(policy)) {
        text += e.spec->name;
        text += '=';
        if (e.spec->kind == SettingKind::List) {
            // Entries never contain ',' or control characters (normalize_value), so this is unambiguous.
            for (std::size_t i = 0; i < e.entries.size(); ++i) text += (i ? "," : "") + e.entries[i];
        } else {
            text += e.value;
        }
        text += '\n';
    }
    text += "wap=" + wap_provisioning_xml(policy) + "\n";
    return text;
}

std::string sha256_hex(const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0F];
    }
    return out;
}

}  // namespace

std::string fingerprint(const EffectivePolicy& policy) {
    // Every policy that is not enforced sends the neutral document, so they share one fingerprint:
    // computed once, since it is asked for on every request of every device where nothing is
    // enforced (the default).
    if (!policy.enforce) {
        static const std::string neutral = sha256_hex(canonical_text(policy));
        return neutral;
    }
    return sha256_hex(canonical_text(policy));
}

}  // namespace easd::policy
