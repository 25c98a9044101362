-- Text search. The list's `q` matches a substring of the name or the
-- description in any case (ILIKE); trigram indexes over both let a needle
-- of three or more characters find its rows without reading the whole
-- organization. pg_trgm ships with PostgreSQL's contrib and is a trusted
-- extension; where it is missing or may not be created, search still works
-- and reads the organization's rows, as before this migration.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pg_trgm could not be created: text search reads every row';
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        -- New rows wait in a pending list that every search reads through
        -- until it is merged; the default 4 MiB list cost a search 60 ms
        -- after 20,000 creates. At 256 KiB it costs about 0.5 ms, and
        -- merging more often costs a create about 0.1 ms (merging every
        -- row, fastupdate off, cost 0.6 ms).
        CREATE INDEX custom_integrations_name_trgm
            ON custom_integrations USING gin (name gin_trgm_ops) WITH (gin_pending_list_limit = 256);
        CREATE INDEX custom_integrations_description_trgm
            ON custom_integrations USING gin (description gin_trgm_ops) WITH (gin_pending_list_limit = 256);
    END IF;
END $$;
