// Settings (MS-ASCMD 2.2.1.18): what a device reads and writes about its account and itself.
//
//   Oof Get / Set                     Out of Office (store/oof.h); easd-deliver sends the replies
//   DeviceInformation Set             model, OS, IMEI, ... (stored by the admission gate, which
//                                     decides access with it, before this handler runs)
//   DevicePassword Set                the recovery password, when the policy asks for it
//   UserInformation Get               the account's addresses (and, from 14.1, its display name)
//   RightsManagementInformation Get   the IRM templates: none, as easd offers no rights management
//
// Each part answers with its own Status; the top-level Status says whether the request as a whole
// made sense (2: it did not, and no part was carried out).
#include <string>

#include "commands/command.h"
#include "common/log.h"
#include "common/text.h"
#include "content/email_item.h"
#include "content/message.h"
#include "content/pim_item.h"
#include "store/oof.h"

namespace easd::commands {

namespace tag = wbxml::tag;

namespace {

// Settings Status (MS-ASCMD 2.2.3.177.15).
enum SettingsStatus {
    kSuccess = 1,
    kProtocolError = 2,
    kInvalidArguments = 5,
    kConflictingArguments = 6,
};

constexpr std::size_t kMaxOofMessage = 64 * 1024;  // bytes of one reply message
constexpr std::size_t kMaxRecoveryPassword = 256;

wbxml::Node status_only(wbxml::Tag element, int status) {
    wbxml::Node n(element);
    n.add(tag::Settings::Status, static_cast<long long>(status));
    return n;
}

struct AudienceTag {
    store::OofAudience audience;
    wbxml::Tag marker;  // the empty element that names the audience in an OofMessage
};
constexpr AudienceTag kAudienceTags[] = {
    {store::OofAudience::internal, tag::Settings::AppliesToInternal},
    {store::OofAudience::external_known, tag::Settings::AppliesToExternalKnown},
    {store::OofAudience::external_unknown, tag::Settings::AppliesToExternalUnknown},
};

// "Text" or "HTML" (the spec's values; compared without case, as phones vary). nullopt otherwise.
std::optional<bool> parse_body_type_is_html(std::string_view v) {
    if (iequals(v, "HTML")) return true;
    if (iequals(v, "Text")) return false;
    return std::nullopt;
}

wbxml::Node oof_get(CommandContext& ctx, const wbxml::Node& get) {
    auto want_html = parse_body_type_is_html(trim(get.child_text(tag::Settings::BodyType)));
    if (!want_html) return status_only(tag::Settings::Oof, kProtocolError);
    store::OofSettings s = store::load_oof(ctx.sql, ctx.user.id);

    wbxml::Node oof(tag::Settings::Oof);
    oof.add(tag::Settings::Status, static_cast<long long>(kSuccess));
    wbxml::Node& out = oof.add(tag::Settings::Get);
    out.add(tag::Settings::OofState, static_cast<long long>(s.state));
    if (s.state == store::OofState::scheduled) {
        out.add(tag::Settings::StartTime, content::format_eas_datetime(s.start_time));
        out.add(tag::Settings::EndTime, content::format_eas_datetime(s.end_time));
    }
    // One OofMessage per audience, in the requested format.
    for (const auto& a : kAudienceTags) {
        store::OofMessage m;
        m.audience = a.audience;
        for (const auto& stored : s.messages)
            if (stored.audience == a.audience) m = stored;
        wbxml::Node& msg = out.add(tag::Settings::OofMessage);
        msg.add(a.marker);
        msg.add(tag::Settings::Enabled, m.enabled ? "1" : "0");
        std::string text = m.text;
        if (!text.empty() && m.html && !*want_html) text = content::html_to_text(text);
        if (!text.empty() && !m.html && *want_html) text = content::plain_to_html(text);
        msg.add(tag::Settings::ReplyMessage, std::move(text));
        msg.add(tag::Settings::BodyType, *want_html ? "HTML" : "Text");
    }
    return oof;
}

// Applies a Set to the stored settings: what the request leaves out stays as it was.
int apply_oof_set(const wbxml::Node& set, store::OofSettings& s) {
    if (const wbxml::Node* state = set.child(tag::Settings::OofState)) {
        std::string_view v = trim(state->text());
        if (v == "0") s.state = store::OofState::off;
        else if (v == "1") s.state = store::OofState::on;
        else if (v == "2") s.state = store::OofState::scheduled;
        else return kInvalidArguments;
    }
    const wbxml::Node* start = set.child(tag::Settings::StartTime);
    const wbxml::Node* end = set.child(tag::Settings::EndTime);
    if (start || end) {
        if (!start || !end) return kInvalidArguments;
        auto from = content::parse_eas_datetime(trim(start->text()));
        auto to = content::parse_eas_datetime(trim(end->text()));
        if (!from || !to) return kInvalidArguments;
        s.start_time = *from;
        s.end_time = *to;
    }
    if (s.state == store::OofState::scheduled) {
        if (s.start_time == 0 && s.end_time == 0) return kInvalidArguments;  // never given a window
        if (s.start_time >= s.end_time) return kConflictingArguments;
    }
    for (const wbxml::Node* msg : set.children_of(tag::Settings::OofMessage)) {
        const AudienceTag* which = nullptr;
        for (const auto& a : kAudienceTags)
            if (msg->has(a.marker)) {
                if (which) return kConflictingArguments;  // one audience per OofMessage
                which = &a;
            }
        if (!which) return kInvalidArguments;
        store::OofMessage* target = nullptr;
        for (auto& stored : s.messages)
            if (stored.audience == which->audience) target = &stored;
        if (!target) {
            s.messages.push_back(store::OofMessage{which->audience, false, false, {}});
            target = &s.messages.back();
        }
        if (const wbxml::Node* enabled = msg->child(tag::Settings::Enabled)) {
            std::string_view v = trim(enabled->text());
            if (v != "0" && v != "1") return kInvalidArguments;
            target->enabled = v == "1";
        }
        if (const wbxml::Node* reply = msg->child(tag::Settings::ReplyMessage)) {
            auto html = parse_body_type_is_html(trim(msg->child_text(tag::Settings::BodyType)));
            if (!html) return kInvalidArguments;  // BodyType is required with a ReplyMessage
            if (reply->text().size() > kMaxOofMessage) return kInvalidArguments;
            target->html = *html;
            target->text = std::string(reply->text());
        }
    }
    return kSuccess;
}

wbxml::Node oof(CommandContext& ctx, const wbxml::Node& request) {
    const wbxml::Node* get = request.child(tag::Settings::Get);
    const wbxml::Node* set = request.child(tag::Settings::Set);
    if (get && set) return status_only(tag::Settings::Oof, kConflictingArguments);
    if (get) return oof_get(ctx, *get);
    if (!set) return status_only(tag::Settings::Oof, kProtocolError);
    store::OofSettings s = store::load_oof(ctx.sql, ctx.user.id);
    int status = apply_oof_set(*set, s);
    if (status == kSuccess) {
        store::save_oof(ctx.sql, ctx.user.id, s);
        EASD_LOG_INFO("%s set Out of Office to %d from device %s", ctx.user.address.c_str(), static_cast<int>(s.state),
                      ctx.device.device_id.c_str());
    }
    return status_only(tag::Settings::Oof, status);
}

wbxml::Node device_password(CommandContext& ctx, const wbxml::Node& request) {
    const wbxml::Node* set = request.child(tag::Settings::Set);
    const wbxml::Node* password = set ? set->child(tag::Settings::Password) : nullptr;
    if (!password) return status_only(tag::Settings::DevicePassword, kProtocolError);
    if (password->text().size() > kMaxRecoveryPassword) return status_only(tag::Settings::DevicePassword, kInvalidArguments);
    store::set_recovery_password(ctx.sql, ctx.device.id, std::string(password->text()));
    return status_only(tag::Settings::DevicePassword, kSuccess);
}

wbxml::Node user_information(CommandContext& ctx, const wbxml::Node& request) {
    if (!request.has(tag::Settings::Get)) return status_only(tag::Settings::UserInformation, kProtocolError);
    wbxml::Node info(tag::Settings::UserInformation);
    info.add(tag::Settings::Status, static_cast<long long>(kSuccess));
    wbxml::Node& get = info.add(tag::Settings::Get);
    if (ctx.version >= 141) {
        wbxml::Node& account = get.add(tag::Settings::Accounts).add(tag::Settings::Account);
        if (!ctx.user.display_name.empty()) account.add(tag::Settings::UserDisplayName, ctx.user.display_name);
        wbxml::Node& addresses = account.add(tag::Settings::EmailAddresses);
        // SMTPAddress first, PrimarySmtpAddress after it: the schema's sequence (Settings.xsd).
        addresses.add(tag::Settings::SmtpAddress, ctx.user.address);
        addresses.add(tag::Settings::PrimarySmtpAddress, ctx.user.address);
    } else {
        get.add(tag::Settings::EmailAddresses).add(tag::Settings::SmtpAddress, ctx.user.address);
    }
    return info;
}

wbxml::Node rights_management(const wbxml::Node& request) {
    if (!request.has(tag::Settings::Get)) return status_only(tag::Settings::RightsManagementInformation, kProtocolError);
    wbxml::Node info(tag::Settings::RightsManagementInformation);
    info.add(tag::Settings::Status, static_cast<long long>(kSuccess));
    info.add(tag::Settings::Get).add(tag::RightsManagement::RightsManagementTemplates);
    return info;
}

CommandResult settings_status(int status) {
    wbxml::Node root(tag::Settings::Settings);
    root.add(tag::Settings::Status, static_cast<long long>(status));
    return {200, std::move(root)};
}

}  // namespace

CommandResult handle_settings(CommandContext& ctx) {
    const wbxml::Node* request = ctx.request;
    if (!request || request->tag != tag::Settings::Settings) return settings_status(kProtocolError);
    // Check the whole request first: a part we do not know makes none of it happen.
    for (const wbxml::Node& part : request->children) {
        bool known = part.tag == tag::Settings::Oof || part.tag == tag::Settings::DeviceInformation ||
                     part.tag == tag::Settings::DevicePassword || part.tag == tag::Settings::UserInformation ||
                     (part.tag == tag::Settings::RightsManagementInformation && ctx.version >= 141);
        if (!known) return settings_status(kProtocolError);
    }
    wbxml::Node root(tag::Settings::Settings);
    root.add(tag::Settings::Status, static_cast<long long>(kSuccess));
    for (const wbxml::Node& part : request->children) {
        if (part.tag == tag::Settings::Oof) {
            root.children.push_back(oof(ctx, part));
        } else if (part.tag == tag::Settings::DeviceInformation) {
            root.children.push_back(status_only(tag::Settings::DeviceInformation,
                                                part.has(tag::Settings::Set) ? kSuccess : kProtocolError));
        } else if (part.tag == tag::Settings::DevicePassword) {
            root.children.push_back(device_password(ctx, part));
        } else if (part.tag == tag::Settings::UserInformation) {
            root.children.push_back(user_information(ctx, part));
        } else {
            root.children.push_back(rights_management(part));
        }
    }
    return {200, std::move(root)};
}

}  // namespace easd::commands
