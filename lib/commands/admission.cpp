#include "commands/admission.h"

#include <algorithm>
#include <ctime>

#include "commands/notices.h"
#include "common/text.h"
#include "common/log.h"
#include "policy/fingerprint.h"
#include "store/access.h"
#include "store/policies.h"
#include "store/provisioning.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

struct StatusElement {
    std::string_view command;
    wbxml::Tag root, status;
};

// Commands whose response has a top-level Status (the others answer with an HTTP status).
constexpr StatusElement kStatusElements[] = {
    {"FolderSync", tag::FolderHierarchy::FolderSync, tag::FolderHierarchy::Status},
    {"Sync", tag::AirSync::Sync, tag::AirSync::Status},
    {"GetItemEstimate", tag::GetItemEstimate::GetItemEstimate, tag::GetItemEstimate::Status},
    {"Ping", tag::Ping::Ping, tag::Ping::Status},
    {"ItemOperations", tag::ItemOperations::ItemOperations, tag::ItemOperations::Status},
    {"Provision", tag::Provision::Provision, tag::Provision::Status},
    {"Settings", tag::Settings::Settings, tag::Settings::Status},
    {"SendMail", tag::ComposeMail::SendMail, tag::ComposeMail::Status},
    {"SmartReply", tag::ComposeMail::SmartReply, tag::ComposeMail::Status},
    {"SmartForward", tag::ComposeMail::SmartForward, tag::ComposeMail::Status},
    {"Search", tag::Search::Search, tag::Search::Status},
    {"ResolveRecipients", tag::ResolveRecipients::ResolveRecipients, tag::ResolveRecipients::Status},
};

// Before 14.0: 403 for a device that may not sync at all, 449 ("Retry after sending a Provision").
bool is_refusal_of_access(int status) {
    return status == kDeviceIsBlockedForThisUser || status == kDeviceNotFullyProvisionable;
}

void notify_access(CommandContext& ctx, const store::AccessDecision& decision) {
    if (!decision.changed || decision.state == store::AccessState::allowed) return;
    bool quarantined = decision.state == store::AccessState::quarantined;
    Notice n;
    n.subject = quarantined ? "Your device is waiting for approval" : "Your device is blocked";
    n.body = "Your " + describe_device(ctx.device) + " tried to synchronise " + ctx.user.address + " and " +
             (quarantined ? "was quarantined: it will synchronise once an administrator allows it."
                          : "was blocked: it will not synchronise.") +
             "\n\nReason: " + decision.reason + "\n";
    send_notice(ctx.sql, *ctx.mail, ctx.settings, ctx.user, n);
}

// What a device says about itself in <DeviceInformation><Set>: Provision's from 14.1, Settings'
// before. Elements it did not send stay nullopt (the stored value stays).
store::DeviceInformation read_device_information(const wbxml::Node& info) {
    store::DeviceInformation d;
    const wbxml::Node* set = info.child(tag::Settings::Set);
    if (!set) return d;
    auto field = [&](wbxml::Tag t, std::optional<std::string>& out) {
        if (const auto* n = set->child(t)) out = std::string(n->text());
    };
    field(tag::Settings::Model, d.model);
    field(tag::Settings::IMEI, d.imei);
    field(tag::Settings::FriendlyName, d.friendly_name);
    field(tag::Settings::OS, d.os);
    field(tag::Settings::OSLanguage, d.os_language);
    field(tag::Settings::PhoneNumber, d.phone_number);
    field(tag::Settings::UserAgent, d.user_agent);
    field(tag::Settings::MobileOperator, d.mobile_operator);
    return d;
}

// A policy key is an unsigned 32-bit number (MS-ASPROV 2.2.2.42).
std::optional<long long> parse_policy_key(std::string_view s) {
    auto v = parse_decimal(trim(s));
    if (!v || *v < 0 || *v > 0xffffffffLL) return std::nullopt;
    return v;
}

