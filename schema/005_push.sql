-- easd schema, version 5: DirectPush.
--
-- Every change to an item or folder, from any writer, notifies in its own transaction (delivered
-- at commit). Payloads carry ids only; a notification is a hint, the woken request re-checks the
-- database. PostgreSQL folds identical payloads of one transaction into one.
CREATE FUNCTION easd_notify_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('easd_change', NEW.user_id || ':' || NEW.folder_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.folder_id <> NEW.folder_id) THEN
        PERFORM pg_notify('easd_change', OLD.user_id || ':' || OLD.folder_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER items_notify AFTER INSERT OR UPDATE OR DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION easd_notify_item();

-- Hierarchy changes: "<user>:h".
CREATE FUNCTION easd_notify_folder() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('easd_change', COALESCE(NEW.user_id, OLD.user_id) || ':h');
    RETURN NULL;
END $$;
CREATE TRIGGER folders_notify AFTER INSERT OR UPDATE OR DELETE ON folders
    FOR EACH ROW EXECUTE FUNCTION easd_notify_folder();

-- The device's last Ping (for the empty Ping request) and its push sequence: each new Ping or
-- hanging Sync takes the next number, and a waiting request with a lower one is answered at once,
-- in whichever process or host it waits ("easd_supersede", payload "<device row>:<seq>").
ALTER TABLE devices
    ADD COLUMN ping_folders text,
    ADD COLUMN ping_heartbeat integer,
    ADD COLUMN push_seq bigint NOT NULL DEFAULT 0;
