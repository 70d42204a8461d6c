-- The customer's copy changed in place (issue 14, copies12; tests/e2e/258_customer_copy_writes.sh).
-- A day of calls changes each called customer's row about twice (a new card talked to becomes
-- one-on-one through its copy; a refusal voids the card and opts the customer out; a call not
-- answered counts an attempt), and only half of those updates were HOT at a full tenth of the
-- national day (1,000,000 customers): customer_member's predicate named card_type and
-- opted_out (migration 017), so no change of the card or the opt-out could be HOT, and the
-- pages, filled full by the leads' import, had no room for a new version of any row. Each
-- such update put a new entry into customer_pkey (and customer_member for a member) on a page
-- of its own, and wrote the row on another page.
-- - customer_member now holds the customers of a member tier, whatever their card: the hourly
--   look for unvisited members (SCHED_Q_UNVISITED_MEMBERS, sched_house.c) names the same
--   tiers, so its scan still reads the members from the index only, and keeps those that are
--   not void nor opted out from the rows (a void or opted-out member is the rare one). Its
--   predicate names tier only, which intake changes rarely; a change of the card or the
--   opt-out keeps every index entry and may be HOT.
-- - A tenth of each page written from now on is left for the new versions of its rows, as
--   intake's and reporting's copies do (intake migration 012, reporting 009).
DROP INDEX customer_member;
CREATE INDEX customer_member ON customer (id) WHERE tier IN ('gold', 'silver', 'member');
ALTER TABLE customer SET (fillfactor = 90);
