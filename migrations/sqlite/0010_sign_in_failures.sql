-- Failed sign-ins are counted per e-mail address, whether or not an account has it, so the
-- lockout answers an unknown address exactly as it answers a known one (docs/adr/003). The
-- counters move here from `users`, with any lock in force.

CREATE TABLE sign_in_failures (
    email         TEXT PRIMARY KEY NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    failures      INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until  TEXT,
    last_failed_at TEXT NOT NULL
) STRICT;

CREATE INDEX sign_in_failures_last_failed ON sign_in_failures (last_failed_at);

INSERT INTO sign_in_failures (email, failures, locked_until, last_failed_at)
    SELECT email, failed_logins, locked_until, updated_at FROM users
    WHERE failed_logins > 0 OR locked_until IS NOT NULL;

ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;
