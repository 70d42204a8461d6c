-- A contact's insert prepares no list check (issue 14, pgcpu9). Postgres reads each CHECK
-- constraint's stored expression again (stringToNode) and prepares it again
-- (expression_planner, ExecInitExpr) at every execution of a statement that writes the table:
-- a call's contact insert (CALLLOG_Q_CALL_LOG, one a call) paid for contact's six checks each
-- time, the two lists (effect IN (...), delivery IN (...)) the dearest of them to read (each
-- list is a stored array, read back byte by byte). A domain's check is read and planned once a
-- connection (the type cache) and runs where a value of it is written: the same values are
-- refused on an insert and on an update that sets them. As intake's customer (intake 012) and
-- the scheduler's task (scheduler 026): the domains are made bare, the columns moved to them
-- (binary-coercible: no rewrite), then their checks added (ALTER DOMAIN validates the rows).
-- The counts' checks (order_qty >= 0, pulse >= 0: no list) and the two rules over two columns
-- (contact_consent, contact_order) stay the table's.
CREATE DOMAIN contact_effect AS text;
CREATE DOMAIN contact_delivery AS text;
ALTER TABLE contact
    DROP CONSTRAINT contact_effect_check,
    DROP CONSTRAINT contact_delivery_check,
    ALTER COLUMN effect TYPE contact_effect,
    ALTER COLUMN delivery TYPE contact_delivery;
ALTER DOMAIN contact_effect ADD CONSTRAINT contact_effect_check
    CHECK (VALUE IN ('', 'good', 'none', 'adverse'));
ALTER DOMAIN contact_delivery ADD CONSTRAINT contact_delivery_check
    CHECK (VALUE IN ('', 'home', 'store'));
