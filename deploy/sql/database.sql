-- deploy/sql/database.sql: one database's part of the stores' least privilege. Run as the
-- database superuser, connected to that database, after deploy/sql/roles.sql made the roles
-- (deploy/lib.sh hf_pg_bootstrap_db; the tests run it for each database they create).
-- Idempotent, and a migration too: a database from before it (every table owned by the
-- superuser) gets each service's schema and tables handed to the service's role.
--
--   * Nobody but the service roles and the superuser may connect; PUBLIC loses the public
--     schema.
--   * Each service's schema (intake, scheduler, calllog, complaint, reporting) is owned by
--     its role huifang_<service>, which therefore runs its migrations; no other role has any
--     privilege on it (a schema's privileges are its owner's alone unless granted).
--   * audit.access, owned by the NOLOGIN role huifang_audit: every service role may INSERT
--     and SELECT (and use its id sequence), nothing else: no UPDATE, DELETE or TRUNCATE.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database())
\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), r)
  FROM unnest(ARRAY['huifang_intake', 'huifang_scheduler', 'huifang_calllog',
                    'huifang_complaint', 'huifang_reporting']) AS r
\gexec
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- The services' schemas, owned by their roles (made here so that the roles need no CREATE
-- on the database).
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', s, 'huifang_' || s)
  FROM unnest(ARRAY['intake', 'scheduler', 'calllog', 'complaint', 'reporting']) AS s
\gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', s, 'huifang_' || s)
  FROM unnest(ARRAY['intake', 'scheduler', 'calllog', 'complaint', 'reporting']) AS s
\gexec
SELECT format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', s)
  FROM unnest(ARRAY['intake', 'scheduler', 'calllog', 'complaint', 'reporting', 'audit']) AS s
 WHERE EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = s)
\gexec

-- Migration of a database made before the service roles: tables, views and free-standing
-- sequences of a service's schema change hands (a table's indexes and its serial sequences
-- follow it).
SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, 'huifang_' || n.nspname)
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('intake', 'scheduler', 'calllog', 'complaint', 'reporting')
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
   AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = 'huifang_' || n.nspname)
   AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
                                         WHERE d.classid = 'pg_class'::regclass
                                           AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
\gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, 'huifang_' || n.nspname)
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN ('intake', 'scheduler', 'calllog', 'complaint', 'reporting')
   AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = 'huifang_' || n.nspname)
\gexec

-- The audit trail. Exactly this definition is shared with the code that writes and reads it
-- (keep the two the same; both are idempotent).
CREATE SCHEMA IF NOT EXISTS audit AUTHORIZATION huifang_audit;
ALTER SCHEMA audit OWNER TO huifang_audit;
REVOKE ALL ON SCHEMA audit FROM PUBLIC;
CREATE TABLE IF NOT EXISTS audit.access (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    on_behalf_of text NOT NULL DEFAULT '',
    role text NOT NULL DEFAULT '',
    branch text NOT NULL DEFAULT '',
    service text NOT NULL,
    command text NOT NULL,
    customers bigint[] NOT NULL DEFAULT '{}',
    request_id text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS access_at_idx ON audit.access (at);
CREATE INDEX IF NOT EXISTS access_customers_idx ON audit.access USING gin (customers);
ALTER TABLE audit.access OWNER TO huifang_audit;
REVOKE ALL ON audit.access FROM PUBLIC;
REVOKE ALL ON SEQUENCE audit.access_id_seq FROM PUBLIC;
GRANT USAGE ON SCHEMA audit
    TO huifang_intake, huifang_scheduler, huifang_calllog, huifang_complaint, huifang_reporting;
REVOKE ALL ON audit.access
  FROM huifang_intake, huifang_scheduler, huifang_calllog, huifang_complaint, huifang_reporting;
GRANT SELECT, INSERT ON audit.access
    TO huifang_intake, huifang_scheduler, huifang_calllog, huifang_complaint, huifang_reporting;
GRANT USAGE ON SEQUENCE audit.access_id_seq
    TO huifang_intake, huifang_scheduler, huifang_calllog, huifang_complaint, huifang_reporting;
-- Belt and braces: the rows refuse UPDATE and DELETE even from the table's owner and the
-- superuser (the same function and trigger a service makes when it finds the table without
-- them, hf_service.c).
CREATE OR REPLACE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    RAISE EXCEPTION 'audit.access is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $f$;
ALTER FUNCTION audit.refuse_change() OWNER TO huifang_audit;
DROP TRIGGER IF EXISTS access_append_only ON audit.access;
CREATE TRIGGER access_append_only BEFORE UPDATE OR DELETE ON audit.access
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
