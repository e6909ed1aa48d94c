-- easd schema, version 7: what the Settings command keeps (MS-ASCMD 2.2.1.18): Out of Office, as
-- a phone sets it and easd-deliver applies it, and the recovery password a device may send.

-- Out of Office of an account. state 0: off; 1: on until turned off; 2: on between start_time and
-- end_time. changed_at starts a new absence: the record of who was answered begins again then.
CREATE TABLE oof_settings (
    user_id     bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    state       smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
    start_time  timestamptz,
    end_time    timestamptz,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (state <> 2 OR (start_time IS NOT NULL AND end_time IS NOT NULL AND start_time < end_time))
);

-- The reply for each audience (MS-ASCMD 2.2.3.123 OofMessage): senders of the same organisation
-- (internal: an account of a domain served here), senders in the owner's contacts (external
-- known), everyone else (external unknown).
CREATE TABLE oof_messages (
    user_id    bigint NOT NULL REFERENCES oof_settings(user_id) ON DELETE CASCADE,
    audience   text NOT NULL CHECK (audience IN ('internal', 'external_known', 'external_unknown')),
    enabled    boolean NOT NULL DEFAULT false,
    body_type  text NOT NULL DEFAULT 'Text' CHECK (body_type IN ('Text', 'HTML')),
    message    text NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, audience)
);

-- Who got an automatic reply in the current absence, so that a sender gets one, not one per
-- message (RFC 3834 2: no more than one per sender in a period; ours is 7 days).
CREATE TABLE oof_replies (
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sender      text NOT NULL,           -- lower-case address
    replied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, sender)
);

-- Settings DevicePassword (MS-ASCMD 2.2.3.46): the recovery password a device sends when the
-- policy's PasswordRecoveryEnabled asks for it, for the administrator to read back to a user who
-- forgot the device's password. Never logged.
ALTER TABLE devices
    ADD COLUMN recovery_password     text,
    ADD COLUMN recovery_password_at  timestamptz;
