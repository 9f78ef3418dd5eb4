-- What routing reads about an organization's setup (rules, groups, statuses, calendars and
-- caps) changes rarely and is read for every batch of new leads. Every change to it bumps the
-- organization's config_version in the same transaction, so an instance may keep a copy and
-- trust it while the version its own transaction reads is the copy's, however many instances
-- share the database. Triggers rather than each write path: no path can forget.
ALTER TABLE organizations ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER routing_rules_bump_insert AFTER INSERT ON routing_rules BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER routing_rules_bump_update AFTER UPDATE ON routing_rules BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER routing_rules_bump_delete AFTER DELETE ON routing_rules BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER agent_groups_bump_insert AFTER INSERT ON agent_groups BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER agent_groups_bump_update AFTER UPDATE ON agent_groups BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER agent_groups_bump_delete AFTER DELETE ON agent_groups BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER statuses_bump_insert AFTER INSERT ON statuses BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER statuses_bump_update AFTER UPDATE ON statuses BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER statuses_bump_delete AFTER DELETE ON statuses BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER calendars_bump_insert AFTER INSERT ON calendars BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER calendars_bump_update AFTER UPDATE ON calendars BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER calendars_bump_delete AFTER DELETE ON calendars BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER organizations_bump_caps AFTER UPDATE OF max_new_leads, min_new_leads ON organizations
BEGIN
    UPDATE organizations SET config_version = config_version + 1 WHERE id = NEW.id;
END;
