-- The task table's indexes (issue 14, "A national day, measured"; tests/e2e/114_task_indexes.sh).
-- Every new task writes an entry into each index of task whose predicate it matches, and so
-- does every non-HOT update (a move into a bag changes state, agent and bag_date). What each
-- index is for, by EXPLAIN of every statement of scheduler_sql.h that names task (generic
-- plans, a store of 100,000 leads' plans, a day's bags; e2e/114 keeps it so):
--   task_pkey            a task by id: every lock, move and claim
--   task_customer        (customer_id, bag_date): the contact cap, a customer's tasks (plans'
--                        ends, returns, complaints, do-not-disturb, archive, greetings)
--   task_branch_due      (branch, due_at_ms) WHERE planned: a flexible step's room, the bag
--                        preview, the letters' batch, the planned count per branch
--   task_deadline        callbacks' deadlines only (deadline_ms > 0)
--   task_plan_step, task_from_contact, task_from_complaint, task_campaign: unique, the rules
--                        that make planning exactly-once (every insert reads them)
--   task_occasion_open   the open greetings, for their expiry (sched_occasion.c)
--   task_agent           (branch, agent, state, bag_date): bags and worklists (task next,
--                        worklist, preemption, roll-over, absences, the day's bag counts)
-- Narrowed here:
-- - task_agent held every task, the planned ones too (agent '', bag_date NULL: all equal keys
--   per branch), written with three text keys for each new task, read by nobody: every reader
--   names an agent's bag. It now holds the tasks with an agent only (agent and bag_date are
--   set and cleared together), so a new task writes 4 index entries, not 5; the readers say
--   `agent <> ''` so that their prepared (generic) plans may use it.
-- - The two readers that went through task_agent for its branch alone, to clear an agent's
--   reservations (a callback promised to an agent who is deactivated or away), read the
--   reserved tasks now: task_reserved, callbacks and promises only.
DROP INDEX task_agent;
CREATE INDEX task_agent ON task (branch, agent, state, bag_date) WHERE agent <> '';
CREATE INDEX task_reserved ON task (branch, reserved_agent) WHERE reserved_agent <> '';
