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
        CREATE INDEX custom_integrations_name_trgm
            ON custom_integrations USING gin (name gin_trgm_ops);
        CREATE INDEX custom_integrations_description_trgm
            ON custom_integrations USING gin (description gin_trgm_ops);
    END IF;
END $$;
