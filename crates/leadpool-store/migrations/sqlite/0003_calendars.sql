-- Working-hours calendars: an IANA time zone, weekly open hours and holidays, stored as the
-- texts the domain parses (hours in the `mon-fri 09:00-17:00` syntax, holidays as a JSON
-- array of `YYYY-MM-DD[ HH:MM-HH:MM,..]`), always written normalized by the app.
-- An organization has at most one default (the store keeps exactly one while any exist);
-- a team may name its own calendar, otherwise it inherits its nearest ancestor's, then the
-- organization default.

CREATE TABLE calendars (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    hours       TEXT NOT NULL,
    holidays    TEXT NOT NULL DEFAULT '[]',
    is_default  BOOLEAN NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    CONSTRAINT calendars_name_key UNIQUE (org_id, name)
);
CREATE UNIQUE INDEX calendars_one_default ON calendars(org_id) WHERE is_default;

ALTER TABLE teams ADD COLUMN calendar_id INTEGER CONSTRAINT teams_calendar_id_fkey REFERENCES calendars(id);
CREATE INDEX teams_calendar_idx ON teams(org_id, calendar_id);
