-- easd schema, version 6: device management, access control, security policies, remote wipe.
--
-- Everything a later request needs about a device's standing (its policy key, whether it must be
-- wiped, whether it may sync) is a row here, so any worker on any host answers the same way.

-- What a device says about itself (Provision DeviceInformation from 14.1, Settings from 12.1).
ALTER TABLE devices
    ADD COLUMN model            text NOT NULL DEFAULT '',
    ADD COLUMN imei             text NOT NULL DEFAULT '',
    ADD COLUMN friendly_name    text NOT NULL DEFAULT '',
    ADD COLUMN os               text NOT NULL DEFAULT '',
    ADD COLUMN os_language      text NOT NULL DEFAULT '',
    ADD COLUMN phone_number     text NOT NULL DEFAULT '',
    ADD COLUMN mobile_operator  text NOT NULL DEFAULT '',
    ADD COLUMN first_sync       timestamptz,   -- first data command (FolderSync/Sync/...) served
    ADD COLUMN last_sync        timestamptz;   -- last one (refreshed at most once a minute)

-- Access: the administrator's own decision for this device (`easctl device allow|block`), which
-- beats the rules; and the last decision the server made (for listings and notifications).
ALTER TABLE devices
    ADD COLUMN access_override  text CHECK (access_override IN ('allow', 'block')),
    ADD COLUMN access_state     text NOT NULL DEFAULT 'allowed'
                                CHECK (access_state IN ('allowed', 'blocked', 'quarantined')),
    ADD COLUMN access_reason    text NOT NULL DEFAULT '';

-- Provisioning (MS-ASPROV). policy_key is the final key the device holds; pending_policy_key the
-- temporary one of an unfinished handshake; policy_fingerprint identifies the effective policy
-- the device acknowledged (lib/policy), so saving a policy that resolves to the same thing asks
-- nothing new of the device; pending_policy_fingerprint the one sent with the temporary key (it
-- becomes policy_fingerprint only when the device acknowledges it).
--   policy_status: none (never provisioned), pending (handshake started), applied, partial (the
--   device applied part of it), declined (refused it), unsupported (sends no X-MS-PolicyKey:
--   cannot be provisioned).
ALTER TABLE devices
    ADD COLUMN policy_key          bigint,
    ADD COLUMN pending_policy_key  bigint,
    ADD COLUMN policy_fingerprint  text,
    ADD COLUMN pending_policy_fingerprint text,
    ADD COLUMN policy_status       text NOT NULL DEFAULT 'none'
        CHECK (policy_status IN ('none', 'pending', 'applied', 'partial', 'declined', 'unsupported')),
    ADD COLUMN provisioned_at      timestamptz;

-- Remote wipe: none -> waiting (easctl device wipe) -> wiped (the device acknowledged).
-- A wiped device is hidden from `device list` (shown with --all) and is wiped again if it comes
-- back, until `easctl device remove`.
ALTER TABLE devices
    ADD COLUMN wipe_status        text NOT NULL DEFAULT 'none'
                                  CHECK (wipe_status IN ('none', 'waiting', 'wiped')),
    ADD COLUMN wipe_account_only  boolean NOT NULL DEFAULT false,
    ADD COLUMN wipe_requested_at  timestamptz,
    ADD COLUMN wipe_requested_by  text NOT NULL DEFAULT '',
    ADD COLUMN wipe_sent_at       timestamptz,
    ADD COLUMN wiped_at           timestamptz;

-- Security policies at four levels. A row exists for a level that says something of its own;
-- no row means "inherits everything from the level above" (global inherits the built-in default,
-- the neutral policy). `enforce` NULL inherits; false sends the neutral provision while keeping
-- the saved settings; `settings` holds only the settings set at this level, one "Name=value" per
-- line in lib/policy's canonical form (the MS-ASPROV element names).
CREATE TABLE policies (
    id          bigserial PRIMARY KEY,
    domain_id   bigint REFERENCES domains(id) ON DELETE CASCADE,
    user_id     bigint REFERENCES users(id) ON DELETE CASCADE,
    device_id   bigint REFERENCES devices(id) ON DELETE CASCADE,
    enforce     boolean,
    settings    text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((domain_id IS NOT NULL)::int + (user_id IS NOT NULL)::int + (device_id IS NOT NULL)::int <= 1)
);
CREATE UNIQUE INDEX policies_global ON policies ((true))
    WHERE domain_id IS NULL AND user_id IS NULL AND device_id IS NULL;
CREATE UNIQUE INDEX policies_domain ON policies (domain_id) WHERE domain_id IS NOT NULL;
CREATE UNIQUE INDEX policies_user ON policies (user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX policies_device ON policies (device_id) WHERE device_id IS NOT NULL;

-- Device access rules, as Exchange's allow/block/quarantine rules: a rule matches one property
-- of the device (case-insensitive; '*' matches any run of characters).
CREATE TABLE device_access_rules (
    id          bigserial PRIMARY KEY,
    action      text NOT NULL CHECK (action IN ('allow', 'block', 'quarantine')),
    field       text NOT NULL CHECK (field IN ('device_type', 'model', 'os', 'user_agent')),
    pattern     text NOT NULL CHECK (pattern <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (field, pattern)
);

-- Server-wide settings that every worker and tool must agree on (easctl server set NAME VALUE):
--   access_mode     'all' (every account whose ActiveSync flag is not off) or 'flagged' (only
--                   accounts whose flag is explicitly on)
--   default_access  'allow', 'block' or 'quarantine': devices no rule matches
--   admin_address   the administrator, in Cc of wipe confirmations and refusal notices
CREATE TABLE server_settings (
    name   text PRIMARY KEY,
    value  text NOT NULL
);
INSERT INTO server_settings (name, value) VALUES
    ('access_mode', 'all'), ('default_access', 'allow'), ('admin_address', '');

-- The ActiveSync flag of an account becomes three-valued: NULL (not set: follows access_mode),
-- true (explicitly on), false (explicitly off: refused in every mode).
ALTER TABLE users ALTER COLUMN activesync DROP NOT NULL, ALTER COLUMN activesync DROP DEFAULT;
UPDATE users SET activesync = NULL WHERE activesync;
