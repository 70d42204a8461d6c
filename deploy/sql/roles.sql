-- deploy/sql/roles.sql: the cluster-wide part of the stores' least privilege. Run as the
-- database superuser by deploy/lib.sh (hf_pg_bootstrap_roles), with psql -v secrets=DIR: DIR
-- holds one password file per service role, pg_huifang_<service>.password (mode 0600). The
-- passwords are read by psql itself (backquotes), so they never appear on a command line.
-- Idempotent: creates what is missing and sets every attribute and password again.
-- Roles are shared by every database of the cluster: run it once per cluster (the tests run
-- it once, then deploy/sql/database.sql for each database they create).
\set ON_ERROR_STOP on
SET client_min_messages = warning;

SELECT format('CREATE ROLE %I', r)
  FROM unnest(ARRAY['huifang_intake', 'huifang_scheduler', 'huifang_calllog',
                    'huifang_complaint', 'huifang_reporting', 'huifang_audit']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)
\gexec

-- The owner of the audit schema: nobody logs in as it.
ALTER ROLE huifang_audit NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

\set pw_intake `cat :'secrets'/pg_huifang_intake.password`
\set pw_scheduler `cat :'secrets'/pg_huifang_scheduler.password`
\set pw_calllog `cat :'secrets'/pg_huifang_calllog.password`
\set pw_complaint `cat :'secrets'/pg_huifang_complaint.password`
\set pw_reporting `cat :'secrets'/pg_huifang_reporting.password`

-- The password goes to the server as text and is stored as a SCRAM-SHA-256 verifier
-- (password_encryption = scram-sha-256, the default of PostgreSQL 15).
SET password_encryption = 'scram-sha-256';
ALTER ROLE huifang_intake LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    NOINHERIT PASSWORD :'pw_intake';
ALTER ROLE huifang_scheduler LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    NOINHERIT PASSWORD :'pw_scheduler';
ALTER ROLE huifang_calllog LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    NOINHERIT PASSWORD :'pw_calllog';
ALTER ROLE huifang_complaint LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    NOINHERIT PASSWORD :'pw_complaint';
ALTER ROLE huifang_reporting LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    NOINHERIT PASSWORD :'pw_reporting';
\unset pw_intake
\unset pw_scheduler
\unset pw_calllog
\unset pw_complaint
\unset pw_reporting

-- Each role's session defaults: its own schema first, UTC, and no JIT compiling (the
-- services' statements are short; a plan estimated over jit_above_cost was compiled at every
-- run, ~380 ms for a look that did 0.06 ms of work: common/src/hf_store.c, S_SESSION_SETS).
-- The services also set all three at connect, but through a transaction pooler (PgBouncer in
-- transaction mode) a statement may run on any server connection of the role's pool, one that
-- never saw that SET: the role's defaults make every server connection right from the start
-- (README, "PgBouncer").
SELECT format('ALTER ROLE %I SET search_path = %I', 'huifang_' || s, s),
       format('ALTER ROLE %I SET timezone = %L', 'huifang_' || s, 'UTC'),
       format('ALTER ROLE %I SET jit = off', 'huifang_' || s)
  FROM unnest(ARRAY['intake', 'scheduler', 'calllog', 'complaint', 'reporting']) AS s
\gexec
