-- A list that searches and also filters by tag, status or source (issue 19) asks the
-- search index for all of it at once: the index holds each lead's facets (its tags, its
-- status, its source) beside the trigrams of its search text, and one GIN scan intersects
-- them. Checked one lead at a time, a search for a common name (20,000 of a million leads)
-- and a common tag cost tens of milliseconds; what the index returns is still checked
-- against every condition when the leads are read.

-- How a facet is written: the lists build the ones they ask for with this too.
CREATE FUNCTION search_facet(kind text, value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT kind || ':' || value $$;

-- A lead's facets: the one place that says which of its columns are facets. The search
-- path is fixed so the index can be rebuilt whatever the session's (a restore sets none).
CREATE FUNCTION lead_facets(tags text, status_id bigint, source_id bigint) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path FROM CURRENT
AS $$
    SELECT ARRAY(SELECT search_facet('tag', t) FROM jsonb_array_elements_text(tags::jsonb) t)
        || ARRAY[search_facet('status', status_id::text), search_facet('source', source_id::text)]
$$;

DROP INDEX leads_search_idx;
CREATE INDEX leads_search_idx ON leads
    USING gin (search_text gin_trgm_ops, lead_facets(tags, status_id, source_id));
