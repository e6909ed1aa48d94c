// GetAttachment (MS-ASCMD 2.2.1.8), protocol 2.5 to 14.1: `Cmd=GetAttachment&AttachmentName=<ref>`,
// no body; the answer is the attachment's bytes with its Content-Type. The name is the
// FileReference (12.0+) or AttName (2.5) that Sync sent (content/attachment.h).
//
// An attachment that does not exist (or is not this user's: the two are indistinguishable) is
// answered with HTTP 500, as the specification says for an attachment that was deleted on the
// server. In 16.0 and 16.1 the command does not exist (ItemOperations replaces it): HTTP 400.
#include "commands/command.h"
#include "content/attachment.h"
#include "store/mail.h"

namespace easd::commands {

namespace {
// "type/subtype" of RFC 2045 token characters, or application/octet-stream: nothing from a message
// goes into a response header unchecked.
std::string safe_content_type(const std::string& t) {
    static constexpr std::string_view kSpecials = "()<>@,;:\\\"[]?= ";
    bool ok = !t.empty() && t.size() <= 200 && t.find('/') != std::string::npos;
    for (char c : t)
        if (c != '/' && (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f ||
                         kSpecials.find(c) != std::string_view::npos))
            ok = false;
    return ok ? t : "application/octet-stream";
}
}  // namespace

CommandResult handle_get_attachment(CommandContext& ctx) {
    if (ctx.version >= 160) throw MalformedRequest("GetAttachment is not part of protocol 16.0 and later; use ItemOperations");
    if (ctx.query.attachment_name.empty()) throw MalformedRequest("GetAttachment needs AttachmentName");
    CommandResult result;
    auto ref = content::parse_file_reference(ctx.query.attachment_name);
    auto found = ref ? ctx.mail->find_attachment(ctx.sql, ctx.user, ref->item_id, ref->part_path) : std::nullopt;
    auto bytes = found ? content::extract_attachment(found->mime, found->attachment.part_path) : std::nullopt;
    if (!bytes) {
        result.http_status = 500;
        return result;
    }
    result.raw_body = std::move(*bytes);
    result.content_type = safe_content_type(found->attachment.content_type);
    return result;
}

}  // namespace easd::commands
