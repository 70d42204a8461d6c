-- A contact's insert writes no index nothing reads (issue 14, clog11). contact_agent_day
-- (branch, agent, logged_at_ms) has been written by every call's contact insert since 001,
-- and no statement of calllog reads by it: the quality checks' draw reads a branch's day
-- (contact_branch_day), the console's customer timeline a customer's contacts
-- (contact_customer), a log's claim the (task_id, claim_no) key, the rest a contact's id.
-- One index insert less a call.
DROP INDEX IF EXISTS contact_agent_day;
