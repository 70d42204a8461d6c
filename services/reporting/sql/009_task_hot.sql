-- A task's day of changes as HOT updates (issue 14, readers7). A call changes its task's row
-- about four times (assigned, claimed, the call logged, completed); the partial index
-- task_customer_open named state in its predicate, so every one of them wrote new entries
-- in both of task's indexes (6 % HOT over a day of the national_day benchmark). An index on
-- customer_id alone names no column those updates change; the readers (the customer's open
-- steps: REP_Q_CANCEL_TASKS, REP_Q_CANCEL_PLAN_TASKS, REP_Q_PLANS_OPEN_CUSTOMERS, a merge's
-- REP_Q_ON_CUSTOMERS_MERGED_TASK_SET_CUSTOMER_ID) read the customer's few steps and keep the
-- open ones, and REP_Q_CANCEL_TASKS's state = ANY ($2) no longer has to be proven to imply
-- a partial index's predicate, so its generic plan uses the index and is kept (it was planned
-- at every execution). The fillfactor leaves a fifth of each page written from now on for
-- the new versions of its rows (a page filled full has no room for a HOT update).
DROP INDEX task_customer_open;
CREATE INDEX task_customer ON task (customer_id);
ALTER TABLE task SET (fillfactor = 80);
-- The card copy is changed by 0.8 of a call (card_type_changed) and only 71 % of those
-- updates were HOT: its pages were filled full, as task's were.
ALTER TABLE customer SET (fillfactor = 90);
