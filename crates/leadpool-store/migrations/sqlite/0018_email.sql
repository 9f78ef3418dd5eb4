-- Email (issue 17): each person's choice of what they are emailed about, and email as the
-- second channel of deliveries from the outbox, to the person the event is addressed to.

-- JSON list of event types; NULL: nobody chose yet, which means every mailable type (the
-- default lives in the domain, `MailChoices::default`, not here).
ALTER TABLE users ADD COLUMN email_events TEXT;

-- SQLite cannot change a CHECK constraint: the table is rebuilt with the new channel.
CREATE TABLE deliveries_new (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES organizations(id),
    channel           TEXT NOT NULL,
    endpoint_id       INTEGER REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id          INTEGER NOT NULL REFERENCES outbox(id),
    state             TEXT NOT NULL DEFAULT 'pending',
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    lease_owner       TEXT,
    last_attempt_at   INTEGER,
    last_status       INTEGER,
    last_response_ms  INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    CONSTRAINT deliveries_channel_check CHECK (channel IN ('webhook', 'email')),
    CONSTRAINT deliveries_state_check CHECK (state IN ('pending', 'delivered', 'dead')),
    CONSTRAINT deliveries_webhook_endpoint_check CHECK (channel <> 'webhook' OR endpoint_id IS NOT NULL),
    CONSTRAINT deliveries_endpoint_event_key UNIQUE (endpoint_id, event_id)
);
INSERT INTO deliveries_new SELECT id, org_id, channel, endpoint_id, event_id, state, attempts, next_attempt_at,
    lease_owner, last_attempt_at, last_status, last_response_ms, last_error, created_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_due_idx ON deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_endpoint_idx ON deliveries(endpoint_id, id);
-- An event is emailed once: to the one person whose outbox holds it.
CREATE UNIQUE INDEX deliveries_email_event_key ON deliveries(event_id) WHERE channel = 'email';
-- The admins' deliveries page: an organization's deliveries of either channel, newest first.
CREATE INDEX deliveries_org_idx ON deliveries(org_id, id);
