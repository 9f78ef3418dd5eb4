-- Webhooks for CRMs (issue 17): an organization's endpoints, and one delivery row per
-- (event, endpoint) written in the transaction that writes the event, so an event committed
-- is never lost and is delivered after commit, at least once, by any instance.

CREATE TABLE webhook_endpoints (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations(id),
    url              TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    -- JSON list of event types; empty: every type.
    event_types      TEXT NOT NULL DEFAULT '[]',
    enabled          BOOLEAN NOT NULL DEFAULT 1,
    -- Kept as written (`whsec_` + base64): signing needs the secret itself, not a digest.
    secret           TEXT NOT NULL,
    -- Why the engine turned it off, when it did (cleared when an admin turns it on).
    disabled_reason  TEXT,
    disabled_at      INTEGER,
    -- Dead deliveries since the last delivered one, and when the first of them died.
    dead_streak      INTEGER NOT NULL DEFAULT 0,
    dead_since       INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_org_idx ON webhook_endpoints(org_id, id);

-- `channel` leaves room for email as a second way out of the outbox.
CREATE TABLE deliveries (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES organizations(id),
    channel           TEXT NOT NULL,
    endpoint_id       INTEGER REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id          INTEGER NOT NULL REFERENCES outbox(id),
    state             TEXT NOT NULL DEFAULT 'pending',
    -- Attempts started; taking a delivery counts one and fences the taker's answer.
    attempts          INTEGER NOT NULL DEFAULT 0,
    -- When it is next due; while an attempt is in flight, the end of its lease.
    next_attempt_at   INTEGER NOT NULL,
    lease_owner       TEXT,
    last_attempt_at   INTEGER,
    last_status       INTEGER,
    last_response_ms  INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    CONSTRAINT deliveries_channel_check CHECK (channel IN ('webhook')),
    CONSTRAINT deliveries_state_check CHECK (state IN ('pending', 'delivered', 'dead')),
    CONSTRAINT deliveries_webhook_endpoint_check CHECK (channel <> 'webhook' OR endpoint_id IS NOT NULL),
    CONSTRAINT deliveries_endpoint_event_key UNIQUE (endpoint_id, event_id)
);
CREATE INDEX deliveries_due_idx ON deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_endpoint_idx ON deliveries(endpoint_id, id);
