-- Durable timers (response windows, reserve times, status expiries) and status expiry
-- rules. A timer is created, moved and cancelled in the same transaction as the lead
-- change that causes it; firing deletes it in the same transaction as its effect.

ALTER TABLE statuses ADD COLUMN expires_after_ms INTEGER;
ALTER TABLE statuses ADD COLUMN expires_to_status_id INTEGER REFERENCES statuses(id);
ALTER TABLE statuses ADD COLUMN expires_to_pool BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE timers (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations(id),
    lead_id       INTEGER NOT NULL REFERENCES leads(id),
    kind          TEXT NOT NULL,
    due_at        INTEGER NOT NULL,
    lead_version  INTEGER NOT NULL,
    payload       TEXT NOT NULL DEFAULT '{}',
    lease_owner   TEXT,
    lease_until   INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    CONSTRAINT timers_lead_kind_key UNIQUE (lead_id, kind)
);
CREATE INDEX timers_due_idx ON timers(due_at);