// The provisioning part of admission: 0 when the device may go on, else the common status.
int provisioning_status(CommandContext& ctx, const std::string& policy_key_header) {
    policy::EffectivePolicy effective = policy::resolve(
        ctx.policy_levels ? ctx.policy_levels->get(ctx.sql, ctx.device.id, ctx.device.policy_generation)
                          : store::load_policy_levels(ctx.sql, ctx.device.id));
    if (policy_key_header.empty()) {
        // A device that never sends the header cannot be provisioned (MS-ASPROV's
        // AllowNonProvisionableDevices): nothing to refuse when nothing is enforced.
        if (!effective.enforce) return 0;
        // A device that holds a key and leaves the header out has not turned non-provisionable: it
        // must provision again, and its standing stays as it is.
        if (ctx.device.policy_key) return kDeviceNotProvisioned;
        bool allowed = effective.allow_non_provisionable_devices();
        if (ctx.device.policy_status != "unsupported") {
            std::string before = store::set_policy_status(ctx.sql, ctx.device.id, "unsupported");
            if (!allowed && before != "unsupported")
                send_notice(ctx.sql, *ctx.mail, ctx.settings, ctx.user,
                            policy_refusal_notice(ctx.device, ctx.user,
                                                  "it does not support security policies, and the policy requires them"));
        }
        return allowed ? 0 : kDeviceNotProvisioned;
    }
    auto key = parse_policy_key(policy_key_header);
    if (!key) return kInvalidPolicyKey;
    if (*key == 0 || !ctx.device.policy_key) return kDeviceNotProvisioned;
    if (*key != *ctx.device.policy_key) return kInvalidPolicyKey;
    // The key is the device's: is it still the key of the policy in force?
    if (ctx.device.policy_fingerprint != policy::fingerprint(effective)) return kPolicyRefresh;
    if (effective.enforce) {
        if (ctx.device.policy_status == "partial" && !effective.allow_non_provisionable_devices()) return kPolicyRefresh;
        if (auto hours = effective.refresh_interval_hours();
            hours && ctx.device.provisioned_at + static_cast<long long>(*hours) * 3600 < std::time(nullptr))
            return kPolicyRefresh;
    }
    return 0;
}

}  // namespace

store::Device identify_device(soci::session& sql, const ServerSettings& settings, long long user_id,
                              const protocol::EasQuery& query, const std::string& user_agent,
                              protocol::ProtocolVersion version, const std::string& policy_key_header,
                              const wbxml::Node* body) {
    store::Device device = store::register_device(sql, user_id, query.device_id, query.device_type, user_agent,
                                                  protocol::version_string(version));
    if (!device.holds_nothing) return device;
    const auto& types = settings.rotating_device_types;
    if (std::find(types.begin(), types.end(), device.device_type) == types.end()) return device;

    store::RotationEvidence evidence;
    if (!policy_key_header.empty()) {
        evidence.policy_key = parse_policy_key(policy_key_header);
    } else if (query.policy_key) {
        evidence.policy_key = static_cast<long long>(*query.policy_key);
    }
    store::DeviceInformation info;
    if (body && (query.cmd == "Provision" || query.cmd == "Settings"))
        if (const wbxml::Node* element = body->child(tag::Settings::DeviceInformation)) {
            info = read_device_information(*element);
            evidence.info = &info;
        }
    if (!(evidence.policy_key && *evidence.policy_key) && !evidence.info) return device;
    if (auto earlier = store::recognise_rotated_device(sql, device, evidence)) {
        EASD_LOG_INFO("DeviceId %s of user %lld is an earlier %s device under a new id", query.device_id.c_str(),
                      user_id, earlier->device_type.c_str());
        return *earlier;
    }
    return device;
}

CommandResult common_status_answer(const CommandContext& ctx, std::string_view command, int status) {
    if (ctx.version >= 140)
        for (const auto& e : kStatusElements)
            if (e.command == command) {
                wbxml::Node root(e.root);
                root.add(e.status, static_cast<long long>(status));
                return {200, std::move(root)};
            }
    return CommandResult(is_refusal_of_access(status) ? 403 : 449);
}

std::optional<CommandResult> refuse_admission(CommandContext& ctx, std::string_view command,
                                              const std::string& policy_key_header) {
    bool is_provision = command == "Provision";
    // 0. What the device tells about itself (Provision from 14.1, Settings before) counts for this
    //    very request: an allow rule on its model must let in the request that names the model.
    bool information_recorded = false;
    if ((is_provision || command == "Settings") && ctx.request)
        if (const wbxml::Node* info = ctx.request->child(tag::Settings::DeviceInformation)) {
            store::record_device_information(ctx.sql, ctx.device.id, read_device_information(*info));
            information_recorded = true;
        }
    // 1. A wipe waits (or the wiped device came back): everything leads to Provision, which
    //    carries it; nothing else is served.
    if (ctx.device.wipe_status != "none") {
        if (is_provision) return std::nullopt;
        return common_status_answer(ctx, command, kRemoteWipeRequested);
    }
    // 2. Access. Provision of a blocked device is refused too: it would only learn a policy.
    // The facts read with the device row, unless this request just told us more about the device.
    const store::AccessFacts* known = information_recorded || !ctx.device.access_facts ? nullptr : &*ctx.device.access_facts;
    store::AccessDecision access = store::decide_device_access(ctx.sql, ctx.device.id, known);
    notify_access(ctx, access);
    if (access.state != store::AccessState::allowed)
        return common_status_answer(ctx, command, kDeviceIsBlockedForThisUser);
    if (is_provision) return std::nullopt;
    // 3. Provisioning.
    if (int status = provisioning_status(ctx, policy_key_header)) return common_status_answer(ctx, command, status);
    if (ctx.device.sync_time_stale) store::note_sync(ctx.sql, ctx.device.id);
    return std::nullopt;
}

}  // namespace easd::commands
