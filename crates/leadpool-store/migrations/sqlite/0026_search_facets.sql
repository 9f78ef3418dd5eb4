-- A list that searches and also filters by tag, status or source (issue 19) asks the
-- full-text index for all of it at once. Checked one lead at a time, a search for a common
-- name (20,000 of a million leads) and a common tag cost 25-45 ms of index lookups; folded
-- into one FTS5 query, the index intersects them itself in under 10 ms.
--
-- Each tag, status and source a lead has is a facet with a code (`search_facets`, kept by
-- the triggers below, never renumbered), written into the lead's full-text row as one
-- trigram: a private-use marker and the code in two characters of plane 15. A trigram
-- starting with the marker starts at a facet (or in a lead's own text holding private-use
-- characters, a false match): what the index returns is still checked against every
-- condition when the leads are read.

CREATE TABLE search_facets (
    code  INTEGER PRIMARY KEY,
    kind  TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (kind, value)
);

-- The trigram a facet is written as; the lists look facets up by (kind, value) here.
CREATE VIEW search_facet_tokens (kind, value, token) AS
SELECT kind, value, char(57344, 983040 + (code >> 16), 983040 + (code & 65535))
FROM search_facets;

-- A lead's facets as a JSON array of [kind, value] pairs: the one place that says which
-- of its columns are facets.
CREATE VIEW lead_facet_list (lead_id, facets) AS
SELECT id, json_insert(
    (SELECT json_group_array(json_array('tag', j.value)) FROM json_each(tags) j),
    '$[#]', json_array('status', status_id),
    '$[#]', json_array('source', source_id))
FROM leads;

DROP TRIGGER leads_fts_insert;
DROP TRIGGER leads_fts_update;
DROP TRIGGER leads_fts_delete;
DROP TABLE leads_fts;

-- Contentless (the facets are in no column of leads), with rows deleted by id alone.
CREATE VIRTUAL TABLE leads_fts USING fts5(
    search_text,
    facets,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram case_sensitive 1',
    detail = 'none'
);

-- Inserting a lead's id here writes its full-text row from the lead as it stands: the
-- triggers on leads share these statements through it.
CREATE VIEW leads_fts_sync (lead_id) AS SELECT NULL;

CREATE TRIGGER leads_fts_sync INSTEAD OF INSERT ON leads_fts_sync BEGIN
    INSERT OR IGNORE INTO search_facets (kind, value)
    SELECT e.value ->> 0, e.value ->> 1 FROM lead_facet_list f, json_each(f.facets) e
    WHERE f.lead_id = new.lead_id;
    INSERT INTO leads_fts (rowid, search_text, facets)
    SELECT l.id, l.search_text, (
        SELECT group_concat(t.token, '')
        FROM lead_facet_list f, json_each(f.facets) e
        JOIN search_facet_tokens t ON t.kind = e.value ->> 0 AND t.value = e.value ->> 1
        WHERE f.lead_id = l.id)
    FROM leads l WHERE l.id = new.lead_id;
END;

CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN
    INSERT INTO leads_fts_sync (lead_id) VALUES (new.id);
END;

-- Updates write every column whether or not it changed (a claim rewrites the whole row);
-- only a real change of what the row indexes is worth re-indexing.
CREATE TRIGGER leads_fts_update AFTER UPDATE OF search_text, tags, status_id, source_id ON leads
WHEN old.search_text IS NOT new.search_text OR old.tags IS NOT new.tags
    OR old.status_id IS NOT new.status_id OR old.source_id IS NOT new.source_id BEGIN
    DELETE FROM leads_fts WHERE rowid = old.id;
    INSERT INTO leads_fts_sync (lead_id) VALUES (new.id);
END;

CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN
    DELETE FROM leads_fts WHERE rowid = old.id;
END;

INSERT INTO leads_fts_sync (lead_id) SELECT id FROM leads;
