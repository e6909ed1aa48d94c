-- easd schema 14: the mirror of IMAP mailboxes (issue 11, the Dovecot mail store).
--
-- In the Dovecot mode each mail folder of a user is bound to one IMAP mailbox, and each email to
-- one message (UID) of it. The folders, items and emails rows are the same ones the native store
-- writes, so Sync, Search, GetItemEstimate and Ping read them at the same cost; these two tables
-- only say where each row came from and how far the mirror has caught up (RFC 7162: UIDVALIDITY
-- and HIGHESTMODSEQ), so the next catch-up asks the server only for what changed since.
CREATE TABLE imap_mailboxes (
    folder_id      bigint PRIMARY KEY REFERENCES folders(id) ON DELETE CASCADE,
    user_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name           text NOT NULL,            -- the full IMAP name, UTF-8
    uidvalidity    bigint NOT NULL DEFAULT 0,  -- 0: never caught up
    highestmodseq  bigint NOT NULL DEFAULT 0,
    uidnext        bigint NOT NULL DEFAULT 0,
    caught_up_at   timestamptz,
    UNIQUE (user_id, name)
);

CREATE TABLE imap_messages (
    item_id    bigint PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    folder_id  bigint NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid        bigint NOT NULL,
    modseq     bigint NOT NULL DEFAULT 0,   -- the message's MODSEQ when the mirror last read it
    UNIQUE (folder_id, uid)
);

-- Accounts of the Dovecot mode are created at their first login and checked by Dovecot: their
-- password_hash is '!', which no password verifies.
