-- Each lead's emails and phones, one row per value (issue 15): an import finds the stored
-- leads a chunk of its file repeats with one indexed query, where the JSON columns would
-- need a scan of every lead of the organization per chunk. Triggers keep it in step with
-- every statement that writes a lead's emails or phones, whichever makes it (as leads_fts
-- is kept); the values are the normalized ones the domain stores.
CREATE TABLE lead_contacts (
    org_id   INTEGER NOT NULL,
    value    TEXT NOT NULL,
    lead_id  INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, value, lead_id)
) WITHOUT ROWID;
CREATE INDEX lead_contacts_lead_idx ON lead_contacts(lead_id);

CREATE TRIGGER lead_contacts_insert AFTER INSERT ON leads BEGIN
    INSERT OR IGNORE INTO lead_contacts (org_id, value, lead_id)
    SELECT new.org_id, j.value, new.id FROM json_each(new.emails) j
    UNION SELECT new.org_id, j.value, new.id FROM json_each(new.phones) j;
END;

-- Updates write every column whether or not it changed (a claim rewrites the whole row);
-- only a real change of emails or phones is worth rewriting.
CREATE TRIGGER lead_contacts_update AFTER UPDATE OF emails, phones ON leads
WHEN old.emails IS NOT new.emails OR old.phones IS NOT new.phones BEGIN
    DELETE FROM lead_contacts WHERE lead_id = old.id;
    INSERT OR IGNORE INTO lead_contacts (org_id, value, lead_id)
    SELECT new.org_id, j.value, new.id FROM json_each(new.emails) j
    UNION SELECT new.org_id, j.value, new.id FROM json_each(new.phones) j;
END;

INSERT OR IGNORE INTO lead_contacts (org_id, value, lead_id)
SELECT l.org_id, j.value, l.id FROM leads l, json_each(l.emails) j
UNION SELECT l.org_id, j.value, l.id FROM leads l, json_each(l.phones) j;
