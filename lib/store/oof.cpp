#include "store/oof.h"

#include "store/db.h"
#include "store/pq.h"

namespace easd::store {

namespace {

constexpr OofAudience kAudiences[] = {OofAudience::internal, OofAudience::external_known,
                                      OofAudience::external_unknown};

std::optional<OofAudience> audience_from(std::string_view name) {
    for (OofAudience a : kAudiences)
        if (name == audience_name(a)) return a;
    return std::nullopt;
}

}  // namespace

const char* audience_name(OofAudience a) {
    switch (a) {
        case OofAudience::internal: return "internal";
        case OofAudience::external_known: return "external_known";
        case OofAudience::external_unknown: return "external_unknown";
    }
    return "internal";
}

OofSettings load_oof(soci::session& sql, long long user_id) {
    OofSettings s;
    PqResult r = pq_query(sql,
        "SELECT state, COALESCE(extract(epoch FROM start_time)::bigint, 0), "
        "  COALESCE(extract(epoch FROM end_time)::bigint, 0) FROM oof_settings WHERE user_id = $1",
        {std::to_string(user_id)});
    if (r.rows() == 0) return s;
    s.state = static_cast<OofState>(r.int32(0, 0));
    s.start_time = r.int64(0, 1);
    s.end_time = r.int64(0, 2);
    PqResult m = pq_query(sql,
        "SELECT audience, enabled, body_type, message FROM oof_messages WHERE user_id = $1 ORDER BY audience",
        {std::to_string(user_id)});
    for (int i = 0; i < m.rows(); ++i) {
        auto audience = audience_from(m.text(i, 0));
        if (!audience) continue;
        OofMessage msg;
        msg.audience = *audience;
        msg.enabled = m.boolean(i, 1);
        msg.html = m.text(i, 2) == "HTML";
        msg.text = m.str(i, 3);
        s.messages.push_back(std::move(msg));
    }
    return s;
}

std::string oof_problem(const OofSettings& s) {
    if (s.state == OofState::scheduled) {
        if (s.start_time == 0 && s.end_time == 0) return "a scheduled Out of Office needs a start and an end";
        if (s.start_time >= s.end_time) return "the start must come before the end";
    }
    for (const auto& m : s.messages)
        if (m.text.size() > kMaxOofMessageBytes) return "a message is at most 64 KiB";
    return {};
}

void save_oof(soci::session& sql, long long user_id, const OofSettings& s) {
    const std::string uid = std::to_string(user_id);
    const bool scheduled = s.state == OofState::scheduled;
    soci::transaction tr(sql);
    pq_query(sql,
        "INSERT INTO oof_settings (user_id, state, start_time, end_time, changed_at) "
        "VALUES ($1, $2, CASE WHEN $3 THEN to_timestamp($4) END, CASE WHEN $3 THEN to_timestamp($5) END, now()) "
        "ON CONFLICT (user_id) DO UPDATE SET state = EXCLUDED.state, start_time = EXCLUDED.start_time, "
        "  end_time = EXCLUDED.end_time, changed_at = now()",
        {uid, std::to_string(static_cast<int>(s.state)), scheduled ? "true" : "false",
         std::to_string(s.start_time), std::to_string(s.end_time)});
    for (const OofMessage& m : s.messages)
        pq_query(sql,
            "INSERT INTO oof_messages (user_id, audience, enabled, body_type, message) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT (user_id, audience) DO UPDATE SET enabled = EXCLUDED.enabled, "
            "  body_type = EXCLUDED.body_type, message = EXCLUDED.message",
            {uid, audience_name(m.audience), m.enabled ? "true" : "false", m.html ? "HTML" : "Text", m.text});
    pq_query(sql, "DELETE FROM oof_replies WHERE user_id = $1", {uid});
    tr.commit();
}

std::optional<OofMessage> claim_oof_reply(soci::session& sql, long long user_id, OofAudience audience,
                                          const std::string& sender) {
    // One statement: the reply is due only while Out of Office is on (or inside its window), the
    // audience's message is enabled and not empty, and the sender was not answered in this absence
    // in the last 7 days; the insert (or the refreshed time) records it, so a second delivery
    // racing this one finds the row and sends nothing.
    PqResult r = pq_query(sql,
        "WITH due AS ("
        "  SELECT m.enabled, m.body_type, m.message FROM oof_settings s "
        "  JOIN oof_messages m ON m.user_id = s.user_id AND m.audience = $2 "
        "  WHERE s.user_id = $1 AND m.enabled AND m.message <> '' AND (s.state = 1 OR "
        "    (s.state = 2 AND now() >= s.start_time AND now() < s.end_time))), "
        "claimed AS ("
        "  INSERT INTO oof_replies (user_id, sender, replied_at) SELECT $1, $3, now() FROM due "
        "  ON CONFLICT (user_id, sender) DO UPDATE SET replied_at = now() "
        "  WHERE oof_replies.replied_at < now() - interval '7 days' RETURNING 1) "
        "SELECT due.body_type, due.message FROM due, claimed",
        {std::to_string(user_id), audience_name(audience), sender});
    if (r.rows() == 0) return std::nullopt;
    OofMessage m;
    m.audience = audience;
    m.enabled = true;
    m.html = r.text(0, 0) == "HTML";
    m.text = r.str(0, 1);
    return m;
}

void release_oof_reply(soci::session& sql, long long user_id, const std::string& sender) {
    pq_query(sql, "DELETE FROM oof_replies WHERE user_id = $1 AND sender = $2", {std::to_string(user_id), sender});
}

std::vector<std::string> contact_data(soci::session& sql, long long user_id) {
    PqResult r = pq_query(sql,
        "SELECT p.data FROM pim_items p JOIN items i ON i.id = p.item_id "
        "JOIN folders f ON f.id = i.folder_id AND f.item_class = 'Contacts' WHERE i.user_id = $1",
        {std::to_string(user_id)});
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(bytea_from_text(r.text(i, 0)));
    return out;
}

void set_recovery_password(soci::session& sql, long long device_row, const std::string& password) {
    pq_query(sql,
        "UPDATE devices SET recovery_password = NULLIF($2, ''), "
        "  recovery_password_at = CASE WHEN $2 = '' THEN NULL ELSE now() END WHERE id = $1",
        {std::to_string(device_row), password});
}

}  // namespace easd::store
