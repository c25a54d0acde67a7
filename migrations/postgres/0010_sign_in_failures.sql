-- Failed sign-ins are counted per e-mail address, whether or not an account has it, so the
-- lockout answers an unknown address exactly as it answers a known one (docs/adr/003). The
-- counters move here from `users`, with any lock in force.

CREATE TABLE sign_in_failures (
    email         text PRIMARY KEY CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    failures      integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until  timestamptz,
    last_failed_at timestamptz NOT NULL
);

CREATE INDEX sign_in_failures_last_failed ON sign_in_failures (last_failed_at);

-- `users` is under forced row-level security: read it in the system scope.
SELECT set_config('ils.scope', 'system', true);
INSERT INTO sign_in_failures (email, failures, locked_until, last_failed_at)
    SELECT email, failed_logins, locked_until, updated_at FROM users
    WHERE failed_logins > 0 OR locked_until IS NOT NULL;

ALTER TABLE users DROP COLUMN failed_logins, DROP COLUMN locked_until;

-- Credentials are only ever touched by authentication code, which runs in the system scope.
ALTER TABLE sign_in_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE sign_in_failures FORCE ROW LEVEL SECURITY;
CREATE POLICY system_only ON sign_in_failures USING (ils_system_scope());
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_failures TO ils_app;
