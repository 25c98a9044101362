-- Text search. The list's `q` matches a substring of the name or the
-- description in any (ASCII) case; a trigram index over both finds the
-- candidate rows of a needle of three or more characters, so a search costs
-- what it finds rather than the size of the organization. The candidates
-- are then checked with the LIKE rule itself, which stays the definition of
-- a match. External content: the index holds no copy of the text.
CREATE VIRTUAL TABLE custom_integrations_text USING fts5 (
    name, description,
    content = 'custom_integrations', content_rowid = 'seq', tokenize = 'trigram'
);

INSERT INTO custom_integrations_text (custom_integrations_text) VALUES ('rebuild');

CREATE TRIGGER custom_integrations_text_insert AFTER INSERT ON custom_integrations BEGIN
    INSERT INTO custom_integrations_text (rowid, name, description)
        VALUES (new.seq, new.name, new.description);
END;

CREATE TRIGGER custom_integrations_text_delete AFTER DELETE ON custom_integrations BEGIN
    INSERT INTO custom_integrations_text (custom_integrations_text, rowid, name, description)
        VALUES ('delete', old.seq, old.name, old.description);
END;

CREATE TRIGGER custom_integrations_text_update AFTER UPDATE OF name, description ON custom_integrations BEGIN
    INSERT INTO custom_integrations_text (custom_integrations_text, rowid, name, description)
        VALUES ('delete', old.seq, old.name, old.description);
    INSERT INTO custom_integrations_text (rowid, name, description)
        VALUES (new.seq, new.name, new.description);
END;
