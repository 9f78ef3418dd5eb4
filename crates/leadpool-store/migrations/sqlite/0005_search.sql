-- Free-text search served by an index (issue 4), not a scan of every lead with LIKE.
-- An FTS5 table with the trigram tokenizer indexes every three-character run of
-- leads.search_text. A term of three characters or more is looked up by a cover of its
-- trigrams, which narrows the leads to candidates; LIKE on them decides, as on PostgreSQL,
-- so matching stays an exact substring. `case_sensitive 1` keeps SQLite from folding case a
-- second time: the store lower-cases both the text and the term already. `detail=none`
-- keeps no positions (no phrase queries are asked), a third of the size. External content:
-- the text lives once, in leads; the triggers keep the index in step with every write,
-- whichever statement makes it.

CREATE VIRTUAL TABLE leads_fts USING fts5(
    search_text,
    content = 'leads',
    content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1',
    detail = 'none'
);

CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN
    INSERT INTO leads_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;

-- Updates write search_text whether or not it changed (a claim rewrites the whole row);
-- only a real change is worth re-indexing.
CREATE TRIGGER leads_fts_update AFTER UPDATE OF search_text ON leads
WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO leads_fts (leads_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO leads_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN
    INSERT INTO leads_fts (leads_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;

INSERT INTO leads_fts (leads_fts) VALUES ('rebuild');
