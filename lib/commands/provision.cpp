// Provision (MS-ASPROV 3.2.5.1): the two-phase handshake that gives a device the security policy
// and its policy key, and the channel of a remote wipe.
//
//   initial request   -> the effective policy (EASProvisionDoc from 12.0, the WAP document for 2.5)
//                        with a temporary key; 14.1+ also sends its DeviceInformation (stored by
//                        the admission gate, where it decides access)
//   acknowledgement   -> the final key, if the device applied the policy (or applied part of it
//                        and the policy allows devices that cannot apply all of it); else refused
//   wipe pending      -> every Provision answers RemoteWipe (AccountOnlyRemoteWipe when asked for);
//                        the device's acknowledgement marks it Wiped and mails the owner.
// The admission gate (admission.cpp) has already refused blocked devices and lets only Provision
// through while a wipe waits.
#include <openssl/rand.h>

#include "commands/admission.h"
#include "commands/command.h"
#include "commands/notices.h"
#include "common/text.h"
#include "common/log.h"
#include "policy/documents.h"
#include "policy/fingerprint.h"
#include "store/devices.h"
#include "store/policies.h"
#include "store/provisioning.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// Provision Status (MS-ASPROV 2.2.2.54.2) and Policy Status (2.2.2.54.1) in responses.
enum ProvisionStatus { kSuccess = 1, kProtocolError = 2, kServerError = 3 };
enum PolicyStatus { kPolicySuccess = 1, kUnknownPolicyType = 3, kWrongPolicyKey = 5 };
// The device's answer in an acknowledgement.
enum AckStatus { kApplied = 1, kPartly = 2, kNotApplied = 3, kThirdParty = 4 };

constexpr std::string_view kWbxmlPolicy = "MS-EAS-Provisioning-WBXML";
constexpr std::string_view kWapPolicy = "MS-WAP-Provisioning-XML";

// A policy key: a random 32-bit number other than 0 (MS-ASPROV 2.2.2.42: "0" means none).
long long new_policy_key() {
    for (;;) {
        uint32_t v = 0;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1)
            throw std::runtime_error("no random numbers for a policy key");
        if (v != 0) return static_cast<long long>(v);
    }
}

CommandResult provision_status(int status) {
    wbxml::Node root(tag::Provision::Provision);
    root.add(tag::Provision::Status, static_cast<long long>(status));
    return {200, std::move(root)};
}

// The wipe directive, or the answer to its acknowledgement.
CommandResult handle_wipe(CommandContext& ctx, const wbxml::Node* request) {
    bool account_only = ctx.device.wipe_account_only;
    wbxml::Tag directive = account_only ? tag::Provision::AccountOnlyRemoteWipe : tag::Provision::RemoteWipe;
    const wbxml::Node* ack = request ? request->child(directive) : nullptr;
    if (ack && ack->has(tag::Provision::Status)) {
        if (ack->child_text(tag::Provision::Status) == "1") {
            if (store::confirm_wipe(ctx.sql, ctx.device.id)) {
                EASD_LOG_INFO("device %s of %s acknowledged the %swipe", ctx.device.device_id.c_str(),
                              ctx.user.address.c_str(), account_only ? "account-only " : "");
                Notice n;
                n.subject = account_only ? "Your device's copy of your account was wiped" : "Your device was wiped";
                n.body = "Your " + describe_device(ctx.device) + " confirmed " +
                         (account_only ? "that it removed " + ctx.user.address + " and all its data"
                                       : "that it erased all its data and returned to its factory settings") +
                         ", as an administrator asked.\n\nIt will not synchronise " + ctx.user.address +
                         " again until an administrator removes it from the device list.\n";
                send_notice(ctx.sql, *ctx.mail, ctx.settings, ctx.user, n);
            }
            return provision_status(kSuccess);
        }
        // The device could not wipe: say so and ask again (MS-ASPROV 3.2.5.1.2.2).
        EASD_LOG_WARN("device %s of %s reports that the wipe failed", ctx.device.device_id.c_str(),
                      ctx.user.address.c_str());
        wbxml::Node root(tag::Provision::Provision);
        root.add(tag::Provision::Status, static_cast<long long>(kProtocolError));
        root.add(directive);
        return {200, std::move(root)};
    }
    store::note_wipe_sent(ctx.sql, ctx.device.id);
    EASD_LOG_INFO("sending the %swipe to device %s of %s", account_only ? "account-only " : "",
                  ctx.device.device_id.c_str(), ctx.user.address.c_str());
    wbxml::Node root(tag::Provision::Provision);
    root.add(tag::Provision::Status, static_cast<long long>(kSuccess));
    root.add(directive);
    return {200, std::move(root)};
}

}  // namespace

