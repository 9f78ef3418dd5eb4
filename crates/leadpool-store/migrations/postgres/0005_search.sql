-- Free-text search served by an index (issue 4), not a scan of every lead with LIKE.
-- pg_trgm's GIN operator class answers `search_text LIKE '%term%'` from the trigrams of the
-- term and rechecks each candidate, so the match stays an exact substring. pg_trgm is a
-- trusted extension since PostgreSQL 13: the database's owner may create it.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops);
