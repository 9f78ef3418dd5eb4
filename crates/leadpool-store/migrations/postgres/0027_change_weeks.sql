-- Lists of leads created within a range, by last change (issue 19).
--
-- Such a list starts its walk of changes at the latest change among the range's leads.
-- Reading that from the creation index meant reading every lead of the range (a range of
-- 200,000 old leads: 24 ms on SQLite, 25-45 ms on PostgreSQL). This index groups leads by
-- the week they were created in, and each week's by last change: the latest change of a
-- range is one lookup per week it spans (list.rs, `latest_change_sql`, writes the same
-- expression, which must stay the same for the index to serve it).
CREATE INDEX leads_created_week_idx ON leads(org_id, (created_at / 604800000), updated_at, created_at);
-- The creation index no longer needs each lead's last change (0024 added it for that
-- lookup): it is smaller without it.
DROP INDEX leads_created_idx;
CREATE INDEX leads_created_idx ON leads(org_id, created_at, id);
-- The walks of an agent's leads and of a pool's, newest or oldest first, end their order
-- with the lead's id, and each walk first finds where its first 10,000 rows end: without
-- the id in the index PostgreSQL read each of those rows from the table and sorted them
-- (21-51 ms at a million leads, 1.6 ms with it). SQLite keeps the id in every index.
DROP INDEX leads_owner_user_idx;
CREATE INDEX leads_owner_user_idx ON leads(org_id, owner_user_id, created_at, id);
DROP INDEX leads_owner_pool_idx;
CREATE INDEX leads_owner_pool_idx ON leads(org_id, owner_pool_id, created_at, id);
