-- Free-text search served by an index (issue 4), not a scan of every lead with LIKE.
-- pg_trgm's GIN operator class answers `search_text LIKE '%term%'` from the trigrams of the
-- term and rechecks each candidate, so the match stays an exact substring. pg_trgm is a
-- trusted extension since PostgreSQL 13: the database's owner may create it.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops);

-- The planner guesses how many leads a `%term%` pattern matches by trying it on the
-- column's histogram; with the default 100 entries a name a fiftieth of the leads carry
-- seldom appears there and is taken to be rare, so the index is read for thousands of
-- matches where walking a list in its order would fill a page at once. A thousand entries
-- tell the two apart.
ALTER TABLE leads ALTER COLUMN search_text SET STATISTICS 1000;
