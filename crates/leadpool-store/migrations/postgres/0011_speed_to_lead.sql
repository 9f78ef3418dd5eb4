-- Speed to lead (issue 16): when an agent last got the lead, and the first contact logged
-- since. Leads held before this migration have no known assignment time and stay NULL.
ALTER TABLE leads ADD COLUMN assigned_at BIGINT;
ALTER TABLE leads ADD COLUMN first_contact_at BIGINT;
