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
-- lookup): without it, SQLite leaves the index alone when a lead changes.
DROP INDEX leads_created_idx;
CREATE INDEX leads_created_idx ON leads(org_id, created_at, id);
