-- Lead lists that answer in milliseconds at a million leads (issue 19). A list reads its
-- rows either by id, when one of its conditions holds for few leads, or by walking an
-- index in its own order (`leads/list.rs`, `walk_index`). These indexes are the walks the
-- earlier ones lacked: each starts with the condition a large, skewed list is made of, so
-- a page of matches that are all older than the rest is found where they are instead of
-- after every newer lead of the organization.

-- Pool views ("Lead pool: yes"), newest or oldest first: the pools' leads alone.
CREATE INDEX leads_pool_created_idx ON leads(org_id, created_at, id) WHERE owner_kind = 'pool';
-- Pool views, most recently changed first.
CREATE INDEX leads_pool_updated_idx ON leads(org_id, updated_at, id) WHERE owner_kind = 'pool';
-- Lists of leads in no pool ("Lead pool: no"), by creation and by change: without them a
-- list of the oldest leads outside the pools first walks past every pool lead older still.
CREATE INDEX leads_unpooled_created_idx ON leads(org_id, created_at, id) WHERE owner_kind <> 'pool';
CREATE INDEX leads_unpooled_updated_idx ON leads(org_id, updated_at, id) WHERE owner_kind <> 'pool';
-- An agent's own leads (and a list filtered by owner), most recently changed first; newest
-- first is leads_owner_user_idx.
CREATE INDEX leads_owner_user_updated_idx ON leads(org_id, owner_user_id, updated_at, id);

-- The planner's view of skewed columns: a pool or a status can hold a ten-thousandth of the
-- leads or a fifth of them, and the default 100-entry statistics merge the small ones.
ALTER TABLE leads ALTER COLUMN owner_pool_id SET STATISTICS 1000;
ALTER TABLE leads ALTER COLUMN owner_kind SET STATISTICS 1000;
ALTER TABLE leads ALTER COLUMN status_id SET STATISTICS 1000;
ALTER TABLE lead_tags ALTER COLUMN tag SET STATISTICS 1000;
