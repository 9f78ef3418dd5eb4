-- A status-expiry timer lives as long as its status: any write that keeps the status (a
-- claim, a routing, an edit of the phone) carries the timer to the lead's new version, so no
-- code path can strand it. A status change leaves it stale for its writer to set or cancel.
-- In the database rather than in each write path: it costs no extra statement per write.
CREATE FUNCTION leads_carry_status_timer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE timers SET lead_version = NEW.version
    WHERE lead_id = NEW.id AND kind = 'status_expiry' AND lead_version = OLD.version;
    RETURN NULL;
END
$$;

CREATE TRIGGER leads_carry_status_timer AFTER UPDATE OF version ON leads
FOR EACH ROW WHEN (NEW.status_id = OLD.status_id)
EXECUTE FUNCTION leads_carry_status_timer();
