-- The manual queue in the order leads entered it (issue 18): when a lead entered the queue,
-- kept while it waits there, and the index the queue's pages walk. A lead already waiting
-- entered it with its latest entry of a kind that can queue a lead (or when it came in).
ALTER TABLE leads ADD COLUMN queued_at BIGINT;
UPDATE leads SET queued_at = COALESCE(
    (SELECT MAX(t.at) FROM timeline t
      WHERE t.lead_id = leads.id AND t.kind IN ('created', 'routed', 'owner_changed', 'offer_cancelled')),
    created_at)
WHERE owner_kind = 'queue';
CREATE INDEX leads_queue_idx ON leads(org_id, queued_at, id) WHERE owner_kind = 'queue';
