-- What routing reads about an organization's setup (rules, groups, statuses, calendars and
-- caps) changes rarely and is read for every batch of new leads. Every change to it bumps the
-- organization's config_version in the same transaction, so an instance may keep a copy and
-- trust it while the version its own transaction reads is the copy's, however many instances
-- share the database. Triggers rather than each write path: no path can forget.
ALTER TABLE organizations ADD COLUMN config_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE organizations SET config_version = config_version + 1 WHERE id = OLD.org_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.org_id <> OLD.org_id) THEN
        UPDATE organizations SET config_version = config_version + 1 WHERE id = NEW.org_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER routing_rules_bump AFTER INSERT OR UPDATE OR DELETE ON routing_rules
FOR EACH ROW EXECUTE FUNCTION bump_config_version();

CREATE TRIGGER agent_groups_bump AFTER INSERT OR UPDATE OR DELETE ON agent_groups
FOR EACH ROW EXECUTE FUNCTION bump_config_version();

CREATE TRIGGER statuses_bump AFTER INSERT OR UPDATE OR DELETE ON statuses
FOR EACH ROW EXECUTE FUNCTION bump_config_version();

CREATE TRIGGER calendars_bump AFTER INSERT OR UPDATE OR DELETE ON calendars
FOR EACH ROW EXECUTE FUNCTION bump_config_version();

CREATE FUNCTION bump_own_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.config_version := OLD.config_version + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER organizations_bump_caps BEFORE UPDATE OF max_new_leads, min_new_leads ON organizations
FOR EACH ROW EXECUTE FUNCTION bump_own_config_version();
