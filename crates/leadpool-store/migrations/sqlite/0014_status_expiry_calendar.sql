-- A status expiry counted in a calendar's open hours (issue 16); NULL counts wall time. A
-- deleted calendar leaves its statuses counting wall time rather than refusing the delete.
ALTER TABLE statuses ADD COLUMN expires_calendar_id INTEGER CONSTRAINT statuses_expires_calendar_id_fkey REFERENCES calendars(id) ON DELETE SET NULL;
