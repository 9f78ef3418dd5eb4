-- Foundation: organizations, teams, users and their credentials, sources, statuses,
-- pools, leads and their timeline. Times are epoch milliseconds; JSON is TEXT.
-- Constraint names match the PostgreSQL tree so both map to the same StoreError.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL CONSTRAINT organizations_slug_key UNIQUE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    parent_id   INTEGER REFERENCES teams(id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    CONSTRAINT teams_name_key UNIQUE (org_id, name)
);
CREATE INDEX teams_parent_idx ON teams(org_id, parent_id);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organizations(id),
    email          TEXT NOT NULL CONSTRAINT users_email_key UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'isa', 'agent', 'all_leads_agent')),
    active         BOOLEAN NOT NULL DEFAULT 1,
    scope_team_id  INTEGER REFERENCES teams(id),
    password_hash  TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX users_org_idx ON users(org_id, id);

CREATE TABLE team_members (
    team_id  INTEGER NOT NULL REFERENCES teams(id),
    user_id  INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON team_members(user_id);

CREATE TABLE user_tags (
    user_id  INTEGER NOT NULL REFERENCES users(id),
    tag      TEXT NOT NULL,
    PRIMARY KEY (user_id, tag)
);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL CONSTRAINT api_tokens_hash_key UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions(expires_at);

CREATE TABLE statuses (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('new', 'contacted', 'working', 'closed')),
    position    INTEGER NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    CONSTRAINT statuses_name_key UNIQUE (org_id, name)
);

CREATE TABLE sources (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    team_id     INTEGER REFERENCES teams(id),
    key_hash    TEXT NOT NULL CONSTRAINT sources_key_hash_key UNIQUE,
    key_hint    TEXT NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    CONSTRAINT sources_name_key UNIQUE (org_id, name)
);

CREATE TABLE pools (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    CONSTRAINT pools_name_key UNIQUE (org_id, name)
);

CREATE TABLE leads (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organizations(id),
    source_id       INTEGER NOT NULL REFERENCES sources(id),
    external_id     TEXT,
    name            TEXT NOT NULL DEFAULT '',
    emails          TEXT NOT NULL DEFAULT '[]',
    phones          TEXT NOT NULL DEFAULT '[]',
    tags            TEXT NOT NULL DEFAULT '[]',
    fields          TEXT NOT NULL DEFAULT '{}',
    search_text     TEXT NOT NULL DEFAULT '',
    status_id       INTEGER NOT NULL REFERENCES statuses(id),
    owner_kind      TEXT NOT NULL,
    owner_user_id   INTEGER REFERENCES users(id),
    owner_pool_id   INTEGER REFERENCES pools(id),
    owner_offer_id  INTEGER,
    team_id         INTEGER REFERENCES teams(id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    CONSTRAINT leads_external_id_key UNIQUE (source_id, external_id),
    CONSTRAINT leads_one_owner CHECK (
        (owner_kind = 'agent' AND owner_user_id IS NOT NULL AND owner_pool_id IS NULL AND owner_offer_id IS NULL)
     OR (owner_kind = 'pool'  AND owner_user_id IS NULL AND owner_pool_id IS NOT NULL AND owner_offer_id IS NULL)
     OR (owner_kind = 'queue' AND owner_user_id IS NULL AND owner_pool_id IS NULL AND owner_offer_id IS NULL)
     OR (owner_kind = 'offer' AND owner_user_id IS NULL AND owner_pool_id IS NULL AND owner_offer_id IS NOT NULL)
    )
);
CREATE INDEX leads_created_idx ON leads(org_id, created_at, id);
CREATE INDEX leads_updated_idx ON leads(org_id, updated_at, id);
CREATE INDEX leads_name_idx ON leads(org_id, name, id);
CREATE INDEX leads_owner_user_idx ON leads(org_id, owner_user_id, created_at);
CREATE INDEX leads_owner_pool_idx ON leads(org_id, owner_pool_id, created_at);
CREATE INDEX leads_status_idx ON leads(org_id, status_id);
CREATE INDEX leads_team_idx ON leads(org_id, team_id);
CREATE INDEX leads_source_idx ON leads(org_id, source_id);

CREATE TABLE lead_tags (
    lead_id  INTEGER NOT NULL REFERENCES leads(id),
    tag      TEXT NOT NULL,
    PRIMARY KEY (lead_id, tag)
);
CREATE INDEX lead_tags_tag_idx ON lead_tags(tag, lead_id);

CREATE TABLE timeline (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    lead_id     INTEGER NOT NULL REFERENCES leads(id),
    at          INTEGER NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    INTEGER,
    kind        TEXT NOT NULL,
    reason      TEXT,
    changes     TEXT NOT NULL
);
CREATE INDEX timeline_lead_idx ON timeline(lead_id, id);
