-- Distribution (seeds 001, 002 and 004): agent groups, routing rules, reassignment groups,
-- the round-robin position of each, offers in progress, and the per-agent event outbox.
-- Conditions, plans and group entries are JSON checked by the domain before they are written.

ALTER TABLE users ADD COLUMN paused BOOLEAN NOT NULL DEFAULT 0;
-- When distribution last gave the agent a lead: load balancing's tie-break.
ALTER TABLE users ADD COLUMN last_routed_at INTEGER;

-- The manual assignment queue, oldest first.
CREATE INDEX leads_owner_kind_idx ON leads(org_id, owner_kind, id);

CREATE TABLE agent_groups (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    entries     TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CONSTRAINT agent_groups_name_key UNIQUE (org_id, name)
);

CREATE TABLE routing_rules (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT 1,
    conditions  TEXT NOT NULL,
    plan        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CONSTRAINT routing_rules_name_key UNIQUE (org_id, name)
);
CREATE INDEX routing_rules_order_idx ON routing_rules(org_id, position, id);

CREATE TABLE reassignment_groups (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CONSTRAINT reassignment_groups_name_key UNIQUE (org_id, name)
);

-- "Available to": the teams whose members may trigger it; none means the whole organization.
CREATE TABLE reassignment_group_teams (
    reassignment_id  INTEGER NOT NULL REFERENCES reassignment_groups(id),
    team_id          INTEGER NOT NULL REFERENCES teams(id),
    PRIMARY KEY (reassignment_id, team_id)
);

CREATE TABLE routing_cursors (
    org_id  INTEGER NOT NULL REFERENCES organizations(id),
    router  TEXT NOT NULL,
    state   TEXT NOT NULL,
    PRIMARY KEY (org_id, router)
);

CREATE TABLE offers (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations(id),
    lead_id      INTEGER NOT NULL REFERENCES leads(id),
    router       TEXT NOT NULL,
    router_name  TEXT NOT NULL,
    plan         TEXT NOT NULL,
    recipients   TEXT NOT NULL,
    deadline     INTEGER NOT NULL,
    pin          TEXT NOT NULL,
    broadcast    BOOLEAN NOT NULL,
    history      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'moved_on', 'cancelled')),
    winner_id    INTEGER REFERENCES users(id),
    created_at   INTEGER NOT NULL,
    closed_at    INTEGER
);
CREATE INDEX offers_lead_idx ON offers(lead_id, id);

CREATE TABLE offer_recipients (
    offer_id  INTEGER NOT NULL REFERENCES offers(id),
    user_id   INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (offer_id, user_id)
);
CREATE INDEX offer_recipients_user_idx ON offer_recipients(user_id, offer_id);

-- Events for agents (offers made and withdrawn, leads assigned): read through the API now,
-- delivered by email and webhooks later; `delivered_at` is for those.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    lead_id       INTEGER REFERENCES leads(id),
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    delivered_at  INTEGER
);
CREATE INDEX outbox_user_idx ON outbox(user_id, id);
