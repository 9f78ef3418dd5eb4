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
-- Why a queued lead entered the queue, kept on the lead while it waits there: the queue's
-- reason filter and its count read it from an index instead of each lead's timeline (a
-- reason few leads have read the timeline of every queued lead: 0.2 s at 160,000). A lead
-- already waiting entered with its latest entry of a kind that can queue a lead.
ALTER TABLE leads ADD COLUMN queue_reason TEXT;
UPDATE leads SET queue_reason = (
    SELECT t.reason FROM timeline t WHERE t.id = (
        SELECT MAX(e.id) FROM timeline e
         WHERE e.lead_id = leads.id AND e.kind IN ('created', 'routed', 'owner_changed', 'offer_cancelled')))
WHERE owner_kind = 'queue';
-- The queue filtered by reason, in the order leads entered it, and its count.
CREATE INDEX leads_queue_reasons_idx ON leads(org_id, queue_reason, queued_at, id) WHERE owner_kind = 'queue';
