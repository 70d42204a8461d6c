-- A contact's insert writes no index nothing reads and reads no count check (issue 14,
-- clog11).
--
-- contact_agent_day (branch, agent, logged_at_ms) has been written by every call's contact
-- insert since 001, and no statement of calllog reads by it: the quality checks' draw reads a
-- branch's day (contact_branch_day), the console's customer timeline a customer's contacts
-- (contact_customer), a log's claim the (task_id, claim_no) key, the rest a contact's id. One
-- index insert less a call.
DROP INDEX IF EXISTS contact_agent_day;
-- The counts' checks (order_qty >= 0, pulse >= 0) were read again from their stored text
-- (stringToNode) at every execution of a statement writing contact, as the lists' were before
-- 009: the counts are of the domain contact_count now, whose check is read and planned once a
-- connection and runs where a count is written (the same values refused, on an insert and on
-- an update). As 009: the domain made bare, the columns moved to it (binary-coercible: no
-- rewrite), then its check added (ALTER DOMAIN validates the rows). The two rules over two
-- columns (contact_consent, contact_order) stay the table's.
CREATE DOMAIN contact_count AS int;
ALTER TABLE contact
    DROP CONSTRAINT contact_order_qty_check,
    DROP CONSTRAINT contact_pulse_check,
    ALTER COLUMN order_qty TYPE contact_count,
    ALTER COLUMN pulse TYPE contact_count;
ALTER DOMAIN contact_count ADD CONSTRAINT contact_count_check CHECK (VALUE >= 0);
