-- Lists and counts of a large organization (issue 19).
--
-- Lists of leads created within a range, by last change: the creation index also holds each
-- lead's last change, so the latest change among a range's leads is read from the index
-- alone, and the list starts its walk of changes there instead of walking past every newer
-- change (a range of old leads: 0.4-2 s at a million leads).
DROP INDEX leads_created_idx;
CREATE INDEX leads_created_idx ON leads(org_id, created_at, id, updated_at);
-- The queue page's count, by source and team: counted from the index alone, up to where the
-- count stops (a source's leads waiting read the whole source's leads: 0.4 s).
CREATE INDEX leads_queue_sources_idx ON leads(org_id, source_id, team_id) WHERE owner_kind = 'queue';
