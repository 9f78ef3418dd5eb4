-- Each lead's emails and phones, one row per value (issue 15): an import finds the stored
-- leads a chunk of its file repeats with one indexed query, where the JSON columns would
-- need a scan of every lead of the organization per chunk. A trigger keeps it in step with
-- every statement that writes a lead's emails or phones, whichever makes it; the values
-- are the normalized ones the domain stores.
CREATE TABLE lead_contacts (
    org_id   BIGINT NOT NULL,
    value    TEXT NOT NULL,
    lead_id  BIGINT NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, value, lead_id)
);
CREATE INDEX lead_contacts_lead_idx ON lead_contacts(lead_id);

-- Writes the new row's values, after removing the old row's on an update.
CREATE FUNCTION lead_contacts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM lead_contacts WHERE lead_id = OLD.id;
    END IF;
    INSERT INTO lead_contacts (org_id, value, lead_id)
    SELECT NEW.org_id, v, NEW.id FROM jsonb_array_elements_text(NEW.emails::jsonb) v
    UNION SELECT NEW.org_id, v, NEW.id FROM jsonb_array_elements_text(NEW.phones::jsonb) v
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER lead_contacts_insert AFTER INSERT ON leads
FOR EACH ROW EXECUTE FUNCTION lead_contacts_sync();

-- Updates write every column whether or not it changed (a claim rewrites the whole row);
-- only a real change of emails or phones is worth rewriting.
CREATE TRIGGER lead_contacts_update AFTER UPDATE OF emails, phones ON leads
FOR EACH ROW WHEN (OLD.emails IS DISTINCT FROM NEW.emails OR OLD.phones IS DISTINCT FROM NEW.phones)
EXECUTE FUNCTION lead_contacts_sync();

INSERT INTO lead_contacts (org_id, value, lead_id)
SELECT l.org_id, v, l.id FROM leads l, jsonb_array_elements_text(l.emails::jsonb) v
UNION SELECT l.org_id, v, l.id FROM leads l, jsonb_array_elements_text(l.phones::jsonb) v
ON CONFLICT DO NOTHING;
