-- easd schema, version 8: mail sent from phones (SendMail, SmartReply, SmartForward).
--
-- The ClientId of every message a device sent, so that a request repeated after a lost response
-- (same ClientId) is not sent twice (MS-ASCMD 2.2.3.27.1). Kept 30 days: a phone retries within
-- minutes, not weeks.
CREATE TABLE sent_messages (
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  text NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, client_id)
);
