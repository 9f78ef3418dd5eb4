-- The lead pool (seeds 000 and 003): who sees a pool, blind mode, reserve time and the
-- rejection cooldown; caps per organization and per user, and per-user pool access;
-- rejection reasons, and who rejected which lead until when.

ALTER TABLE pools ADD COLUMN team_id INTEGER CONSTRAINT pools_team_id_fkey REFERENCES teams(id);
ALTER TABLE pools ADD COLUMN blind BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN reserve_ms INTEGER;
ALTER TABLE pools ADD COLUMN calendar_id INTEGER CONSTRAINT pools_calendar_id_fkey REFERENCES calendars(id);
ALTER TABLE pools ADD COLUMN reject_cooldown_ms INTEGER NOT NULL DEFAULT 86400000;

ALTER TABLE organizations ADD COLUMN max_new_leads INTEGER;
ALTER TABLE organizations ADD COLUMN min_new_leads INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN reject_pool_id INTEGER REFERENCES pools(id);

ALTER TABLE users ADD COLUMN pool_access BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN max_new_leads INTEGER;
ALTER TABLE users ADD COLUMN min_new_leads INTEGER;

-- The pool a lead last sat in: where a lapsed reserve time sends it back.
ALTER TABLE leads ADD COLUMN from_pool_id INTEGER REFERENCES pools(id);
UPDATE leads SET from_pool_id = owner_pool_id WHERE owner_kind = 'pool';
-- Caps count an agent's leads by status category: answered from the index alone.
CREATE INDEX leads_owner_status_idx ON leads(org_id, owner_user_id, status_id);

CREATE TABLE reject_reasons (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    label       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    CONSTRAINT reject_reasons_label_key UNIQUE (org_id, label)
);
INSERT INTO reject_reasons (org_id, label, created_at)
SELECT o.id, r.label, o.created_at
FROM organizations o
CROSS JOIN (SELECT 'Outside my area' AS label UNION ALL SELECT 'Wrong or missing contact details'
            UNION ALL SELECT 'Duplicate of another lead' UNION ALL SELECT 'No capacity to work it'
            UNION ALL SELECT 'Other') r;

CREATE TABLE rejections (
    lead_id  INTEGER NOT NULL REFERENCES leads(id),
    user_id  INTEGER NOT NULL REFERENCES users(id),
    until    INTEGER NOT NULL,
    PRIMARY KEY (lead_id, user_id)
);
