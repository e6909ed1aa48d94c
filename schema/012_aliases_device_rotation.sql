-- easd schema, version 12: address aliases; devices that change their DeviceId.
--
-- An alias is another address of one account: mail to it lands in the account (easd-deliver,
-- SendMail to a local recipient), and autodiscover for it answers Redirect with the account's
-- own address (MS-ASCMD 2.2.3.137). An address is either an account or an alias, never both
-- (two triggers).
CREATE TABLE aliases (
    address     text PRIMARY KEY CHECK (address = lower(address) AND address LIKE '%_@_%'),
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX aliases_user ON aliases (user_id);

CREATE FUNCTION aliases_not_an_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM users WHERE address = NEW.address) THEN
        RAISE EXCEPTION 'address % is an account, it cannot be an alias', NEW.address
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER aliases_not_an_account BEFORE INSERT OR UPDATE ON aliases
    FOR EACH ROW EXECUTE FUNCTION aliases_not_an_account();

CREATE FUNCTION users_not_an_alias() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM aliases WHERE address = NEW.address) THEN
        RAISE EXCEPTION 'address % is an alias, it cannot be an account', NEW.address
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER users_not_an_alias BEFORE INSERT OR UPDATE OF address ON users
    FOR EACH ROW EXECUTE FUNCTION users_not_an_alias();

-- Recent Outlook for Windows sends a new DeviceId after every restart. When such a request is
-- recognised as an earlier device of the same user (lib/store/devices.h: recognise_rotated_device),
-- that row is re-keyed to the new DeviceId, keeping its sync state and policy standing:
--   previous_device_ids  the ids it had before, oldest first
--   recognised_at        when it was last recognised
--   recognised_by        the evidence, for `easctl device show`
ALTER TABLE devices
    ADD COLUMN previous_device_ids  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN recognised_at        timestamptz,
    ADD COLUMN recognised_by        text NOT NULL DEFAULT '';

-- The candidates of a recognition: the user's devices of one type.
CREATE INDEX devices_user_type ON devices (user_id, device_type);
