-- Assignment speed (issue 14, "The scheduler's own aim"). Moving a task into a bag changes
-- state, agent and bag_date, which indexes name, so the update is never HOT: it writes an
-- entry into EVERY index of task whose predicate the new row matches. Three of those entries
-- were there only for readers that another index serves:
-- - task_plan (plan_id, state), an entry for every task, with a plan or without (NULL keys
--   are indexed too). Its only readers, a plan's open steps when the plan ends
--   (SCHED_Q_END_EARLIER_PLANS_TASK, SCHED_Q_ARCHIVE_BRANCH_TASK), go through the plan's
--   customer now (task_customer: a few dozen tasks a customer). Nothing deletes a plan, so
--   the foreign key needs no index.
-- - task_bag_open (branch, bag_date) WHERE state = 'assigned'. Its readers, the preemption's
--   victim (SCHED_Q_PREEMPT) and the roll-over of earlier bags (SCHED_Q_ROLL_BAGS_TASK, _2),
--   go agent by agent through task_agent (branch, agent, state, bag_date) now: an exact
--   range per agent of the branch (a task is only ever in the bag of an agent of the agent
--   table, which keeps every agent, active or not).
-- - task_purchase (purchase_id) WHERE purchase_id > 0, an entry for every task of a
--   purchase's plan (most tasks). Its one reader, an approved return's open steps
--   (SCHED_Q_ON_RETURN_DECIDED_TASK), goes through the purchase's customer now (the
--   purchase's and its plan's copies, which a merge of customers moves with the tasks).
DROP INDEX task_plan;
DROP INDEX task_bag_open;
DROP INDEX task_purchase;
