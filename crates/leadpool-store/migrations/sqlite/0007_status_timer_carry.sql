-- A status-expiry timer lives as long as its status: any write that keeps the status (a
-- claim, a routing, an edit of the phone) carries the timer to the lead's new version, so no
-- code path can strand it. A status change leaves it stale for its writer to set or cancel.
-- In the database rather than in each write path: it costs no extra statement per write.
CREATE TRIGGER leads_carry_status_timer AFTER UPDATE OF version ON leads
WHEN NEW.status_id = OLD.status_id
BEGIN
    UPDATE timers SET lead_version = NEW.version
    WHERE lead_id = NEW.id AND kind = 'status_expiry' AND lead_version = OLD.version;
END;
