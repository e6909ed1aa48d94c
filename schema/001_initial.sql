-- easd schema, version 1: accounts, folders, items with change tracking, devices and sync state.
--
-- Change tracking (see docs/ARCHITECTURE.md): every insert, update, move or delete of a folder or
-- item takes a number from change_seq. Deleted and moved-away rows leave tombstones. A device's
-- sync state is a watermark in that sequence plus the set of items the device holds, so an
-- incremental Sync reads only rows changed since the watermark.
--
-- All writes to one user's folders and items serialise on a per-user advisory lock taken before
-- the sequence number, so for each user the numbers become visible in the order they were drawn:
-- a reader that sees change N also sees every change of that user below N, and a watermark never
-- skips a change that commits late.

CREATE SEQUENCE change_seq;

CREATE TABLE domains (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name = lower(name) AND name <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    domain_id      bigint NOT NULL REFERENCES domains(id) ON DELETE RESTRICT,
    address        text NOT NULL UNIQUE CHECK (address = lower(address) AND address LIKE '%_@_%'),
    display_name   text NOT NULL DEFAULT '',
    password_hash  text NOT NULL,               -- crypt(3) string (yescrypt), never plain text
    activesync     boolean NOT NULL DEFAULT true, -- may this account use ActiveSync at all
    protocol_log   boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE folders (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    parent_id    bigint REFERENCES folders(id) ON DELETE CASCADE,
    name         text NOT NULL,
    type         smallint NOT NULL,  -- EAS folder type (MS-ASCMD 2.2.3.186.3): 2 Inbox, 12 user mail, ...
    item_class   text NOT NULL CHECK (item_class IN ('Email', 'Contacts', 'Calendar', 'Tasks', 'Notes')),
    created_seq  bigint NOT NULL DEFAULT 0,
    modseq       bigint NOT NULL DEFAULT 0
);
CREATE INDEX folders_user_modseq ON folders (user_id, modseq);
-- One default folder of each special type per user.
CREATE UNIQUE INDEX folders_one_special ON folders (user_id, type) WHERE type BETWEEN 2 AND 11;

CREATE TABLE folder_tombstones (
    user_id      bigint NOT NULL,
    folder_id    bigint NOT NULL,
    created_seq  bigint NOT NULL,
    modseq       bigint NOT NULL
);
CREATE INDEX folder_tombstones_user_modseq ON folder_tombstones (user_id, modseq);

CREATE TABLE items (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    folder_id    bigint NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    modseq       bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_folder_modseq ON items (folder_id, modseq);

CREATE TABLE item_tombstones (
    user_id    bigint NOT NULL,
    folder_id  bigint NOT NULL,
    item_id    bigint NOT NULL,
    modseq     bigint NOT NULL
);
CREATE INDEX item_tombstones_folder_modseq ON item_tombstones (folder_id, modseq);

-- The email columns Sync needs, parsed once at delivery; mime holds the original bytes.
CREATE TABLE emails (
    item_id          bigint PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    mime             bytea NOT NULL,
    from_addr        text NOT NULL DEFAULT '',
    to_addr          text NOT NULL DEFAULT '',
    cc_addr          text NOT NULL DEFAULT '',
    reply_to         text NOT NULL DEFAULT '',
    display_to       text NOT NULL DEFAULT '',
    subject          text NOT NULL DEFAULT '',
    thread_topic     text NOT NULL DEFAULT '',
    message_id       text NOT NULL DEFAULT '',
    date_sent        timestamptz,
    date_received    timestamptz NOT NULL DEFAULT now(),
    importance       smallint NOT NULL DEFAULT 1 CHECK (importance BETWEEN 0 AND 2),
    read             boolean NOT NULL DEFAULT false,
    message_class    text NOT NULL DEFAULT 'IPM.Note',
    size             integer NOT NULL DEFAULT 0,
    has_attachments  boolean NOT NULL DEFAULT false,
    body_plain       text NOT NULL DEFAULT '',
    body_html        text NOT NULL DEFAULT ''
);

CREATE TABLE devices (
    id                bigserial PRIMARY KEY,
    user_id           bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id         text NOT NULL,
    device_type       text NOT NULL DEFAULT '',
    user_agent        text NOT NULL DEFAULT '',
    protocol_version  text NOT NULL DEFAULT '',
    protocol_log      boolean NOT NULL DEFAULT false,
    first_seen        timestamptz NOT NULL DEFAULT now(),
    last_seen         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, device_id)
);

-- FolderSync state of a device. A key is "<epoch>-<n>"; the device may present the current key
-- or, when our last response was lost, the previous one (SmartSync).
CREATE TABLE folder_sync_states (
    device_id       bigint PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    epoch           text NOT NULL,
    current_key     integer NOT NULL,
    current_mark    bigint NOT NULL,
    previous_key    integer,
    previous_mark   bigint
);

-- Sync state of one collection (folder) on one device.
CREATE TABLE sync_collections (
    id              bigserial PRIMARY KEY,
    device_id       bigint NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    folder_id       bigint NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    epoch           text NOT NULL,
    current_key     integer NOT NULL,
    current_mark    bigint NOT NULL,
    previous_key    integer,
    previous_mark   bigint,
    UNIQUE (device_id, folder_id)
);

-- Items a device holds in a collection. added_key/removed_key say in which of our responses the
-- item was sent as Add or Delete, so the state at the previous key can be restored when the
-- device repeats it.
CREATE TABLE sync_items (
    collection_id  bigint NOT NULL REFERENCES sync_collections(id) ON DELETE CASCADE,
    item_id        bigint NOT NULL,
    added_key      integer NOT NULL,
    removed_key    integer,
    PRIMARY KEY (collection_id, item_id)
);

-- Stamping triggers --------------------------------------------------------------------------

CREATE FUNCTION easd_lock_user(uid bigint) RETURNS void LANGUAGE sql AS
$$ SELECT pg_advisory_xact_lock(7411, uid::integer) $$;

CREATE FUNCTION easd_folder_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM easd_lock_user(NEW.user_id);
    NEW.modseq := nextval('change_seq');
    IF TG_OP = 'INSERT' THEN
        NEW.created_seq := NEW.modseq;
    ELSE
        NEW.created_seq := OLD.created_seq;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER folders_stamp BEFORE INSERT OR UPDATE ON folders
    FOR EACH ROW EXECUTE FUNCTION easd_folder_stamp();

CREATE FUNCTION easd_folder_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM easd_lock_user(OLD.user_id);
    INSERT INTO folder_tombstones (user_id, folder_id, created_seq, modseq)
    VALUES (OLD.user_id, OLD.id, OLD.created_seq, nextval('change_seq'));
    RETURN OLD;
END $$;
CREATE TRIGGER folders_tombstone AFTER DELETE ON folders
    FOR EACH ROW EXECUTE FUNCTION easd_folder_tombstone();

CREATE FUNCTION easd_item_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM easd_lock_user(NEW.user_id);
    IF TG_OP = 'UPDATE' AND OLD.folder_id <> NEW.folder_id THEN
        INSERT INTO item_tombstones (user_id, folder_id, item_id, modseq)
        VALUES (OLD.user_id, OLD.folder_id, OLD.id, nextval('change_seq'));
    END IF;
    NEW.modseq := nextval('change_seq');
    RETURN NEW;
END $$;
CREATE TRIGGER items_stamp BEFORE INSERT OR UPDATE ON items
    FOR EACH ROW EXECUTE FUNCTION easd_item_stamp();

CREATE FUNCTION easd_item_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM easd_lock_user(OLD.user_id);
    INSERT INTO item_tombstones (user_id, folder_id, item_id, modseq)
    VALUES (OLD.user_id, OLD.folder_id, OLD.id, nextval('change_seq'));
    RETURN OLD;
END $$;
CREATE TRIGGER items_tombstone AFTER DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION easd_item_tombstone();

-- A change to an email's columns (read flag, ...) is a change of its item.
CREATE FUNCTION easd_email_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE items SET modseq = 0 WHERE id = NEW.item_id;
    RETURN NULL;
END $$;
CREATE TRIGGER emails_touch AFTER UPDATE ON emails
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION easd_email_touch();
