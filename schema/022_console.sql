-- easd schema 22: the web console (issue 13, part 1).
--
-- Administrator roles: a row with domain_id NULL makes the account an administrator of every domain
-- (`easctl user role ADDRESS admin`); rows with a domain make it an administrator of those domains
-- only (`easctl user role ADDRESS domain-admin DOMAIN`, once per domain). No row: an ordinary user,
-- who may still sign in to the console's self-service page (their own devices).
CREATE TABLE admin_roles (
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    domain_id  bigint REFERENCES domains(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX admin_roles_all ON admin_roles (user_id) WHERE domain_id IS NULL;
CREATE UNIQUE INDEX admin_roles_domain ON admin_roles (user_id, domain_id) WHERE domain_id IS NOT NULL;

-- Signed-in console sessions. Rows, not process memory: easd workers are stateless and several
-- hosts share the database, so any worker answers any request of a session. The cookie carries a
-- random 256-bit token; only its SHA-256 is stored, so a copy of the table signs nobody in. A
-- session ends at `expires_at` (absolute) or when unused for the idle time the console checks
-- against `last_used`; signing out deletes the row. `csrf_token` is sent in every form of the
-- session and checked on every POST.
CREATE TABLE console_sessions (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_used   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
