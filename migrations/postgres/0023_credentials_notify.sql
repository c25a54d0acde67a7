-- Cached principals (docs/adr/034-fast-orders.md): every node caches what a bearer token resolves
-- to and drops its cache when credentials change. A change on any node, or by hand, tells the
-- others through `NOTIFY ils_credentials` (delivered at commit, to every listening node). Only
-- the columns a principal is read from fire it: a session's `last_seen_at` refresh does not.
-- Statement triggers: one notification per statement, however many rows it changed. SQLite
-- serves one process, which moves its own count (no trigger there).
CREATE FUNCTION ils_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ils_credentials', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_credentials AFTER UPDATE OF revoked_at, expires_at, tenant_id, mfa_verified, user_id OR DELETE
    ON sessions FOR EACH STATEMENT EXECUTE FUNCTION ils_credentials_changed();
CREATE TRIGGER api_keys_credentials AFTER UPDATE OF revoked_at, expires_at, scopes, tenant_id OR DELETE
    ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION ils_credentials_changed();
CREATE TRIGGER memberships_credentials AFTER INSERT OR UPDATE OR DELETE
    ON memberships FOR EACH STATEMENT EXECUTE FUNCTION ils_credentials_changed();
CREATE TRIGGER tenants_credentials AFTER UPDATE OF status OR DELETE
    ON tenants FOR EACH STATEMENT EXECUTE FUNCTION ils_credentials_changed();
CREATE TRIGGER users_credentials AFTER UPDATE OF is_platform_admin OR DELETE
    ON users FOR EACH STATEMENT EXECUTE FUNCTION ils_credentials_changed();