CommandResult handle_provision(CommandContext& ctx) {
    const wbxml::Node* request = ctx.request;
    if (request && request->tag != tag::Provision::Provision) return provision_status(kProtocolError);
    if (ctx.device.wipe_status != "none") return handle_wipe(ctx, request);

    wbxml::Node root(tag::Provision::Provision);
    // 14.1+: what the device says about itself, already stored by the admission gate (where it
    // decided access).
    if (request && request->has(tag::Settings::DeviceInformation))
        root.add(tag::Settings::DeviceInformation).add(tag::Settings::Status, 1LL);

    const wbxml::Node* policies = request ? request->child(tag::Provision::Policies) : nullptr;
    const wbxml::Node* policy = policies ? policies->child(tag::Provision::Policy) : nullptr;
    if (!policy) {
        // An empty Provision is how a device answers a wipe status; without a wipe, or with only a
        // RemoteWipe acknowledgement nobody asked for, there is nothing to answer but success.
        if (request && (request->has(tag::Provision::RemoteWipe) || request->has(tag::Provision::AccountOnlyRemoteWipe) ||
                        request->has(tag::Settings::DeviceInformation))) {
            root.add(tag::Provision::Status, static_cast<long long>(kSuccess));  // after DeviceInformation's status
            return {200, std::move(root)};
        }
        return provision_status(kProtocolError);
    }

    std::string type(policy->child_text(tag::Provision::PolicyType));
    std::string_view expected = ctx.version >= 120 ? kWbxmlPolicy : kWapPolicy;
    root.add(tag::Provision::Status, static_cast<long long>(kSuccess));
    auto& out = root.add(tag::Provision::Policies).add(tag::Provision::Policy);
    out.add(tag::Provision::PolicyType, type);
    if (type != expected) {
        out.add(tag::Provision::Status, static_cast<long long>(kUnknownPolicyType));
        return {200, std::move(root)};
    }
    policy::EffectivePolicy effective = policy::resolve(store::load_policy_levels(ctx.sql, ctx.device.id));

    const wbxml::Node* ack_key = policy->child(tag::Provision::PolicyKey);
    const wbxml::Node* ack_status = policy->child(tag::Provision::Status);
    if (!ack_key || !ack_status) {
        // Phase 1: the policy, and a temporary key that only acknowledges it.
        long long temporary = new_policy_key();
        store::begin_provisioning(ctx.sql, ctx.device.id, temporary, policy::fingerprint(effective));
        out.add(tag::Provision::Status, static_cast<long long>(kPolicySuccess));
        out.add(tag::Provision::PolicyKey, std::to_string(temporary));
        auto& data = out.add(tag::Provision::Data);
        if (ctx.version >= 120)
            data.children.push_back(policy::provision_doc(effective, ctx.version));
        else {
            data.content = policy::wap_provisioning_xml(effective);  // the XML document as a string
            data.content_kind = wbxml::Node::Content::Text;
        }
        return {200, std::move(root)};
    }

    // Phase 2: the acknowledgement of that temporary key.
    auto key = parse_decimal(ack_key->text());
    auto status = parse_decimal(ack_status->text());
    if (!key || *key < 0 || !status || *status < kApplied || *status > kThirdParty)
        return provision_status(kProtocolError);
    // A device that did not apply the neutral policy has nothing it should have applied.
    bool complete = *status == kApplied || !effective.enforce;
    bool acceptable = complete || effective.allow_non_provisionable_devices();
    if (*status == kNotApplied && effective.enforce) acceptable = false;
    std::string outcome = !acceptable ? "declined" : complete ? "applied" : "partial";
    long long final_key = new_policy_key();
    auto before = store::finish_provisioning(ctx.sql, ctx.device.id, *key, final_key, outcome);
    if (!before) {
        out.add(tag::Provision::Status, static_cast<long long>(kWrongPolicyKey));
        return {200, std::move(root)};
    }
    if (!acceptable) {
        if (*before != "declined")
            send_notice(ctx.sql, *ctx.mail, ctx.settings, ctx.user,
                        policy_refusal_notice(ctx.device, ctx.user,
                                              *status == kNotApplied
                                                  ? "it declined the security policy"
                                                  : "it could apply only part of the security policy, which this "
                                                    "server requires in full"));
        return common_status_answer(ctx, "Provision", kDeviceNotFullyProvisionable);
    }
    out.add(tag::Provision::Status, static_cast<long long>(kPolicySuccess));
    out.add(tag::Provision::PolicyKey, std::to_string(final_key));
    return {200, std::move(root)};
}

}  // namespace easd::commands
