-- An agent's own leads (and a list filtered by owner) by name, A to Z (issue 19). Without
-- it the list walks the organization's name index and passes every other agent's leads:
-- at a million leads, an agent's leads with a status, a tag or a search by name took
-- 50-110 ms; newest first and by change already had leads_owner_user_idx and
-- leads_owner_user_updated_idx.
CREATE INDEX leads_owner_user_name_idx ON leads(org_id, owner_user_id, name, id);
